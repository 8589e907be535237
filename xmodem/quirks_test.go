package xmodem

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// hangGuard bounds a test that waits on a peer; it is never the expected
// outcome.
const hangGuard = 30 * time.Second

// fakeReceiver plays a scripted receiver on end: it sends start, then for
// every frame calls answer, which returns the bytes to send back (nil: stay
// silent). It stops when the line closes or stays silent for hangGuard, and
// reports everything it saw.
type fakeReceiver struct {
	blocks [][]byte // data of every good block, repeats included
	eots   int
	cans   int
	done   chan struct{}
}

func runFakeReceiver(end *pipeEnd, start byte, answer func(r *fakeReceiver, kind frameKind, seq byte) []byte) *fakeReceiver {
	r := &fakeReceiver{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		crc := start == crcStart
		end.Write([]byte{start})
		var buf []byte
		p := make([]byte, 4096)
		for {
			kind, frame, used := nextFrame(buf, crc)
			if kind == frameNone {
				buf = buf[used:]
				end.SetReadDeadline(time.Now().Add(hangGuard))
				n, err := end.Read(p)
				if err != nil {
					return
				}
				buf = append(buf, p[:n]...)
				continue
			}
			buf = buf[used:]
			var seq byte
			switch kind {
			case frameBlock:
				s, data, err := decodeBlock(frame, crc)
				if err != nil {
					continue
				}
				seq = s
				r.blocks = append(r.blocks, append([]byte(nil), data...))
			case frameEOT:
				r.eots++
			case frameCAN:
				r.cans++
			}
			if a := answer(r, kind, seq); a != nil {
				end.Write(a)
			}
		}
	}()
	return r
}

// ackBlocks answers every block with ACK and hands EOTs to eot.
func ackBlocks(eot func(r *fakeReceiver) []byte) func(*fakeReceiver, frameKind, byte) []byte {
	return func(r *fakeReceiver, kind frameKind, _ byte) []byte {
		switch kind {
		case frameBlock:
			return []byte{ack}
		case frameEOT:
			return eot(r)
		}
		return nil
	}
}

const ciscoSuccess = "\r\nFile \"xmodem:\" successfully copied to \"flash:c2960-lanbasek9-mz.150-2.SE11.bin\"\r\n\r\nswitch: "

func TestSendEndOfFile(t *testing.T) {
	success := func(after []byte) bool { return bytes.Contains(after, []byte("successfully copied to")) }
	tests := []struct {
		name          string
		eot           func(r *fakeReceiver) []byte
		confirm       func([]byte) bool
		wantErr       error
		wantAcked     bool
		wantConfirmed bool
		wantEOTs      int
	}{
		{
			name:      "ACK",
			eot:       func(*fakeReceiver) []byte { return []byte{ack} },
			wantAcked: true, wantEOTs: 1,
		},
		{
			name: "NAK first EOT",
			eot: func(r *fakeReceiver) []byte {
				if r.eots == 1 {
					return []byte{nak}
				}
				return []byte{ack}
			},
			wantAcked: true, wantEOTs: 2,
		},
		{
			name:    "silent receiver",
			eot:     func(*fakeReceiver) []byte { return nil },
			wantErr: ErrEOTNotAcknowledged, wantEOTs: DefaultEOTRetries,
		},
		{
			// tio issue 213: a Cisco switch stayed silent after two EOTs
			// and NAKed the later ones; its success line is what counts.
			name: "Cisco silent then NAK, success line",
			eot: func(r *fakeReceiver) []byte {
				switch {
				case r.eots < 2:
					return nil
				case r.eots == 2:
					return []byte(ciscoSuccess)
				}
				return []byte{nak}
			},
			confirm:       success,
			wantConfirmed: true, wantEOTs: 2,
		},
		{
			name:          "ACK then success line",
			eot:           func(*fakeReceiver) []byte { return append([]byte{ack}, ciscoSuccess...) },
			confirm:       success,
			wantAcked:     true,
			wantConfirmed: true, wantEOTs: 1,
		},
		{
			name:      "ACK but loader reports an error",
			eot:       func(*fakeReceiver) []byte { return []byte("\x06\r\nxmodem:: I/O error\r\nswitch: ") },
			confirm:   success,
			wantErr:   ErrNotConfirmed,
			wantAcked: true, wantEOTs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			defer cancel()
			snd, rcv := newPipe()
			r := runFakeReceiver(rcv, crcStart, ackBlocks(tt.eot))
			data := testData(300, 1)
			o := Options{EOTTimeout: 20 * time.Millisecond, Confirm: tt.confirm, ConfirmTimeout: 200 * time.Millisecond}
			st, err := Send(ctx, snd, bytes.NewReader(data), o)
			snd.Close()
			<-r.done
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Send() error = %v, want %v", err, tt.wantErr)
			}
			if st.EOTAcked != tt.wantAcked || st.Confirmed != tt.wantConfirmed {
				t.Errorf("Send() EOTAcked, Confirmed = %v, %v; want %v, %v", st.EOTAcked, st.Confirmed, tt.wantAcked, tt.wantConfirmed)
			}
			if st.Blocks != 3 || len(r.blocks) != 3 {
				t.Errorf("blocks: Send acknowledged %d, receiver got %d; want 3", st.Blocks, len(r.blocks))
			}
			if r.eots != tt.wantEOTs {
				t.Errorf("receiver saw %d EOTs, want %d", r.eots, tt.wantEOTs)
			}
			if r.cans != 0 {
				t.Errorf("receiver saw %d CANs after the data, want 0: never cancel a loader that has the file", r.cans)
			}
			if errors.Is(err, ErrNotConfirmed) && !strings.Contains(err.Error(), "I/O error") {
				t.Errorf("Send() error = %q, want it to quote the device's message", err)
			}
		})
	}
}

