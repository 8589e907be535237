package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/google/go-cmp/cmp"

	"fieldcon/serialcon"
)

func TestTypingReachesDeviceInOrder(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		h.typ("dir flash:")
		h.press("enter")
		if got, want := h.con.Sent(), "dir flash:\r"; got != want {
			t.Errorf("after typing, device got %q, want %q", got, want)
		}
		if s := h.screen(); !strings.Contains(s, "switch: dir flash:") || !strings.Contains(s, "c2960-lanbasek9-mz.150-2.SE11") {
			t.Errorf("screen after dir flash: lacks the echo or the listing:\n%s", s)
		}
	})
}

func TestKeysPassThrough(t *testing.T) {
	tests := []struct {
		keys []string
		want string
	}{
		{[]string{"ctrl+c"}, "\x03"},
		{[]string{"ctrl+z"}, "\x1a"},
		{[]string{"ctrl+^"}, "\x1e"}, // ctrl-shift-6, the IOS escape sequence
		{[]string{"backspace"}, "\b"},
		{[]string{"tab"}, "\t"},
		{[]string{"esc"}, "\x1b"},
		{[]string{"up", "down", "left", "right"}, "\x1b[A\x1b[B\x1b[D\x1b[C"},
		{[]string{"alt+b"}, "\x1bb"},
		{[]string{"?"}, "?"}, // IOS help, not fieldcon's
		{[]string{"q"}, "q"},
		{[]string{"space"}, " "},
		{[]string{"ctrl+t", "ctrl+t"}, "\x14"},
		{[]string{"f1"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			run(t, func(t *testing.T) {
				h := newHarness(t, 80, 24, Options{})
				h.press(tt.keys...)
				if got := h.con.Sent(); got != tt.want {
					t.Errorf("press(%q): device got %q, want %q", tt.keys, got, tt.want)
				}
				if h.quit {
					t.Errorf("press(%q) quit the program", tt.keys)
				}
			})
		})
	}
}

func TestPrefixCommands(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		h.press("ctrl+t", "b")
		if h.con.breaks != 1 {
			t.Errorf("ctrl-t b: %d breaks sent, want 1", h.con.breaks)
		}
		h.press("ctrl+t", "B")
		if h.con.repeats != 1 || !strings.Contains(h.screen(), "BREAKING") {
			t.Errorf("ctrl-t B: repeats = %d, status shows BREAKING = %v; want 1, true", h.con.repeats, strings.Contains(h.screen(), "BREAKING"))
		}
		h.press("ctrl+t", "B")
		if s := h.screen(); strings.Contains(s, "BREAKING") || !strings.Contains(s, "break repeat over") {
			t.Errorf("second ctrl-t B did not stop the breaks:\n%s", s)
		}
		h.press("ctrl+t", "t")
		if !strings.Contains(h.screen(), "10:00:00.000 ") {
			t.Errorf("ctrl-t t: no timestamps on screen:\n%s", h.screen())
		}
		h.press("ctrl+t", "h")
		h.data("AB\r\n")
		if !strings.Contains(h.screen(), "41 42 0d 0a") {
			t.Errorf("ctrl-t h: no hex dump on screen:\n%s", h.screen())
		}
		h.press("ctrl+t", "f")
		if s := h.screen(); !strings.Contains(s, "log 20260301-100000-ttyUSB0.log") {
			t.Errorf("ctrl-t f: status does not show the log file:\n%s", s)
		}
		h.press("ctrl+t", "f")
		if s := h.screen(); !strings.Contains(s, "log off") {
			t.Errorf("second ctrl-t f: status does not show the log stopped:\n%s", s)
		}
		h.press("ctrl+t", "l")
		if n := h.app.panes[0].(*consolePane).sb.Lines(); n != 0 {
			t.Errorf("ctrl-t l: %d lines left, want 0", n)
		}
		if h.quit {
			t.Fatal("a prefix command quit the program")
		}
		h.press("ctrl+t", "q")
		if !h.quit {
			t.Error("ctrl-t q did not quit")
		}
	})
}

func TestPrefixUnknownAndCancel(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		h.press("ctrl+t", "Z")
		if !strings.Contains(h.screen(), "ctrl-t Z does nothing") {
			t.Errorf("unknown command not explained:\n%s", h.screen())
		}
		h.press("ctrl+t", "esc", "a")
		if got := h.con.Sent(); got != "a" {
			t.Errorf("after an unknown command and a cancelled prefix, device got %q, want %q", got, "a")
		}
	})
}

