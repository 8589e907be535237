//go:build unix

package tui

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"fieldcon/internal/devsim"
	"fieldcon/serialcon"
)

// TestProgramOnSimulatedSwitch runs the TUI on the real console engine over
// the simulated serial line to a Catalyst boot loader.
func TestProgramOnSimulatedSwitch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := devsim.Start(ctx, devsim.Options{Profile: "catalyst", Baud: 115200, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("devsim.Start: %v", err)
	}
	defer sim.Close()
	con, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: sim.HostPath(), Settings: serialcon.DefaultSettings(115200)})
	if err != nil {
		t.Fatalf("OpenConsole: %v", err)
	}
	app := New(Options{Ctx: ctx, Console: con, Port: sim.HostPath()})
	tm := startProgram(t, app, 100, 30)
	waitScreen(t, tm, "switch:")
	tm.Type("version")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitScreen(t, tm, "C2960 Boot Loader")
	waitScreen(t, tm, "switch-loader") // the prompt kind in the status bar
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitGuard))
	if err := app.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if st := con.State(); st != serialcon.StateClosed {
		t.Errorf("console state after quitting = %v, want closed", st)
	}
}