func TestSendRetries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	snd, rcv := newPipe()
	r := runFakeReceiver(rcv, nak, func(_ *fakeReceiver, kind frameKind, _ byte) []byte {
		if kind == frameBlock {
			return []byte{nak}
		}
		return nil
	})
	st, err := Send(ctx, snd, bytes.NewReader(testData(200, 2)), Options{Retries: 4})
	snd.Close()
	<-r.done
	if !errors.Is(err, ErrTooManyRetries) {
		t.Fatalf("Send() error = %v, want ErrTooManyRetries", err)
	}
	if len(r.blocks) != 5 || st.Retries != 5 {
		t.Errorf("block sent %d times, Stats.Retries = %d; want 5 and 5", len(r.blocks), st.Retries)
	}
	if r.cans < 2 {
		t.Errorf("receiver saw %d CANs after Send gave up, want at least 2", r.cans)
	}
}

func TestSendTimeoutResends(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	snd, rcv := newPipe()
	r := runFakeReceiver(rcv, crcStart, func(r *fakeReceiver, kind frameKind, _ byte) []byte {
		switch {
		case kind == frameBlock && len(r.blocks) == 2:
			return nil // lose the answer to block 2's first copy
		case kind == frameBlock, kind == frameEOT:
			return []byte{ack}
		}
		return nil
	})
	var backoffs []int
	o := Options{Timeout: 50 * time.Millisecond, Backoff: func(n int) time.Duration {
		backoffs = append(backoffs, n)
		return time.Millisecond
	}}
	st, err := Send(ctx, snd, bytes.NewReader(testData(200, 2)), o)
	snd.Close()
	<-r.done
	if err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	if st.Retries != 1 || len(r.blocks) != 3 || len(backoffs) != 1 || backoffs[0] != 1 {
		t.Errorf("Retries %d, copies received %d, backoff calls %v; want 1, 3, [1]", st.Retries, len(r.blocks), backoffs)
	}
}

func TestSendCanceledByPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	snd, rcv := newPipe()
	r := runFakeReceiver(rcv, crcStart, func(r *fakeReceiver, kind frameKind, _ byte) []byte {
		if len(r.blocks) == 3 {
			return []byte{can, can}
		}
		return []byte{ack}
	})
	st, err := Send(ctx, snd, bytes.NewReader(testData(2000, 2)), Options{})
	snd.Close()
	<-r.done
	if !errors.Is(err, ErrCanceledByPeer) {
		t.Fatalf("Send() error = %v, want ErrCanceledByPeer", err)
	}
	if st.Blocks != 2 {
		t.Errorf("Send() Blocks = %d, want 2", st.Blocks)
	}
}

func TestSendContextCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	snd, rcv := newPipe()
	r := runFakeReceiver(rcv, crcStart, ackBlocks(func(*fakeReceiver) []byte { return []byte{ack} }))
	cctx, stop := context.WithCancel(ctx)
	o := Options{Progress: func(p Progress) {
		if p.Blocks == 2 {
			stop()
		}
	}}
	_, err := Send(cctx, snd, bytes.NewReader(testData(2000, 2)), o)
	snd.Close()
	<-r.done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send() error = %v, want context.Canceled", err)
	}
	if r.cans < 2 || r.eots != 0 {
		t.Errorf("receiver saw %d CANs and %d EOTs, want at least 2 CANs and no EOT", r.cans, r.eots)
	}
}

