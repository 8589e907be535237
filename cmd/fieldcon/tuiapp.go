package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"fieldcon/internal/devsim"
	"fieldcon/internal/workspace"
	"fieldcon/serialcon"
	"fieldcon/tui"
)

// tuiOptions is how `console` and `sim` start the TUI.
type tuiOptions struct {
	// Port is opened at once; "" shows the port picker.
	Port string
	// Baud is "" (9600), "auto" or a speed.
	Baud string
	// Simulated names the simulated device on Port, for the log ("" for a
	// real port).
	Simulated string
	// NoLog keeps no session log (console --log=false).
	NoLog bool
}

// parseBaud reads --baud: "" is Cisco's 9600, "auto" is 0.
func parseBaud(s string) (int, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return 9600, nil
	case "auto":
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 50 || n > 4000000 {
		return 0, fmt.Errorf("--baud %q: give a speed such as 9600 or 115200, or auto", s)
	}
	return n, nil
}

// runTUI runs the full-screen console until the technician quits, then
// closes the port; Bubble Tea restores the terminal.
func runTUI(ctx context.Context, e *Env, opts tuiOptions) error {
	baud, err := parseBaud(opts.Baud)
	if err != nil {
		return usageErr("console", "%s", err)
	}
	ws, err := e.Workspace()
	if err != nil {
		return err
	}
	defer ws.Close()
	logger, closeLog := tuiLogger(ws)
	defer closeLog()

	logDir := ws.Path(workspace.Logs)
	if opts.NoLog {
		logDir = ""
	}
	open := func(ctx context.Context, c tui.PortChoice) (tui.Console, error) {
		b := c.Baud
		if b == 0 {
			b = 9600 // auto: open somewhere, then detect
		}
		con, err := serialcon.OpenConsole(ctx, serialcon.Config{
			Path:     c.Port,
			Settings: serialcon.DefaultSettings(b),
			LogDir:   logDir,
			Logger:   logger.With("component", "serialcon"),
		})
		if err != nil {
			return nil, err
		}
		return con, nil
	}
	prefsPath := ws.Path(tui.PrefsFile)
	prefs, err := tui.LoadPrefs(prefsPath)
	if err != nil {
		logger.Warn("forgetting the last port choice", "err", err)
	}
	o := tui.Options{
		Ctx:       ctx,
		Open:      open,
		StartSim:  startSimulator(open),
		PrefsPath: prefsPath,
		Prefs:     prefs,
		Logger:    logger,
	}
	if opts.Port != "" {
		con, err := open(ctx, tui.PortChoice{Port: opts.Port, Baud: baud})
		if err != nil {
			return err
		}
		o.Console, o.Port, o.AutoBaud = con, opts.Port, baud == 0
		logger.Info("console opened", "port", opts.Port, "baud", baud, "simulated", opts.Simulated)
	}

	if err := o.Validate(); err != nil {
		return err
	}
	app := tui.New(o)
	p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithInput(e.Stdin), tea.WithOutput(e.Stdout))
	_, runErr := p.Run()
	closeErr := app.Close()
	if errors.Is(runErr, tea.ErrProgramKilled) && ctx.Err() != nil {
		runErr = ctx.Err()
	}
	if runErr != nil {
		return fmt.Errorf("console screen: %w", runErr)
	}
	if closeErr != nil {
		return fmt.Errorf("closing the port: %w", closeErr)
	}
	return nil
}

// simConsole is a console on the simulator that stops it when closed.
type simConsole struct {
	*serialcon.Console
	sim *devsim.Sim
}

func (s simConsole) Close() error {
	return errors.Join(s.Console.Close(), s.sim.Close())
}

// startSimulator offers the simulated Catalyst when no cable is plugged in.
func startSimulator(open tui.Opener) tui.SimStarter {
	return func(ctx context.Context) (tui.Console, string, error) {
		// The simulator lives until the console on it is closed, not just
		// for the command that starts it.
		sim, err := devsim.Start(context.WithoutCancel(ctx), devsim.Options{Profile: "catalyst"})
		if err != nil {
			return nil, "", err
		}
		con, err := open(ctx, tui.PortChoice{Port: sim.HostPath(), Baud: 9600})
		if err != nil {
			sim.Close()
			return nil, "", err
		}
		return simConsole{Console: con.(*serialcon.Console), sim: sim}, sim.HostPath(), nil
	}
}

// tuiLogger logs to logs/tui.log in the workspace: the TUI owns the
// terminal, so diagnostics go to a file (the device transcript is the
// session log, separate).
func tuiLogger(ws *workspace.Workspace) (*slog.Logger, func()) {
	f, err := os.OpenFile(filepath.Join(ws.Path(workspace.Logs), "tui.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return slog.New(slog.DiscardHandler), func() {}
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }
}
