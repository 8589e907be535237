package serialcon

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

func itoa(i int) string { return strconv.Itoa(i) }

// errUnplugged is what a fake port's pending Read returns when its adapter
// is pulled, like EIO from a USB serial driver.
var errUnplugged = errors.New("fake: input/output error (adapter unplugged)")

type breakRecord struct {
	at time.Time
	d  time.Duration
}

// fakePort is a Port whose device side the test drives: emit puts bytes on
// the wire towards the host, onWrite plays the device's answers. Everything
// blocks on channels, so Read counts as durably blocked under synctest.
type fakePort struct {
	in       chan []byte
	closed   chan struct{}
	gone     chan struct{}
	close1   sync.Once
	gone1    sync.Once
	onWrite  func(*fakePort, []byte)
	breakErr error

	mu       sync.Mutex
	pending  []byte
	settings Settings
	written  []byte
	breaks   []breakRecord
	calls    []Settings // SetSettings calls
	log      []string   // writes and settings, in order
}

func newFakePort(s Settings) *fakePort {
	return &fakePort{in: make(chan []byte, 1024), closed: make(chan struct{}), gone: make(chan struct{}), settings: s}
}

func (f *fakePort) emit(s string) { f.in <- []byte(s) }

func (f *fakePort) Read(p []byte) (int, error) {
	f.mu.Lock()
	if len(f.pending) > 0 {
		n := copy(p, f.pending)
		f.pending = f.pending[n:]
		f.mu.Unlock()
		return n, nil
	}
	f.mu.Unlock()
	select {
	case b := <-f.in:
		n := copy(p, b)
		if n < len(b) {
			f.mu.Lock()
			f.pending = append(f.pending, b[n:]...)
			f.mu.Unlock()
		}
		return n, nil
	case <-f.closed:
		return 0, errors.New("fake: port closed")
	case <-f.gone:
		return 0, errUnplugged
	}
}

func (f *fakePort) Write(p []byte) (int, error) {
	select {
	case <-f.gone:
		return 0, errUnplugged
	default:
	}
	f.mu.Lock()
	f.written = append(f.written, p...)
	f.log = append(f.log, "write "+strconv.Quote(string(p)))
	f.mu.Unlock()
	if f.onWrite != nil {
		f.onWrite(f, p)
	}
	return len(p), nil
}

func (f *fakePort) Close() error {
	f.close1.Do(func() { close(f.closed) })
	return nil
}

func (f *fakePort) unplug() { f.gone1.Do(func() { close(f.gone) }) }

func (f *fakePort) Break(d time.Duration) error {
	if f.breakErr != nil {
		return f.breakErr
	}
	f.mu.Lock()
	f.breaks = append(f.breaks, breakRecord{time.Now(), d})
	f.mu.Unlock()
	time.Sleep(d) // the line is held low this long (fake clock under synctest)
	return nil
}

func (f *fakePort) SetSettings(s Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settings = s
	f.calls = append(f.calls, s)
	f.log = append(f.log, "settings "+s.String())
	return nil
}

func (f *fakePort) SetReadTimeout(time.Duration) error { return nil }

func (f *fakePort) currentSettings() Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings
}

func (f *fakePort) settingsCalls() []Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Settings(nil), f.calls...)
}

func (f *fakePort) writtenBytes() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.written...)
}

func (f *fakePort) breakRecords() []breakRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]breakRecord(nil), f.breaks...)
}

// fakeWorld is the machine the console runs on: one adapter that can be
// unplugged and plugged back in, possibly as a different adapter.
type fakeWorld struct {
	onWrite  func(*fakePort, []byte)
	breakErr error

	mu        sync.Mutex
	plugged   bool
	info      PortInfo
	ports     []*fakePort
	identAt   []time.Time // when the console looked for the adapter
	openFails int         // the next n opens fail as if udev were still busy
}

func newFakeWorld() *fakeWorld {
	return &fakeWorld{plugged: true, info: PortInfo{Path: "/dev/ttyFAKE0"}}
}

func (w *fakeWorld) open(name string, s Settings) (Port, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.plugged {
		return nil, &PortError{Path: name, Kind: ErrNoSuchPort, Msg: "no such port " + name}
	}
	if w.openFails > 0 {
		w.openFails--
		return nil, &PortError{Path: name, Kind: ErrPermission, Msg: "permission denied on " + name}
	}
	p := newFakePort(s)
	p.onWrite, p.breakErr = w.onWrite, w.breakErr
	w.ports = append(w.ports, p)
	return p, nil
}

func (w *fakeWorld) identity(path string) (PortInfo, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.identAt = append(w.identAt, time.Now())
	return w.info, w.plugged
}

func (w *fakeWorld) current() *fakePort {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ports[len(w.ports)-1]
}

func (w *fakeWorld) opened() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ports)
}

func (w *fakeWorld) unplug() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.plugged = false
	w.ports[len(w.ports)-1].unplug()
}

func (w *fakeWorld) replug(info PortInfo) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.plugged = true
	w.info = info
}

// openTestConsole opens a console on w's adapter; cfg fills in the rest.
func openTestConsole(t *testing.T, w *fakeWorld, cfg Config) *Console {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = "/dev/ttyFAKE0"
	}
	if cfg.Settings == (Settings{}) {
		cfg.Settings = DefaultSettings(9600)
	}
	cfg.Open, cfg.Identity = w.open, w.identity
	c, err := OpenConsole(t.Context(), cfg)
	if err != nil {
		t.Fatalf("OpenConsole(%+v) = %v", cfg, err)
	}
	return c
}

// recorder collects events; its channel never blocks the reader.
type recorder struct {
	mu     sync.Mutex
	events []Event
	ch     chan Event
}

func record(c *Console) *recorder {
	r := &recorder{ch: make(chan Event, 4096)}
	c.Observe(func(ev Event) {
		ev.Data = append([]byte(nil), ev.Data...)
		r.mu.Lock()
		r.events = append(r.events, ev)
		r.mu.Unlock()
		select {
		case r.ch <- ev:
		default:
		}
	})
	return r
}

// waitFor returns the next event of kind k, skipping others.
func (r *recorder) waitFor(t *testing.T, k EventKind) Event {
	t.Helper()
	for {
		select {
		case ev := <-r.ch:
			if ev.Kind == k {
				return ev
			}
		case <-t.Context().Done():
			t.Fatalf("no %v event", k)
		}
	}
}

func (r *recorder) kinds() []EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []EventKind
	for _, ev := range r.events {
		ks = append(ks, ev.Kind)
	}
	return ks
}
