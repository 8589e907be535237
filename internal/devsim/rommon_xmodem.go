package devsim

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"fieldcon/xmodem"
)

// Router ROMMON `xmodem [-cyrxs] <file>` (Cisco doc 15085, field notes
// §2(c)): a real XMODEM (or, with -y, YMODEM) receive over the console into
// flash, after the "all existing data ... will be lost" question. -c asks
// for CRC-16, without it the monitor asks for the arithmetic checksum; -s
// RATE moves the console to RATE for the transfer and back to the
// configuration register's speed after it; -r keeps the image in memory
// and -x does not launch it.
//
// The "xmodem.flags" state lists the options this monitor knows (default
// all of them); an option it lacks gets "illegal option". A "xmodem.stay"
// state of "yes" leaves the console at the -s speed after the transfer, as
// some monitors do until the next reset.

func init() {
	for _, p := range []string{"rommon", "rommon-g2"} {
		registerRules(p, "rommon",
			Rule{Match: `xmodem(?:\s+(.*))?`, Handler: rommonXmodem},
		)
	}
}

const xmodemAllFlags = "cyrxefs"

func xmodemUsage(flags string) []string {
	out := []string{"usage: xmodem [-" + flags + "] <destination filename>"}
	help := map[byte]string{
		'c': "-c  CRC-16",
		'y': "-y  ymodem-batch protocol",
		'r': "-r  copy image to dram for launch",
		'x': "-x  do not launch on download completion",
		'e': "-e  Perform erase of first flash partition",
		'f': "-f  Perform full erase of flash",
		's': "-s<speed> Set speed of Download, where speed may be 1200|2400|4800|9600|19200|38400|115200",
	}
	for i := 0; i < len(flags); i++ {
		out = append(out, help[flags[i]])
	}
	return append(out, "")
}

type xmodemArgs struct {
	crc, ymodem, ram, noLaunch bool
	speed                      int
	file                       string
}

// parseXmodemArgs reads the options the way the monitor's getopt does:
// clustered flags (-cys 115200 or -s115200) and one file name.
func parseXmodemArgs(line, known string) (xmodemArgs, string, error) {
	var a xmodemArgs
	fields := strings.Fields(line)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if !strings.HasPrefix(f, "-") || f == "-" {
			if a.file != "" {
				return a, "", fmt.Errorf("too many arguments")
			}
			a.file = f
			continue
		}
		for j := 1; j < len(f); j++ {
			ch := f[j]
			if !strings.ContainsRune(known, rune(ch)) {
				return a, string(ch), fmt.Errorf("illegal option")
			}
			switch ch {
			case 'c':
				a.crc = true
			case 'y':
				a.ymodem = true
			case 'r':
				a.ram = true
			case 'x':
				a.noLaunch = true
			case 's':
				v := f[j+1:]
				if v == "" {
					if i+1 >= len(fields) {
						return a, "s", fmt.Errorf("option requires an argument")
					}
					i++
					v = fields[i]
				}
				n, err := strconv.Atoi(v)
				if err != nil || !supportedBaud(n) {
					return a, "s", fmt.Errorf("illegal speed %q", v)
				}
				a.speed = n
				j = len(f)
			}
		}
	}
	if a.file == "" && !a.ram {
		return a, "", fmt.Errorf("missing file name")
	}
	return a, "", nil
}

func rommonXmodem(ctx context.Context, c *Call) error {
	d := c.Device
	known := d.State("xmodem.flags")
	if known == "" {
		known = xmodemAllFlags
	}
	a, opt, err := parseXmodemArgs(c.Arg(1), known)
	if err != nil {
		lines := []string{}
		if opt != "" {
			lines = append(lines, "xmodem: illegal option -- "+opt)
		}
		return c.Println(append(lines, xmodemUsage(known)...)...)
	}
	if err := c.Println("Do not start the sending program yet...",
		"WARNING: All existing data in bootflash will be lost!",
		"Invoke this application only for disaster recovery."); err != nil {
		return err
	}
	if _, err := c.Port.Write([]byte("Do you wish to continue? y/n  [n]:  ")); err != nil {
		return err
	}
	ans, err := d.readLine(ctx)
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(ans); s != "y" && s != "Y" {
		return c.Println("")
	}
	home := d.Baud()
	ready := "Ready to receive file " + a.file + " ..."
	if a.speed != 0 && a.speed != home {
		if err := c.Println(ready, fmt.Sprintf("Reset your terminal speed to %d baud and start the transfer.", a.speed)); err != nil {
			return err
		}
		if err := d.SetBaud(ctx, a.speed); err != nil {
			return err
		}
	} else if err := c.Println(ready); err != nil {
		return err
	}
	mode := xmodem.ModeChecksum
	if a.crc || a.ymodem {
		mode = xmodem.ModeCRC
	}
	var buf bytes.Buffer
	_, rerr := xmodem.Receive(ctx, c.Port, &buf, xmodem.Options{Mode: mode, YModem: a.ymodem, TrimPadding: !a.ymodem})
	if rerr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if rerr == nil {
		rerr = c.Println("", "Download Complete!")
	} else {
		rerr = c.Println("", "xmodem: transfer failed: "+rerr.Error())
	}
	if rerr != nil {
		return rerr
	}
	if a.speed != 0 && a.speed != home && d.State("xmodem.stay") != "yes" {
		if err := c.Println(fmt.Sprintf("Console speed back to %d baud.", home)); err != nil {
			return err
		}
		if err := d.SetBaud(ctx, home); err != nil {
			return err
		}
	}
	data := buf.Bytes()
	if len(data) == 0 {
		return c.Println("")
	}
	if a.ram {
		return rommonLaunch(ctx, c, a.file, data)
	}
	files, _ := d.Flash().List("")
	for _, f := range files {
		if !f.Dir {
			d.Flash().Delete(f.Name)
		}
	}
	if err := d.Flash().Put(a.file, data); err != nil {
		return c.Println("program flash failed: "+err.Error(), "")
	}
	if err := c.Println("Erasing flash at 0x60fc0000", "program flash location 0x60ee0000", ""); err != nil {
		return err
	}
	if a.noLaunch {
		return nil
	}
	return rommonBoot(ctx, &Call{Device: d, Line: "boot", Args: []string{"boot", "flash:" + a.file}, Port: c.Port})
}
