package recovery

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ImageCheck says, before anything is typed or sent, whether a file will
// work for a use ("loader-boot", "ap-tar-xtract", …) on this device. The
// images package answers it through recovery/live.
type ImageCheck func(ctx context.Context, path, use string, dev DeviceFacts) (ImageVerdict, error)

// DeviceFacts are what a playbook learned about the device so far.
type DeviceFacts struct {
	Platform  string // "c3560", "ap3g2"
	FlashFree int64  // bytes, 0 when unknown
	// Want is the AP mode the technician is after ("autonomous",
	// "lightweight"); "" when either will do.
	Want string
}

// VerdictLevel grades an ImageVerdict.
type VerdictLevel int

const (
	VerdictOK VerdictLevel = iota
	VerdictWarning
	VerdictFail
)

// ImageVerdict is the answer of an ImageCheck.
type ImageVerdict struct {
	Level     VerdictLevel
	Reason    string
	Fix       string
	Size      int64
	AskedName string // the name the device will ask for, where it asks
	BootPath  string // where the runnable image lands in flash
}

// ErrImageRefused means the image check said the file will not work.
var ErrImageRefused = errors.New("image refused")

// CheckImageStep runs the image check for use and stops the playbook on a
// will-fail verdict. It sets {size}, and {asked} where the device asks for a
// name.
type CheckImageStep struct {
	Check ImageCheck
	Use   string
}

func (a CheckImageStep) Do(ctx context.Context, r *Run) error {
	if a.Check == nil {
		return fmt.Errorf("no image check configured")
	}
	free, _ := strconv.ParseInt(r.Vars["flash_free"], 10, 64)
	v, err := a.Check(ctx, r.Vars["image"], a.Use, DeviceFacts{Platform: r.Vars["platform"], FlashFree: free})
	if err != nil {
		return err
	}
	r.Vars["size"] = strconv.FormatInt(v.Size, 10)
	if v.AskedName != "" {
		r.Vars["asked"] = v.AskedName
	}
	switch v.Level {
	case VerdictFail:
		return fmt.Errorf("%w: %s %s", ErrImageRefused, v.Reason, v.Fix)
	case VerdictWarning:
		r.Message("warning: " + v.Reason + " " + v.Fix)
	}
	return nil
}

func (a CheckImageStep) Describe(v map[string]string) string {
	return "check " + filepath.Base(Vars(v).Expand("{image}")) + " for " + a.Use
}

// Params are what the technician chose for a playbook.
type Params struct {
	Image string // path to the image file
	// FlashName is the name in flash; default the image's base name.
	FlashName string
	// Fast raises the console speed for XMODEM and restores it after.
	Fast   bool
	Ladder []int // speeds to try, fastest first (default 115200, 57600, 38400)
	// Network side, for the playbooks that serve files over TFTP.
	Iface    string // laptop interface on the device's cable ("eth0")
	Laptop   string // laptop IPv4 address the device fetches from; default: the interface's
	Listen   string // TFTP listen address; default "0.0.0.0:69"
	Password string // enable password; default the factory "Cisco"
	// RetryWait is how long the device must stay quiet before a busy
	// operation is retried (a lightweight AP's own download); default 30 s.
	RetryWait time.Duration
}

// Tools are what playbooks use besides the console.
type Tools struct {
	CheckImage ImageCheck
	Files      FileServer // TFTP for the AP playbooks
}

// Catalyst boot-loader strings (field-notes §2(a)).
const (
	switchPrompt  = `(?:^|[\r\n])switch: *$`
	modeInterrupt = `interrupted prior to initializing the\s+flash\s+file\s*system`
	flashInitDone = `(?i)done initializing flash|flash is already initialized`
	xmodemBegin   = `Begin the Xmodem.*transfer now`
	xmodemCopied  = `File "xmodem:" successfully copied to "[Ff]lash:/?{name}"`
	iosReady      = `Press RETURN to get started|initial configuration dialog\? \[yes/no\]|(?:^|[\r\n])[\w.-]+[>#] *$`
	iosUserPrompt = `(?:^|[\r\n])([\w.-]+)> *$`
	// IOS prints "N bytes total (M bytes free)", the Catalyst loader
	// "N bytes available (M bytes used)".
	dirFlashTotals = `(\d+) bytes total \((\d+) bytes free\)|(\d+) bytes available \((\d+) bytes used\)`
)