func TestBaudDialog(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		h.press("ctrl+t", "s", "right", "right", "right", "right", "enter")
		if diff := cmp.Diff([]int{115200}, h.con.bauds); diff != "" {
			t.Errorf("speed dialog: SetBaud calls (-want +got):\n%s", diff)
		}
		if s := h.screen(); !strings.Contains(s, "115200 8N1") || !strings.Contains(s, "speed now 115200 8N1") {
			t.Errorf("speed change not on screen:\n%s", s)
		}
		h.con.detect = 9600
		h.press("ctrl+t", "s", "left", "left", "left", "left", "left", "enter") // back to auto
		if s := h.screen(); !strings.Contains(s, "detected 9600 baud") || !strings.Contains(s, "9600 8N1") {
			t.Errorf("auto-detect not on screen:\n%s", s)
		}
	})
}

func TestConnectionEvents(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		h.event(serialcon.Event{Kind: serialcon.EventDisconnected, Err: errors.New("adapter unplugged")})
		s := h.screen()
		if !strings.Contains(s, "adapter gone (adapter unplugged)") || !strings.Contains(s, "disconnected") {
			t.Errorf("disconnect not shown:\n%s", s)
		}
		h.event(serialcon.Event{Kind: serialcon.EventReconnected, Settings: serialcon.DefaultSettings(9600)})
		if s := h.screen(); !strings.Contains(s, "reconnected at 9600 8N1") || strings.Contains(lastLine(s), "disconnected") {
			t.Errorf("reconnect not shown:\n%s", s)
		}
		h.event(serialcon.Event{Kind: serialcon.EventPrompt, Prompt: serialcon.PromptSwitchLoader})
		if !strings.Contains(lastLine(h.screen()), "switch-loader") {
			t.Errorf("prompt kind not in the status bar:\n%s", h.screen())
		}
	})
}

func lastLine(s string) string {
	return s[strings.LastIndex(s, "\n")+1:]
}

func TestDataIsCoalesced(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{Frame: DefaultFrame})
		// The first byte after a quiet spell goes straight to the screen
		// (typing feels immediate) ...
		h.data("B")
		time.Sleep(DefaultFrame)
		h.settle()
		before := len(h.msgs)
		// ... and then a device writing a byte at a time, as a loader does
		// at 9600 baud, reaches the TUI as one message per frame.
		for _, c := range []byte("ase ethernet MAC Address: 00:11:22:33:44:55\r\n") {
			h.con.say(string(c))
		}
		time.Sleep(DefaultFrame) // fake time: the frame passes
		h.settle()
		var data int
		for _, m := range h.msgs[before:] {
			if _, ok := m.(DataMsg); ok {
				data++
			}
		}
		if data != 1 {
			t.Errorf("46 one-byte reads within a frame gave %d DataMsgs, want 1", data)
		}
		if !strings.Contains(h.screen(), "Base ethernet MAC Address: 00:11:22:33:44:55") {
			t.Errorf("coalesced data not on screen:\n%s", h.screen())
		}
	})
}

func TestSearch(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 10, Options{})
		var b strings.Builder
		for i := range 50 {
			b.WriteString("line " + string(rune('a'+i%26)) + "\r\n")
			if i == 5 {
				b.WriteString("%Error opening flash:update/info\r\n")
			}
		}
		h.data(b.String())
		if strings.Contains(h.screen(), "%Error") {
			t.Fatalf("the error line is on screen before searching:\n%s", h.screen())
		}
		h.press("ctrl+t", "/")
		h.typ("ERROR open")
		h.press("enter")
		s := h.screen()
		if !strings.Contains(s, "%Error opening flash:update/info") || !strings.Contains(s, "(line 9 of 53)") {
			t.Errorf("search did not scroll to the match:\n%s", s)
		}
		h.press("esc")
		if s := h.screen(); strings.Contains(s, "%Error") {
			t.Errorf("esc did not return to the live output:\n%s", s)
		}
	})
}

func TestScrollback(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 10, Options{})
		var b strings.Builder
		for i := range 30 {
			b.WriteString("row " + string(rune('A'+i)) + "\r\n")
		}
		h.data(b.String())
		h.press("pgup")
		s := h.screen()
		if !strings.Contains(s, "scrolled back") || strings.Contains(s, "row ^") {
			t.Errorf("pgup did not scroll back:\n%s", s)
		}
		h.data("new output\r\n") // the view stays where the technician is reading
		if s2 := h.screen(); strings.Contains(s2, "new output") {
			t.Errorf("new output moved a scrolled-back view:\n%s", s2)
		}
		h.typ("x") // typing returns to the live output
		if s := h.screen(); !strings.Contains(s, "new output") || strings.Contains(s, "scrolled back") {
			t.Errorf("typing did not return to the live output:\n%s", s)
		}
	})
}

