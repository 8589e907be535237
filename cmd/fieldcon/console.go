package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"fieldcon/internal/workspace"
	"fieldcon/serialcon"
)

func consoleCommand() *command {
	return &command{
		Name:    "console",
		Summary: "serial console: fieldcon console [--port P] [--baud N|auto] [--plain]",
		Usage: `fieldcon console [--port P] [--baud N|auto] [--log=false] [--plain]

Opens fieldcon's full-screen console on port P, or its port picker without
--port; ctrl-t ? lists its commands (break, speed, log, search, paste, quit).

With --plain, opens a line-mode console on port P instead: each line you type is sent with a
carriage return, device output is printed as it arrives, Ctrl-C quits. If the
USB cable is pulled, the console says so and carries on when the same cable is
plugged back in. Lines starting with ~ are for fieldcon, not the device:
  ~b         send a break (stops a router's boot: ROMMON)
  ~B         send a break every 500 ms for 60 s (power the router on now);
             the next Enter stops it
  ~baud N    change the speed on this side
  ~.         quit

Flags:
  --port P        serial port, see fieldcon ports (default: the only console
                  cable plugged in)
  --baud N|auto   speed (default 9600); auto tries 9600, 115200, 57600, 38400
                  and 19200 and keeps the one that answers with a prompt
  --log           keep a session log in the workspace logs/ folder (default
                  true; --log=false for none)
  --plain         the line-mode console instead of the full-screen one
`,
		Run: runConsole,
	}
}

func runConsole(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("console")
	port := fs.String("port", "", "")
	baud := fs.String("baud", "9600", "")
	logOn := fs.Bool("log", true, "")
	plain := fs.Bool("plain", false, "")
	if err := parseFlags(e, "console", fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("console", "unexpected argument %q", fs.Arg(0))
	}
	if !*plain {
		return runTUI(ctx, e, tuiOptions{Port: *port, Baud: *baud, NoLog: !*logOn})
	}
	cfg := serialcon.Config{Path: *port}
	switch {
	case *baud == "auto":
		// Baud 0 tells plainConsole to detect the speed.
	default:
		n, err := strconv.Atoi(*baud)
		if err != nil || n <= 0 {
			return usageErr("console", "--baud wants a speed such as 9600 or 115200, or auto; got %q", *baud)
		}
		cfg.Settings = serialcon.DefaultSettings(n)
	}
	if cfg.Path == "" {
		p, err := onlyConsoleCable()
		if err != nil {
			return usageErr("console", "%v", err)
		}
		cfg.Path = p
	}
	if *logOn {
		ws, err := e.Workspace()
		if err != nil {
			return err
		}
		defer ws.Close()
		cfg.LogDir = ws.Path(workspace.Logs)
	}
	return plainConsole(ctx, e, cfg)
}

// onlyConsoleCable picks the port when exactly one console cable is plugged
// in; the TUI's port picker replaces this.
func onlyConsoleCable() (string, error) {
	ps, err := serialcon.Ports()
	if err != nil {
		return "", fmt.Errorf("give the port with --port (cannot list ports: %v)", err)
	}
	var likely []string
	for _, p := range ps {
		if p.LikelyConsole {
			likely = append(likely, p.Path)
		}
	}
	switch len(likely) {
	case 1:
		return likely[0], nil
	case 0:
		return "", errors.New("no console cable found; plug it in, or give the port with --port (fieldcon ports lists them)")
	}
	return "", fmt.Errorf("several console cables are plugged in (%s); choose one with --port", strings.Join(likely, ", "))
}

// plainConsole runs a line-mode console on cfg until ctx ends, stdin ends or
// the technician types ~. — the console of `fieldcon console` and, until the
// TUI arrives, of `fieldcon sim`. cfg.Settings.Baud == 0 means detect the
// speed first. Device output goes to e.Stdout as it arrives, fieldcon's own
// notes to e.Stderr.
func plainConsole(ctx context.Context, e *Env, cfg serialcon.Config) error {
	detect := cfg.Settings.Baud == 0
	if detect || cfg.Settings == (serialcon.Settings{}) {
		cfg.Settings = serialcon.DefaultSettings(9600)
	}
	c, err := serialcon.OpenConsole(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()

	out := newOutputPump(e.Stdout, e.Stderr)
	defer out.stop()
	c.Observe(out.observe)

	if detect {
		fmt.Fprintf(e.Stderr, "fieldcon: finding the speed of %s…\n", cfg.Path)
		b, err := c.DetectBaud(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "fieldcon: %s answers at %d baud\n", cfg.Path, b)
	}
	fmt.Fprintf(e.Stderr, "fieldcon: connected to %s at %s; type a line and Enter to send it, ~. or Ctrl-C to quit\n", c.Path(), c.Settings())
	if p := c.LogPath(); p != "" {
		fmt.Fprintf(e.Stderr, "fieldcon: session log %s\n", p)
	}

	lines := make(chan string)
	inputDone := make(chan error, 1)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		// This goroutine may stay blocked on a terminal read after the
		// console ends; the process exits right after.
		sc := bufio.NewScanner(e.Stdin)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-quit:
				return
			}
		}
		inputDone <- sc.Err()
	}()

	var stopBreaks context.CancelFunc
	defer func() {
		if stopBreaks != nil {
			stopBreaks()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-inputDone:
			return err
		case line := <-lines:
			if stopBreaks != nil {
				stopBreaks()
				stopBreaks = nil
				if line == "" {
					continue
				}
			}
			quit, err := consoleLine(ctx, e, c, line, &stopBreaks)
			if quit {
				return nil
			}
			if err != nil {
				fmt.Fprintf(e.Stderr, "fieldcon: %v\n", err)
			}
		}
	}
}