// CatalystXMODEM is the Catalyst fixed-switch recovery over the console:
// reach `switch:`, flash_init, load_helper, check flash space, optionally
// raise the speed, copy xmodem:, restore the speed, set BOOT, boot, wait
// for IOS.
func CatalystXMODEM(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("catalyst-xmodem needs --image FILE (the .bin, not the .tar)")
	}
	name := p.FlashName
	if name == "" {
		name = filepath.Base(p.Image)
	}
	dance := BaudDance{Ladder: p.Ladder}
	vars := Vars{"image": p.Image, "name": name}
	steps := []Step{
		{Name: "check image", Action: CheckImageStep{Check: t.CheckImage, Use: "loader-boot"}},
		{Name: "reach loader", Action: Func{What: "reach the switch: prompt (MODE button if needed)", F: reachSwitchLoader}, Timeout: 10 * time.Minute, Checkpoint: true},
		{Name: "flash_init", Action: Command{Line: "flash_init", Expect: []string{switchPrompt}}, Timeout: 2 * time.Minute, Checkpoint: true},
		{Name: "load_helper", Action: Command{Line: "load_helper", Expect: []string{switchPrompt}}, Timeout: 30 * time.Second},
		{Name: "flash space", Action: Func{What: "check free flash space for the image", F: checkFlashSpace}, Timeout: 30 * time.Second},
	}
	if p.Fast {
		steps = append(steps, Step{Name: "raise speed", Action: RaiseBaud{Dance: dance}, Timeout: time.Minute})
	}
	steps = append(steps,
		Step{Name: "copy xmodem", Action: Command{Line: "copy xmodem: flash:{name}", Expect: []string{xmodemBegin}}, Timeout: 30 * time.Second},
		Step{Name: "transfer", Action: XMODEMSend{File: "{image}", Success: xmodemCopied}, Timeout: 12 * time.Hour,
			Fail: []*regexp.Regexp{regexp.MustCompile(`xmodem:: I/O error`)}},
	)
	if p.Fast {
		steps = append(steps, Step{Name: "restore speed", Action: RestoreBaud{Dance: dance}, Timeout: time.Minute, Checkpoint: true})
	}
	steps = append(steps,
		Step{Name: "verify copy", Action: Func{What: "check the copy in flash has the image's size", F: verifyFlashCopy}, Timeout: 30 * time.Second, Checkpoint: !p.Fast},
		Step{Name: "set BOOT", Action: Command{Line: "set BOOT flash:{name}", Expect: []string{switchPrompt}}, Timeout: 30 * time.Second},
		// Only here are these fatal: on the way to the loader the switch
		// prints them for the broken image it is being recovered from.
		Step{Name: "boot", Action: Command{Line: "boot", Expect: []string{iosReady}}, Timeout: 20 * time.Minute,
			Fail: []*regexp.Regexp{regexp.MustCompile(`Error_Bad_Mzip`), regexp.MustCompile(`Error loading "?flash:`)}},
		Step{Name: "reach IOS", Action: Func{What: "reach the IOS prompt", F: reachIOSUser}, Timeout: 2 * time.Minute},
	)
	pb := &Playbook{
		Name:        "catalyst-xmodem",
		Title:       "Catalyst switch: image over XMODEM",
		Description: "From the switch: boot loader, copies an IOS .bin into flash over the console (at 115200 with the speed dance when fast), sets BOOT and boots it.",
		StartsAt:    []string{"switch-loader"},
		Steps:       steps,
	}
	if p.Fast {
		pb.Cleanup = []Step{{Name: "restore speed", Action: RestoreBaud{Dance: dance, OnlyIfRaised: true}}}
	}
	return pb, vars, nil
}

