package serialcon

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// streamMax bounds what a raw stream buffers for a reader that stopped
// reading; past it, bytes are dropped and Read reports ErrStreamOverrun.
const streamMax = 1 << 20

// Stream is exclusive raw access to the device for a file transfer (XMODEM):
// while it is open the reader goroutine hands every received byte to it
// instead of the transcript, Expect and the observers, and it is not written
// to the session log (a marker records the byte counts). It satisfies
// io.ReadWriter and SetReadDeadline, like a net.Conn.
type Stream struct {
	c    *Console
	ctx  context.Context
	stop func() bool

	mu       sync.Mutex
	buf      []byte
	wake     chan struct{} // closed and replaced when buf, err, deadline or closed change
	deadline time.Time
	err      error // sticky: ErrDisconnected, ErrClosed, ErrStreamOverrun
	closed   bool
	rx, tx   int64
}

// Stream opens the raw stream. It starts with the output Expect has not
// consumed yet (the first 'C' or NAK of a receiver often arrives right after
// "Begin the Xmodem transfer now"). The stream closes with ctx or Close;
// output that arrived but was not read then goes back to the transcript, so
// Expect still sees the loader's "successfully copied" line.
func (c *Console) Stream(ctx context.Context) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	switch {
	case c.state == StateClosed:
		c.mu.Unlock()
		return nil, ErrClosed
	case c.stream != nil:
		c.mu.Unlock()
		return nil, ErrStreamBusy
	}
	s := &Stream{c: c, ctx: ctx, wake: make(chan struct{})}
	s.buf = c.ring.appendSince(nil, c.readPos)
	c.readPos = c.ring.total
	c.stream = s
	c.mu.Unlock()
	s.stop = context.AfterFunc(ctx, func() { s.Close() })
	c.marker("raw transfer stream opened")
	return s, nil
}

// push is called by the reader with c.mu held.
func (s *Stream) push(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf)+len(p) > streamMax {
		s.err = ErrStreamOverrun
	} else {
		s.buf = append(s.buf, p...)
	}
	s.broadcastLocked()
}

func (s *Stream) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
	s.broadcastLocked()
}

func (s *Stream) broadcastLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// Read returns received bytes, waiting for at least one until the read
// deadline (os.ErrDeadlineExceeded), the stream's context, or the console
// going away.
func (s *Stream) Read(p []byte) (int, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		s.mu.Lock()
		if len(s.buf) > 0 {
			n := copy(p, s.buf)
			s.buf = s.buf[n:]
			if len(s.buf) == 0 {
				s.buf = nil
			}
			s.rx += int64(n)
			s.mu.Unlock()
			return n, nil
		}
		if s.closed {
			s.mu.Unlock()
			return 0, os.ErrClosed
		}
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return 0, err
		}
		dl, wake := s.deadline, s.wake
		s.mu.Unlock()
		var expired <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			expired = timer.C
		}
		select {
		case <-wake:
		case <-expired:
			return 0, os.ErrDeadlineExceeded
		case <-s.ctx.Done():
			return 0, s.ctx.Err()
		}
	}
}

// Write sends p to the device as is.
func (s *Stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	closed, err := s.closed, s.err
	s.mu.Unlock()
	if closed {
		return 0, os.ErrClosed
	}
	if err != nil && err != ErrStreamOverrun {
		return 0, err
	}
	if err := s.c.write(p); err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.tx += int64(len(p))
	s.mu.Unlock()
	return len(p), nil
}

// SetReadDeadline makes a pending and future Read give up at t (zero: never).
func (s *Stream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deadline = t
	s.broadcastLocked()
	return nil
}

// Close returns the console to normal. Unread bytes go back to the
// transcript for Expect.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	left := s.buf
	s.buf = nil
	rx, tx := s.rx, s.tx
	s.broadcastLocked()
	s.mu.Unlock()
	if s.stop != nil {
		s.stop()
	}
	c := s.c
	c.mu.Lock()
	if c.stream != s {
		c.mu.Unlock()
		return nil
	}
	c.stream = nil
	var data, prompt Event
	if len(left) > 0 && c.state != StateClosed {
		data, prompt = c.absorbLocked(left)
	}
	c.mu.Unlock()
	c.marker(fmt.Sprintf("raw transfer stream closed (received %d bytes, sent %d bytes)", rx, tx))
	if len(left) > 0 {
		c.logData(left)
		c.emit(data)
		if prompt.Kind == EventPrompt {
			c.emit(prompt)
		}
	}
	return nil
}
