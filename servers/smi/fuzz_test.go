package smi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"testing"
)

// Seed corpora live in testdata/fuzz/<target>/: every fixture from the
// protocol note plus edge cases (see testdata/README.md). They run as part
// of go test; `go test -fuzz=FuzzDecodeConfig` explores further.

func FuzzDecodeHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := DecodeHeader(data)
		if len(data) < HeaderSize {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("DecodeHeader(%d bytes) error = %v, want %v", len(data), err, ErrTruncated)
			}
			return
		}
		if err != nil {
			t.Fatalf("DecodeHeader(%x) error %v", data, err)
		}
		var back [HeaderSize]byte
		binary.BigEndian.PutUint32(back[0:], h.W0)
		binary.BigEndian.PutUint32(back[4:], h.W1)
		binary.BigEndian.PutUint32(back[8:], uint32(h.Type))
		binary.BigEndian.PutUint32(back[12:], h.Length)
		if !bytes.Equal(back[:], data[:HeaderSize]) {
			t.Fatalf("DecodeHeader(%x) = %+v, which does not encode back", data[:HeaderSize], h)
		}
	})
}

func FuzzReadMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMessage(bytes.NewReader(data), MaxPayload)
		if !bytes.HasPrefix(data, m.Raw) {
			t.Fatalf("ReadMessage(%x).Raw = %x, not a prefix of the stream", data, m.Raw)
		}
		if len(m.Raw) > HeaderSize+MaxPayload {
			t.Fatalf("ReadMessage returned %d bytes, over the %d cap", len(m.Raw), HeaderSize+MaxPayload)
		}
		switch {
		case err == nil:
			if int(m.Header.Length) > MaxPayload || len(m.Raw) != HeaderSize+int(m.Header.Length) {
				t.Fatalf("ReadMessage(%x) = %d bytes with length word %d", data, len(m.Raw), m.Header.Length)
			}
		case err == io.EOF:
			if len(data) != 0 {
				t.Fatalf("ReadMessage(%x) = io.EOF on a non-empty stream", data)
			}
		case !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrTooLong):
			t.Fatalf("ReadMessage(%x) error = %v, want a sentinel", data, err)
		}
	})
}

func FuzzDecodeProbe(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := DecodeProbe(data); err == nil && !bytes.Equal(data, EncodeProbe()) {
			t.Fatalf("DecodeProbe(%x) accepted something other than the probe", data)
		}
	})
}

func FuzzDecodeConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeConfig(data)
		if err != nil {
			return
		}
		back, err := EncodeConfig(r)
		if err != nil {
			t.Fatalf("EncodeConfig(DecodeConfig(%x)) error %v", data, err)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("EncodeConfig(DecodeConfig(%x)) = %x, want the input", data, back)
		}
	})
}

func FuzzDecodeImageUpgrade(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeImageUpgrade(data)
		if err != nil {
			return
		}
		back, err := EncodeImageUpgrade(r)
		if err != nil {
			t.Fatalf("EncodeImageUpgrade(DecodeImageUpgrade(%x)) error %v", data, err)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("EncodeImageUpgrade(DecodeImageUpgrade(%x)) = %x, want the input", data, back)
		}
	})
}

func FuzzDecodeCommands(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCommands(data)
		if err != nil {
			return
		}
		// Rebuild the message from the decoded slots: the decoder must
		// have accounted for every byte.
		back := newRequest(sendCommands, commandsSize)
		copy(back[commandsPrefix:], commandsFixed)
		for i, cmd := range c {
			for _, ch := range []byte(cmd) {
				if ch < 0x20 || ch > 0x7e {
					t.Fatalf("DecodeCommands(%x) command %d = %q has a non-printable byte", data, i+1, cmd)
				}
			}
			copy(back[commandSlotOff+i*commandSlotSize:], cmd)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("DecodeCommands(%x) = %q, which does not rebuild the input", data, c)
		}
	})
}