func TestSendNoReceiver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	snd, rcv := newPipe()
	rcv.Write([]byte("Begin the Xmodem or Xmodem-1K transfer now...\r\n")) // but no 'C'
	_, err := Send(ctx, snd, bytes.NewReader([]byte("x")), Options{StartTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrNoReceiver) {
		t.Errorf("Send() error = %v, want ErrNoReceiver", err)
	}
}

// fakeSender plays a sender on end; reply reads the receiver's next answer.
type fakeSender struct {
	t   *testing.T
	end *pipeEnd
	buf [maxBlockLen]byte
}

func (f *fakeSender) reply() byte {
	f.t.Helper()
	var b [1]byte
	f.end.SetReadDeadline(time.Now().Add(hangGuard))
	if _, err := f.end.Read(b[:]); err != nil {
		f.t.Fatalf("reading the receiver's answer: %v", err)
	}
	return b[0]
}

// expect reads answers until want, failing on anything but repeated start
// characters.
func (f *fakeSender) expect(want byte) {
	f.t.Helper()
	for {
		b := f.reply()
		if b == want {
			return
		}
		if b != crcStart && b != nak {
			f.t.Fatalf("receiver answered %#02x, want %#02x", b, want)
		}
	}
}

func (f *fakeSender) block(seq byte, data string) []byte {
	return encodeBlock(f.buf[:], seq, []byte(data), blockSize128, true, sub)
}

func TestReceiveLineTrouble(t *testing.T) {
	type step struct {
		send []byte // nil: just read an answer
		want byte
	}
	var fs fakeSender
	b1 := append([]byte(nil), fs.block(1, "one")...)
	b2 := append([]byte(nil), fs.block(2, "two")...)
	b3 := append([]byte(nil), fs.block(3, "three")...)
	bad2 := append([]byte(nil), b2...)
	bad2[60] ^= 0x01
	cat := func(ps ...[]byte) []byte { return bytes.Join(ps, nil) }
	pad := func(s string) string { return s + strings.Repeat("\x1a", 128-len(s)) }
	tests := []struct {
		name     string
		steps    []step
		wantData string
		wantErr  error
		wantCANs bool
		retries  int
	}{
		{
			name:     "garbage before SOH",
			steps:    []step{{cat([]byte("\xff\x00\r\nnoise"), b1), ack}, {[]byte{eot}, nak}, {[]byte{eot}, ack}},
			wantData: pad("one"),
		},
		{
			name:     "duplicate block re-acknowledged",
			steps:    []step{{b1, ack}, {b1, ack}, {b2, ack}, {[]byte{eot}, nak}, {[]byte{eot}, ack}},
			wantData: pad("one") + pad("two"),
		},
		{
			name:     "bad CRC is NAKed",
			steps:    []step{{b1, ack}, {bad2, nak}, {b2, ack}, {[]byte{eot}, nak}, {[]byte{eot}, ack}},
			wantData: pad("one") + pad("two"),
			retries:  1,
		},
		{
			name:     "stray EOT inside a burst is ignored",
			steps:    []step{{b1, ack}, {cat([]byte{eot}, b2), ack}, {[]byte{eot}, nak}, {[]byte{eot}, ack}},
			wantData: pad("one") + pad("two"),
		},
		{
			name:     "block after a NAKed EOT continues the file",
			steps:    []step{{b1, ack}, {[]byte{eot}, nak}, {b2, ack}, {[]byte{eot}, nak}, {[]byte{eot}, ack}},
			wantData: pad("one") + pad("two"),
		},
		{
			name:     "wrong sequence cancels",
			steps:    []step{{b1, ack}, {b3, can}},
			wantData: pad("one"),
			wantErr:  ErrSequence,
			wantCANs: true,
		},
		{
			name:     "CAN CAN from the sender",
			steps:    []step{{b1, ack}, {[]byte{can, can}, 0}},
			wantData: pad("one"),
			wantErr:  ErrCanceledByPeer,
		},
		{
			name:     "single CAN is noise",
			steps:    []step{{b1, ack}, {cat([]byte{can, 'x'}, b2), ack}, {[]byte{eot}, nak}, {[]byte{eot}, ack}},
			wantData: pad("one") + pad("two"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			defer cancel()
			snd, rcv := newPipe()
			var out bytes.Buffer
			done := make(chan result, 1)
			go func() {
				st, err := Receive(ctx, rcv, &out, Options{Mode: ModeCRC, EOTTimeout: time.Millisecond})
				done <- result{st, err}
			}()
			f := &fakeSender{t: t, end: snd}
			f.expect(crcStart)
			for i, s := range tt.steps {
				snd.Write(s.send)
				if s.want == 0 {
					continue
				}
				if got := f.reply(); got != s.want {
					t.Fatalf("step %d: receiver answered %#02x, want %#02x", i, got, s.want)
				}
			}
			res := <-done
			if !errors.Is(res.err, tt.wantErr) {
				t.Fatalf("Receive() error = %v, want %v", res.err, tt.wantErr)
			}
			if got := out.String(); got != tt.wantData {
				t.Errorf("Receive() wrote %q, want %q", got, tt.wantData)
			}
			if res.st.Retries != tt.retries {
				t.Errorf("Receive() Retries = %d, want %d", res.st.Retries, tt.retries)
			}
			if tt.wantCANs {
				if got := f.reply(); got != can {
					t.Errorf("second byte of the cancel = %#02x, want CAN", got)
				}
			}
		})
	}
}

