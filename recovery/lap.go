package recovery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Strings of a lightweight AP's IOS (field-notes §2(d); seed 000).
const (
	lapPrompt       = `(?:^|[\r\n])([\w.-]+)([>#]) *$`
	lapPrivPrompt   = `(?:^|[\r\n])[\w.-]+# *$`
	lapPassword     = `(?i)password: *$`
	lapBadPassword  = `% Bad secrets|% Access denied|% Authentication failed`
	lapDebugOn      = `CAPWAP console CLI allow/disallow debugging is on|LWAPP console CLI allow/disallow debugging is on`
	lapUnrecognized = `% Unrecognized command|% Invalid input detected`
	lapBusy         = `Unable to create temp dir "?flash:/?update|FailureCode:\s*7\b`
	lapCAPWAP       = `%(?:CAPWAP|LWAPP)-\d-[A-Z_]+:[^\r\n]*`
	lapReload       = `%SYS-5-RELOAD|Requested system reload in progress|reload in progress`
	lapMore         = ` ?--More-- ?`
	lapImageFile    = `System image file is "([^"]+)"`
)

// lapFailures end archive download-sw: the AP download failures, and a
// unicast TFTP request nobody answered, which the line after it
// ("Failed to open archive file") would blame on a missing file.
var lapFailures = append(append([]*regexp.Regexp(nil), apFailures...), symptomPatterns("tftp-timed-out")...)

// DefaultRetryWait is how long a lightweight AP must print no %CAPWAP line
// before fieldcon retries a download its own controller download blocked.
const DefaultRetryWait = 30 * time.Second

// lapAttempts bounds the retries after FailureCode:7.
const lapAttempts = 5

// LightweightUpgrade installs a bundle on a lightweight (CAPWAP) AP from its
// IOS prompt: enable with the factory password, unlock the hidden CLI with
// `debug capwap console cli`, check flash, and `archive download-sw
// /overwrite /reload` from the laptop; when the AP's own controller download
// holds flash:/update (FailureCode:7) it explains and offers to wait and
// retry.
func LightweightUpgrade(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("lap-upgrade needs --image FILE (the AP's -tar- bundle)")
	}
	fs, wait, vars := lapSetup(p, t)
	steps := []Step{
		apImageCheck(t.CheckImage, "archive-download-sw"),
		laptopStep(fs, nil),
		startTFTPStep(fs, "serve {image} over TFTP"),
	}
	steps = append(steps, lapArchiveSteps(fs, wait)...)
	steps = append(steps,
		Step{Name: "reach IOS", Action: Func{What: "reach the new IOS prompt", F: reachIOSUser}, Timeout: 5 * time.Minute},
		Step{Name: "verify", Action: Func{What: "check show version names the new image", F: lapVerify}, Timeout: time.Minute},
		stopTFTPStep(fs),
	)
	pb := &Playbook{
		Name:        "lap-upgrade",
		Title:       "Lightweight AP: manual upgrade with archive download-sw",
		Description: "From a lightweight AP's IOS prompt: enable (factory password Cisco), debug capwap console cli to unlock archive, check flash, archive download-sw /overwrite /reload from the laptop's TFTP server, and wait for the new IOS.",
		StartsAt:    []string{"ios-user", "ios-privileged", "press-return"},
		Steps:       steps,
		Cleanup:     stopTFTPCleanup(fs),
	}
	return pb, vars, nil
}

// lapSetup is what both lightweight-AP playbooks start from: the file
// service, the retry wait and the vars, with the factory enable password
// and DefaultRetryWait where the technician gave none.
func lapSetup(p Params, t Tools) (*fileService, time.Duration, Vars) {
	password := p.Password
	if password == "" {
		password = "Cisco"
	}
	wait := p.RetryWait
	if wait <= 0 {
		wait = DefaultRetryWait
	}
	vars := Vars{"image": p.Image, "iface": p.Iface, "laptop": p.Laptop, "listen": p.Listen, "password": password}
	return &fileService{files: t.Files}, wait, vars
}

