package devsim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// ErrUnsupportedOS means this build has no pseudo-terminals to simulate
	// a serial line with.
	ErrUnsupportedOS = errors.New("the simulator needs a Unix-like OS (Linux or macOS): it runs on pseudo-terminals; use a real console cable on this computer")
	// ErrClosed means the link or simulator was closed.
	ErrClosed = errors.New("simulated serial link closed")
	// ErrUnplugged means the host side is already unplugged.
	ErrUnplugged = errors.New("simulated adapter is unplugged")
	// ErrPlugged means Replug was called while the host side is plugged in.
	ErrPlugged = errors.New("simulated adapter is already plugged in")
)

// LinkConfig describes a simulated serial line.
type LinkConfig struct {
	// Baud is the device side's initial speed; 0 means 9600. The host side
	// starts at the same speed until a host program changes it.
	Baud int
	// Dir is where the stable host-side symlink lives; "" makes a temporary
	// folder that Close removes.
	Dir string
	// Name is the symlink's name; "" means "ttySIM0".
	Name string
}

// LinkStats counts what crossed the line.
type LinkStats struct {
	// ToDevice and ToHost count bytes the sending side put on the line.
	ToDevice, ToHost int64
	// ReceivedByDevice and ReceivedByHost count bytes the receiving UART
	// decoded; they differ from what was sent when the speeds differ.
	ReceivedByDevice, ReceivedByHost int64
	// Corrupted counts bytes CorruptEvery flipped a bit in.
	Corrupted int64
	// FramingErrors counts frames a receiver decoded with a low stop bit.
	FramingErrors int64
	// HostBaud and DeviceBaud are the speeds each side is set to now.
	HostBaud, DeviceBaud int
	// Plugged is false between Unplug and Replug.
	Plugged bool
}

// Link is a simulated serial cable: two pseudo-terminals joined by one pump
// per direction. Each pump paces bytes at the sending side's speed (10 bits
// per byte, 8N1) and hands them to a model of the receiving UART, so equal
// speeds pass data unchanged and different speeds produce garbage.
type Link struct {
	dir      string
	ownDir   bool
	hostPath string
	baud     int

	devMaster, devSlave *os.File

	mu       sync.Mutex
	host     *hostEnd      // nil while unplugged
	changed  chan struct{} // closed and replaced whenever host changes
	hostBaud int           // last host speed seen, for while unplugged
	closed   bool

	corruptEvery atomic.Int64
	toDevice     *pump
	toHost       *pump
	done         chan struct{}
	wg           sync.WaitGroup
}

// hostEnd is the pseudo-terminal the host program opens; Unplug throws it
// away and Replug makes a new one, as a USB adapter comes back as a new node.
type hostEnd struct {
	master, slave *os.File
}

// NewLink makes the two pseudo-terminals, the host-side symlink and starts
// the pumps.
func NewLink(cfg LinkConfig) (*Link, error) {
	if !ptySupported {
		return nil, ErrUnsupportedOS
	}
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	if cfg.Baud < 0 {
		return nil, fmt.Errorf("simulated link: speed %d is not a baud rate", cfg.Baud)
	}
	if cfg.Name == "" {
		cfg.Name = "ttySIM0"
	}
	l := &Link{baud: cfg.Baud, hostBaud: cfg.Baud, dir: cfg.Dir, changed: make(chan struct{}), done: make(chan struct{})}
	if l.dir == "" {
		d, err := os.MkdirTemp("", "fieldcon-sim-")
		if err != nil {
			return nil, fmt.Errorf("simulated link: %w", err)
		}
		l.dir, l.ownDir = d, true
	}
	l.hostPath = filepath.Join(l.dir, cfg.Name)
	var err error
	if l.devMaster, l.devSlave, err = openPty(cfg.Baud); err != nil {
		l.cleanupDir()
		return nil, fmt.Errorf("simulated link: %w", err)
	}
	h, err := l.newHostEnd()
	if err != nil {
		l.devMaster.Close()
		l.devSlave.Close()
		l.cleanupDir()
		return nil, err
	}
	l.host = h
	l.toDevice = &pump{l: l, in: make(chan chunk, 2)}
	l.toHost = &pump{l: l, in: make(chan chunk, 2), toHost: true}
	l.wg.Add(4)
	go l.readDevice()
	go l.readHost()
	go l.toDevice.run()
	go l.toHost.run()
	return l, nil
}

