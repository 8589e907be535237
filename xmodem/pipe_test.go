package xmodem

import (
	"io"
	"os"
	"sync"
	"time"
)

// pipeHalf is one direction of a buffered in-memory line.
type pipeHalf struct {
	mu     sync.Mutex
	buf    []byte
	closed bool
	ready  chan struct{} // closed (and replaced) when data arrives or on close
}

func newPipeHalf() *pipeHalf { return &pipeHalf{ready: make(chan struct{})} }

func (h *pipeHalf) put(p []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf = append(h.buf, p...)
	close(h.ready)
	h.ready = make(chan struct{})
}

func (h *pipeHalf) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.ready)
		h.ready = make(chan struct{})
	}
}

// pipeEnd is one end of a buffered duplex line with read deadlines, like a
// pseudo-terminal without the line discipline. tamper, when set, sees (and
// may change) every chunk this end writes.
type pipeEnd struct {
	in, out *pipeHalf
	tamper  func([]byte) []byte

	mu       sync.Mutex
	deadline time.Time
	changed  chan struct{} // closed (and replaced) when the deadline changes
}

// newPipe returns the two ends of a line.
func newPipe() (a, b *pipeEnd) {
	ab, ba := newPipeHalf(), newPipeHalf()
	a = &pipeEnd{in: ba, out: ab, changed: make(chan struct{})}
	b = &pipeEnd{in: ab, out: ba, changed: make(chan struct{})}
	return a, b
}

func (e *pipeEnd) Read(p []byte) (int, error) {
	for {
		e.in.mu.Lock()
		if len(e.in.buf) > 0 {
			n := copy(p, e.in.buf)
			e.in.buf = e.in.buf[n:]
			e.in.mu.Unlock()
			return n, nil
		}
		if e.in.closed {
			e.in.mu.Unlock()
			return 0, io.EOF
		}
		ready := e.in.ready
		e.in.mu.Unlock()

		e.mu.Lock()
		dl, changed := e.deadline, e.changed
		e.mu.Unlock()
		var expired <-chan time.Time
		var t *time.Timer
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			t = time.NewTimer(d)
			expired = t.C
		}
		select {
		case <-ready:
		case <-changed:
		case <-expired:
			return 0, os.ErrDeadlineExceeded
		}
		if t != nil {
			t.Stop()
		}
	}
}

func (e *pipeEnd) Write(p []byte) (int, error) {
	e.out.mu.Lock()
	closed := e.out.closed
	e.out.mu.Unlock()
	if closed {
		return 0, io.ErrClosedPipe
	}
	q := append([]byte(nil), p...)
	if e.tamper != nil {
		q = e.tamper(q)
	}
	e.out.put(q)
	return len(p), nil
}

func (e *pipeEnd) SetReadDeadline(t time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deadline = t
	close(e.changed)
	e.changed = make(chan struct{})
	return nil
}

// Close hangs up both directions, like a peer process exiting.
func (e *pipeEnd) Close() error {
	e.in.close()
	e.out.close()
	return nil
}

// flipEvery returns a tamper function that flips one bit in every n-th
// byte written, counting across writes.
func flipEvery(n int, count *int) func([]byte) []byte {
	var mu sync.Mutex
	seen := 0
	return func(p []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		for i := range p {
			seen++
			if seen%n == 0 {
				p[i] ^= 0x10
				*count++
			}
		}
		return p
	}
}
