package recovery

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ButtonWait is how long after power-on an Aironet held in MODE must say so
// on the console before fieldcon concludes the button is not working
// (field-notes §2(b): the controller can disable it).
const ButtonWait = 40 * time.Second

// ErrModeButton means the AP powered on without noticing the MODE button.
var ErrModeButton = errors.New("MODE button not seen")

// apImageCheck runs the image check for use and sets {size}, {asked} and
// {boot} (where the runnable image lands in flash).
func apImageCheck(check ImageCheck, use string) Step {
	return Step{Name: "check image", Action: Func{
		What: "check {image} for " + use,
		F: func(ctx context.Context, r *Run) error {
			v, err := checkAPImage(ctx, r, check, use, "")
			if err != nil {
				return err
			}
			return applyAPVerdict(r, v)
		},
	}, Timeout: time.Minute}
}

// checkAPImage asks check about {image} for use; want is the AP mode the
// technician is after ("" when either will do).
func checkAPImage(ctx context.Context, r *Run, check ImageCheck, use, want string) (ImageVerdict, error) {
	if check == nil {
		return ImageVerdict{}, errors.New("no image check configured")
	}
	return check(ctx, r.Vars["image"], use, DeviceFacts{Platform: r.Vars["platform"], Want: want})
}

// applyAPVerdict sets {size}, {asked} and {boot} from v and stops on a
// will-fail verdict.
func applyAPVerdict(r *Run, v ImageVerdict) error {
	r.Vars["size"] = strconv.FormatInt(v.Size, 10)
	if v.AskedName != "" {
		r.Vars["asked"] = v.AskedName
	}
	if v.BootPath != "" {
		r.Vars["boot"] = v.BootPath
	}
	switch v.Level {
	case VerdictFail:
		return fmt.Errorf("%w: %s %s", ErrImageRefused, v.Reason, v.Fix)
	case VerdictWarning:
		r.Message("warning: " + v.Reason + " " + v.Fix)
	}
	return nil
}

// Steps the AP playbooks share around their TFTP server.

func laptopStep(fs *fileService, want *addressRange) Step {
	what := "find the laptop's address on the AP's cable"
	if want != nil {
		what = fmt.Sprintf("check the laptop has an address in %s-%s", want.lo, want.hi)
	}
	return Step{Name: "laptop address", Action: Func{What: what, F: fs.checkLaptop(want)}, Timeout: 10 * time.Second}
}

func startTFTPStep(fs *fileService, what string, aliases ...string) Step {
	return Step{Name: "start TFTP", Action: Func{What: what, F: fs.start(aliases...)}, Timeout: 10 * time.Second}
}

func stopTFTPStep(fs *fileService) Step {
	return Step{Name: "stop TFTP", Action: Func{What: "stop the TFTP server", F: fs.stop}, Timeout: 30 * time.Second}
}

// stopTFTPCleanup is the cleanup every AP playbook ends with: whatever
// failed, the server does not outlive the run.
func stopTFTPCleanup(fs *fileService) []Step {
	return []Step{{Name: "stop TFTP", Action: Func{What: "stop the TFTP server", F: fs.stop}}}
}

// modeButtonSteps are the MODE-button recovery from the technician's power
// cycle to the new IOS starting: they need the TFTP server already serving
// the image under the name the AP asks for.
func modeButtonSteps(fs *fileService) []Step {
	extract := &modeExtract{fs: fs}
	return []Step{
		{Name: "press MODE", Action: Func{What: "ask: hold MODE while applying power", F: askModeButton}, Timeout: 30 * time.Minute},
		{Name: "MODE seen", Action: Func{What: "wait for the AP to report the MODE button", F: waitModeButton}, Timeout: ButtonWait},
		{Name: "AP asks", Action: Func{What: "wait for the AP to ask for its image", F: fs.waitAsked}, Timeout: 3 * time.Minute},
		{Name: "download", Action: Func{What: "follow the download and extraction", F: extract.do}, Timeout: 45 * time.Minute, Checkpoint: true},
	}
}