// newHostEnd makes a host pseudo-terminal and points the symlink at it. The
// link keeps its own slave descriptor open so the master never sees the
// hang-up of a host program closing and reopening the port.
func (l *Link) newHostEnd() (*hostEnd, error) {
	m, s, err := openPty(l.baud)
	if err != nil {
		return nil, fmt.Errorf("simulated link: %w", err)
	}
	tmp := l.hostPath + ".new"
	os.Remove(tmp)
	if err := os.Symlink(s.Name(), tmp); err != nil {
		m.Close()
		s.Close()
		return nil, fmt.Errorf("simulated link: %w", err)
	}
	if err := os.Rename(tmp, l.hostPath); err != nil {
		os.Remove(tmp)
		m.Close()
		s.Close()
		return nil, fmt.Errorf("simulated link: %w", err)
	}
	return &hostEnd{master: m, slave: s}, nil
}

func (l *Link) cleanupDir() {
	if l.ownDir {
		os.RemoveAll(l.dir)
	}
}

// HostPath is the stable symlink to the host side's pseudo-terminal: what
// fieldcon (or any terminal program) opens.
func (l *Link) HostPath() string { return l.hostPath }

// DevicePath is the device side's pseudo-terminal; an external program such
// as `rx -X` can run there instead of a simulated device.
func (l *Link) DevicePath() string { return l.devSlave.Name() }

// Unplug is pulling the USB adapter: the host side hangs up (reads by the
// host program fail) and HostPath disappears. Bytes the device sends
// meanwhile are lost.
func (l *Link) Unplug() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	h := l.host
	if h == nil {
		l.mu.Unlock()
		return ErrUnplugged
	}
	if b, err := ptySpeed(h.master); err == nil && b > 0 {
		l.hostBaud = b
	}
	l.host = nil
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()

	err := os.Remove(l.hostPath)
	h.master.Close()
	h.slave.Close()
	if err != nil {
		return fmt.Errorf("unplug simulated adapter: %w", err)
	}
	return nil
}

// Replug is plugging the adapter back in: a new pseudo-terminal appears at
// the same HostPath.
func (l *Link) Replug() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.host != nil {
		return ErrPlugged
	}
	h, err := l.newHostEnd()
	if err != nil {
		return err
	}
	l.host = h
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// CorruptEvery flips one bit in every n-th byte passing in each direction,
// a different bit each time; 0 turns corruption off.
func (l *Link) CorruptEvery(n int) {
	if n < 0 {
		n = 0
	}
	l.corruptEvery.Store(int64(n))
}

// Stats reports what crossed the line so far and the current speeds.
func (l *Link) Stats() LinkStats {
	h, _ := l.hostState()
	s := LinkStats{
		ToDevice:         l.toDevice.sent.Load(),
		ToHost:           l.toHost.sent.Load(),
		ReceivedByDevice: l.toDevice.received.Load(),
		ReceivedByHost:   l.toHost.received.Load(),
		Corrupted:        l.toDevice.corrupted.Load() + l.toHost.corrupted.Load(),
		FramingErrors:    l.toDevice.framing.Load() + l.toHost.framing.Load(),
		HostBaud:         l.hostSpeed(h),
		DeviceBaud:       l.deviceSpeed(),
		Plugged:          h != nil,
	}
	return s
}

// Close stops the pumps and removes both pseudo-terminals and the symlink.
func (l *Link) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	h := l.host
	l.host = nil
	close(l.done)
	l.mu.Unlock()

	if h != nil {
		os.Remove(l.hostPath)
		h.master.Close()
		h.slave.Close()
	}
	l.devMaster.Close()
	l.devSlave.Close()
	l.wg.Wait()
	l.cleanupDir()
	return nil
}

func (l *Link) hostState() (*hostEnd, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.host, l.changed
}

