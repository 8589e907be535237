package xmodem

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// FuzzNextFrame feeds arbitrary line input to the receiver's frame scanner
// and block decoder: they must not panic, must make progress, and every
// block they accept must encode back to the same bytes.
func FuzzNextFrame(f *testing.F) {
	var b [maxBlockLen]byte
	f.Add(append([]byte("noise"), encodeBlock(b[:], 1, []byte("hi"), 128, true, sub)...), true)
	f.Add(encodeBlock(b[:], 255, []byte("sum"), 128, false, sub), false)
	f.Add(append(encodeBlock(b[:], 0, []byte("x"), 1024, true, sub), eot, can), true)
	f.Fuzz(func(t *testing.T, in []byte, crc bool) {
		buf := in
		for len(buf) > 0 {
			kind, frame, used := nextFrame(buf, crc)
			if used < 0 || used > len(buf) {
				t.Fatalf("nextFrame used %d of %d bytes", used, len(buf))
			}
			if kind == frameNone {
				break // the rest is an incomplete block
			}
			if used == 0 {
				t.Fatalf("nextFrame found %d but used nothing", kind)
			}
			buf = buf[used:]
			if kind != frameBlock {
				continue
			}
			seq, data, err := decodeBlock(frame, crc)
			if err != nil {
				continue
			}
			var out [maxBlockLen]byte
			if got := encodeBlock(out[:], seq, data, len(data), crc, sub); !bytes.Equal(got, frame) {
				t.Fatalf("encodeBlock(decodeBlock(% x)) = % x", frame, got)
			}
		}
	})
}

// FuzzDecodeHeader checks the YMODEM header parser on arbitrary block 0s.
func FuzzDecodeHeader(f *testing.F) {
	f.Add([]byte("file.bin\x0012345 14634520465 100644 0 1 12345\x00"))
	f.Add([]byte("\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := decodeHeader(in)
		if err != nil || h.Name == "" || bytes.IndexByte([]byte(h.Name), 0) >= 0 {
			return
		}
		again, err := decodeHeader(encodeHeader(h))
		if err != nil || again != h {
			t.Fatalf("decodeHeader(encodeHeader(%+v)) = %+v, %v", h, again, err)
		}
	})
}

// FuzzReceive runs the whole receiver over arbitrary input followed by a
// hang-up: it must return, and never write more than it acknowledged.
func FuzzReceive(f *testing.F) {
	var b [maxBlockLen]byte
	f.Add(append(append([]byte("\xff"), encodeBlock(b[:], 1, []byte("a"), 128, true, sub)...), eot, eot))
	f.Add(append(encodeBlock(b[:], 2, []byte("b"), 1024, true, sub), can, can))
	f.Fuzz(func(t *testing.T, in []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		snd, rcv := newPipe()
		snd.Write(in)
		snd.Close()
		var out bytes.Buffer
		st, _ := Receive(ctx, rcv, &out, Options{Mode: ModeCRC, Size: 5000, Timeout: time.Second, EOTTimeout: time.Millisecond})
		if ctx.Err() != nil {
			t.Fatalf("Receive did not return on a closed line")
		}
		if int64(out.Len()) != st.Bytes || out.Len() > 5000 {
			t.Fatalf("Receive wrote %d bytes, Stats.Bytes %d, Size 5000", out.Len(), st.Bytes)
		}
	})
}