func TestLineMode(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		h.press("ctrl+t", "e")
		h.typ("dir")
		if got := h.con.Sent(); got != "" {
			t.Fatalf("line mode sent %q before enter", got)
		}
		h.press("backspace")
		h.typ("r flash:")
		h.press("enter", "ctrl+c")
		if got, want := h.con.Sent(), "dir flash:\r\x03"; got != want {
			t.Errorf("line mode: device got %q, want %q", got, want)
		}
	})
}

func TestPasteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "base.cfg")
	if err := os.WriteFile(path, []byte("hostname sw1\r\nno ip domain-lookup\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		h.press("ctrl+t", "p")
		h.typ(path)
		h.press("enter")
		h.press("ctrl+u")
		h.typ("2s")
		h.press("enter")
		// The first line goes at once, the rest one per pause.
		if got := h.con.Sent(); got != "hostname sw1\r" {
			t.Errorf("right after starting the paste, device got %q", got)
		}
		time.Sleep(2 * time.Second) // fake time inside the bubble: advances the paste's pause
		h.settle()
		time.Sleep(2 * time.Second)
		h.settle()
		if got, want := h.con.Sent(), "hostname sw1\rno ip domain-lookup\rend\r"; got != want {
			t.Errorf("after the paste, device got %q, want %q", got, want)
		}
		if s := h.screen(); !strings.Contains(s, "pasted "+path+": 3 lines") {
			t.Errorf("paste end not shown:\n%s", s)
		}
	})
}

func TestHelpOverlay(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 120, 40, Options{})
		h.press("ctrl+t", "?")
		s := h.screen()
		for _, want := range []string{"send break", "ctrl-t B", "hex view", "session log", "paste a file slowly", "search the scrollback", "quit, closing the port", "pgup"} {
			if !strings.Contains(s, want) {
				t.Errorf("help overlay lacks %q:\n%s", want, s)
			}
		}
		h.press("b") // the overlay is the menu too
		if h.con.breaks != 1 || strings.Contains(h.screen(), "send break") {
			t.Errorf("pressing b in the help overlay: breaks = %d, overlay still open = %v", h.con.breaks, strings.Contains(h.screen(), "send break"))
		}
		h.press("ctrl+t", "?", "esc")
		if strings.Contains(h.screen(), "send break") || h.con.Sent() != "" {
			t.Errorf("esc did not just close the overlay (device got %q):\n%s", h.con.Sent(), h.screen())
		}
	})
}

func TestQuitClosesPort(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		h.press("ctrl+t", "q")
		if !h.quit {
			t.Fatal("ctrl-t q did not quit")
		}
		if err := h.app.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if !h.con.Closed() || h.con.Observers() != 0 {
			t.Errorf("after Close: port closed = %v, observers = %d; want true, 0", h.con.Closed(), h.con.Observers())
		}
	})
}

func TestPickerFlow(t *testing.T) {
	dir := t.TempDir()
	prefs := filepath.Join(dir, PrefsFile)
	ports := []serialcon.PortInfo{
		{Path: "/dev/ttyS0"},
		{Path: "/dev/ttyUSB1", USB: true, VID: "10c4", PID: "ea60", Serial: "0001", Product: "CP2102 USB to UART Bridge Controller", Chipset: "Silicon Labs CP210x", LikelyConsole: true},
	}
	run(t, func(t *testing.T) {
		con := newFakeConsole()
		con.transcript = []byte("\r\nswitch: ")
		var opened []PortChoice
		h := newHarness(t, 80, 24, Options{
			ListPorts: func() ([]serialcon.PortInfo, error) { return ports, nil },
			Open: func(ctx context.Context, c PortChoice) (Console, error) {
				opened = append(opened, c)
				return con, nil
			},
			PrefsPath: prefs,
		})
		h.con = con
		s := h.screen()
		if !strings.Contains(s, "▸ /dev/ttyUSB1") || !strings.Contains(s, "likely console") {
			t.Fatalf("picker does not preselect the likely console cable:\n%s", s)
		}
		h.press("right", "enter") // 9600 → 19200
		if diff := cmp.Diff([]PortChoice{{Port: "/dev/ttyUSB1", Baud: 19200, VID: "10c4", PID: "ea60", Serial: "0001"}}, opened); diff != "" {
			t.Errorf("opened (-want +got):\n%s", diff)
		}
		if s := h.screen(); !strings.Contains(s, "switch:") || !strings.Contains(s, "/dev/ttyUSB1") {
			t.Errorf("console pane not showing after the pick (the transcript should be there):\n%s", s)
		}
		got, err := LoadPrefs(prefs)
		if err != nil || got.Last.Port != "/dev/ttyUSB1" || got.Last.Baud != 19200 {
			t.Errorf("LoadPrefs after the pick = %+v, %v; want /dev/ttyUSB1 at 19200", got, err)
		}
		h.press("ctrl+t", "o")
		if !con.Closed() || !strings.Contains(h.screen(), "Pick the console port") {
			t.Errorf("ctrl-t o: port closed = %v, picker shown:\n%s", con.Closed(), h.screen())
		}
	})
}

