package devsim

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeLine is an in-memory device side of a line. The test knows the device
// has finished answering when it blocks reading with nothing left to read,
// so device tests need neither timing nor a pseudo-terminal.
type fakeLine struct {
	mu       sync.Mutex
	queue    []byte
	out      []byte
	blocked  bool
	notify   chan struct{} // closed and replaced when blocked or out changes
	wake     chan struct{}
	deadline time.Time
	bauds    []baudAt
}

// baudAt records a speed change and how much output preceded it.
type baudAt struct {
	At   int
	Baud int
}

func newFakeLine() *fakeLine {
	return &fakeLine{notify: make(chan struct{}), wake: make(chan struct{}, 1)}
}

func (f *fakeLine) broadcastLocked() {
	close(f.notify)
	f.notify = make(chan struct{})
}

func (f *fakeLine) Read(p []byte) (int, error) {
	for {
		f.mu.Lock()
		if len(f.queue) > 0 {
			n := copy(p, f.queue)
			f.queue = f.queue[n:]
			f.mu.Unlock()
			return n, nil
		}
		dl := f.deadline
		if !dl.IsZero() && !time.Now().Before(dl) {
			f.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		f.blocked = true
		f.broadcastLocked()
		f.mu.Unlock()
		var timeout <-chan time.Time
		if !dl.IsZero() {
			t := time.NewTimer(time.Until(dl))
			timeout = t.C
			defer t.Stop()
		}
		select {
		case <-f.wake:
		case <-timeout:
		}
	}
}

func (f *fakeLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, p...)
	f.broadcastLocked()
	return len(p), nil
}

func (f *fakeLine) SetReadDeadline(t time.Time) error { return f.SetDeadline(t) }

func (f *fakeLine) SetDeadline(t time.Time) error {
	f.mu.Lock()
	f.deadline = t
	f.mu.Unlock()
	f.poke()
	return nil
}

func (f *fakeLine) setBaud(_ context.Context, baud int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bauds = append(f.bauds, baudAt{At: len(f.out), Baud: baud})
	return nil
}

func (f *fakeLine) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// send types s at the device.
func (f *fakeLine) send(s string) {
	f.mu.Lock()
	f.queue = append(f.queue, s...)
	f.blocked = false
	f.mu.Unlock()
	f.poke()
}

// waitIdle returns once the device has read everything sent and waits for
// more.
func (f *fakeLine) waitIdle(t *testing.T, ctx context.Context) {
	t.Helper()
	for {
		f.mu.Lock()
		if f.blocked && len(f.queue) == 0 {
			f.mu.Unlock()
			return
		}
		ch := f.notify
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("device did not finish answering: %v; output so far:\n%s", ctx.Err(), f.output())
		}
	}
}

func (f *fakeLine) output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.out)
}

func (f *fakeLine) speedChanges() []baudAt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]baudAt(nil), f.bauds...)
}

// startFake runs a device of profile on a fakeLine until the test ends.
func startFake(t *testing.T, ctx context.Context, o Options) (*fakeLine, *Device) {
	t.Helper()
	p, err := loadProfile(o.Profile)
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeLine()
	d, err := newDevice(p, f, o.Baud, o.Flash, o.Env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && err != context.Canceled {
			t.Errorf("device stopped with %v", err)
		}
	})
	f.waitIdle(t, ctx)
	return f, d
}

// readable turns device output into fixture text: CR LF becomes a newline
// and backspaces become <BS>. A bare LF is reported, because Cisco devices
// always send CR LF.
func readable(t *testing.T, s string) string {
	t.Helper()
	if i := strings.Index(strings.ReplaceAll(s, "\r\n", ""), "\n"); i >= 0 {
		t.Errorf("output has a LF without CR near %q", s[max(0, i-20):min(len(s), i+20)])
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\b", "<BS>")
}
