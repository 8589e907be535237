package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/serialcon"
)

func recoverCommand() *command {
	var b strings.Builder
	b.WriteString(`fieldcon recover PLAYBOOK --port P [--baud N] [--image FILE] [--name NAME] [--fast] [--iface IF] [--laptop-ip A] [--listen-tftp H:P]
                 [--device-ip A] [--gateway A] [--password P] [--yes]
fieldcon recover --list

Runs a recovery playbook headless: fieldcon types the commands, transfers the
files and prints every step; when a human is needed (press MODE, power-cycle)
it asks on the terminal. The doctor explains every failure string the device
prints. Exit status 0 only when the device is verified recovered.

Flags:
  --port P       serial port of the console cable
  --baud N       console speed (default 9600)
  --image FILE   the image to install
  --name NAME    file name in flash (default: the image's name)
  --fast         raise the console speed for XMODEM and restore it after
  --iface IF     laptop interface on the device's Ethernet cable (AP playbooks)
  --laptop-ip A  laptop address the device fetches from (default: the interface's)
  --listen-tftp H:P  TFTP listen address (default 0.0.0.0:69)
  --device-ip A  address the device takes while it fetches (ROMMON/loader TFTP;
                 default: the next one after the laptop's)
  --gateway A    default router the device is given (default: the laptop)
  --password P   password for the playbook (enable password for lap-upgrade,
                 default the factory Cisco; the new one for password
                 recovery). Better: set FIELDCON_PASSWORD, which stays out
                 of the process list and shell history
  --yes          confirm destructive steps without asking
  --list         list the playbooks

Playbooks:
`)
	for _, e := range recovery.Playbooks() {
		fmt.Fprintf(&b, "  %-18s %s (starts at: %s)\n", e.Name, e.Summary, strings.Join(e.StartsAt, ", "))
	}
	return &command{
		Name:    "recover",
		Summary: "run a recovery playbook headless (Catalyst XMODEM, …)",
		Usage:   b.String(),
		Run:     runRecover,
	}
}

func runRecover(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("recover")
	port := fs.String("port", "", "")
	baud := fs.Int("baud", 9600, "")
	image := fs.String("image", "", "")
	name := fs.String("name", "", "")
	fast := fs.Bool("fast", false, "")
	yes := fs.Bool("yes", false, "")
	list := fs.Bool("list", false, "")
	iface := fs.String("iface", "", "")
	laptop := fs.String("laptop-ip", "", "")
	listen := fs.String("listen-tftp", "", "")
	password := fs.String("password", "", "")
	deviceIP := fs.String("device-ip", "", "")
	gateway := fs.String("gateway", "", "")
	if err := parseFlags(e, "recover", fs, args); err != nil {
		return err
	}
	if *password == "" {
		// Keeps the password out of the process list and shell history.
		*password = os.Getenv("FIELDCON_PASSWORD")
	}
	if *list {
		for _, p := range recovery.Playbooks() {
			fmt.Fprintf(e.Stdout, "%-18s %s\n", p.Name, p.Title)
		}
		return nil
	}
	if fs.NArg() != 1 {
		return usageErr("recover", "name one playbook (fieldcon recover --list shows them)")
	}
	entry, ok := recovery.Lookup(fs.Arg(0))
	if !ok {
		return usageErr("recover", "no playbook %q (fieldcon recover --list shows them)", fs.Arg(0))
	}
	if *port == "" {
		return usageErr("recover", "--port is required")
	}
	pb, vars, err := entry.Build(recovery.Params{Image: *image, FlashName: *name, Fast: *fast,
		Iface: *iface, Laptop: *laptop, Listen: *listen, Password: *password},
		recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{}})
	if err != nil {
		return usageErr("recover", "%s", err)
	}
	for k, v := range map[string]string{"ip": *deviceIP, "gateway": *gateway} {
		if v == "" {
			continue
		}
		if _, err := netip.ParseAddr(v); err != nil {
			return usageErr("recover", "--%s: %q is not an IPv4 address", map[string]string{"ip": "device-ip", "gateway": "gateway"}[k], v)
		}
		vars[k] = v
	}
	ws, err := e.Workspace()
	if err != nil {
		return err
	}
	defer ws.Close()
	con, err := serialcon.OpenConsole(ctx, serialcon.Config{
		Path: *port, Settings: serialcon.DefaultSettings(*baud), LogDir: ws.Path("logs"),
	})
	if err != nil {
		return err
	}
	defer con.Close()
	fmt.Fprintf(e.Stdout, "console %s at %s, session log %s\n", *port, con.Settings(), con.LogPath())

	out := &lockedWriter{w: e.Stdout}
	doctor := recovery.NewDoctor(func(d recovery.Diagnosis) {
		fmt.Fprintf(out, "doctor: %s\n  device said: %s\n  source: %s\n", d, d.Line, d.Symptom.Source)
	})
	feed := make(chan []byte, 256)
	stopObs := con.Observe(func(ev serialcon.Event) {
		if ev.Kind == serialcon.EventData {
			select {
			case feed <- append([]byte(nil), ev.Data...):
			default: // the doctor may miss bytes under a flood; the console never waits for it
			}
		}
	})
	doctorDone := make(chan struct{})
	go func() {
		defer close(doctorDone)
		for b := range feed {
			doctor.Feed(b)
		}
	}()
	defer func() { stopObs(); close(feed); <-doctorDone }()

	lc := live.New(con)
	defer lc.Close()
	rn := &recovery.Runner{
		Console:  lc,
		Asker:    &terminalAsker{in: bufio.NewReader(e.Stdin), out: out},
		Yes:      *yes,
		Progress: progressPrinter(out),
	}
	err = rn.Run(ctx, pb, vars)
	if err != nil {
		return fmt.Errorf("%s failed: %w", pb.Name, err)
	}
	fmt.Fprintf(out, "%s: device verified recovered\n", pb.Title)
	return nil
}