func TestPickerRemembersAdapterUnderNewName(t *testing.T) {
	run(t, func(t *testing.T) {
		ports := []serialcon.PortInfo{
			{Path: "/dev/ttyUSB0", USB: true, VID: "0403", PID: "6001", Serial: "A1", LikelyConsole: true},
			{Path: "/dev/ttyUSB1", USB: true, VID: "10c4", PID: "ea60", Serial: "0001", LikelyConsole: true},
		}
		h := newHarness(t, 80, 24, Options{
			ListPorts: func() ([]serialcon.PortInfo, error) { return ports, nil },
			Open:      func(ctx context.Context, c PortChoice) (Console, error) { return newFakeConsole(), nil },
			Prefs:     Prefs{Last: PortChoice{Port: "/dev/ttyUSB0", Baud: 115200, VID: "10c4", PID: "ea60", Serial: "0001"}},
		})
		s := h.screen()
		if !strings.Contains(s, "▸ /dev/ttyUSB1") || !strings.Contains(s, "‹ 115200 ›") {
			t.Errorf("picker did not find the remembered adapter under its new name at its speed:\n%s", s)
		}
	})
}

func TestPickerNoPortsOffersSimulator(t *testing.T) {
	run(t, func(t *testing.T) {
		sim := newFakeConsole()
		sim.transcript = []byte("switch: ")
		h := newHarness(t, 80, 24, Options{
			ListPorts: func() ([]serialcon.PortInfo, error) { return nil, nil },
			Open:      func(ctx context.Context, c PortChoice) (Console, error) { return nil, errors.New("unused") },
			StartSim:  func(ctx context.Context) (Console, string, error) { return sim, "/tmp/ttySIM0", nil },
		})
		if s := h.screen(); !strings.Contains(s, "No serial port found") || !strings.Contains(s, "S to start the simulated Catalyst") {
			t.Fatalf("no-port picker does not offer the simulator:\n%s", s)
		}
		h.press("S")
		if s := h.screen(); !strings.Contains(s, "/tmp/ttySIM0") || !strings.Contains(s, "switch:") {
			t.Errorf("simulator console not shown:\n%s", s)
		}
		h.press("q")
		if h.quit || sim.Sent() != "q" {
			t.Errorf("q in the live console: quit = %v, device got %q; want false, \"q\"", h.quit, sim.Sent())
		}
	})
}

func TestPickerOpenError(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{
			ListPorts: func() ([]serialcon.PortInfo, error) { return []serialcon.PortInfo{{Path: "/dev/ttyUSB0"}}, nil },
			Open: func(ctx context.Context, c PortChoice) (Console, error) {
				return nil, errors.New("permission denied: add yourself to the dialout group")
			},
		})
		h.press("enter")
		if s := h.screen(); !strings.Contains(s, "dialout group") || !strings.Contains(s, "Pick the console port") {
			t.Errorf("open error not shown in the picker:\n%s", s)
		}
		h.press("q")
		if !h.quit {
			t.Error("q in the picker did not quit")
		}
	})
}

func TestFeedOverflowBanner(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{})
		p := h.app.panes[0].(*consolePane)
		h.send(DataMsg{Feed: p.feed.ID(), Dropped: 150, Received: 250})
		if s := h.screen(); !strings.Contains(s, "150 bytes not shown") {
			t.Errorf("overflow not reported:\n%s", s)
		}
		if p.received != 250 {
			t.Errorf("received = %d, want 250", p.received)
		}
	})
}

func TestBracketedPaste(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{LineDelay: time.Second})
		h.send(tea.PasteMsg{Content: "show ver"})
		if got := h.con.Sent(); got != "show ver" {
			t.Errorf("one-line paste: device got %q, want %q", got, "show ver")
		}
		h.send(tea.PasteMsg{Content: "\nconf t\nhostname a\n"})
		time.Sleep(3 * time.Second)
		h.settle()
		if got, want := h.con.Sent(), "show ver\rconf t\rhostname a\r"; got != want {
			t.Errorf("multi-line paste: device got %q, want %q", got, want)
		}
	})
}

func TestOptionsValidate(t *testing.T) {
	open := func(context.Context, PortChoice) (Console, error) { return nil, nil }
	tests := []struct {
		name string
		o    Options
		want error
	}{
		{"empty", Options{}, ErrNothingToShow},
		{"console", Options{Console: newFakeConsole()}, nil},
		{"picker", Options{Open: open}, nil},
	}
	for _, tt := range tests {
		if got := tt.o.Validate(); !errors.Is(got, tt.want) {
			t.Errorf("%s: Validate() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
