package tui

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// waitGuard only stops a hung test; the conditions are met in milliseconds.
const waitGuard = 20 * time.Second

// screenModel runs an App and keeps a copy of its screen after every
// update, so tests can wait on what the technician sees rather than on
// the renderer's escape-sequence stream.
type screenModel struct {
	app    *App
	screen *atomic.Value
}

func (m screenModel) Init() tea.Cmd { return m.app.Init() }

func (m screenModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.app.Update(msg)
	m.screen.Store(ansi.Strip(m.app.Render()))
	return m, cmd
}

func (m screenModel) View() tea.View { return m.app.View() }

// teaRun is a program under teatest with a view of its screen.
type teaRun struct {
	*teatest.TestModel
	screen *atomic.Value
}

func startProgram(t *testing.T, app *App, w, h int) *teaRun {
	t.Helper()
	screen := &atomic.Value{}
	screen.Store("")
	tm := teatest.NewTestModel(t, screenModel{app: app, screen: screen}, teatest.WithInitialTermSize(w, h))
	return &teaRun{TestModel: tm, screen: screen}
}

func newTeaTest(t *testing.T) (*teaRun, *App, *fakeConsole) {
	t.Helper()
	con := newFakeConsole()
	con.device = catalystLoader
	con.transcript = []byte("\r\nswitch: ")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := New(Options{Ctx: ctx, Console: con, Port: "/dev/ttyUSB0"})
	return startProgram(t, app, 80, 24), app, con
}

// waitScreen waits until the screen shows want; the deadline only stops a
// hung test.
func waitScreen(t *testing.T, tm *teaRun, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitGuard)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s := tm.screen.Load().(string)
		if strings.Contains(s, want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("screen never showed %q; last screen:\n%s", want, s)
		case <-tick.C:
		}
	}
}

func TestProgramTypeAndSeeDevice(t *testing.T) {
	tm, _, con := newTeaTest(t)
	waitScreen(t, tm, "switch:")
	tm.Type("dir flash:")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitScreen(t, tm, "c2960-lanbasek9-mz.150-2.SE11")
	if got, want := con.Sent(), "dir flash:\r"; got != want {
		t.Errorf("device got %q, want %q", got, want)
	}
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitGuard))
}

func TestProgramHelp(t *testing.T) {
	tm, _, _ := newTeaTest(t)
	waitScreen(t, tm, "switch:")
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("?"))
	waitScreen(t, tm, "help and command menu")
	tm.Send(keyPress("esc"))
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitGuard))
}

func TestProgramQuitRestoresTerminalAndClosesPort(t *testing.T) {
	tm, app, con := newTeaTest(t)
	waitScreen(t, tm, "switch:")
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(waitGuard))
	if m, ok := final.(screenModel); !ok || m.app != app {
		t.Fatalf("FinalModel() = %T, want the App", final)
	}
	if err := app.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if !con.Closed() {
		t.Error("the port is still open after quitting")
	}
	var out bytes.Buffer
	out.ReadFrom(tm.FinalOutput(t))
	// The last thing written leaves the alternate screen and shows the
	// cursor again: the technician's shell comes back as it was.
	tail := out.String()
	if i := strings.LastIndex(tail, ansi.SetModeAltScreenSaveCursor); i >= 0 {
		tail = tail[i:]
	}
	if !strings.Contains(tail, ansi.ResetModeAltScreenSaveCursor) {
		t.Errorf("output does not leave the alternate screen at the end: %q", tail)
	}
}