func TestReceiveAutoFallsBackToChecksum(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	snd, rcv := newPipe()
	var out bytes.Buffer
	done := make(chan result, 1)
	go func() {
		st, err := Receive(ctx, rcv, &out, Options{StartInterval: 5 * time.Millisecond, EOTTimeout: time.Millisecond})
		done <- result{st, err}
	}()
	f := &fakeSender{t: t, end: snd}
	// A checksum-only sender ignores 'C' until it sees a NAK.
	for f.reply() != nak {
	}
	snd.Write(encodeBlock(f.buf[:], 1, []byte("sum"), blockSize128, false, sub))
	f.expect(ack)
	snd.Write([]byte{eot})
	f.expect(nak)
	snd.Write([]byte{eot})
	f.expect(ack)
	res := <-done
	if res.err != nil || res.st.Mode != ModeChecksum {
		t.Fatalf("Receive() = %v, mode %v; want nil, checksum", res.err, res.st.Mode)
	}
	if !strings.HasPrefix(out.String(), "sum\x1a") {
		t.Errorf("Receive() wrote %q", out.String())
	}
}

func TestReceiveNoSender(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	_, rcv := newPipe()
	_, err := Receive(ctx, rcv, &bytes.Buffer{}, Options{StartTimeout: 30 * time.Millisecond, StartInterval: 10 * time.Millisecond})
	if !errors.Is(err, ErrNoSender) {
		t.Errorf("Receive() error = %v, want ErrNoSender", err)
	}
}

func TestReceiveContextCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	snd, rcv := newPipe()
	cctx, stop := context.WithCancel(ctx)
	done := make(chan result, 1)
	go func() {
		st, err := Receive(cctx, rcv, &bytes.Buffer{}, Options{})
		done <- result{st, err}
	}()
	f := &fakeSender{t: t, end: snd}
	f.expect(crcStart)
	snd.Write(f.block(1, "one"))
	f.expect(ack)
	stop()
	res := <-done
	if !errors.Is(res.err, context.Canceled) {
		t.Fatalf("Receive() error = %v, want context.Canceled", res.err)
	}
	if a, b := f.reply(), f.reply(); a != can || b != can {
		t.Errorf("after cancel the receiver sent %#02x %#02x, want CAN CAN", a, b)
	}
}

func TestCancelEndsBothSides(t *testing.T) {
	for _, side := range []string{"sender", "receiver"} {
		t.Run(side, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			defer cancel()
			cctx, stop := context.WithCancel(ctx)
			so, ro := Options{}, Options{}
			progress := func(p Progress) {
				if p.Blocks == 5 {
					stop()
				}
			}
			sctx, rctx := ctx, ctx
			if side == "sender" {
				sctx, so.Progress = cctx, progress
			} else {
				rctx, ro.Progress = cctx, progress
			}
			a, b := newPipe()
			done := make(chan result, 1)
			go func() {
				st, err := Send(sctx, a, bytes.NewReader(testData(5000, 1)), so)
				done <- result{st, err}
			}()
			_, rerr := Receive(rctx, b, &bytes.Buffer{}, ro)
			sent := <-done
			wantS, wantR := context.Canceled, ErrCanceledByPeer
			if side == "receiver" {
				wantS, wantR = ErrCanceledByPeer, context.Canceled
			}
			if !errors.Is(sent.err, wantS) || !errors.Is(rerr, wantR) {
				t.Errorf("Send() error = %v, want %v; Receive() error = %v, want %v", sent.err, wantS, rerr, wantR)
			}
		})
	}
}
