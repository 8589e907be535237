package xmodem

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCRC16(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
	}{
		{"", 0},
		{"123456789", 0x31c3}, // CRC-16/XMODEM check value
		{"A", 0x58e5},
	}
	for _, tt := range tests {
		if got := crc16([]byte(tt.in)); got != tt.want {
			t.Errorf("crc16(%q) = %#04x, want %#04x", tt.in, got, tt.want)
		}
	}
}

func TestChecksum(t *testing.T) {
	if got, want := checksum([]byte{0xff, 0x02, 0x10}), byte(0x11); got != want {
		t.Errorf("checksum(ff 02 10) = %#02x, want %#02x", got, want)
	}
}

func TestBlockRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		seq  byte
		data []byte
		size int
		crc  bool
	}{
		{"128 checksum full", 1, bytes.Repeat([]byte{0xa5}, 128), 128, false},
		{"128 crc short", 2, []byte("tail"), 128, true},
		{"1K crc", 255, bytes.Repeat([]byte("0123456789"), 100), 1024, true},
		{"1K checksum", 0, []byte{sub, 0, 1}, 1024, false},
		{"empty", 7, nil, 128, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf [maxBlockLen]byte
			p := encodeBlock(buf[:], tt.seq, tt.data, tt.size, tt.crc, sub)
			if got, want := len(p), blockLen(tt.size, tt.crc); got != want {
				t.Fatalf("len(encodeBlock) = %d, want %d", got, want)
			}
			seq, data, err := decodeBlock(p, tt.crc)
			if err != nil {
				t.Fatalf("decodeBlock(encodeBlock(...)) error = %v", err)
			}
			if seq != tt.seq {
				t.Errorf("decodeBlock seq = %d, want %d", seq, tt.seq)
			}
			want := append(append([]byte(nil), tt.data...), bytes.Repeat([]byte{sub}, tt.size-len(tt.data))...)
			if diff := cmp.Diff(want, data); diff != "" {
				t.Errorf("decodeBlock data mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeBlockLayout(t *testing.T) {
	var buf [maxBlockLen]byte
	p := encodeBlock(buf[:], 3, []byte{1, 2}, 128, false, sub)
	want := []byte{soh, 3, 0xfc, 1, 2}
	if !bytes.Equal(p[:5], want) {
		t.Errorf("encodeBlock header = % x, want % x", p[:5], want)
	}
	if got, want := p[len(p)-1], byte((1+2+126*int(sub))%256); got != want {
		t.Errorf("encodeBlock checksum = %#x, want %#x", got, want)
	}
	p = encodeBlock(buf[:], 1, []byte("123456789"), 1024, true, 0)
	if p[0] != stx {
		t.Errorf("encodeBlock(1K)[0] = %#x, want STX", p[0])
	}
}

func TestDecodeBlockErrors(t *testing.T) {
	var buf [maxBlockLen]byte
	good := append([]byte(nil), encodeBlock(buf[:], 9, []byte("data"), 128, true, sub)...)
	mutate := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		p    []byte
		crc  bool
		want error
	}{
		{"empty", nil, true, errShortBlock},
		{"short", good[:100], true, errShortBlock},
		{"bad start", mutate(func(p []byte) []byte { p[0] = 'x'; return p }), true, errBadStart},
		{"seq complement", mutate(func(p []byte) []byte { p[2] = 0; return p }), true, errBadSeq},
		{"data flipped", mutate(func(p []byte) []byte { p[50] ^= 1; return p }), true, errBadCheck},
		{"crc flipped", mutate(func(p []byte) []byte { p[len(p)-1] ^= 0x80; return p }), true, errBadCheck},
		{"checksum expected, crc block", good[:len(good)-1], false, errBadCheck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeBlock(tt.p, tt.crc)
			if !errors.Is(err, tt.want) {
				t.Errorf("decodeBlock() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNextFrame(t *testing.T) {
	var b1, b2 [maxBlockLen]byte
	blk := encodeBlock(b1[:], 1, []byte("x"), 128, true, sub)
	blk1K := encodeBlock(b2[:], 1, []byte("x"), 1024, true, sub)
	cat := func(ps ...[]byte) []byte { return bytes.Join(ps, nil) }
	tests := []struct {
		name      string
		in        []byte
		wantKind  frameKind
		wantFrame []byte
		wantUsed  int
	}{
		{"nothing", nil, frameNone, nil, 0},
		{"garbage only", []byte("CCC\r\n"), frameNone, nil, 5},
		{"block", blk, frameBlock, blk, len(blk)},
		{"garbage then block", cat([]byte("\xffzz"), blk, []byte{eot}), frameBlock, blk, 3 + len(blk)},
		{"incomplete block after garbage", cat([]byte("zz"), blk[:40]), frameNone, nil, 2},
		{"1K block", blk1K, frameBlock, blk1K, len(blk1K)},
		{"eot", []byte{'z', eot, eot}, frameEOT, []byte{eot}, 2},
		{"can", []byte{can, can}, frameCAN, []byte{can}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, frame, used := nextFrame(tt.in, true)
			if kind != tt.wantKind || !bytes.Equal(frame, tt.wantFrame) || used != tt.wantUsed {
				t.Errorf("nextFrame(%q) = %d, %d bytes, used %d; want %d, %d bytes, used %d",
					tt.in, kind, len(frame), used, tt.wantKind, len(tt.wantFrame), tt.wantUsed)
			}
		})
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []fileHeader{
		{Name: "c2960-lanbasek9-mz.150-2.SE11.bin", Size: 11832946},
		{Name: "x", Size: 0},
		{Name: "nosize", Size: -1},
		{Name: "", Size: -1},
	} {
		got, err := decodeHeader(append(encodeHeader(h), make([]byte, 64)...))
		if err != nil {
			t.Errorf("decodeHeader(encodeHeader(%+v)) error = %v", h, err)
			continue
		}
		if got != h {
			t.Errorf("decodeHeader(encodeHeader(%+v)) = %+v", h, got)
		}
	}
}

func TestDecodeHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    fileHeader
		wantErr bool
	}{
		{"lrzsz sb", "file.bin\x0012345 14634520465 100644 0 1 12345\x00", fileHeader{"file.bin", 12345}, false},
		{"end of batch", "\x00\x00\x00", fileHeader{"", -1}, false},
		{"no size", "a\x00\x00", fileHeader{"a", -1}, false},
		{"bad size", "a\x00twelve\x00", fileHeader{}, true},
		{"negative size", "a\x00-5\x00", fileHeader{}, true},
		{"no terminator", "abc", fileHeader{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeHeader([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeHeader(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("decodeHeader(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}