func reachSwitchLoader(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine(""); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, _, err := r.Expect(wctx, regexp.MustCompile(switchPrompt))
	cancel()
	if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err := (Ask{
		Prompt:  "The switch is not at its boot loader. Unplug its power, hold the MODE button, plug the power back in, and release MODE when the SYST LED turns amber and then solid green (about 15 seconds).",
		Choices: []string{"Done", "Cancel"},
	}).Do(ctx, r); err != nil {
		return err
	}
	i, _, err := r.Expect(ctx, regexp.MustCompile(switchPrompt), regexp.MustCompile(modeInterrupt))
	if err != nil {
		return err
	}
	if i == 1 {
		_, _, err = r.Expect(ctx, regexp.MustCompile(switchPrompt))
	}
	return err
}

var dirTotals = regexp.MustCompile(dirFlashTotals)

// dirFlash lists flash and returns the listing up to the prompt.
func dirFlash(ctx context.Context, r *Run) (string, error) {
	r.Console.MarkRead()
	if err := r.Console.SendLine("dir flash:"); err != nil {
		return "", err
	}
	_, g, err := r.Expect(ctx, regexp.MustCompile(`(?s)(.*?(?:`+dirFlashTotals+`).*?)`+switchPrompt))
	if err != nil {
		return "", err
	}
	return g[1], nil
}

func checkFlashSpace(ctx context.Context, r *Run) error {
	listing, err := dirFlash(ctx, r)
	if err != nil {
		return err
	}
	free := flashFree(listing)
	r.Vars["flash_free"] = strconv.FormatInt(free, 10)
	size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
	// A file of the same name is replaced by the copy, so its space counts.
	if old := flashFileSize(listing, r.Vars["name"]); old > 0 {
		free += old
	}
	if size > free {
		return fmt.Errorf("the image needs %d bytes but flash has %d free: delete an old image first (delete flash:NAME)", size, free)
	}
	r.Message(fmt.Sprintf("flash: %d bytes free, image %d bytes", free, size))
	return nil
}

// flashFree reads the free bytes from either form of the dir flash: footer.
func flashFree(listing string) int64 {
	m := dirTotals.FindStringSubmatch(listing)
	if m == nil {
		return 0
	}
	free := m[2]
	if free == "" {
		free = m[3]
	}
	n, _ := strconv.ParseInt(free, 10, 64)
	return n
}

// flashFileSize finds name in a dir flash: listing ("  2  -rwx  7 <date> name").
func flashFileSize(listing, name string) int64 {
	re := regexp.MustCompile(`(?m)^\s*\d+\s+\S+\s+(\d+)\s.*\s` + regexp.QuoteMeta(name) + `\s*$`)
	m := re.FindStringSubmatch(stripCR(listing))
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func stripCR(s string) string { return strings.ReplaceAll(s, "\r", "") }

func verifyFlashCopy(ctx context.Context, r *Run) error {
	listing, err := dirFlash(ctx, r)
	if err != nil {
		return err
	}
	size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
	got := flashFileSize(listing, r.Vars["name"])
	if got != size {
		return fmt.Errorf("flash:%s is %d bytes, the image is %d: the copy is incomplete; run the transfer again", r.Vars["name"], got, size)
	}
	r.Message(fmt.Sprintf("flash:%s has all %d bytes", r.Vars["name"], size))
	return nil
}

func reachIOSUser(ctx context.Context, r *Run) error {
	dialog := regexp.MustCompile(`initial configuration dialog\? \[yes/no\]: *$`)
	user := regexp.MustCompile(iosUserPrompt)
	for {
		r.Console.MarkRead()
		if err := r.Console.SendLine(""); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		i, g, err := r.Expect(wctx, user, dialog)
		cancel()
		switch {
		case err == nil && i == 0:
			r.Vars["hostname"] = g[1]
			r.Message("IOS is up: " + g[1] + ">")
			return nil
		case err == nil && i == 1:
			if err := r.Console.SendLine("no"); err != nil {
				return err
			}
		case ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded):
			return err
		}
	}
}