// lapArchiveSteps install {image} from a lightweight AP's IOS prompt, up to
// the AP reloading into it: enable with {password}, unlock the hidden CLI,
// check flash against {size}, and archive download-sw /overwrite /reload
// from the server already serving it, waiting retryWait of quiet after each
// FailureCode:7.
func lapArchiveSteps(fs *fileService, retryWait time.Duration) []Step {
	arch := &lapArchive{fs: fs, wait: retryWait}
	return []Step{
		{Name: "reach AP", Action: Func{What: "reach the AP's IOS prompt", F: reachLAP}, Timeout: time.Minute, Checkpoint: true},
		{Name: "enable", Action: Func{What: "type enable and the enable password", F: lapEnable}, Timeout: 30 * time.Second},
		{Name: "debug capwap", Action: Func{What: "type debug capwap console cli", F: lapDebugCLI}, Timeout: 30 * time.Second},
		{Name: "check flash", Action: Func{What: "check flash space with dir flash:", F: lapCheckFlash}, Timeout: 30 * time.Second},
		{Name: "archive download-sw", Action: Func{What: "type archive download-sw /overwrite /reload tftp://{laptop}/{file}", F: arch.do}, Timeout: 2 * time.Hour, Destructive: true},
		{Name: "reload", Action: Expect{Patterns: []string{apIOSReady}, What: "the AP to reload into the new IOS"}, Timeout: 15 * time.Minute},
	}
}

// reachLAP wakes the console and sets {hostname} and {level} (">" or "#").
func reachLAP(ctx context.Context, r *Run) error {
	prompt := regexp.MustCompile(lapPrompt)
	ret := regexp.MustCompile(`Press RETURN to get started`)
	for {
		r.Console.MarkRead()
		if err := r.Console.SendLine(""); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		i, g, err := r.Expect(wctx, prompt, ret)
		cancel()
		switch {
		case err == nil && i == 0:
			r.Vars["hostname"], r.Vars["level"] = g[1], g[2]
			return nil
		case err == nil:
			continue
		case ctx.Err() != nil:
			return errors.New("the AP shows no IOS prompt: check the console cable and speed (9600), and that the AP has finished booting")
		case !errors.Is(err, context.DeadlineExceeded):
			return err
		}
	}
}

func lapEnable(ctx context.Context, r *Run) error {
	if r.Vars["level"] == "#" {
		return nil
	}
	r.Console.MarkRead()
	if err := r.Console.SendLine("enable"); err != nil {
		return err
	}
	i, _, err := r.Expect(ctx, regexp.MustCompile(lapPassword), regexp.MustCompile(lapPrivPrompt))
	if err != nil || i == 1 {
		return err
	}
	r.Console.MarkRead()
	if err := r.Console.SendLine(r.Vars["password"]); err != nil {
		return err
	}
	i, _, err = r.Expect(ctx, regexp.MustCompile(lapPrivPrompt), regexp.MustCompile(lapBadPassword), regexp.MustCompile(lapPassword))
	if err != nil {
		return err
	}
	if i > 0 {
		// Send no more guesses: a third wrong one may lock the console.
		if i == 2 {
			_ = r.Console.SendLine("")
		}
		return errors.New("the AP refused the enable password: a factory-fresh lightweight AP takes Cisco, but once it has joined a controller the controller's global AP credentials apply; run again with the right --password")
	}
	r.Vars["level"] = "#"
	return nil
}

func lapDebugCLI(ctx context.Context, r *Run) error {
	for _, cmd := range []string{"debug capwap console cli", "debug lwapp console cli"} {
		r.Console.MarkRead()
		if err := r.Console.SendLine(cmd); err != nil {
			return err
		}
		i, _, err := r.Expect(ctx, regexp.MustCompile(lapDebugOn+`[\s\S]*`+lapPrivPrompt), regexp.MustCompile(lapUnrecognized))
		if err != nil {
			return err
		}
		if i == 0 {
			r.Message("hidden CLI unlocked (not kept across a reload)")
			return nil
		}
	}
	return errors.New("the AP knows neither debug capwap console cli nor debug lwapp console cli: it may not be a lightweight AP; look at show version")
}