func FuzzDecodeBackup(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeBackup(data)
		if err != nil {
			return
		}
		back, err := EncodeBackup(r)
		if err != nil {
			t.Fatalf("EncodeBackup(DecodeBackup(%x)) error %v", data, err)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("EncodeBackup(DecodeBackup(%x)) = %x, want the input", data, back)
		}
	})
}

func FuzzClassifyProbeReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got := ClassifyProbeReply(data)
		var want ProbeResult
		switch {
		case len(data) == 0:
			want = ProbeDirectorOrRefused
		case bytes.Equal(data, ClientReply()):
			want = ProbeClient
		case bytes.Equal(data, RejectReply()):
			want = ProbeRejected
		default:
			want = ProbeUnknown
		}
		if got != want {
			t.Fatalf("ClassifyProbeReply(%x) = %v, want %v", data, got, want)
		}
	})
}

func FuzzParseTFTPURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseTFTPURL(s)
		if err != nil {
			if !errors.Is(err, ErrURL) {
				t.Fatalf("ParseTFTPURL(%q) error = %v, want %v", s, err, ErrURL)
			}
			return
		}
		if u.String() != s {
			t.Fatalf("ParseTFTPURL(%q).String() = %q, want the input", s, u.String())
		}
		for i := 0; i < len(s); i++ {
			if s[i] <= 0x20 || s[i] >= 0x7f {
				t.Fatalf("ParseTFTPURL(%q) accepted byte %#02x", s, s[i])
			}
		}
	})
}

func FuzzParseReloadTime(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReloadTime(s)
		if err != nil {
			if !errors.Is(err, ErrReloadTime) {
				t.Fatalf("ParseReloadTime(%q) error = %v, want %v", s, err, ErrReloadTime)
			}
			return
		}
		if r.Validate() != nil {
			t.Fatalf("ParseReloadTime(%q) = %v, out of range", s, r)
		}
		if again, err := ParseReloadTime(r.String()); err != nil || again != r {
			t.Fatalf("ParseReloadTime(%q) = %v, %v, want %v", r.String(), again, err, r)
		}
	})
}

// FuzzEncode drives the encoders with arbitrary input: whatever they accept
// must decode back to the same request and carry an allowed type.
func FuzzEncode(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind uint8, server uint32, path string, hours, minutes int8, immediate bool) {
		var ip [4]byte
		binary.BigEndian.PutUint32(ip[:], server)
		u := TFTPURL{Server: netip.AddrFrom4(ip), Path: path}
		rt := ReloadTime{Hours: int(hours), Minutes: int(minutes)}
		var msg []byte
		var err error
		var roundTrip func() bool
		switch kind % 3 {
		case 0:
			r := ConfigRequest{URL: u, Reload: rt}
			if msg, err = EncodeConfig(r); err == nil {
				roundTrip = func() bool { got, err := DecodeConfig(msg); return err == nil && got == r }
			}
		case 1:
			r := ImageRequest{ImageListURL: u, Reload: rt, Immediate: immediate}
			if msg, err = EncodeImageUpgrade(r); err == nil {
				roundTrip = func() bool { got, err := DecodeImageUpgrade(msg); return err == nil && got == r }
			}
		case 2:
			r := BackupRequest{URL: u}
			if msg, err = EncodeBackup(r); err == nil {
				roundTrip = func() bool { got, err := DecodeBackup(msg); return err == nil && got == r }
			}
		}
		if err != nil {
			if msg != nil || (!errors.Is(err, ErrURL) && !errors.Is(err, ErrReloadTime)) {
				t.Fatalf("encode kind %d = %d bytes, %v; want nil and a sentinel", kind%3, len(msg), err)
			}
			return
		}
		if !roundTrip() {
			t.Fatalf("encode kind %d of %v %q %v does not decode back", kind%3, u, path, rt)
		}
		h, _ := DecodeHeader(msg)
		if h.Type == TypeExecFile || h.Type == TypeTLV || !h.FromDirector() {
			t.Fatalf("encoder produced header %+v", h)
		}
	})
}