// consoleLine sends one typed line or runs a ~ command; it reports whether
// the technician asked to quit.
func consoleLine(ctx context.Context, e *Env, c *serialcon.Console, line string, stopBreaks *context.CancelFunc) (bool, error) {
	switch {
	case line == "~.":
		return true, nil
	case line == "~b":
		return false, c.SendBreak(serialcon.BreakDuration)
	case line == "~B":
		bctx, cancel := context.WithCancel(ctx)
		*stopBreaks = cancel
		fmt.Fprintln(e.Stderr, "fieldcon: sending a break every 500 ms for 60 s; power the device on now, press Enter to stop")
		go func() {
			err := c.BreakRepeat(bctx, 500*time.Millisecond, time.Minute)
			if err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(e.Stderr, "fieldcon: %v\n", err)
			}
		}()
		return false, nil
	case strings.HasPrefix(line, "~baud "):
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "~baud ")))
		if err != nil {
			return false, fmt.Errorf("~baud wants a number such as 9600 or 115200")
		}
		if err := c.SetBaud(n); err != nil {
			return false, err
		}
		fmt.Fprintf(e.Stderr, "fieldcon: now at %s\n", c.Settings())
		return false, nil
	}
	return false, c.SendLine(line)
}

// outputPump moves console output to a writer without ever blocking the
// console's reader: observers must not block, a terminal may.
type outputPump struct {
	stdout, stderr io.Writer
	wake           chan struct{}
	done           chan struct{}
	finished       chan struct{}

	mu      sync.Mutex
	buf     []byte
	notes   []string
	dropped int
}

// pumpMax bounds output waiting for a stuck terminal.
const pumpMax = 1 << 20

func newOutputPump(stdout, stderr io.Writer) *outputPump {
	p := &outputPump{stdout: stdout, stderr: stderr, wake: make(chan struct{}, 1), done: make(chan struct{}), finished: make(chan struct{})}
	go p.run()
	return p
}

func (p *outputPump) observe(ev serialcon.Event) {
	p.mu.Lock()
	switch ev.Kind {
	case serialcon.EventData:
		if len(p.buf)+len(ev.Data) > pumpMax {
			p.dropped += len(ev.Data)
		} else {
			p.buf = append(p.buf, ev.Data...)
		}
	case serialcon.EventDisconnected:
		p.notes = append(p.notes, fmt.Sprintf("the console cable is gone (%v); plug it back in, fieldcon is waiting for it", ev.Err))
	case serialcon.EventReconnected:
		p.notes = append(p.notes, fmt.Sprintf("reconnected to %s at %s", ev.Text, ev.Settings))
	case serialcon.EventBreak:
		p.notes = append(p.notes, fmt.Sprintf("break sent (%s)", ev.Duration))
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *outputPump) run() {
	defer close(p.finished)
	for {
		select {
		case <-p.wake:
		case <-p.done:
			p.flush()
			return
		}
		p.flush()
	}
}

func (p *outputPump) flush() {
	p.mu.Lock()
	buf, notes, dropped := p.buf, p.notes, p.dropped
	p.buf, p.notes, p.dropped = nil, nil, 0
	p.mu.Unlock()
	if len(buf) > 0 {
		p.stdout.Write(buf)
	}
	if dropped > 0 {
		fmt.Fprintf(p.stderr, "\nfieldcon: %d bytes of output skipped: the terminal could not keep up\n", dropped)
	}
	for _, n := range notes {
		fmt.Fprintf(p.stderr, "\nfieldcon: %s\n", n)
	}
}

func (p *outputPump) stop() {
	close(p.done)
	<-p.finished
}
