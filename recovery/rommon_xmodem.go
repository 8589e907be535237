package recovery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fieldcon/xmodem"
)

// ROMMON xmodem strings (Cisco doc 15085, field-notes §2(c)).
const (
	xmodemUsage       = `usage: xmodem \[-(\w+)\]`
	xmodemIllegal     = `xmodem: illegal option -- (\S)`
	xmodemConfirm     = `Do you wish to continue\? y/n:?\s*\[n\]:\s*$`
	xmodemReady       = `Ready to receive file`
	xmodemComplete    = `Download Complete!`
	rommonXmodemSpeed = 115200
)

// RommonXMODEM is router ROMMON recovery over the console: it asks the
// monitor which xmodem options it has (`xmodem -?` prints them), picks
// YMODEM (-y) where there is one, CRC (-c) otherwise, the plain checksum
// when the monitor has neither, and with Fast `-s 115200` where the monitor
// takes it: the host follows the speed change for the transfer and back.
// The erase question is answered only after the technician agrees. After
// the download the monitor launches the image; fieldcon waits for IOS,
// re-detecting the console speed if the monitor stayed at the fast one.
func RommonXMODEM(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("rommon-xmodem needs --image FILE (the router's .bin)")
	}
	name := p.FlashName
	if name == "" {
		name = filepath.Base(p.Image)
	}
	vars := Vars{"image": p.Image, "name": name}
	if p.Fast {
		vars["fast"] = "yes"
	}
	fail := []*regexp.Regexp{regexp.MustCompile(`xmodem: transfer failed[^\r\n]*`)}
	pb := &Playbook{
		Name:        "rommon-xmodem",
		Title:       "Router ROMMON: image over XMODEM",
		Description: "From rommon >: copies a router image into flash over the console with the monitor's xmodem command (YMODEM or CRC where it has them, at 115200 with --fast where it takes -s), then waits for IOS.",
		StartsAt:    []string{"rommon"},
		Steps: []Step{
			{Name: "check image", Action: CheckImageStep{Check: t.CheckImage, Use: "rommon-tftpdnld"}},
			{Name: "reach ROMMON", Action: Func{What: "reach the rommon prompt (break at power-on if needed)", F: reachROMMON}, Timeout: 5 * time.Minute, Checkpoint: true},
			{Name: "xmodem options", Action: Func{What: "ask the monitor which xmodem options it has", F: readXmodemOptions}, Timeout: 30 * time.Second},
			{Name: "xmodem", Action: Func{What: "type the xmodem command and wait for its erase question", F: startRommonXmodem}, Timeout: 30 * time.Second},
			{Name: "erase and receive", Action: Func{What: "answer y: the monitor erases flash and waits for {name}", F: confirmRommonXmodem}, Timeout: time.Minute, Destructive: true},
			{Name: "transfer", Action: Func{What: "send {image} by {protocol}", F: sendRommonXmodem}, Timeout: 12 * time.Hour, Fail: fail},
			{Name: "speed back", Action: Func{What: "follow the monitor back to its console speed", F: rommonSpeedBack}, Timeout: 2 * time.Minute},
			{Name: "reach IOS", Action: Func{What: "wait for the new image to boot to IOS", F: reachIOSAfterLaunch}, Timeout: 20 * time.Minute},
		},
		Cleanup: []Step{
			{Name: "decline erase", Action: Func{What: "answer n if xmodem is still asking", F: declineIfAsked}},
			{Name: "speed back", Action: Func{What: "return the host to the monitor's speed", F: rommonSpeedBackIfRaised}},
		},
	}
	return pb, vars, nil
}

// readXmodemOptions reads the option letters from the usage line the
// monitor prints for an unknown option. A monitor that prints no usage is
// taken to know only the plain command; its answer to -c decides later.
func readXmodemOptions(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine("xmodem -?"); err != nil {
		return err
	}
	i, g, err := r.Expect(ctx, regexp.MustCompile(xmodemUsage), regexp.MustCompile(rommonPrompt))
	if err != nil {
		return err
	}
	flags := "c"
	if i == 0 {
		flags = g[1]
		if _, _, err := r.Expect(ctx, regexp.MustCompile(rommonPrompt)); err != nil {
			return err
		}
	}
	r.Vars["xmodem_flags"] = flags
	return nil
}

