package tui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"fieldcon/servers"
	"fieldcon/servers/director"
)

// fakeDirector is the server control of cmd/fieldcon with a director in
// it: it records what the pane asks, and its state changes through the
// same channel the real one closes.
type fakeDirector struct {
	*fakeServers
	prof *director.Profiles

	mu       sync.Mutex
	running  bool
	st       DirectorState
	changed  chan struct{}
	dcalls   []string
	startErr error
}

const fakeProfile = `director: {advertise-director: true}
default: {image: img-a.tar, config: seed.txt}
groups:
  - name: closet
    mac: [0011.2233.4401]
    image: c2960x-universalk9-tar.152-7.E10.tar
    config: closet.txt
  - name: closet-stack
    stack:
      - {member: 1, family: "3750", ports: 24poe, image: s1.tar}
      - {member: 2, family: "3750", ports: 24poe, image: s2.tar}
    config: stack.txt
`

// directorClients are three switches: one provisioned, one on the hold
// list, and a stack whose image failed.
func directorClients() []director.Client {
	ip := netip.MustParseAddr
	return []director.Client{
		{Index: 1, MAC: "0011.2233.4401", IP: ip("10.99.0.100"), Hostname: "sw1", PID: "WS-C2960X-24TS-L", Type: director.TypeSmart, Join: director.JoinAllowed,
			Group: "closet", Method: "zero-touch", LastSeen: testClock,
			Image:  director.Artifact{Files: []string{"images/c2960x-universalk9-tar.152-7.E10.tar"}, Got: []string{"images/c2960x-universalk9-tar.152-7.E10.tar"}, State: director.Done},
			Config: director.Artifact{Files: []string{"images/closet.txt"}, Got: []string{"images/closet.txt"}, State: director.Done},
			Backup: director.Backup{Done: true, File: "backups/sw1-0011.2233.4401.REV2", MD5: "0CC175B9C0F1B6A831C399E269772661"}},
		{Index: 2, MAC: "0011.2233.4402", IP: ip("10.99.0.101"), PID: "WS-C2960X-48FPD-L", Type: director.TypePending, Join: director.JoinHeld, LastSeen: testClock},
		{Index: 3, MAC: "0011.2233.4403", IP: ip("10.99.0.102"), Hostname: "stack-a", PID: "WS-C3750-24PS-S", Type: director.TypeSmart, Join: director.JoinAllowed,
			Members: []director.StackMember{{Number: 1, PID: "WS-C3750-24PS-S"}, {Number: 2, PID: "WS-C3750-24PS-S"}},
			Group:   "closet-stack", Method: "zero-touch", LastSeen: testClock.Add(-10 * time.Minute),
			Image: director.Artifact{Files: []string{"images/s1.tar", "images/s2.tar"}, Got: []string{"images/s1.tar"}, State: director.Failed, Fail: "10.99.0.102 images/s2.tar: the device gave up: \"timeout\""}},
	}
}

func newFakeDirector(t *testing.T, hook servers.Hook) *fakeDirector {
	p, err := director.Parse("director.yaml", []byte(fakeProfile))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeDirector{fakeServers: &fakeServers{hook: hook}, prof: p, changed: make(chan struct{})}
}

func (f *fakeDirector) DirectorSetting() (string, string) {
	return "Director on interface: ", "eth1"
}

func (f *fakeDirector) StartDirector(ctx context.Context, setting string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dcalls = append(f.dcalls, "start "+setting)
	if f.startErr != nil {
		return f.startErr
	}
	f.running = true
	f.st = DirectorState{Address: "10.99.0.1", Interface: setting, Now: testClock, Keepalive: time.Minute,
		Window: "closed (closed by hand)", Reasons: map[director.MAC]director.Resolution{}, Plans: map[director.MAC]director.Plan{}}
	return nil
}

func (f *fakeDirector) StopDirector(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dcalls = append(f.dcalls, "stop")
	f.running = false
	return nil
}

func (f *fakeDirector) Director() (DirectorState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st, f.running
}

func (f *fakeDirector) DirectorChanged() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.running {
		return nil
	}
	return f.changed
}