// AironetModeRecovery is the MODE-button recovery of an Aironet IOS AP: the
// laptop at 10.0.0.2-30 serves the image under the name the AP asks
// 255.255.255.255 for, the technician holds MODE while powering the AP on,
// and fieldcon follows the download and extraction to the new IOS.
func AironetModeRecovery(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("aironet-mode-recovery needs --image FILE (the AP's -tar- bundle)")
	}
	fs := &fileService{files: t.Files}
	vars := Vars{"image": p.Image, "iface": p.Iface, "laptop": p.Laptop, "listen": p.Listen}
	steps := []Step{
		laptopStep(fs, &apRecoveryRange),
		apImageCheck(t.CheckImage, "ap-mode-recovery"),
		startTFTPStep(fs, "serve {image} as *-k9w7-tar.default over TFTP", "*-k9w7-tar.default", "{asked}"),
	}
	steps = append(steps, modeButtonSteps(fs)...)
	steps = append(steps,
		Step{Name: "reach IOS", Action: Func{What: "reach the new IOS prompt", F: reachIOSUser}, Timeout: 10 * time.Minute},
		stopTFTPStep(fs),
	)
	pb := &Playbook{
		Name:        "aironet-mode-recovery",
		Title:       "Aironet AP: MODE-button recovery over TFTP",
		Description: "Serves the AP's -tar- bundle from the laptop at 10.0.0.2-30 under the name the AP asks 255.255.255.255 for, guides the MODE button, follows the download and extraction and waits for the new IOS.",
		StartsAt:    []string{"ap-loader", "ios-user", "ios-privileged", "press-return"},
		Steps:       steps,
		Cleanup:     stopTFTPCleanup(fs),
	}
	return pb, vars, nil
}

func askModeButton(ctx context.Context, r *Run) error {
	// Whatever the AP printed before power-on is not an answer to it: let
	// the output in flight arrive (a Return brings a fresh prompt when the
	// AP sits at one), then forget it.
	r.Console.MarkRead()
	if err := r.Console.SendLine(""); err != nil {
		return err
	}
	if err := settleConsole(ctx, r, time.Second); err != nil {
		return err
	}
	ans, err := r.Ask(ctx, Question{
		Prompt: "Unplug the AP's power. Hold the MODE button down and plug the power back in; " +
			"keep holding until the status LED turns red (about 20-30 seconds), then release it. " +
			"Choose Done as soon as the power is back in.",
		Choices: []string{"Done", "Cancel"},
	})
	if err != nil {
		return err
	}
	if ans != "Done" {
		return ErrDeclined
	}
	return nil
}

// settleConsole waits until the device has printed nothing for quiet, then
// forgets what it printed.
func settleConsole(ctx context.Context, r *Run, quiet time.Duration) error {
	anything := regexp.MustCompile(`[\s\S]+`)
	for {
		wctx, cancel := context.WithTimeout(ctx, quiet)
		_, _, err := r.Console.Expect(wctx, anything)
		timedOut := wctx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			continue
		case timedOut:
			r.Console.MarkRead()
			return nil
		default:
			return err
		}
	}
}

func waitModeButton(ctx context.Context, r *Run) error {
	res, err := compileAll(r, apButton, apImageRecovery, apPrompt, apIOSReady, `Loading "flash:`)
	if err != nil {
		return err
	}
	i, g, err := r.Console.Expect(ctx, res...)
	switch {
	case err == nil && i <= 1:
		if i == 0 && len(g) > 1 && g[1] != "" {
			r.Message("the AP saw MODE held for " + g[1] + " seconds")
		}
		return nil
	case err == nil:
		return fmt.Errorf("%w: the AP booted normally (%q) without reporting the MODE button. Power it off, hold MODE before plugging the power in, and keep holding until the LED turns red; if it still boots normally, the MODE button may be disabled from the controller (config ap rst-button enable on the WLC) — use the aironet-tftp playbook from the ap: prompt instead", ErrModeButton, strings.TrimSpace(cleanLine(g[0])))
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		// A StepError of our own, so the runner keeps this explanation
		// instead of a bare "step timed out".
		return &StepError{Step: r.step.Name, Err: fmt.Errorf("%w within %s of power-on (%w): the AP printed no \"button is pressed\" message. The MODE button may be disabled from the controller (config ap rst-button enable on the WLC), or the console shows nothing (check the cable, and that the AP's console runs at 9600). Retry holding MODE before plugging the power in, or use the aironet-tftp playbook from the ap: prompt", ErrModeButton, ButtonWait, ErrTimeout)}
	}
	return err
}