// xmodemCommand builds the command from the options the monitor has.
func xmodemCommand(flags string, fast bool, name string) (cmd, protocol string) {
	var opts []string
	switch {
	case strings.Contains(flags, "y"):
		opts, protocol = append(opts, "-y"), "YMODEM"
	case strings.Contains(flags, "c"):
		opts, protocol = append(opts, "-c"), "XMODEM-CRC"
	default:
		protocol = "XMODEM (checksum)"
	}
	if fast && strings.Contains(flags, "s") {
		opts = append(opts, "-s", strconv.Itoa(rommonXmodemSpeed))
	}
	return strings.Join(append(append([]string{"xmodem"}, opts...), name), " "), protocol
}

func startRommonXmodem(ctx context.Context, r *Run) error {
	for {
		cmd, protocol := xmodemCommand(r.Vars["xmodem_flags"], r.Vars["fast"] == "yes", r.Vars["name"])
		r.Vars["protocol"] = protocol
		r.Console.MarkRead()
		if err := r.Console.SendLine(cmd); err != nil {
			return err
		}
		i, g, err := r.Expect(ctx, regexp.MustCompile(xmodemConfirm), regexp.MustCompile(xmodemIllegal))
		if err != nil {
			return err
		}
		if i == 0 {
			r.Vars["xmodem_cmd"] = cmd
			r.Vars["asking"] = "yes"
			return nil
		}
		// The monitor lacks an option its usage did not show: drop it and
		// fall back (CRC → checksum, no speed change).
		flags := strings.ReplaceAll(r.Vars["xmodem_flags"], g[1], "")
		if flags == r.Vars["xmodem_flags"] {
			return fmt.Errorf("the monitor refuses option -%s of %q; update its ROMMON or use rommon-tftp", g[1], cmd)
		}
		r.Message(fmt.Sprintf("this ROMMON has no xmodem -%s; trying without it", g[1]))
		r.Vars["xmodem_flags"] = flags
		if _, _, err := r.Expect(ctx, regexp.MustCompile(rommonPrompt)); err != nil {
			return err
		}
	}
}

// confirmRommonXmodem answers y and, with -s, moves the host to the new
// speed once the monitor says it is ready (it changes speed right after).
func confirmRommonXmodem(ctx context.Context, r *Run) error {
	r.Vars["asking"] = ""
	if err := r.Console.SendLine("y"); err != nil {
		return err
	}
	if _, _, err := r.Expect(ctx, regexp.MustCompile(xmodemReady+`[^\r\n]*\r?\n`)); err != nil {
		return err
	}
	if strings.Contains(r.Vars["xmodem_cmd"], " -s ") {
		// Let the monitor's line about the speed go by before the host
		// changes: bytes still in flight would be garbled.
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		r.Expect(wctx, regexp.MustCompile(`\d+ baud[^\r\n]*\r?\n`))
		cancel()
		r.Vars["home_baud"] = strconv.Itoa(r.Console.Baud())
		if err := r.Console.SetBaud(rommonXmodemSpeed); err != nil {
			return fmt.Errorf("set host speed %d: %w", rommonXmodemSpeed, err)
		}
		r.Vars["baud"] = strconv.Itoa(rommonXmodemSpeed)
		r.Message(fmt.Sprintf("host follows the monitor to %d baud", rommonXmodemSpeed))
	}
	return nil
}

