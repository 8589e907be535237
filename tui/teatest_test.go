package tui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// waitGuard only stops a hung test; the conditions are met in milliseconds.
const waitGuard = 20 * time.Second

func newTeaTest(t *testing.T) (*teatest.TestModel, *App, *fakeConsole) {
	t.Helper()
	con := newFakeConsole()
	con.device = catalystLoader
	con.transcript = []byte("\r\nswitch: ")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := New(Options{Ctx: ctx, Console: con, Port: "/dev/ttyUSB0"})
	t.Cleanup(func() { app.Close() })
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(80, 24))
	return tm, app, con
}

// waitScreen waits until the program has drawn want.
func waitScreen(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return strings.Contains(ansi.Strip(string(b)), want)
	}, teatest.WithDuration(waitGuard), teatest.WithCheckInterval(10*time.Millisecond))
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
	if final != app {
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
