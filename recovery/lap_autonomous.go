package recovery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The two ways a lightweight AP becomes autonomous, the value of {path} in
// lap-to-autonomous (field-notes §2(b) and §2(d)).
const (
	// APPathModeButton is MODE-button recovery: the technician powers the
	// AP on with MODE held and its boot loader fetches
	// <platform>-k9w7-tar.default from 255.255.255.255. It works from ap:
	// and from an AP that shows nothing.
	APPathModeButton = "mode-button"
	// APPathArchive is debug capwap console cli and archive download-sw
	// from the lightweight IOS prompt.
	APPathArchive = "archive"
)

// apAutonomous is images' name for the mode lap-to-autonomous wants.
const apAutonomous = "autonomous"

// apPathUse is the image check's use for each path.
var apPathUse = map[string]string{
	APPathModeButton: "ap-mode-recovery",
	APPathArchive:    "archive-download-sw",
}

// Where the AP was found, the value of {at}.
const (
	apAtLoader = "ap-loader"
	apAtIOS    = "ios"
	apAtNone   = "none"
)

// findAPTries is how many Returns fieldcon types, 5 s apart, before it
// concludes the AP shows no prompt at all.
const findAPTries = 3

// LightweightToAutonomous makes a lightweight (CAPWAP) AP autonomous with a
// k9w7 bundle, refusing a k9w8 one. From ap: or an AP that shows nothing it
// takes the MODE-button path; from the lightweight IOS prompt it unlocks the
// hidden CLI and runs archive download-sw. {path} set before the run
// (APPathModeButton or APPathArchive) overrides the choice. After the boot
// it checks the autonomous prompt and that show version names the k9w7
// image, then tells the technician the factory first-login defaults
// without changing them.
func LightweightToAutonomous(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("lap-to-autonomous needs --image FILE (the AP's k9w7 -tar- bundle)")
	}
	fs, wait, vars := lapSetup(p, t)
	conv := &lapConversion{check: t.CheckImage, fs: fs}
	steps := []Step{
		{Name: "check image", Action: Func{What: "check {image} is an autonomous (k9w7) bundle for this AP", F: conv.checkImage}, Timeout: time.Minute},
		{Name: "find the AP", Action: Func{What: "see where the AP is: ap: or no answer takes the MODE button, the lightweight IOS prompt takes archive download-sw", F: conv.findAP}, Timeout: time.Minute},
		{Name: "laptop address", Action: Func{What: "find the laptop's address on the AP's cable (10.0.0.2-10.0.0.30 for the MODE button)", F: conv.checkLaptop}, Timeout: 10 * time.Second},
		startTFTPStep(fs, "serve {image} over TFTP, also as *-k9w7-tar.default for the MODE button", "*-k9w7-tar.default", "{asked}"),
	}
	modeSteps := append([]Step{
		{Name: "flash space", Action: Func{What: "check the bundle fits the AP's flash with dir flash:", F: modeFlashFit}, Timeout: 30 * time.Second},
	}, modeButtonSteps(fs)...)
	for i := range modeSteps {
		if modeSteps[i].Name == "AP asks" {
			modeSteps[i].Action = Func{What: "wait for the AP to ask for its image", F: explainLightweightAsk(fs.waitAsked)}
		}
	}
	steps = append(steps, onPath(APPathModeButton, "MODE button", modeSteps)...)
	steps = append(steps, onPath(APPathArchive, "from IOS", lapArchiveSteps(fs, wait))...)
	steps = append(steps,
		Step{Name: "reach IOS", Action: Func{What: "reach the autonomous IOS prompt", F: reachIOSUser}, Timeout: 10 * time.Minute},
		Step{Name: "verify autonomous", Action: Func{What: "check show version names the k9w7 image", F: verifyAutonomous}, Timeout: time.Minute},
		Step{Name: "first login", Action: Func{What: "tell the factory first-login defaults (nothing is changed)", F: tellFirstLogin}, Timeout: 10 * time.Second},
		stopTFTPStep(fs),
	)
	pb := &Playbook{
		Name:  "lap-to-autonomous",
		Title: "Lightweight AP to autonomous (k9w7)",
		Description: "Makes a lightweight AP autonomous with a k9w7 bundle (a k9w8 one is refused): from ap: or a silent AP with the MODE button and the laptop at 10.0.0.2-30, " +
			"from the lightweight IOS prompt with debug capwap console cli and archive download-sw /overwrite /reload; checks flash, verifies the autonomous prompt and show version, " +
			"and tells the factory first-login defaults without changing them.",
		StartsAt: []string{"ap-loader", "ios-user", "ios-privileged", "press-return"},
		Steps:    steps,
		Cleanup:  stopTFTPCleanup(fs),
	}
	return pb, vars, nil
}

// lapConversion is what the steps of one lap-to-autonomous run share.
type lapConversion struct {
	check    ImageCheck
	fs       *fileService
	verdicts map[string]ImageVerdict // by path
	boot     string                  // where the bundle's image lands in flash
}