// setClients replaces the client table as a running director would, and
// says so.
func (f *fakeDirector) setClients(cs []director.Client) {
	f.mu.Lock()
	f.st.Clients = cs
	for _, c := range cs {
		f.st.Reasons[c.MAC] = f.prof.Resolve(c.Facts())
	}
	f.st.Plans["0011.2233.4402"] = director.Plan{Reason: "the join window is open in manual mode: held for approval"}
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

func (f *fakeDirector) SetJoinWindow(open bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dcalls = append(f.dcalls, fmt.Sprint("window open=", open))
	f.st.WindowOpen = open
	f.st.Window = map[bool]string{true: "open (opened by hand)", false: "closed (closed by hand)"}[open]
	return nil
}

func (f *fakeDirector) SetJoinMode(manual bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dcalls = append(f.dcalls, fmt.Sprint("manual=", manual))
	f.st.Manual = manual
	return nil
}

func (f *fakeDirector) Approve(mac director.MAC) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dcalls = append(f.dcalls, "approve "+string(mac))
	for i := range f.st.Clients {
		if f.st.Clients[i].MAC == mac {
			f.st.Clients[i].Join = director.JoinAllowed
		}
	}
	return nil
}

func (f *fakeDirector) Question(op director.Operation, mac director.MAC) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.st.Clients {
		if c.MAC == mac {
			r := director.Request{Op: op, Target: c.IP, Server: netip.MustParseAddr("10.99.0.1"), File: director.UploadName(c)}
			return r.Describe(c.Hostname + ", " + string(c.MAC)), nil
		}
	}
	return "", errors.New("no such switch")
}

func (f *fakeDirector) Operate(ctx context.Context, op director.Operation, mac director.MAC, question string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dcalls = append(f.dcalls, fmt.Sprintf("%s %s: %s", op, mac, question))
	return "Sent; " + string(mac) + " now uploads its configuration.", nil
}

func (f *fakeDirector) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.dcalls...)
}

// directorHarness is a harness on the Director tab; built inside the
// synctest bubble.
func directorHarness(t *testing.T, w, h int) (*harness, *fakeDirector) {
	hook, ch, _ := servers.Channel(256)
	fd := newFakeDirector(t, hook)
	hs := newHarness(t, w, h, Options{Servers: fd, ServerEvents: ch})
	hs.press("ctrl+t", "5")
	return hs, fd
}

// startWith starts the director through the pane and fills its table.
func startWith(h *harness, fd *fakeDirector, cs []director.Client) {
	h.press("s", "enter")
	fd.setClients(cs)
	h.settle()
}

func TestDirectorPaneGolden(t *testing.T) {
	tests := []struct {
		name string
		do   func(h *harness, fd *fakeDirector)
	}{
		{"stopped", func(h *harness, fd *fakeDirector) {}},
		{"start_dialog", func(h *harness, fd *fakeDirector) { h.press("s") }},
		{"empty_window_closed", func(h *harness, fd *fakeDirector) { startWith(h, fd, nil) }},
		{"clients_reasoning", func(h *harness, fd *fakeDirector) {
			startWith(h, fd, directorClients())
			h.press("w")
		}},
		{"held_selected", func(h *harness, fd *fakeDirector) {
			startWith(h, fd, directorClients())
			h.press("m", "down")
		}},
		{"failed_stack_selected", func(h *harness, fd *fakeDirector) {
			startWith(h, fd, directorClients())
			h.press("down", "down")
		}},
		{"backup_confirmation", func(h *harness, fd *fakeDirector) {
			startWith(h, fd, directorClients())
			h.press("b")
		}},
	}
	for _, tt := range tests {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, sz.w, sz.h), func(t *testing.T) {
				run(t, func(t *testing.T) {
					h, fd := directorHarness(t, sz.w, sz.h)
					tt.do(h, fd)
					view := ansi.Strip(h.app.Render())
					checkScreen(t, view, sz.w, sz.h)
					golden.RequireEqual(t, view)
				})
			})
		}
	}
}