func lapCheckFlash(ctx context.Context, r *Run) error {
	total, free, err := readFlashTotals(ctx, r, lapPrivPrompt)
	if err != nil {
		return err
	}
	size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
	r.Vars["flash_free"] = strconv.FormatInt(free, 10)
	switch {
	case size > total:
		return fmt.Errorf("the bundle (%d bytes) is larger than the AP's whole flash (%d bytes): it is not an image for this AP", size, total)
	case size > free:
		r.Message(fmt.Sprintf("flash has %d bytes free for a %d-byte bundle: /overwrite deletes the old image first", free, size))
	default:
		r.Message(fmt.Sprintf("flash: %d bytes free, bundle %d bytes", free, size))
	}
	return nil
}

// readFlashTotals types dir flash: and reads its footer, paging through
// --More--, up to prompt.
func readFlashTotals(ctx context.Context, r *Run, prompt string) (total, free int64, err error) {
	r.Console.MarkRead()
	if err := r.Console.SendLine("dir flash:"); err != nil {
		return 0, 0, err
	}
	more := regexp.MustCompile(lapMore)
	totals := regexp.MustCompile(`(?:` + dirFlashTotals + `)[\s\S]*` + prompt)
	for {
		i, g, err := r.Expect(ctx, totals, more)
		if err != nil {
			return 0, 0, err
		}
		if i == 1 {
			if err := r.Console.Send([]byte(" ")); err != nil {
				return 0, 0, err
			}
			continue
		}
		total, free, ok := flashTotals(g[0])
		if !ok {
			return 0, 0, fmt.Errorf("dir flash: ended in %q, which fieldcon cannot read as the flash size: look at the listing above", cleanLine(g[0]))
		}
		return total, free, nil
	}
}

// flashTotals reads the footer of a dir flash: listing: IOS says "N bytes
// total (M bytes free)", the ap: loader "N bytes available (M bytes
// used)".
func flashTotals(listing string) (total, free int64, ok bool) {
	m := dirTotals.FindStringSubmatch(listing)
	if m == nil {
		return 0, 0, false
	}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			ok = false
		}
		return n
	}
	ok = true
	if m[1] != "" {
		total, free = num(m[1]), num(m[2])
		return total, free, ok
	}
	free = num(m[3])
	used := num(m[4])
	if used > math.MaxInt64-free {
		return 0, 0, false
	}
	return free + used, free, ok
}

// lapArchive runs archive download-sw and handles the controller-download
// conflict.
type lapArchive struct {
	fs   *fileService
	wait time.Duration
}