// hostSpeed is the host program's speed, read from the host terminal's
// settings, or the last one seen while unplugged.
func (l *Link) hostSpeed(h *hostEnd) int {
	if h != nil {
		if b, err := ptySpeed(h.master); err == nil && b > 0 {
			return b
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hostBaud
}

func (l *Link) deviceSpeed() int {
	if b, err := ptySpeed(l.devMaster); err == nil && b > 0 {
		return b
	}
	return l.baud
}

// readDevice feeds what the device side writes to the device→host pump.
func (l *Link) readDevice() {
	defer l.wg.Done()
	buf := make([]byte, 1024)
	for {
		n, err := l.devMaster.Read(buf)
		if n > 0 {
			select {
			case l.toHost.in <- chunk{append([]byte(nil), buf[:n]...), time.Now()}:
			case <-l.done:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// readHost feeds what the host program writes to the host→device pump,
// following the host side across Unplug and Replug.
func (l *Link) readHost() {
	defer l.wg.Done()
	buf := make([]byte, 1024)
	for {
		h, changed := l.hostState()
		if h == nil {
			select {
			case <-changed:
				continue
			case <-l.done:
				return
			}
		}
		n, err := h.master.Read(buf)
		if n > 0 {
			select {
			case l.toDevice.in <- chunk{append([]byte(nil), buf[:n]...), time.Now()}:
			case <-l.done:
				return
			}
		}
		if err != nil {
			// Unplugged (or worse): nothing more comes from this end.
			select {
			case <-changed:
			case <-l.done:
				return
			}
		}
	}
}

// waitSentFromDevice returns once n bytes written on the device side have
// left the line, so a speed change after it does not garble them.
func (l *Link) waitSentFromDevice(ctx context.Context, n int64) error {
	return l.toHost.waitSent(ctx, n)
}

// pacer releases bytes no faster than a line at baud carries them. It keeps
// an exact account in line time: a byte starts on the line when the
// previous one has finished or when it was handed to the UART, whichever is
// later. So timer lateness and scheduling delays in the simulator are caught
// up instead of slowing a long transfer down, and an idle line banks no
// credit.
type pacer struct {
	origin time.Time
	bits   int64
	baud   int
}

// reserve books n bytes, ready to send since ready, at baud and returns
// when they will have left the line.
func (p *pacer) reserve(ready time.Time, n, baud int) time.Time {
	end := p.end()
	switch {
	case p.baud == 0 || ready.After(end):
		p.origin, p.bits = ready, 0
	case baud != p.baud || p.bits > 1<<40:
		p.origin, p.bits = end, 0
	}
	p.baud = baud
	p.bits += int64(n) * bitsPerFrame
	return p.end()
}

func (p *pacer) end() time.Time {
	if p.baud == 0 {
		return p.origin
	}
	return p.origin.Add(time.Duration(p.bits * int64(time.Second) / int64(p.baud)))
}

// sliceBytes is how many bytes the pump releases at once: about 5 ms of
// line time, so a reader sees a steady stream, not bursts.
func sliceBytes(baud int) int {
	n := baud / bitsPerFrame / 200
	if n < 1 {
		n = 1
	}
	return n
}

// pump is one direction of the line.
type pump struct {
	l      *Link
	in     chan chunk
	toHost bool

	uart  uart
	pace  pacer
	count int64 // bytes seen, for CorruptEvery

	sent, received, corrupted, framing atomic.Int64

	mu      sync.Mutex
	waiters []sentWaiter
}

// chunk is bytes read from a sending side and when they were read.
type chunk struct {
	data  []byte
	ready time.Time
}

type sentWaiter struct {
	n  int64
	ch chan struct{}
}

func (p *pump) speeds() (from, to int) {
	dev := p.l.deviceSpeed()
	h, _ := p.l.hostState()
	host := p.l.hostSpeed(h)
	if p.toHost {
		return dev, host
	}
	return host, dev
}

func (p *pump) run() {
	defer p.l.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var c chunk
		select {
		case c = <-p.in:
		default:
			// Nothing queued: the line goes idle, which completes any
			// frame the receiver was still sampling.
			before := p.uart.framingErrors
			out := p.uart.flush()
			p.framing.Add(p.uart.framingErrors - before)
			p.deliver(out)
			select {
			case c = <-p.in:
			case <-p.l.done:
				return
			}
		}
		for len(c.data) > 0 {
			from, to := p.speeds()
			n := min(sliceBytes(from), len(c.data))
			s := c.data[:n]
			c.data = c.data[n:]
			if wait := time.Until(p.pace.reserve(c.ready, n, from)); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-p.l.done:
					return
				}
			}
			p.corrupt(s)
			before := p.uart.framingErrors
			out := p.uart.feed(s, from, to)
			p.framing.Add(p.uart.framingErrors - before)
			// Counted as sent before the receiver has it, so a reader
			// that got the bytes sees them counted.
			p.markSent(int64(n))
			p.deliver(out)
		}
	}
}

// corrupt flips a bit in every n-th byte, cycling through the bit positions
// so checksums of every kind get exercised.
func (p *pump) corrupt(s []byte) {
	every := p.l.corruptEvery.Load()
	for i := range s {
		p.count++
		if every > 0 && p.count%every == 0 {
			s[i] ^= 1 << ((p.count / every) % 8)
			p.corrupted.Add(1)
		}
	}
}

// deliver hands decoded bytes to the receiving side; with the host side
// unplugged they are lost, as on a real cable.
func (p *pump) deliver(b []byte) {
	if len(b) == 0 {
		return
	}
	p.received.Add(int64(len(b)))
	if !p.toHost {
		p.l.devMaster.Write(b)
		return
	}
	if h, _ := p.l.hostState(); h != nil {
		h.master.Write(b)
	}
}

func (p *pump) markSent(n int64) {
	total := p.sent.Add(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if total >= w.n {
			close(w.ch)
			continue
		}
		kept = append(kept, w)
	}
	p.waiters = kept
}

func (p *pump) waitSent(ctx context.Context, n int64) error {
	p.mu.Lock()
	if p.sent.Load() >= n {
		p.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	p.waiters = append(p.waiters, sentWaiter{n: n, ch: ch})
	p.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.l.done:
		return ErrClosed
	}
}
