package serialcon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultRingSize is how much console output a Console keeps in memory for
// Transcript and Expect: 1 MiB, hours of boot-loader chatter at 9600 baud and
// still small on a laptop. The session log on disk keeps everything.
const DefaultRingSize = 1 << 20

// Reconnect backoff: the first look for a re-plugged adapter comes quickly
// (a technician re-seats a cable in a second), later ones back off so a
// console left unplugged costs nothing.
const (
	reconnectFirst = 100 * time.Millisecond
	reconnectMax   = 2 * time.Second
)

// readBufSize is one read from the port. A UART delivers far less per read.
const readBufSize = 4096

// Config says which port a Console opens and how.
type Config struct {
	Path     string
	Settings Settings
	// Open opens the port; nil means serialcon.Open. Tests pass fakes.
	Open func(name string, s Settings) (Port, error)
	// Identity reports what is at path now (false: nothing). The console
	// records the identity at open and, after a disconnect, reopens when the
	// same adapter is back: same VID:PID and serial for USB, the same path
	// otherwise. nil means look it up in Ports(), which also finds a USB
	// adapter that came back under another name (ttyUSB0 → ttyUSB1).
	Identity func(path string) (PortInfo, bool)
	// LogDir is where the session log goes ("" = no log); the file is
	// <LogDir>/<UTC time>-<port>.log.
	LogDir string
	// RingSize is the in-memory transcript size; 0 means DefaultRingSize.
	RingSize int
	// Logger receives diagnostics (not the transcript); nil discards them.
	Logger *slog.Logger
}

// Validate reports a Config OpenConsole cannot use.
func (c Config) Validate() error {
	if c.Path == "" {
		return errors.New("console: no port given; pick one from fieldcon ports")
	}
	if c.RingSize < 0 {
		return fmt.Errorf("console: ring size %d is negative", c.RingSize)
	}
	return c.Settings.Validate()
}