// waitAsked waits for the name the AP asks for, sets {asked} and {platform}
// and checks that the server answers that name.
func (fs *fileService) waitAsked(ctx context.Context, r *Run) error {
	res, err := compileAll(r, apImageRecovery)
	if err != nil {
		return err
	}
	res = append(res, apFailures...)
	w := &watcher{r: r, events: fs.events()}
	i, g, err := w.next(ctx, res)
	if err != nil {
		return err
	}
	if i > 0 {
		return failureError(r, g[0])
	}
	name := g[1]
	r.Vars["asked"] = name
	if plat, _, ok := strings.Cut(name, "-"); ok {
		r.Vars["platform"] = plat
	}
	if !fs.serves(name, r.Vars["file"]) {
		return fmt.Errorf("the AP asks for %s, which fieldcon is not serving (it answers %s): pick an image for this AP's platform and mode (%s) and run the playbook again", name, strings.Join(fs.aliases, ", "), r.Vars["platform"])
	}
	r.Message("the AP at 10.0.0.1 asks 255.255.255.255 for " + name + "; fieldcon serves " + r.Vars["file"])
	return nil
}

// modeExtract follows the AP's automatic download and extraction.
type modeExtract struct {
	fs      *fileService
	started bool
}

func (m *modeExtract) do(ctx context.Context, r *Run) error {
	resumed := m.started
	m.started = true
	res, err := compileAll(r, apExtracting, apIOSReady, apPrompt, apLoading, `examining image`)
	if err != nil {
		return err
	}
	const (
		iExtracting = iota
		iIOS
		iPrompt
		iLoading
		iExamining
		nOwn
	)
	res = append(res, apFailures...)
	if resumed {
		// The console was away: whatever the AP said meanwhile is lost, so
		// ask it where it is.
		r.Message("console back: checking whether the AP is still extracting, back at ap:, or running IOS")
		if err := r.Console.SendLine(""); err != nil {
			return err
		}
	}
	size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
	prog := newExtractProgress(size)
	w := &watcher{r: r, events: m.fs.events()}
	for {
		i, g, err := w.next(ctx, res)
		if err != nil {
			return err
		}
		switch {
		case i == iExtracting:
			prog.add(r, g[1], g[2])
			if b := imageMember(g[1]); b != "" && r.Vars["boot"] == "" {
				r.Vars["boot"] = "flash:/" + b
			}
		case i == iExamining:
			r.Message("the AP is examining the image")
		case i == iLoading:
			r.Message("the AP is loading " + g[1])
		case i == iIOS:
			if prog.files > 0 {
				r.Message(fmt.Sprintf("extracted %d files (%d bytes); the AP is booting the new IOS", prog.files, prog.bytes))
			}
			return nil
		case i == iPrompt:
			return fmt.Errorf("the AP stopped at its ap: prompt without booting a new image: look at the lines above for the reason, then run the aironet-tftp playbook from ap: (it types the same download by hand)")
		default:
			return failureError(r, g[0])
		}
	}
}

// imageMember recognises the runnable image of an AP bundle among the
// extracted files: DIR/DIR, with no extension.
func imageMember(name string) string {
	dir, file := path.Split(name)
	if strings.TrimSuffix(dir, "/") == file && file != "" && !strings.Contains(file, "/") {
		return name
	}
	return ""
}