// checkImage checks {image} for every path still open, wanting an
// autonomous image, and refuses it when no path would take it. Nothing is
// typed before this.
func (c *lapConversion) checkImage(ctx context.Context, r *Run) error {
	all := []string{APPathModeButton, APPathArchive}
	open := all
	if p := r.Vars["path"]; p != "" {
		if _, ok := apPathUse[p]; !ok {
			return fmt.Errorf("path %q: choose %s or %s, or leave it empty to follow the AP's prompt", p, APPathModeButton, APPathArchive)
		}
		open = []string{p}
	}
	// Both checks run whatever the path: only MODE-button recovery's says
	// where the image lands in flash, which verify needs on either path.
	c.verdicts = map[string]ImageVerdict{}
	for _, p := range all {
		v, err := checkAPImage(ctx, r, c.check, apPathUse[p], apAutonomous)
		if err != nil {
			return err
		}
		c.verdicts[p] = v
		r.Vars["size"] = strconv.FormatInt(v.Size, 10)
		if c.boot == "" {
			c.boot = v.BootPath
		}
	}
	var reasons []string
	refused := 0
	for _, p := range open {
		v := c.verdicts[p]
		if v.Level != VerdictFail {
			continue
		}
		refused++
		why := v.Reason + " " + v.Fix
		if !containsString(reasons, why) {
			reasons = append(reasons, why)
		}
		if len(open) > 1 {
			r.Message(fmt.Sprintf("the %s path is ruled out for this image: %s", p, why))
		}
	}
	if refused < len(open) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrImageRefused, strings.Join(reasons, " "))
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// findAP wakes the console to see where the AP is and sets {at} and
// {path}, then applies the image verdict of that path.
func (c *lapConversion) findAP(ctx context.Context, r *Run) error {
	at, err := wakeAP(ctx, r)
	if err != nil {
		return err
	}
	r.Vars["at"] = at
	path := r.Vars["path"]
	if path == "" {
		path = APPathModeButton
		if at == apAtIOS {
			path = APPathArchive
		}
	}
	if path == APPathArchive && at != apAtIOS {
		where := "shows no prompt"
		if at == apAtLoader {
			where = "is at its ap: boot loader prompt"
		}
		return fmt.Errorf("archive download-sw runs from the lightweight IOS prompt, but the AP %s: let it boot its lightweight IOS (at ap: type boot), or run again without choosing a path to use the MODE button", where)
	}
	v, ok := c.verdicts[path]
	if !ok {
		return fmt.Errorf("no image check for the %s path", path)
	}
	r.Vars["path"] = path
	if err := applyAPVerdict(r, v); err != nil {
		return fmt.Errorf("the AP needs the %s path: %w", path, err)
	}
	if r.Vars["boot"] == "" && c.boot != "" {
		r.Vars["boot"] = c.boot
	}
	switch {
	case path == APPathArchive:
		r.Message("the AP runs lightweight IOS (" + r.Vars["hostname"] + r.Vars["level"] + "): installing with debug capwap console cli and archive download-sw")
	case at == apAtLoader:
		r.Message("the AP is at its ap: boot loader: installing with the MODE button")
	case at == apAtIOS:
		r.Message("the AP runs IOS but the MODE button was chosen: installing with the MODE button")
	default:
		r.Message("the AP shows no prompt (powered off, or booting nothing): installing with the MODE button")
	}
	return nil
}

// wakeAP types Returns until the AP shows a prompt and says which: the
// ap: loader, IOS (setting {hostname} and {level}), or none.
func wakeAP(ctx context.Context, r *Run) (string, error) {
	loader := regexp.MustCompile(apPrompt)
	ios := regexp.MustCompile(lapPrompt)
	ret := regexp.MustCompile(`Press RETURN to get started`)
	for try := 0; try < findAPTries; {
		r.Console.MarkRead()
		if err := r.Console.SendLine(""); err != nil {
			return "", err
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		i, g, err := r.Expect(wctx, loader, ios, ret)
		cancel()
		switch {
		case err == nil && i == 0:
			return apAtLoader, nil
		case err == nil && i == 1:
			r.Vars["hostname"], r.Vars["level"] = g[1], g[2]
			return apAtIOS, nil
		case err == nil:
			// IOS has just booted: the next Return brings its prompt.
		case ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded):
			return "", err
		default:
			try++
		}
	}
	return apAtNone, nil
}

func (c *lapConversion) checkLaptop(ctx context.Context, r *Run) error {
	if r.Vars["path"] == APPathModeButton {
		return c.fs.checkLaptop(&apRecoveryRange)(ctx, r)
	}
	return c.fs.checkLaptop(nil)(ctx, r)
}