// Console owns one serial port: a single reader goroutine moves the device's
// output into a bounded transcript ring, the session log and the observers,
// and wakes Expect. It survives the adapter being unplugged and re-plugged.
type Console struct {
	cfg    Config
	logger *slog.Logger
	ident  PortInfo // the adapter as it was when opened

	writeMu sync.Mutex // one write, break or speed change on the port at a time

	mu        sync.Mutex
	port      Port // nil while disconnected or closed
	path      string
	settings  Settings
	state     State
	ring      *ring
	readPos   int64 // Expect has consumed output up to here (absolute)
	prompt    PromptKind
	promptAt  int64 // absolute offset of the line of the last reported prompt
	changed   chan struct{}
	stream    *Stream
	observers []observerEntry // copy on write
	nextObs   int
	scratch   []byte

	emitMu sync.Mutex // observers are called one at a time

	logMu sync.Mutex
	log   *sessionLog

	done       chan struct{} // closed by Close
	readerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

type observerEntry struct {
	id int
	fn Observer
}

// OpenConsole opens cfg.Path and starts the reader. ctx bounds the opening
// only; the console runs until Close.
func OpenConsole(ctx context.Context, cfg Config) (*Console, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.Open == nil {
		cfg.Open = Open
	}
	if cfg.RingSize == 0 {
		cfg.RingSize = DefaultRingSize
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ident, ok := identityOf(cfg, cfg.Path)
	if !ok {
		ident = PortInfo{Path: cfg.Path}
	}
	port, err := cfg.Open(cfg.Path, cfg.Settings)
	if err != nil {
		return nil, err
	}
	c := &Console{
		cfg:        cfg,
		logger:     logger.With("component", "serialcon", "port", cfg.Path),
		ident:      ident,
		port:       port,
		path:       cfg.Path,
		settings:   cfg.Settings,
		state:      StateConnected,
		ring:       newRing(cfg.RingSize),
		changed:    make(chan struct{}),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	if cfg.LogDir != "" {
		if err := c.StartLog(); err != nil {
			port.Close()
			return nil, err
		}
	}
	c.logger.Info("opened", "settings", cfg.Settings.String(), "adapter", ident.describe())
	c.emit(Event{Kind: EventOpened, Settings: cfg.Settings, Text: cfg.Path})
	go c.readLoop(port)
	return c, nil
}

func identityOf(cfg Config, path string) (PortInfo, bool) {
	if cfg.Identity != nil {
		return cfg.Identity(path)
	}
	return defaultIdentity(path)
}

func identNote(p PortInfo) string {
	if d := p.describe(); d != "" {
		return " (" + d + ")"
	}
	return ""
}

// Observe registers o for every later event; call remove to stop.
func (c *Console) Observe(o Observer) (remove func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextObs++
	id := c.nextObs
	c.observers = append(c.observers[:len(c.observers):len(c.observers)], observerEntry{id, o})
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		kept := make([]observerEntry, 0, len(c.observers))
		for _, e := range c.observers {
			if e.id != id {
				kept = append(kept, e)
			}
		}
		c.observers = kept
	}
}

func (c *Console) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	c.mu.Lock()
	obs := c.observers
	c.mu.Unlock()
	if len(obs) == 0 {
		return
	}
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	for _, o := range obs {
		o.fn(ev)
	}
}

// wakeLocked wakes everyone waiting for output or a state change.
func (c *Console) wakeLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// readLoop is the console's one reader goroutine.
func (c *Console) readLoop(port Port) {
	defer close(c.readerDone)
	buf := make([]byte, readBufSize)
	for {
		n, err := port.Read(buf)
		if n > 0 {
			c.deliver(buf[:n])
		}
		if err == nil {
			continue // (0, nil) is a read timeout
		}
		if c.closing() {
			return
		}
		if port = c.reconnect(port, err); port == nil {
			return
		}
	}
}

func (c *Console) closing() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// deliver hands bytes from the device to the raw stream, or to the ring,
// the log, Expect and the observers.
func (c *Console) deliver(p []byte) {
	c.mu.Lock()
	if s := c.stream; s != nil {
		s.push(p)
		c.mu.Unlock()
		return
	}
	ev, promptEv := c.absorbLocked(p)
	c.mu.Unlock()
	c.logData(p)
	c.emit(ev)
	if promptEv.Kind == EventPrompt {
		c.emit(promptEv)
	}
}

// absorbLocked adds p to the transcript, re-reads the prompt at the tail and
// wakes Expect.
func (c *Console) absorbLocked(p []byte) (data, prompt Event) {
	now := time.Now()
	c.ring.write(p)
	c.scratch = c.ring.appendTail(c.scratch[:0], promptWindow)
	kind, text, at := detectPrompt(c.scratch)
	if kind != PromptNone {
		abs := c.ring.total - int64(len(c.scratch)) + int64(at)
		if kind != c.prompt || abs != c.promptAt {
			prompt = Event{Kind: EventPrompt, Time: now, Prompt: kind, Text: text, Settings: c.settings}
			c.promptAt = abs
		}
	}
	c.prompt = kind
	c.wakeLocked()
	return Event{Kind: EventData, Time: now, Data: p, Settings: c.settings}, prompt
}

// reconnect handles a failed read: the adapter is gone. It reports the
// disconnect, then watches for the same adapter to come back and reopens it
// at the same settings. It returns nil when the console is closed meanwhile.
// There is no portable notification for a device node appearing, so this is
// the one place that polls, with a backoff.
func (c *Console) reconnect(old Port, cause error) Port {
	c.mu.Lock()
	c.port = nil
	c.state = StateDisconnected
	if c.stream != nil {
		c.stream.fail(ErrDisconnected)
	}
	c.wakeLocked()
	settings := c.settings
	c.mu.Unlock()
	old.Close()
	c.marker(fmt.Sprintf("disconnected: %v", cause))
	c.logger.Warn("disconnected; waiting for the adapter to come back", "err", cause)
	c.emit(Event{Kind: EventDisconnected, Settings: settings, Err: cause})

	wait := reconnectFirst
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return nil
		case <-t.C:
		}
		if path, ok := c.locate(); ok {
			c.mu.Lock()
			settings = c.settings
			c.mu.Unlock()
			p, err := c.cfg.Open(path, settings)
			if err == nil {
				c.mu.Lock()
				if c.state == StateClosed {
					c.mu.Unlock()
					p.Close()
					return nil
				}
				c.port, c.path, c.state = p, path, StateConnected
				c.wakeLocked()
				c.mu.Unlock()
				c.marker(fmt.Sprintf("reconnected %s at %s", path, settings))
				c.logger.Info("reconnected", "path", path)
				c.emit(Event{Kind: EventReconnected, Settings: settings, Text: path})
				return p
			}
			c.logger.Debug("adapter is back but does not open yet", "path", path, "err", err)
		}
		wait = min(wait*2, reconnectMax)
		t.Reset(wait)
	}
}

// locate finds the adapter the console had: at its original path if the
// identity there matches, else (default identity only) anywhere in Ports().
func (c *Console) locate() (string, bool) {
	if info, ok := identityOf(c.cfg, c.cfg.Path); ok && (!c.ident.USB || sameAdapter(c.ident, info)) {
		return c.cfg.Path, true
	}
	if c.cfg.Identity == nil {
		return findAdapter(c.ident)
	}
	return "", false
}

// activePort returns the port to write to, or why there is none.
func (c *Console) activePort() (Port, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case StateClosed:
		return nil, c.path, ErrClosed
	case StateDisconnected:
		return nil, c.path, ErrDisconnected
	}
	return c.port, c.path, nil
}

// Send writes p to the device.
func (c *Console) Send(p []byte) error {
	if err := c.write(p); err != nil {
		return err
	}
	c.emit(Event{Kind: EventSent, Data: p, Settings: c.Settings()})
	return nil
}