// AironetTFTP is the manual recovery at the ap: boot loader prompt: address
// the loader, initialise Ethernet, TFTP and flash, `tar -xtract` the bundle
// from the laptop answering every -- MORE -- at once, set BOOT and boot.
func AironetTFTP(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("aironet-tftp needs --image FILE (the AP's -tar- bundle)")
	}
	fs := &fileService{files: t.Files}
	vars := Vars{"image": p.Image, "iface": p.Iface, "laptop": p.Laptop, "listen": p.Listen}
	tar := &tarXtract{fs: fs}
	pb := &Playbook{
		Name:        "aironet-tftp",
		Title:       "Aironet AP: tar -xtract over TFTP from ap:",
		Description: "From the ap: boot loader prompt, gives the loader an address, serves the -tar- bundle over TFTP, extracts it into flash (answering -- MORE -- at once), sets BOOT and boots the new IOS.",
		StartsAt:    []string{"ap-loader"},
		Steps: []Step{
			apImageCheck(t.CheckImage, "ap-tar-xtract"),
			laptopStep(fs, nil),
			{Name: "AP address", Action: Func{What: "choose the AP's address next to the laptop's", F: chooseDeviceAddress}},
			startTFTPStep(fs, "serve {image} over TFTP"),
			{Name: "reach ap:", Action: Func{What: "reach the ap: prompt", F: reachAPLoader}, Timeout: 30 * time.Second, Checkpoint: true},
			{Name: "set IP_ADDR", Action: Command{Line: "set IP_ADDR {apip}", Expect: []string{apPrompt}}, Timeout: 10 * time.Second},
			{Name: "set NETMASK", Action: Command{Line: "set NETMASK {netmask}", Expect: []string{apPrompt}}, Timeout: 10 * time.Second},
			{Name: "set DEFAULT_ROUTER", Action: Command{Line: "set DEFAULT_ROUTER {gateway}", Expect: []string{apPrompt}}, Timeout: 10 * time.Second},
			{Name: "ether_init", Action: Func{What: "type ether_init", F: etherInit}, Timeout: 30 * time.Second},
			{Name: "tftp_init", Action: Command{Line: "tftp_init", Expect: []string{apPrompt}}, Timeout: 10 * time.Second},
			{Name: "flash_init", Action: Command{Line: "flash_init", Expect: []string{`(?i)initializing flash[\s\S]*` + apPrompt + `|already initialized[\s\S]*` + apPrompt}}, Timeout: time.Minute},
			{Name: "tar -xtract", Action: Func{What: "type tar -xtract tftp://{laptop}/{file} flash:", F: tar.do}, Timeout: time.Hour, Destructive: true, Checkpoint: true},
			{Name: "verify", Action: Func{What: "check the image is in flash", F: tar.verify}, Timeout: time.Minute},
			{Name: "set BOOT", Action: Command{Line: "set BOOT {boot}", Expect: []string{apPrompt}}, Timeout: 10 * time.Second},
			{Name: "boot", Action: Command{Line: "boot", Expect: []string{apIOSReady}}, Timeout: 15 * time.Minute},
			{Name: "reach IOS", Action: Func{What: "reach the new IOS prompt", F: reachIOSUser}, Timeout: 5 * time.Minute},
			stopTFTPStep(fs),
		},
		Fail:    []*regexp.Regexp{regexp.MustCompile(`Error loading "?flash:`)},
		Cleanup: stopTFTPCleanup(fs),
	}
	return pb, vars, nil
}

// chooseDeviceAddress sets {apip}, {netmask} and {gateway}: the first free
// host address of the laptop's subnet, its mask, and the laptop itself (the
// loader wants a router; the laptop is the only host on the cable).
func chooseDeviceAddress(_ context.Context, r *Run) error {
	if r.Vars["apip"] != "" && r.Vars["netmask"] != "" {
		if r.Vars["gateway"] == "" {
			r.Vars["gateway"] = r.Vars["laptop"]
		}
		return nil
	}
	p, err := netip.ParsePrefix(r.Vars["prefix"])
	if err != nil {
		return fmt.Errorf("laptop address %q: %w", r.Vars["prefix"], err)
	}
	laptop := p.Addr()
	ip := p.Masked().Addr().Next()
	for ip == laptop {
		ip = ip.Next()
	}
	if !p.Contains(ip) || p.Bits() > 30 {
		return fmt.Errorf("the laptop's subnet %s has no room for the AP: give the laptop a /24, e.g. %s", p, setAddressHowTo("linux", r.Vars["iface"], netip.MustParsePrefix("10.0.0.2/24")))
	}
	if r.Vars["apip"] == "" {
		r.Vars["apip"] = ip.String()
	}
	r.Vars["netmask"] = prefixMask(p)
	r.Vars["gateway"] = laptop.String()
	r.Message(fmt.Sprintf("the AP will use %s/%d, router %s", r.Vars["apip"], p.Bits(), laptop))
	return nil
}

func reachAPLoader(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine(""); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _, err := r.Expect(wctx, regexp.MustCompile(apPrompt))
	if err != nil && wctx.Err() != nil && ctx.Err() == nil {
		return errors.New("the AP is not at its ap: boot loader prompt: power-cycle it with the console connected (an AP without a bootable image stops at ap:), or use the aironet-mode-recovery playbook")
	}
	return err
}

func etherInit(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine("ether_init"); err != nil {
		return err
	}
	i, _, err := r.Expect(ctx, regexp.MustCompile(`link is up[\s\S]*`+apPrompt), regexp.MustCompile(`link is down|no link`))
	if err != nil {
		return err
	}
	if i == 1 {
		return errors.New("the AP's Ethernet link is down: connect its Ethernet port to the laptop (directly or through a switch) and check the laptop's interface is up")
	}
	return nil
}