// modeFlashFit reads the flash totals where the AP answers before the power
// cycle and refuses a bundle larger than the whole flash.
func modeFlashFit(ctx context.Context, r *Run) error {
	var prompt string
	switch r.Vars["at"] {
	case apAtLoader:
		prompt = apPrompt
	case apAtIOS:
		prompt = lapPrompt
	default:
		r.Message("flash not checked: the AP shows no prompt to ask")
		return nil
	}
	total, free, err := readFlashTotals(ctx, r, prompt)
	if err != nil {
		return err
	}
	size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
	r.Vars["flash_free"] = strconv.FormatInt(free, 10)
	switch {
	case size > total:
		return fmt.Errorf("the bundle (%d bytes) is larger than the AP's whole flash (%d bytes): it is not an image for this AP", size, total)
	case size > free:
		// Seed 000: MODE-button recovery "will ... delete the
		// lightweight image" as it installs the new one.
		r.Message(fmt.Sprintf("flash has %d bytes free for a %d-byte bundle: the recovery replaces the lightweight image; if it stops with a flash error, format flash: at ap: and run again", free, size))
	default:
		r.Message(fmt.Sprintf("flash: %d bytes free, bundle %d bytes", free, size))
	}
	return nil
}

// explainLightweightAsk turns "not serving that name" into what it means
// for this goal when the loader asks for the k9w8 recovery name.
func explainLightweightAsk(wait func(context.Context, *Run) error) func(context.Context, *Run) error {
	return func(ctx context.Context, r *Run) error {
		err := wait(ctx, r)
		asked := r.Vars["asked"]
		if err == nil || !strings.Contains(strings.ToLower(asked), "-k9w8-") {
			return err
		}
		var se *StepError
		if errors.As(err, &se) {
			return err
		}
		return fmt.Errorf("the AP's boot loader asks for %s, the lightweight recovery name, not a k9w7 one: MODE-button recovery would not make it autonomous. "+
			"Power-cycle it without MODE (at ap: type boot) so it runs its lightweight IOS, and run lap-to-autonomous again from the IOS prompt: archive download-sw installs the k9w7 bundle whatever name the loader wants", asked)
	}
}

// verifyAutonomous checks show version names a k9w7 image, the one the
// bundle installed when known.
func verifyAutonomous(ctx context.Context, r *Run) error {
	running, err := showVersionImage(ctx, r)
	if err != nil {
		return err
	}
	low := strings.ToLower(running)
	want := r.Vars["boot"]
	switch {
	case strings.Contains(low, "k9w8"):
		return fmt.Errorf("the AP still runs the lightweight image %s: the conversion did not take; look at the boot output above and run the playbook again", running)
	case !strings.Contains(low, "k9w7"):
		return fmt.Errorf("show version names %s, not an autonomous (k9w7) image: look at the boot output above", running)
	case want != "" && normFlash(running) != normFlash(want):
		return fmt.Errorf("the AP runs %s, not the new %s: the conversion did not take; look at the boot output above", running, want)
	}
	r.Message(fmt.Sprintf("the AP runs autonomous IOS %s at the %s> prompt", running, r.Vars["hostname"]))
	return nil
}

// firstLoginNote is what the technician needs next. The defaults are the
// factory ones: enable password Cisco (field-notes §2(d), Cisco 8.2 guide),
// user name and password Cisco/Cisco, and the address going on BVI1, the
// bridge interface (seed 000: a LAP converted to standalone).
const firstLoginNote = "The AP runs autonomous IOS with its factory configuration; fieldcon changed none of it. " +
	"First login: user name Cisco, password Cisco, enable password Cisco (case-sensitive); change them once you are in. " +
	"The AP's address goes on BVI1: in enable mode type configure terminal, interface BVI1, ip address ADDRESS MASK, end, write memory; then reach it at that address."

func tellFirstLogin(_ context.Context, r *Run) error {
	r.Message(firstLoginNote)
	return nil
}

// onPath makes steps run only on one path of the playbook; on the other
// they report they are not needed.
func onPath(path, label string, steps []Step) []Step {
	out := make([]Step, len(steps))
	for i, st := range steps {
		st.Action = &pathAction{path: path, label: label, inner: st.Action, destructive: st.Destructive}
		// pathAction asks itself, so the technician is never asked about
		// a step the run skips.
		st.Destructive = false
		out[i] = st
	}
	return out
}

// pathAction is a step of one path.
type pathAction struct {
	path, label string
	inner       Action
	destructive bool
	done        bool // completed once, so running it again needs a fresh yes
}

func (a *pathAction) Do(ctx context.Context, r *Run) error {
	if r.Vars["path"] != a.path {
		r.Message("not needed on the " + r.Vars["path"] + " path")
		return nil
	}
	if a.destructive {
		if err := r.confirmDestructive(ctx, a.done); err != nil {
			return err
		}
	}
	if err := a.inner.Do(ctx, r); err != nil {
		return err
	}
	a.done = true
	return nil
}

func (a *pathAction) Describe(v map[string]string) string {
	return a.label + ": " + a.inner.Describe(v)
}
