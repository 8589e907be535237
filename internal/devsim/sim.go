package devsim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Options describe a simulated device on a new link.
type Options struct {
	// Profile is one of ProfileNames().
	Profile string
	// Baud is the device's console speed at power-on; 0 means 9600. For a
	// loader with a BAUD variable, a speed other than 9600 is stored there,
	// as on a switch somebody left at 115200.
	Baud int
	// Dir is where the host-side symlink goes ("" = a temporary folder).
	Dir string
	// Flash, when not nil, replaces the profile's flash content at
	// power-on (an empty map is a wiped flash).
	Flash map[string][]byte
	// Env adds or overrides loader variables at power-on (BOOT pointing at
	// a missing image, …).
	Env map[string]string
}

// Sim is a device running on the device side of its own Link.
type Sim struct {
	Link   *Link
	Device *Device

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	err    error
}

// Start makes a link and powers a device on at its far end. The device runs
// until ctx ends or Close.
func Start(ctx context.Context, o Options) (*Sim, error) {
	p, err := loadProfile(o.Profile)
	if err != nil {
		return nil, err
	}
	l, err := NewLink(LinkConfig{Baud: o.Baud, Dir: o.Dir})
	if err != nil {
		return nil, err
	}
	d, err := newDevice(p, &linkLine{f: l.devSlave, l: l}, o.Baud, o.Flash, o.Env)
	if err != nil {
		l.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Sim{Link: l, Device: d, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = d.run(ctx)
	}()
	return s, nil
}

// HostPath is where a host program opens the simulated console.
func (s *Sim) HostPath() string { return s.Link.HostPath() }

// Done is closed when the device has stopped.
func (s *Sim) Done() <-chan struct{} { return s.done }

// Close stops the device and removes the link.
func (s *Sim) Close() error {
	s.once.Do(func() {
		s.cancel()
		<-s.done
		s.Link.Close()
	})
	if s.err != nil && !errors.Is(s.err, context.Canceled) && !errors.Is(s.err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("simulated %s: %w", s.Device.Profile(), s.err)
	}
	return nil
}

// linkLine is the device side of a Link for an in-process device. It counts
// what the device wrote so a speed change can wait until those bytes have
// left the line.
type linkLine struct {
	f       *os.File
	l       *Link
	written atomic.Int64
}

func (ln *linkLine) Read(p []byte) (int, error) { return ln.f.Read(p) }

func (ln *linkLine) Write(p []byte) (int, error) {
	n, err := ln.f.Write(p)
	ln.written.Add(int64(n))
	return n, err
}

func (ln *linkLine) SetReadDeadline(t time.Time) error { return ln.f.SetReadDeadline(t) }
func (ln *linkLine) SetDeadline(t time.Time) error     { return ln.f.SetDeadline(t) }

func (ln *linkLine) setBaud(ctx context.Context, baud int) error {
	if err := ln.l.waitSentFromDevice(ctx, ln.written.Load()); err != nil {
		return err
	}
	return setPtySpeed(ln.f, baud)
}