// Every on-demand operation waits for a confirmation that names the
// switch; declining sends nothing.
func TestDirectorPaneConfirmsOperations(t *testing.T) {
	tests := []struct {
		key     string
		answer  string
		wantOp  string // "" when nothing may be sent
		wantAsk string
	}{
		{"p", "y", "probe 0011.2233.4401", "Probe 10.99.0.100 (sw1, 0011.2233.4401) on TCP 4786"},
		{"c", "n", "", "fetch the configuration"},
		{"i", "esc", "", "install the image(s)"},
		{"b", "enter", "backup 0011.2233.4401", "upload its running configuration to tftp://10.99.0.1/backups/sw1"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"_"+tt.answer, func(t *testing.T) {
			run(t, func(t *testing.T) {
				h, fd := directorHarness(t, 120, 40)
				startWith(h, fd, directorClients())
				h.press(tt.key)
				// The question wraps at the screen's width.
				if s := strings.Join(strings.Fields(h.screen()), " "); !strings.Contains(s, tt.wantAsk) || !strings.Contains(s, "y send it · n cancel") {
					t.Fatalf("after %s the screen does not ask %q:\n%s", tt.key, tt.wantAsk, s)
				}
				if n := len(fd.Calls()); n != 1 {
					t.Fatalf("something was sent before the answer: %q", fd.Calls())
				}
				h.press(tt.answer)
				calls := fd.Calls()[1:]
				switch {
				case tt.wantOp == "" && len(calls) != 0:
					t.Errorf("answer %s sent %q, want nothing", tt.answer, calls)
				case tt.wantOp != "" && (len(calls) != 1 || !strings.HasPrefix(calls[0], tt.wantOp+": ") || !strings.Contains(calls[0], tt.wantAsk)):
					t.Errorf("answer %s sent %q, want %s with the question shown", tt.answer, calls, tt.wantOp)
				}
				if tt.wantOp == "" && !strings.Contains(h.screen(), "Nothing was sent.") {
					t.Errorf("declining does not say nothing was sent:\n%s", h.screen())
				}
			})
		})
	}
}

func TestDirectorPaneHoldListAndWindow(t *testing.T) {
	run(t, func(t *testing.T) {
		h, fd := directorHarness(t, 120, 40)
		h.press("w") // not running yet
		if s := h.screen(); !strings.Contains(s, "the director is not running; s starts it") {
			t.Errorf("w without a director:\n%s", s)
		}
		startWith(h, fd, directorClients())
		h.press("a") // sw1 is not held
		if s := h.screen(); !strings.Contains(s, "0011.2233.4401 is not on the hold list") {
			t.Errorf("approving a switch that is not held:\n%s", s)
		}
		h.press("down", "a", "w", "m", "s")
		want := []string{"start eth1", "approve 0011.2233.4402", "window open=true", "manual=true", "stop"}
		if got := fd.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("calls = %q, want %q", got, want)
		}
		if s := h.screen(); !strings.Contains(s, "○ Director stopped") {
			t.Errorf("after stopping:\n%s", s)
		}
	})
}

func TestDirectorPaneStartFails(t *testing.T) {
	run(t, func(t *testing.T) {
		h, fd := directorHarness(t, 80, 24)
		fd.startErr = errors.New("another DHCP server answers on eth1: server 10.99.0.254")
		h.press("s", "enter")
		if s := h.screen(); !strings.Contains(s, "✗ Director started: another DHCP server answers on eth1") || !strings.Contains(s, "○ Director stopped") {
			t.Errorf("a refused start:\n%s", s)
		}
	})
}

// TestProgramDirector drives a running program: start the director, see
// switches arrive, back one up after confirming.
func TestProgramDirector(t *testing.T) {
	hook, ch, _ := servers.Channel(256)
	fd := newFakeDirector(t, hook)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := New(Options{Ctx: ctx, Console: newFakeConsole(), Port: "/dev/ttyUSB0", Servers: fd, ServerEvents: ch})
	tm := startProgram(t, app, 120, 40)
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("5"))
	waitScreen(t, tm, "○ Director stopped")
	tm.Send(keyPress("s"))
	waitScreen(t, tm, "Director on interface: eth1")
	tm.Send(keyPress("enter"))
	waitScreen(t, tm, "● Director 10.99.0.1 on eth1")
	fd.setClients(directorClients())
	waitScreen(t, tm, "0011.2233.4402")
	waitScreen(t, tm, "* mac")
	tm.Send(keyPress("b"))
	waitScreen(t, tm, "Tell 10.99.0.100 (sw1, 0011.2233.4401) to upload its running configuration")
	tm.Send(keyPress("y"))
	waitScreen(t, tm, "Sent; 0011.2233.4401 now uploads its configuration.")
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitGuard))
	if calls := fd.Calls(); len(calls) != 2 || !strings.HasPrefix(calls[1], "backup 0011.2233.4401: ") {
		t.Errorf("calls = %q, want the start and one backup", calls)
	}
}
