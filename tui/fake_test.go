package tui

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"fieldcon/serialcon"
)

// fakeConsole is a Console that records what the TUI asks of it and, when
// given a device function, answers typed lines the way a device would.
type fakeConsole struct {
	mu        sync.Mutex
	sent      []byte
	breaks    int
	repeats   int
	bauds     []int
	settings  serialcon.Settings
	state     serialcon.State
	prompt    serialcon.PromptKind
	logPath   string
	closed    bool
	detect    int
	observers map[int]serialcon.Observer
	nextObs   int
	now       time.Time
	line      []byte
	// transcript is what the device said before anyone observed it.
	transcript []byte
	// device answers a complete typed line (without \r); nil echoes nothing.
	device func(line string) string
	// receive plays the device's side of a raw stream (an XMODEM
	// receiver); nil means the console cannot lend its stream.
	receive func(dev net.Conn)
	streams int
}

// OpenStream lends a raw stream whose far end runs f.receive; closing it
// waits for the receiver to finish.
func (f *fakeConsole) OpenStream(ctx context.Context) (Stream, error) {
	f.mu.Lock()
	recv := f.receive
	f.streams++
	f.mu.Unlock()
	if recv == nil {
		return nil, errors.New("fake console has no receiver")
	}
	host, dev := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		recv(dev)
		dev.Close()
	}()
	return &fakeStream{Conn: host, done: done}, nil
}

type fakeStream struct {
	net.Conn
	done chan struct{}
}

func (s *fakeStream) Close() error {
	err := s.Conn.Close()
	<-s.done
	return err
}

func newFakeConsole() *fakeConsole {
	return &fakeConsole{
		settings:  serialcon.DefaultSettings(9600),
		observers: map[int]serialcon.Observer{},
		now:       time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		detect:    115200,
	}
}

// catalystLoader answers like a Catalyst switch's boot loader.
func catalystLoader(line string) string {
	switch strings.TrimSpace(line) {
	case "":
		return "\r\nswitch: "
	case "dir flash:":
		return "\r\nDirectory of flash:/\r\n\r\n    2  -rwx  1048  <date>  config.text\r\n    3  drwx  512   <date>  c2960-lanbasek9-mz.150-2.SE11\r\n\r\n27611136 bytes available (4194304 bytes used)\r\n\r\nswitch: "
	default:
		return "\r\nUnknown cmd: " + strings.Fields(line)[0] + "\r\nswitch: "
	}
}

func (f *fakeConsole) emit(e serialcon.Event) {
	f.mu.Lock()
	if e.Time.IsZero() {
		e.Time = f.now
	}
	obs := make([]serialcon.Observer, 0, len(f.observers))
	for _, o := range f.observers {
		obs = append(obs, o)
	}
	f.mu.Unlock()
	for _, o := range obs {
		o(e)
	}
}

// say makes the device print s.
func (f *fakeConsole) say(s string) {
	f.emit(serialcon.Event{Kind: serialcon.EventData, Data: []byte(s)})
}

func (f *fakeConsole) Send(p []byte) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return errors.New("port closed")
	}
	f.sent = append(f.sent, p...)
	dev := f.device
	var replies []string
	var echo []byte
	for _, c := range p {
		if c == '\r' {
			if dev != nil {
				replies = append(replies, dev(string(f.line)))
			}
			f.line = f.line[:0]
			continue
		}
		f.line = append(f.line, c)
		echo = append(echo, c)
	}
	f.mu.Unlock()
	if dev != nil && len(echo) > 0 {
		f.say(string(echo))
	}
	for _, r := range replies {
		f.say(r)
	}
	return nil
}

func (f *fakeConsole) Sent() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.sent)
}

func (f *fakeConsole) SendBreak(d time.Duration) error {
	f.mu.Lock()
	f.breaks++
	f.mu.Unlock()
	f.emit(serialcon.Event{Kind: serialcon.EventBreak})
	return nil
}

func (f *fakeConsole) BreakRepeat(ctx context.Context, every, total time.Duration) error {
	f.mu.Lock()
	f.repeats++
	f.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

func (f *fakeConsole) SetBaud(baud int) error {
	f.mu.Lock()
	f.bauds = append(f.bauds, baud)
	f.settings.Baud = baud
	s := f.settings
	f.mu.Unlock()
	f.emit(serialcon.Event{Kind: serialcon.EventBaudChanged, Settings: s})
	return nil
}

func (f *fakeConsole) DetectBaud(ctx context.Context, rates ...int) (int, error) {
	if err := f.SetBaud(f.detect); err != nil {
		return 0, err
	}
	return f.detect, nil
}

func (f *fakeConsole) Settings() serialcon.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings
}

func (f *fakeConsole) State() serialcon.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

func (f *fakeConsole) Prompt() serialcon.PromptKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prompt
}

func (f *fakeConsole) Observe(o serialcon.Observer) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextObs
	f.nextObs++
	f.observers[id] = o
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.observers, id)
	}
}

func (f *fakeConsole) Transcript() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.transcript...)
}

func (f *fakeConsole) StartLog() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logPath = "logs/20260301-100000-ttyUSB0.log"
	return nil
}

func (f *fakeConsole) StopLog() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logPath = ""
	return nil
}

func (f *fakeConsole) LogPath() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logPath
}

func (f *fakeConsole) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

func (f *fakeConsole) Closed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

func (f *fakeConsole) Observers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.observers)
}
