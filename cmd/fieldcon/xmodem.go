package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/serialcon"
	"fieldcon/xmodem"
)

func xmodemCommand() *command {
	return &command{
		Name:    "xmodem",
		Summary: "file transfer over the console: fieldcon xmodem send|receive|upload",
		Usage: `fieldcon xmodem send --port P [--baud N] [--mode M] [--ymodem] FILE
fieldcon xmodem receive --port P [--baud N] [--mode M] [--size BYTES] [--ymodem] OUT
fieldcon xmodem upload --port P [--baud N] --to flash:NAME [--mode M] [--fast] FILE

send waits for the receiver at the other end to ask for the file (start the
receive there first, or within a minute), sends it and exits 0 only when the
receiver confirmed the end of the file.

receive asks the sender at the other end for a file and writes it to OUT.
Without --size (or YMODEM) the end of the file is padded with ^Z (0x1A) to a
whole block, as every XMODEM receiver does.

upload copies FILE into a Catalyst switch's flash from the boot loader
(switch: prompt): it types flash_init and copy xmodem: flash:NAME, sends the
file and waits for the loader's "successfully copied" line. With --fast it
first raises the loader's speed (set BAUD 115200, then 57600, 38400 if a rung
does not answer) with the host following, and afterwards brings it back to
9600 and checks with set that no other BAUD is stored; whatever fails, it
says at which speed the loader was last seen.

Flags:
  --port P        serial port (see fieldcon ports)
  --baud N        speed of the port (default 9600)
  --mode M        auto (follow the receiver), checksum, crc or 1k; default
                  auto for send and receive, 1k for upload
  --ymodem        YMODEM batch with the file name and size (ROMMON xmodem -y)
  --size BYTES    receive: cut the padding at this size
  --to flash:NAME upload: where the loader stores the file
  --fast          upload: transfer at the highest speed the loader takes
  --retries N     tries per block (default 10)
  --timeout D     round-trip timeout (default: three 1K blocks' line time,
                  at least 2s; a 1K block takes 1.1 s at 9600 baud)

Progress goes to stderr. Ctrl-C cancels the transfer on both sides.
`,
		Run: runXmodem,
	}
}

func runXmodem(ctx context.Context, e *Env, args []string) error {
	if len(args) == 0 {
		return usageErr("xmodem", "say send, receive or upload")
	}
	switch args[0] {
	case "send", "receive", "upload":
	case "-h", "--help", "help":
		printUsage(e.Stdout, "xmodem")
		return nil
	default:
		return usageErr("xmodem", "unknown xmodem command %q: say send, receive or upload", args[0])
	}
	verb := args[0]
	fs := newFlags("xmodem")
	port := fs.String("port", "", "")
	baud := fs.Int("baud", 9600, "")
	modeName := fs.String("mode", "", "")
	ymodem := fs.Bool("ymodem", false, "")
	size := fs.Int64("size", 0, "")
	to := fs.String("to", "", "")
	retries := fs.Int("retries", 0, "")
	timeout := fs.Duration("timeout", 0, "")
	fast := fs.Bool("fast", false, "")
	if err := parseFlags(e, "xmodem", fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("xmodem", "xmodem %s wants exactly one file name", verb)
	}
	if *port == "" {
		return usageErr("xmodem", "give the serial port with --port (see fieldcon ports)")
	}
	if *baud <= 0 {
		return usageErr("xmodem", "--baud wants a speed such as 9600 or 115200")
	}
	if *modeName == "" {
		*modeName = "auto"
		if verb == "upload" {
			*modeName = "1k"
		}
	}
	mode, err := xmodem.ParseMode(*modeName)
	if err != nil {
		return usageErr("xmodem", "--mode wants auto, checksum, crc or 1k; got %q", *modeName)
	}
	if verb == "upload" && !regexp.MustCompile(`^flash:\S+$`).MatchString(*to) {
		return usageErr("xmodem", "upload wants --to flash:NAME, for example --to flash:c2960-lanbasek9-mz.150-2.SE11.bin")
	}
	if *fast && verb != "upload" {
		return usageErr("xmodem", "--fast is for upload, which can change the loader's speed")
	}
	if *timeout == 0 && !*fast {
		*timeout = xmodem.TimeoutFor(*baud)
	}
	o := xmodem.Options{Mode: mode, Retries: *retries, Timeout: *timeout, YModem: *ymodem, Size: *size}
	o.Progress = transferProgress(e.Stderr)

	c, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: *port, Settings: serialcon.DefaultSettings(*baud)})
	if err != nil {
		return err
	}
	defer c.Close()

	file := fs.Arg(0)
	switch verb {
	case "send":
		return xmodemSend(ctx, e, c, file, o)
	case "receive":
		return xmodemReceive(ctx, e, c, file, o)
	default:
		return xmodemUpload(ctx, e, c, file, *to, o, *fast)
	}
}