// progressPrinter prints a run's progress as lines, transfer progress at
// most once a second.
func progressPrinter(w io.Writer) func(recovery.Progress) {
	var last time.Time
	return func(p recovery.Progress) {
		switch {
		case p.Transfer != nil:
			if time.Since(last) < time.Second && p.Transfer.Bytes < p.Transfer.Total {
				return
			}
			last = time.Now()
			pct := 0.0
			if p.Transfer.Total > 0 {
				pct = 100 * float64(p.Transfer.Bytes) / float64(p.Transfer.Total)
			}
			fmt.Fprintf(w, "  %s: %d/%d bytes (%.0f%%) %.0f B/s, %s left\n", p.StepName, p.Transfer.Bytes, p.Transfer.Total, pct, p.Transfer.Rate, p.Transfer.ETA.Round(time.Second))
		case p.Status == recovery.StepRunning && p.Message != "":
			fmt.Fprintf(w, "[%d] %s: %s\n", p.Step+1, p.StepName, p.Message)
		case p.Status == recovery.StepDone:
			fmt.Fprintf(w, "[%d] %s: done\n", p.Step+1, p.StepName)
		case p.Message != "":
			fmt.Fprintf(w, "%s: %s\n", p.State, p.Message)
		}
	}
}

// terminalAsker asks the technician on the terminal.
type terminalAsker struct {
	in  *bufio.Reader
	out io.Writer
}

func (a *terminalAsker) Ask(ctx context.Context, q recovery.Question) (string, error) {
	choices := q.Choices
	if len(choices) == 0 {
		choices = []string{"OK"}
	}
	fmt.Fprintf(a.out, "\n>>> %s\n", q.Prompt)
	for i, c := range choices {
		fmt.Fprintf(a.out, "    %d) %s\n", i+1, c)
	}
	fmt.Fprintf(a.out, "    choice [1]: ")
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := a.in.ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case ans := <-ch:
		line := strings.TrimSpace(ans.line)
		if ans.err != nil && line == "" {
			if errors.Is(ans.err, io.EOF) {
				return "", fmt.Errorf("%w: no answer on standard input to %q", recovery.ErrDeclined, q.Prompt)
			}
			return "", ans.err
		}
		if line == "" {
			return choices[0], nil
		}
		for i, c := range choices {
			if line == fmt.Sprint(i+1) || strings.EqualFold(line, c) {
				return c, nil
			}
		}
		return "", fmt.Errorf("%w: answer %q is none of %v", recovery.ErrDeclined, line, choices)
	}
}

// lockedWriter serialises lines from the run and the doctor.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