// sendRommonXmodem runs the transfer over the console's raw stream; the
// monitor's "Download Complete!" is the real end.
func sendRommonXmodem(ctx context.Context, r *Run) error {
	sc, ok := r.Console.(StreamConsole)
	if !ok {
		return fmt.Errorf("this console cannot lend its raw stream for XMODEM")
	}
	f, err := os.Open(r.Vars["image"])
	if err != nil {
		return fmt.Errorf("open the image: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	opts := xmodem.Options{
		Size:    fi.Size(),
		Confirm: func(after []byte) bool { return strings.Contains(string(after), "Download Complete!") },
		Progress: func(p xmodem.Progress) {
			r.Transfer(TransferProgress{Bytes: p.Bytes, Total: p.Total, Rate: p.Rate, ETA: p.ETA})
		},
	}
	switch r.Vars["protocol"] {
	case "YMODEM":
		opts.YModem, opts.Mode, opts.Name = true, xmodem.Mode1K, r.Vars["name"]
	case "XMODEM-CRC":
		opts.Mode = xmodem.Mode1K
	default:
		// A monitor without -c asks for the checksum; 1K blocks belong
		// to CRC receivers, so stay with 128-byte blocks.
		opts.Mode = xmodem.ModeChecksum
	}
	s, err := sc.OpenStream(ctx)
	if err != nil {
		return err
	}
	st, err := xmodem.Send(ctx, s, f, opts)
	s.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", r.Vars["protocol"], err)
	}
	r.Message(fmt.Sprintf("sent %d bytes by %s in %s (%d retries)", st.Bytes, r.Vars["protocol"], st.Duration.Round(time.Second), st.Retries))
	return nil
}

// rommonSpeedBack returns the host to the monitor's own speed after an
// `xmodem -s`, and checks the device is readable there; a monitor that
// stayed at the transfer speed is found again and the technician told.
func rommonSpeedBack(ctx context.Context, r *Run) error {
	home, _ := strconv.Atoi(r.Vars["home_baud"])
	if home == 0 {
		return nil
	}
	if err := r.Console.SetBaud(home); err != nil {
		return fmt.Errorf("set host speed %d: %w", home, err)
	}
	r.Vars["baud"] = strconv.Itoa(home)
	// What arrived before the switch was read at the transfer speed and
	// says nothing about the speed now.
	r.Console.MarkRead()
	// The monitor programs flash and launches the image: any readable
	// output at home speed shows it came back.
	readable := regexp.MustCompile(`program flash|Erasing flash|Self decompressing|program load complete|` + anyPrompt)
	wctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	_, _, err := r.Expect(wctx, readable)
	cancel()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	found, err := redetectSpeed(ctx, r, regexp.MustCompile(anyPrompt))
	if err != nil {
		return fmt.Errorf("after the transfer the router is not readable at %d baud and was not found at any other speed: %w", home, err)
	}
	if found != home {
		r.Message(fmt.Sprintf("the ROMMON stayed at %d baud after xmodem -s; fieldcon follows it there; the router returns to %d at its next reset", found, home))
	}
	return nil
}

// rommonSpeedBackIfRaised is cleanup: only when the host was moved.
func rommonSpeedBackIfRaised(ctx context.Context, r *Run) error {
	home, _ := strconv.Atoi(r.Vars["home_baud"])
	if home == 0 || r.Console.Baud() == home {
		return nil
	}
	return r.Console.SetBaud(home)
}

// reachIOSAfterLaunch waits for the launched image and reaches the IOS
// prompt. An earlier step may have seen part of the boot already, so it
// nudges with a carriage return every few seconds; a monitor that comes
// back instead is an error.
func reachIOSAfterLaunch(ctx context.Context, r *Run) error {
	for quiet := 0; ; quiet++ {
		wctx, cancel := context.WithTimeout(ctx, 4*time.Second)
		i, _, err := r.Expect(wctx, regexp.MustCompile(iosReady), regexp.MustCompile(rommonPrompt))
		cancel()
		switch {
		case err == nil && i == 1:
			return errors.New("the router returned to ROMMON instead of booting the new image: check it with dir flash: and boot it by hand (boot flash:NAME)")
		case err == nil:
			return reachIOSUser(ctx, r)
		case ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded):
			return err
		}
		if quiet == 3 {
			// Nothing readable for a while: the speed may have moved.
			if _, err := redetectSpeed(ctx, r, regexp.MustCompile(anyPrompt)); err == nil {
				return reachIOSUser(ctx, r)
			} else if ctx.Err() != nil {
				return err
			}
		}
		if err := r.Console.SendLine(""); err != nil {
			return err
		}
	}
}
