package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fieldcon/internal/devsim"
	"fieldcon/serialcon"
)

func simCommand() *command {
	var b strings.Builder
	b.WriteString(`fieldcon sim --device NAME [--baud N] [--boot-missing] [--headless | --plain]

Runs a simulated Cisco device on a new pseudo-terminal, behind a serial line
that carries bytes no faster than the configured speed and garbles them when
the two ends disagree on it, like a real console cable. No hardware, no root.

  --device NAME   the device to play (see below)
  --baud N        the device's console speed at power-on (default 9600)
  --boot-missing  catalyst only: BOOT names an IOS image that is not in
                  flash, as on a switch whose image was deleted: it fails
                  to boot at power-on and stops at switch:
  --headless      print the port path as the first line and run until
                  interrupted, for tests and other terminal programs;
                  without it, fieldcon's console opens on the port
  --plain         open the line-mode console instead of the full-screen one

Devices:
`)
	for _, n := range devsim.ProfileNames() {
		fmt.Fprintf(&b, "  %-10s %s\n", n, devsim.ProfileSummary(n))
	}
	return &command{
		Name:    "sim",
		Summary: "run a simulated Cisco device on a pseudo-terminal (no hardware needed)",
		Usage:   b.String(),
		Run:     runSim,
	}
}

// missingBootImage is the image --boot-missing points BOOT at: a real
// 2960 name, so the loader's error reads like the field's.
const missingBootImage = "c2960-lanbasek9-mz.150-2.SE11.bin"

func runSim(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("sim")
	device := fs.String("device", "", "")
	baud := fs.Int("baud", 9600, "")
	headless := fs.Bool("headless", false, "")
	plain := fs.Bool("plain", false, "")
	bootMissing := fs.Bool("boot-missing", false, "")
	if err := parseFlags(e, "sim", fs, args); err != nil {
		return err
	}
	names := devsim.ProfileNames()
	switch {
	case fs.NArg() > 0:
		return usageErr("sim", "unexpected argument %q", fs.Arg(0))
	case *device == "":
		return usageErr("sim", "say which device to simulate with --device: %s", strings.Join(names, ", "))
	case !slices.Contains(names, *device):
		return usageErr("sim", "unknown device %q; choose one of: %s", *device, strings.Join(names, ", "))
	case *baud <= 0:
		return usageErr("sim", "--baud %d is not a speed; Cisco consoles use 9600 (default) up to 115200", *baud)
	case *bootMissing && *device != "catalyst":
		return usageErr("sim", "--boot-missing is for --device catalyst")
	}
	o := devsim.Options{Profile: *device, Baud: *baud}
	if *bootMissing {
		o.Env = map[string]string{"BOOT": "flash:" + missingBootImage}
	}
	s, err := devsim.Start(ctx, o)
	if err != nil {
		return fmt.Errorf("start the simulated %s: %w", *device, err)
	}
	defer s.Close()
	// The path comes first and alone on its line: scripts read it.
	fmt.Fprintln(e.Stdout, s.HostPath())
	if !*headless && !*plain {
		return runTUI(ctx, e, tuiOptions{Port: s.HostPath(), Baud: strconv.Itoa(*baud), Simulated: *device})
	}
	if !*headless {
		fmt.Fprintf(e.Stderr, "simulated %s at %d baud on %s; ~. or Ctrl-C quits\n", *device, *baud, s.HostPath())
		return plainConsole(ctx, e, serialcon.Config{Path: s.HostPath(), Settings: serialcon.DefaultSettings(*baud)})
	}
	fmt.Fprintf(e.Stderr, "simulated %s at %d baud on %s; press Ctrl-C to stop\n", *device, *baud, s.HostPath())
	select {
	case <-ctx.Done():
		return nil
	case <-s.Done():
		if err := s.Close(); err != nil {
			return err
		}
		return fmt.Errorf("the simulated %s stopped", *device)
	}
}