func (c *Console) write(p []byte) error {
	port, path, err := c.activePort()
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	for len(p) > 0 {
		n, err := port.Write(p)
		if err != nil {
			return fmt.Errorf("send to %s: %w", path, err)
		}
		p = p[n:]
	}
	return nil
}

// SendLine sends s followed by a carriage return, which is what Enter sends.
func (c *Console) SendLine(s string) error { return c.Send([]byte(s + "\r")) }

// SetBaud changes the host side's speed, keeping the framing. The device
// side is the caller's business (set BAUD on a loader comes first). Output
// already written is drained first, but a USB adapter's FIFO (or a
// simulated line) may still hold some: wait for the loader's echo of the
// command before following it. While disconnected, the new speed is used
// when the adapter comes back.
func (c *Console) SetBaud(baud int) error {
	s := c.Settings()
	s.Baud = baud
	return c.setSettings(s, "baud changed to "+s.String())
}

func (c *Console) setSettings(s Settings, note string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.state == StateClosed {
		c.mu.Unlock()
		return ErrClosed
	}
	port, old := c.port, c.settings
	c.settings = s
	c.mu.Unlock()
	if port != nil {
		c.writeMu.Lock()
		err := port.SetSettings(s)
		c.writeMu.Unlock()
		if err != nil {
			c.mu.Lock()
			c.settings = old
			c.mu.Unlock()
			return err
		}
	}
	c.marker(note)
	c.emit(Event{Kind: EventBaudChanged, Settings: s})
	return nil
}

// Settings returns the host side's current settings.
func (c *Console) Settings() Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings
}

// Prompt is the prompt at the end of the output right now (PromptNone while
// the device is printing something else).
func (c *Console) Prompt() PromptKind {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prompt
}

// Transcript returns a copy of the output held in the ring (at most
// Config.RingSize bytes, the latest).
func (c *Console) Transcript() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ring.bytes()
}

// State reports whether the console has its port.
func (c *Console) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Path is the port the console has open now (it can change when a USB
// adapter comes back under another name).
func (c *Console) Path() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.path
}

// Close stops the reader, closes the port and the session log. Observers get
// EventClosed. It must not be called from an observer.
func (c *Console) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.state = StateClosed
		port, s := c.port, c.stream
		c.port, c.stream = nil, nil
		c.wakeLocked()
		c.mu.Unlock()
		close(c.done)
		if port != nil {
			c.closeErr = port.Close()
		}
		<-c.readerDone
		if s != nil {
			s.fail(ErrClosed)
			if s.stop != nil {
				s.stop()
			}
		}
		c.marker("closed")
		c.emit(Event{Kind: EventClosed, Settings: c.Settings()})
		c.logMu.Lock()
		if c.log != nil {
			c.log.close()
			c.log = nil
		}
		c.logMu.Unlock()
		c.logger.Info("closed")
	})
	return c.closeErr
}

// StartLog starts a session log in Config.LogDir (OpenConsole does this when
// LogDir is set). Logging already: nothing happens.
func (c *Console) StartLog() error {
	if c.cfg.LogDir == "" {
		return ErrNoLog
	}
	c.logMu.Lock()
	defer c.logMu.Unlock()
	if c.log != nil {
		return nil
	}
	c.mu.Lock()
	path, s, state := c.path, c.settings, c.state
	c.mu.Unlock()
	if state == StateClosed {
		return ErrClosed
	}
	l, err := createSessionLog(c.cfg.LogDir, path, time.Now())
	if err != nil {
		return err
	}
	c.log = l
	c.markerLocked(fmt.Sprintf("opened %s at %s%s", path, s, identNote(c.ident)))
	return nil
}

// StopLog closes the session log; the console goes on.
func (c *Console) StopLog() error {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	if c.log == nil {
		return nil
	}
	c.markerLocked("log stopped")
	err := c.log.close()
	c.log = nil
	return err
}

// LogPath is the session log being written, "" when not logging.
func (c *Console) LogPath() string {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	if c.log == nil {
		return ""
	}
	return c.log.path
}

func (c *Console) marker(text string) { c.markerAt(time.Now(), text) }

// markerAt writes a marker stamped t: when the event began (a break is
// logged once it is over, at the time it started).
func (c *Console) markerAt(t time.Time, text string) {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	c.markerLockedAt(t, text)
}

func (c *Console) markerLocked(text string) { c.markerLockedAt(time.Now(), text) }

func (c *Console) markerLockedAt(t time.Time, text string) {
	if c.log == nil {
		return
	}
	if err := c.log.marker(t, text); err != nil {
		c.logFailedLocked(err)
	}
}

func (c *Console) logData(p []byte) {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	if c.log == nil {
		return
	}
	if err := c.log.data(p); err != nil {
		c.logFailedLocked(err)
	}
}

// logFailedLocked stops a log that cannot be written (disk full, USB stick
// pulled) rather than failing the console.
func (c *Console) logFailedLocked(err error) {
	c.logger.Error("session log stopped: cannot write", "path", c.log.path, "err", err)
	c.log.close()
	c.log = nil
}