func (a *lapArchive) do(ctx context.Context, r *Run) error {
	res, err := compileAll(r, apExtracting, lapReload, lapBusy, lapUnrecognized, lapCAPWAP, lapPrivPrompt, `examining image`)
	if err != nil {
		return err
	}
	const (
		iExtracting = iota
		iReload
		iBusy
		iUnrecognized
		iCAPWAP
		iPrompt
		iExamining
	)
	res = append(res, lapFailures...)
	w := &watcher{r: r, events: a.fs.events()}
	size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
	cmd := r.Vars.Expand("archive download-sw /overwrite /reload tftp://{laptop}/{file}")
	for attempt := 1; ; attempt++ {
		r.Console.MarkRead()
		if err := r.Console.SendLine(cmd); err != nil {
			return err
		}
		prog := newExtractProgress(size)
		busy := ""
	follow:
		for {
			i, g, err := w.next(ctx, res)
			if err != nil {
				return err
			}
			switch {
			case i == iExtracting:
				prog.add(r, g[1], g[2])
			case i == iExamining:
				r.Message("the AP is examining the image")
			case i == iCAPWAP:
				r.Message("AP: " + cleanLine(g[0]))
			case i == iReload:
				r.Message(fmt.Sprintf("installed (%d files, %d bytes extracted); the AP is reloading", prog.files, prog.bytes))
				return nil
			case i == iBusy:
				busy = g[0]
				break follow
			case i == iUnrecognized:
				se := failureError(r, g[0])
				se.Err = fmt.Errorf("%w: the AP does not accept archive download-sw: the hidden CLI is not unlocked (debug capwap console cli did not take)", ErrFailure)
				if d, ok := diagnoseLine("% Unrecognized command", []string{cmd}); ok {
					se.Diagnosis = &d
				}
				return se
			case i == iPrompt:
				return fmt.Errorf("archive download-sw ended without reloading the AP (%q): look at the lines above; the old image is still in place", cleanLine(g[0]))
			default:
				return failureError(r, g[0])
			}
		}
		se := failureError(r, busy)
		if se.Diagnosis != nil {
			r.report(Progress{State: StateRunning, Status: StepRunning, Message: se.Diagnosis.String(), Diagnosis: se.Diagnosis})
		}
		if attempt >= lapAttempts {
			se.Err = fmt.Errorf("%w after %d attempts", se.Err, attempt)
			return se
		}
		ans, err := r.Ask(ctx, Question{
			Prompt: fmt.Sprintf("The AP is busy downloading its image from a controller, which holds flash:/update (FailureCode:7), so archive download-sw cannot start. "+
				"fieldcon can wait until the AP has printed no %%CAPWAP line for %s and try again, or stop so you can keep the AP away from any controller (isolated cable, no DHCP option 43) first.", a.wait),
			Choices: []string{"Wait and retry", "Stop"},
		})
		if err != nil {
			return err
		}
		if ans != "Wait and retry" {
			se.Err = fmt.Errorf("%w: %w", ErrDeclined, se.Err)
			return se
		}
		if err := a.waitQuiet(ctx, r); err != nil {
			return err
		}
		r.Message(fmt.Sprintf("retrying archive download-sw (attempt %d of %d)", attempt+1, lapAttempts))
	}
}

// waitQuiet returns once the AP has printed no %CAPWAP line for a.wait.
func (a *lapArchive) waitQuiet(ctx context.Context, r *Run) error {
	capwap := regexp.MustCompile(lapCAPWAP)
	r.Message(fmt.Sprintf("waiting until the AP prints no %%CAPWAP line for %s", a.wait))
	for {
		wctx, cancel := context.WithTimeout(ctx, a.wait)
		_, g, err := r.Console.Expect(wctx, capwap)
		quiet := wctx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			r.Message("AP still busy: " + cleanLine(g[0]))
		case quiet:
			return nil
		default:
			return err
		}
	}
}

// lapVerify checks show version names the image the bundle installs.
func lapVerify(ctx context.Context, r *Run) error {
	running, err := showVersionImage(ctx, r)
	if err != nil {
		return err
	}
	want := r.Vars["boot"]
	if want != "" && normFlash(running) != normFlash(want) {
		return fmt.Errorf("the AP runs %s, not the new %s: the upgrade did not take; look at the boot output above", running, want)
	}
	r.Message("the AP runs " + running)
	return nil
}

// showVersionImage types show version at the IOS user prompt and returns
// the image it names, paging through --More-- and reading to the prompt.
func showVersionImage(ctx context.Context, r *Run) (string, error) {
	r.Console.MarkRead()
	if err := r.Console.SendLine("show version"); err != nil {
		return "", err
	}
	file := regexp.MustCompile(lapImageFile)
	more := regexp.MustCompile(lapMore)
	for {
		i, g, err := r.Expect(ctx, file, more)
		if err != nil {
			return "", err
		}
		if i == 1 {
			if err := r.Console.Send([]byte(" ")); err != nil {
				return "", err
			}
			continue
		}
		running := g[1]
		// Let the listing finish so the prompt is not left behind.
		for {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			j, _, err := r.Expect(wctx, regexp.MustCompile(iosUserPrompt), more)
			cancel()
			if err != nil || j == 0 {
				break
			}
			if err := r.Console.Send([]byte(" ")); err != nil {
				return "", err
			}
		}
		return running, nil
	}
}

func normFlash(s string) string {
	s = strings.TrimPrefix(s, "flash:")
	return strings.TrimPrefix(s, "/")
}
