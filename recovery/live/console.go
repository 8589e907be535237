// Package live connects the recovery engine to the real thing: it
// adapts *serialcon.Console to recovery.StreamConsole, the images package to
// recovery.ImageCheck, and the TFTP server to recovery.FileServer.
//
// It adds no behaviour of its own beyond turning a pulled cable into
// recovery.ErrDisconnected, which the engine pauses on.
package live

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"fieldcon/recovery"
	"fieldcon/serialcon"
)

// Console adapts a serial console for playbooks.
type Console struct {
	c      *serialcon.Console
	remove func()

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every connection change
}

// New adapts c. Call Close to stop watching it (it does not close c).
func New(c *serialcon.Console) *Console {
	a := &Console{c: c, changed: make(chan struct{})}
	a.remove = c.Observe(func(e serialcon.Event) {
		switch e.Kind {
		case serialcon.EventDisconnected, serialcon.EventReconnected, serialcon.EventClosed:
			a.mu.Lock()
			close(a.changed)
			a.changed = make(chan struct{})
			a.mu.Unlock()
		}
	})
	return a
}

// Close stops observing the console.
func (a *Console) Close() { a.remove() }

func (a *Console) watch() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

func (a *Console) disconnected(err error) error {
	if a.c.State() == serialcon.StateDisconnected || errors.Is(err, serialcon.ErrDisconnected) {
		return fmt.Errorf("%w: %v", recovery.ErrDisconnected, err)
	}
	return err
}

func (a *Console) Send(p []byte) error        { return a.disconnected(a.c.Send(p)) }
func (a *Console) SendLine(line string) error { return a.disconnected(a.c.SendLine(line)) }
func (a *Console) SendBreak(d time.Duration) error {
	return a.disconnected(a.c.SendBreak(d))
}
func (a *Console) MarkRead() { a.c.MarkRead() }

// DetectBaud finds the device's speed again (a confreg typo, a BAUD left
// behind) with the console engine's scoring of the answer to a return.
func (a *Console) DetectBaud(ctx context.Context, rates ...int) (int, error) {
	return a.c.DetectBaud(ctx, rates...)
}
func (a *Console) SetBaud(baud int) error { return a.c.SetBaud(baud) }
func (a *Console) Baud() int              { return a.c.Settings().Baud }

// Expect waits like serialcon's Expect, but gives up with
// recovery.ErrDisconnected as soon as the cable goes.
func (a *Console) Expect(ctx context.Context, patterns ...*regexp.Regexp) (int, []string, error) {
	changed := a.watch()
	if a.c.State() == serialcon.StateDisconnected {
		return -1, nil, recovery.ErrDisconnected
	}
	ms := make([]serialcon.Matcher, len(patterns))
	for i, re := range patterns {
		ms[i] = serialcon.Regexp(re)
	}
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-changed:
			cancel()
		case <-ectx.Done():
		}
	}()
	m, err := a.c.Expect(ectx, ms...)
	if err != nil {
		if ctx.Err() == nil && a.c.State() == serialcon.StateDisconnected {
			return -1, nil, fmt.Errorf("%w while waiting for %v", recovery.ErrDisconnected, patterns)
		}
		if ctx.Err() != nil {
			return -1, nil, ctx.Err()
		}
		return -1, nil, err
	}
	return m.Index, m.Groups, nil
}

// WaitConnected returns when the console has its port.
func (a *Console) WaitConnected(ctx context.Context) error {
	for {
		changed := a.watch()
		switch a.c.State() {
		case serialcon.StateConnected:
			return nil
		case serialcon.StateClosed:
			return serialcon.ErrClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// OpenStream lends the raw stream for a transfer.
func (a *Console) OpenStream(ctx context.Context) (recovery.Stream, error) {
	s, err := a.c.Stream(ctx)
	if err != nil {
		return nil, a.disconnected(err)
	}
	return s, nil
}

var _ recovery.StreamConsole = (*Console)(nil)
