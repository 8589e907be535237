package tui

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"fieldcon/serialcon"
)

// harness drives an App without a terminal: it calls Update, runs the
// returned commands on goroutines and feeds their messages back. It must be
// used inside synctest.Test, where synctest.Wait tells when every command
// has either finished or is blocked waiting (a feed waiting for device
// output), so nothing needs a timeout.
type harness struct {
	t       *testing.T
	app     *App
	con     *fakeConsole
	results chan tea.Msg
	quit    bool
	msgs    []tea.Msg // every message the commands produced, in order
}

// testClock is the fixed time banners are stamped with.
var testClock = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// newHarness builds an App of size w×h on opts; a nil opts.Console and a
// nil opts.Open give a live console on a fake catalyst loader.
func newHarness(t *testing.T, w, h int, opts Options) *harness {
	t.Helper()
	hs := &harness{t: t, results: make(chan tea.Msg, 1024)}
	if opts.Console == nil && opts.Open == nil && opts.ListPorts == nil {
		hs.con = newFakeConsole()
		hs.con.device = catalystLoader
		hs.con.transcript = []byte("\r\nswitch: ")
		opts.Console = hs.con
		opts.Port = "/dev/ttyUSB0"
	} else if fc, ok := opts.Console.(*fakeConsole); ok {
		hs.con = fc
	}
	if opts.Frame == 0 {
		opts.Frame = -1 // one DataMsg per read unless a test wants frames
	}
	opts.Now = func() time.Time { return testClock }
	if opts.Ctx == nil {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		opts.Ctx = ctx
	}
	hs.app = New(opts)
	t.Cleanup(func() { hs.app.Close() })
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.do(hs.app.Init())
	hs.settle()
	return hs
}

func (h *harness) do(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				h.do(c)
			}
			return
		}
		if msg != nil {
			h.results <- msg
		}
	}()
}

// settle processes messages until every command is done or blocked.
func (h *harness) settle() {
	for {
		synctest.Wait()
		select {
		case msg := <-h.results:
			h.msgs = append(h.msgs, msg)
			if _, ok := msg.(tea.QuitMsg); ok {
				h.quit = true
				continue
			}
			_, cmd := h.app.Update(msg)
			h.do(cmd)
		default:
			return
		}
	}
}

func (h *harness) send(msg tea.Msg) {
	_, cmd := h.app.Update(msg)
	h.do(cmd)
	h.settle()
}

// press sends key presses named like tea's String(): "a", "enter",
// "ctrl+t", "pgup", "shift+up".
func (h *harness) press(names ...string) {
	for _, n := range names {
		h.send(keyPress(n))
	}
}

// typ types text a character at a time.
func (h *harness) typ(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

var namedKeys = map[string]rune{
	"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "backspace": tea.KeyBackspace,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	"delete": tea.KeyDelete, "space": tea.KeySpace, "f1": tea.KeyF1,
}

func keyPress(name string) tea.KeyPressMsg {
	var k tea.KeyPressMsg
	for {
		switch {
		case strings.HasPrefix(name, "ctrl+") && len(name) > 5:
			k.Mod |= tea.ModCtrl
			name = name[5:]
			continue
		case strings.HasPrefix(name, "alt+") && len(name) > 4:
			k.Mod |= tea.ModAlt
			name = name[4:]
			continue
		case strings.HasPrefix(name, "shift+") && len(name) > 6:
			k.Mod |= tea.ModShift
			name = name[6:]
			continue
		}
		break
	}
	if c, ok := namedKeys[name]; ok {
		k.Code = c
		if c == tea.KeySpace && k.Mod == 0 {
			k.Text = " "
		}
		return k
	}
	r := []rune(name)[0]
	k.Code = r
	if k.Mod&^tea.ModShift == 0 {
		k.Text = name
	}
	return k
}

// screen is the whole screen without colours.
func (h *harness) screen() string {
	return ansi.Strip(h.app.Render())
}

// data makes the fake device print s and lets the TUI take it in.
func (h *harness) data(s string) {
	h.con.say(s)
	h.settle()
}

// event reports a connection event from the fake console.
func (h *harness) event(e serialcon.Event) {
	h.con.emit(e)
	h.settle()
}

// run wraps a test body in a synctest bubble.
func run(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, f)
}