func xmodemSend(ctx context.Context, e *Env, c *serialcon.Console, name string, o xmodem.Options) error {
	f, err := os.Open(name)
	if err != nil {
		return fileError("cannot open "+name+" to send it", err)
	}
	defer f.Close()
	if o.YModem && o.Name == "" {
		o.Name = filepath.Base(name)
	}
	fmt.Fprintf(e.Stderr, "Waiting for the receiver to start (up to %v)...\n", xmodem.DefaultStartTimeout)
	st, err := transfer(ctx, c, func(s *serialcon.Stream) (xmodem.Stats, error) { return xmodem.Send(ctx, s, f, o) })
	fmt.Fprintln(e.Stderr)
	if err != nil {
		return fmt.Errorf("sending %s: %w", name, err)
	}
	fmt.Fprintf(e.Stdout, "sent %s: %s\n", name, summary(st))
	return nil
}

func xmodemReceive(ctx context.Context, e *Env, c *serialcon.Console, name string, o xmodem.Options) error {
	// Write next to the target and rename at the end: a cancelled
	// transfer never leaves a half file under the real name.
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".part-*")
	if err != nil {
		return fileError("cannot save the received file as "+name, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	fmt.Fprintln(e.Stderr, "Asking the sender for the file; start the send on the other side...")
	st, err := transfer(ctx, c, func(s *serialcon.Stream) (xmodem.Stats, error) { return xmodem.Receive(ctx, s, tmp, o) })
	fmt.Fprintln(e.Stderr)
	if err != nil {
		return fmt.Errorf("receiving %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fileError("cannot save the received file as "+name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fileError("cannot save the received file as "+name, err)
	}
	fmt.Fprintf(e.Stdout, "received %s: %s\n", name, summary(st))
	return nil
}

// fileError words a local file's problem for the technician: what could not
// be done, the bare cause without Go's "open PATH:" prefix (which for a
// receive names a temporary file nobody asked for), and what to check.
func fileError(what string, err error) error {
	cause := err
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		cause = pe.Err
	case errors.As(err, &le):
		cause = le.Err
	}
	hint := ""
	switch {
	case errors.Is(err, os.ErrNotExist):
		hint = " (check the path and that its folder exists)"
	case errors.Is(err, os.ErrPermission):
		hint = " (you may not use that file or folder: choose another one or fix its permissions)"
	}
	return fmt.Errorf("%s: %w%s", what, cause, hint)
}

// uploadWait bounds the loader's answers around the transfer.
const uploadWait = 30 * time.Second

func xmodemUpload(ctx context.Context, e *Env, c *serialcon.Console, name, to string, o xmodem.Options, fast bool) (err error) {
	f, err := os.Open(name)
	if err != nil {
		return fileError("cannot open "+name+" to upload it", err)
	}
	defer f.Close()
	wait, cancel := context.WithTimeout(ctx, uploadWait)
	defer cancel()
	if err := c.SendLine(""); err != nil {
		return err
	}
	m, err := c.Expect(wait, serialcon.Prompt(serialcon.PromptSwitchLoader, serialcon.PromptIOSUser, serialcon.PromptIOSPrivileged, serialcon.PromptROMMON, serialcon.PromptAPLoader))
	if err != nil {
		return fmt.Errorf("no prompt from the device on %s at %v: check the cable and the speed (--baud): %w", c.Path(), c.Settings(), err)
	}
	if m.Prompt != serialcon.PromptSwitchLoader {
		return fmt.Errorf("the device shows a %s prompt; upload works from the switch: boot loader (hold MODE at power-on, then flash_init)", m.Prompt)
	}
	// flash_init is harmless when the flash is ready ("already
	// initialized") and copy fails without it; fsck may take half a minute.
	if err := c.SendLine("flash_init"); err != nil {
		return err
	}
	initWait, cancelInit := context.WithTimeout(ctx, 2*uploadWait)
	defer cancelInit()
	if _, err := c.Expect(initWait, serialcon.Regexp(regexp.MustCompile(`(?s)flash_init[^\n]*\n.*switch: ?$`))); err != nil {
		return fmt.Errorf("flash_init did not finish: %w", err)
	}
	if fast {
		restore, err := raiseForUpload(ctx, e, c)
		if err != nil {
			return err
		}
		defer func() {
			if rerr := restore(); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	if o.Timeout == 0 {
		o.Timeout = xmodem.TimeoutFor(c.Settings().Baud)
	}
	if err := c.SendLine("copy xmodem: " + to); err != nil {
		return err
	}
	// A refusal ends in the prompt after our echoed command; a prompt that
	// was already waiting before the echo must not count.
	refused := regexp.MustCompile(`(?s)copy xmodem:[^\n]*\n.*switch: ?$`)
	m, err = c.Expect(wait, serialcon.Regexp(regexp.MustCompile(`Begin the Xmodem.*transfer now`)), serialcon.Regexp(refused))
	if err != nil {
		return fmt.Errorf("the loader did not start the XMODEM receive: %w", err)
	}
	if m.Index != 0 {
		return fmt.Errorf("the loader refused copy xmodem: %s; run flash_init first and check the name (see the console log)", to)
	}
	success := []byte(`successfully copied to "` + to + `"`)
	o.Confirm = func(after []byte) bool {
		return strings.Contains(strings.ToLower(string(after)), strings.ToLower(string(success)))
	}
	o.ConfirmTimeout = 5 * time.Minute // the loader may write flash before it answers
	st, err := transfer(ctx, c, func(s *serialcon.Stream) (xmodem.Stats, error) { return xmodem.Send(ctx, s, f, o) })
	fmt.Fprintln(e.Stderr)
	if err != nil {
		return fmt.Errorf("uploading %s to %s: %w", name, to, err)
	}
	fmt.Fprintf(e.Stdout, "File %q copied to %q: %s\n", name, to, summary(st))
	return nil
}

// raiseForUpload runs the boot-loader speed dance up and returns what brings
// the loader back to 9600 afterwards (also after a failed transfer).
func raiseForUpload(ctx context.Context, e *Env, c *serialcon.Console) (restore func() error, err error) {
	lc := live.New(c)
	report := func(s string) { fmt.Fprintln(e.Stderr, s) }
	var dance recovery.BaudDance
	got, err := dance.Raise(ctx, lc, report)
	if err != nil {
		lc.Close()
		return nil, fmt.Errorf("raising the console speed: %w (the console is at %d baud)", err, c.Settings().Baud)
	}
	return func() error {
		defer lc.Close()
		if got == 9600 {
			return nil
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if _, err := dance.Restore(rctx, lc, report); err != nil {
			return fmt.Errorf("bringing the loader back to 9600: %w (the console is at %d baud)", err, c.Settings().Baud)
		}
		return nil
	}, nil
}

// transfer runs one XMODEM job on the console's raw stream.
func transfer(ctx context.Context, c *serialcon.Console, job func(*serialcon.Stream) (xmodem.Stats, error)) (xmodem.Stats, error) {
	s, err := c.Stream(ctx)
	if err != nil {
		return xmodem.Stats{}, err
	}
	defer s.Close()
	st, err := job(s)
	if errors.Is(err, xmodem.ErrEOTNotAcknowledged) {
		return st, fmt.Errorf("%w (every block was acknowledged; %d bytes)", err, st.Bytes)
	}
	return st, err
}

func summary(st xmodem.Stats) string {
	rate := 0.0
	if st.Duration > 0 {
		rate = float64(st.Bytes) / st.Duration.Seconds()
	}
	return fmt.Sprintf("%d bytes in %d blocks (%s), %s, %.0f bytes/s, %d retries",
		st.Bytes, st.Blocks, st.Mode, st.Duration.Round(100*time.Millisecond), rate, st.Retries)
}

// transferProgress redraws one status line on w at most a few times a
// second, however many blocks arrive.
func transferProgress(w io.Writer) func(xmodem.Progress) {
	var last time.Time
	return func(p xmodem.Progress) {
		if time.Since(last) < 250*time.Millisecond && (p.Total == 0 || p.Bytes < p.Total) {
			return
		}
		last = time.Now()
		var b strings.Builder
		b.WriteString("\r" + strconv.FormatInt(p.Bytes, 10))
		if p.Total > 0 {
			fmt.Fprintf(&b, "/%d bytes %3d%%", p.Total, p.Bytes*100/p.Total)
		} else {
			b.WriteString(" bytes")
		}
		fmt.Fprintf(&b, "  %.0f bytes/s", p.Rate)
		if p.ETA > 0 {
			fmt.Fprintf(&b, "  ETA %s", p.ETA.Round(time.Second))
		}
		fmt.Fprintf(&b, "  retries %d   ", p.Retries)
		io.WriteString(w, b.String())
	}
}
