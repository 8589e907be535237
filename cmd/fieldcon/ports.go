package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"fieldcon/serialcon"
)

func portsCommand() *command {
	return &command{
		Name:    "ports",
		Summary: "list serial ports and USB console cables",
		Usage: `fieldcon ports [--json]

Lists every serial port with its USB identity (VID:PID, serial number),
manufacturer and product, and the chipset of the cable: FTDI, Prolific PL2303,
Silicon Labs CP210x (as in Cisco USB console cables), WCH CH340, or the Cisco
USB console port of the device itself. A "*" marks likely console cables.
No port is opened to find them.

Flags:
  --json   print a JSON list (path, vid, pid, serial, manufacturer, product,
           chipset, usb, likely_console) instead of a table
`,
		Run: runPorts,
	}
}

func runPorts(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("ports")
	asJSON := fs.Bool("json", false, "")
	if err := parseFlags(e, "ports", fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("ports", "unexpected argument %q", fs.Arg(0))
	}
	ps, err := serialcon.Ports()
	if err != nil {
		return fmt.Errorf("cannot list serial ports: %w", err)
	}
	if *asJSON {
		if ps == nil {
			ps = []serialcon.PortInfo{}
		}
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ps)
	}
	if len(ps) == 0 {
		fmt.Fprintln(e.Stdout, "No serial ports found. Plug in the console cable; if it still does not show, try another USB port or cable (some cables need a driver on Windows and macOS).")
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PORT\tCHIPSET\tVID:PID\tSERIAL\tPRODUCT")
	for _, p := range ps {
		mark := " "
		if p.LikelyConsole {
			mark = "*"
		}
		id := ""
		if p.VID != "" {
			id = p.VID + ":" + p.PID
		}
		product := p.Product
		if p.Manufacturer != "" && product != "" {
			product = p.Manufacturer + " " + product
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\n", mark, p.Path, dash(p.Chipset), dash(id), dash(p.Serial), dash(product))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