// tarXtract types the tar -xtract command and follows it to the prompt,
// answering every -- MORE -- at once: a pager left waiting stalls the TFTP
// transfer until it times out, which ends in "Premature end of tar file"
// (field-notes §2(b), mostlynetworks 2012).
type tarXtract struct {
	fs      *fileService
	started bool
	sizes   map[string]int64 // what the loader reported extracting
}

func (t *tarXtract) do(ctx context.Context, r *Run) error {
	res, err := compileAll(r, apExtracting, apMore, apPrompt, `examining image`)
	if err != nil {
		return err
	}
	const (
		iExtracting = iota
		iMore
		iPrompt
		iExamining
	)
	res = append(res, apFailures...)
	w := &watcher{r: r, events: t.fs.events()}
	if t.started {
		// Resumed after the console dropped: the loader may still be
		// extracting (perhaps held at -- MORE --) or back at ap: after a
		// failure nobody saw. Let it finish, then extract again.
		r.Message("console back: letting the loader finish what it was doing, then extracting again")
		r.Console.MarkRead()
		if err := r.Console.Send([]byte(" ")); err != nil {
			return err
		}
		if err := r.Console.SendLine(""); err != nil {
			return err
		}
	drain:
		for {
			i, g, err := w.next(ctx, res)
			if err != nil {
				return err
			}
			switch {
			case i == iMore:
				if err := r.Console.Send([]byte(" ")); err != nil {
					return err
				}
			case i == iPrompt:
				break drain
			case i >= len(res)-len(apFailures):
				r.Message("while the console was away: " + cleanLine(g[0]))
			}
		}
		// The Return may have brought a second prompt: let it pass.
		if err := settleConsole(ctx, r, time.Second); err != nil {
			return err
		}
	}
	t.started = true
	t.sizes = map[string]int64{}
	r.Console.MarkRead()
	if err := r.Console.SendLine(r.Vars.Expand("tar -xtract tftp://{laptop}/{file} flash:")); err != nil {
		return err
	}
	size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
	prog := newExtractProgress(size)
	for {
		i, g, err := w.next(ctx, res)
		if err != nil {
			return err
		}
		switch {
		case i == iExtracting:
			prog.add(r, g[1], g[2])
			n, _ := strconv.ParseInt(g[2], 10, 64)
			t.sizes[g[1]] = n
			if b := imageMember(g[1]); b != "" && r.Vars["boot"] == "" {
				r.Vars["boot"] = "flash:/" + b
			}
		case i == iMore:
			if err := r.Console.Send([]byte(" ")); err != nil {
				return err
			}
		case i == iExamining:
			r.Message("the loader is examining the image")
		case i == iPrompt:
			if prog.files == 0 {
				return errors.New("the loader returned to ap: without extracting anything: look at the lines above (is the TFTP server reachable from the AP's address?)")
			}
			r.Message(fmt.Sprintf("extracted %d files (%d bytes)", prog.files, prog.bytes))
			return nil
		default:
			return failureError(r, g[0])
		}
	}
}

// verify lists the image's folder and checks the image is there with the
// size the loader reported extracting.
func (t *tarXtract) verify(ctx context.Context, r *Run) error {
	boot := r.Vars["boot"]
	if boot == "" {
		return errors.New("no image was seen among the extracted files: the bundle may not be an AP image; look at the extracted names with dir flash:")
	}
	dir, file := path.Split(strings.TrimPrefix(boot, "flash:"))
	r.Console.MarkRead()
	if err := r.Console.SendLine("dir flash:" + dir); err != nil {
		return err
	}
	_, g, err := r.Expect(ctx, regexp.MustCompile(`(?s)(.*?)`+apPrompt))
	if err != nil {
		return err
	}
	re := regexp.MustCompile(`(?m)^\s*\d+\s+\S+\s+(\d+)\s.*\s` + regexp.QuoteMeta(file) + `\s*$`)
	m := re.FindStringSubmatch(stripCR(g[1]))
	if m == nil {
		return fmt.Errorf("%s is not in flash after the extraction: run the playbook again; if it fails the same way, format flash: at ap: first", boot)
	}
	got, _ := strconv.ParseInt(m[1], 10, 64)
	want, known := t.sizes[strings.TrimPrefix(strings.TrimPrefix(boot, "flash:"), "/")]
	if known && got != want {
		return fmt.Errorf("%s is %d bytes in flash but %d were extracted: the copy is incomplete; run the playbook again", boot, got, want)
	}
	r.Message(fmt.Sprintf("%s is in flash (%d bytes)", boot, got))
	return nil
}
