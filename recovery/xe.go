package recovery

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Newer Catalyst loaders with a management port (field-notes §2(a)).
const (
	loaderTFTPCopied = `File "tftp://[^"]+" successfully copied to "[Ff]lash:/?{name}"`
	emergencyConfirm = `The bootflash will be erased during install operation, continue \(y/n\)\? *$`
	emergencyDone    = `Emergency Install successful`
	pingAlive        = `is alive`
)

// loaderNetworkSteps are shared by the management-port playbooks: find the
// laptop on --iface, choose the switch's address, serve the image, reach
// switch:, set IP_ADDR and DEFAULT_ROUTER.
func loaderNetworkSteps(fs *fileService) []Step {
	return []Step{
		{Name: "laptop address", Action: Func{What: "find the laptop's address on the management port's cable", F: fs.checkLaptop(nil)}},
		{Name: "switch address", Action: Func{What: "choose the switch's management address and gateway", F: chooseRouterAddress}},
		{Name: "start TFTP", Action: Func{What: "serve {image} over TFTP on {iface}", F: fs.start()}},
		{Name: "reach loader", Action: Func{What: "reach the switch: prompt (MODE button if needed)", F: reachSwitchLoader}, Timeout: 10 * time.Minute, Checkpoint: true},
		{Name: "set IP_ADDR", Action: Command{Line: "set IP_ADDR {ip}/{mask}", Expect: []string{switchPrompt}}, Timeout: 30 * time.Second},
		{Name: "set DEFAULT_ROUTER", Action: Command{Line: "set DEFAULT_ROUTER {gateway}", Expect: []string{switchPrompt}}, Timeout: 30 * time.Second},
	}
}

var loaderTFTPFail = []*regexp.Regexp{regexp.MustCompile(`%Error (?:copying|parsing)[^\r\n]*\r?\n`), regexp.MustCompile(`Emergency Install failed`)}

// CatalystLoaderTFTP is the 3560-X/3750-X recovery through the Ethernet
// management port: the loader copies the image from the laptop's TFTP
// server with `copy tftp://LAPTOP/FILE flash:FILE`, then BOOT is set and
// the switch boots it. Much faster than XMODEM over the console.
func CatalystLoaderTFTP(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("catalyst-loader-tftp needs --image FILE (the .bin, not the .tar)")
	}
	name := p.FlashName
	if name == "" {
		name = filepath.Base(p.Image)
	}
	fs := &fileService{files: t.Files}
	vars := Vars{"image": p.Image, "name": name, "iface": p.Iface, "laptop": p.Laptop, "listen": p.Listen}
	steps := []Step{{Name: "check image", Action: CheckImageStep{Check: t.CheckImage, Use: "loader-boot"}}}
	steps = append(steps, loaderNetworkSteps(fs)...)
	steps = append(steps,
		Step{Name: "flash space", Action: Func{What: "check free flash space for the image", F: checkFlashSpace}, Timeout: 30 * time.Second},
		Step{Name: "copy tftp", Action: Command{Line: "copy tftp://{laptop}/{file} flash:{name}", Expect: []string{loaderTFTPCopied}}, Timeout: time.Hour, Fail: loaderTFTPFail},
		Step{Name: "stop TFTP", Action: Func{What: "stop the TFTP server", F: fs.stop}},
		Step{Name: "verify copy", Action: Func{What: "check the copy in flash has the image's size", F: verifyFlashCopy}, Timeout: 30 * time.Second, Checkpoint: true},
		Step{Name: "set BOOT", Action: Command{Line: "set BOOT flash:{name}", Expect: []string{switchPrompt}}, Timeout: 30 * time.Second},
		Step{Name: "boot", Action: Command{Line: "boot", Expect: []string{iosReady}}, Timeout: 20 * time.Minute},
		Step{Name: "reach IOS", Action: Func{What: "reach the IOS prompt", F: reachIOSUser}, Timeout: 3 * time.Minute},
	)
	return &Playbook{
		Name:        "catalyst-loader-tftp",
		Title:       "Catalyst 3560-X/3750-X: image over TFTP from switch:",
		Description: "From the switch: loader, over the Ethernet management port: set IP_ADDR and DEFAULT_ROUTER, copy the .bin from the laptop's TFTP server, set BOOT and boot.",
		StartsAt:    []string{"switch-loader"},
		Steps:       steps,
		Fail:        []*regexp.Regexp{regexp.MustCompile(`Error loading "?flash:`)},
		Cleanup:     []Step{{Name: "stop TFTP", Action: Func{What: "stop the TFTP server", F: fs.stop}}},
	}, vars, nil
}

// EmergencyInstall is the Catalyst 3850/3650 recovery when the loader
// cannot boot packages.conf: over the management port,
// `emergency-install tftp://LAPTOP/BUNDLE.bin`, answer its question (the
// whole bootflash is erased), follow the install and the reboot to IOS-XE.
// It takes 10 to 20 minutes on a local link (field-notes §2(a)).
func EmergencyInstall(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("emergency-install needs --image FILE (the cat3k_caa-universalk9 .bin bundle)")
	}
	if !strings.HasSuffix(strings.ToLower(p.Image), ".bin") {
		return nil, nil, fmt.Errorf("emergency-install takes the .bin bundle (cat3k_caa-universalk9...SPA...bin), not %s", filepath.Base(p.Image))
	}
	fs := &fileService{files: t.Files}
	vars := Vars{"image": p.Image, "iface": p.Iface, "laptop": p.Laptop, "listen": p.Listen}
	steps := loaderNetworkSteps(fs)
	steps = append(steps,
		Step{Name: "ping laptop", Action: Command{Line: "ping {laptop}", Expect: []string{pingAlive}}, Timeout: time.Minute,
			Fail: []*regexp.Regexp{regexp.MustCompile(`is not alive|IP_ADDR is not set`)}},
		Step{Name: "emergency-install", Action: Func{What: "type emergency-install and wait for its question", F: startEmergencyInstall}, Timeout: time.Minute},
		Step{Name: "erase and install", Action: Func{What: "answer y: the bootflash is erased and the bundle installed", F: confirmEmergencyInstall}, Timeout: 45 * time.Minute, Destructive: true, Fail: loaderTFTPFail},
		Step{Name: "stop TFTP", Action: Func{What: "stop the TFTP server", F: fs.stop}},
		Step{Name: "reach IOS", Action: Func{What: "wait for IOS-XE to boot and reach its prompt", F: reachIOSAfterInstall}, Timeout: 30 * time.Minute},
	)
	return &Playbook{
		Name:        "emergency-install",
		Title:       "Catalyst 3850/3650: emergency-install over TFTP",
		Description: "From the switch: loader, over the Ethernet management port: set IP_ADDR and DEFAULT_ROUTER, ping the laptop, emergency-install the .bin bundle from its TFTP server (erases the bootflash), and wait for IOS-XE.",
		StartsAt:    []string{"switch-loader"},
		Steps:       steps,
		Cleanup: []Step{
			{Name: "decline erase", Action: Func{What: "answer n if emergency-install is still asking", F: declineIfAsked}},
			{Name: "stop TFTP", Action: Func{What: "stop the TFTP server", F: fs.stop}},
		},
	}, vars, nil
}

func startEmergencyInstall(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine(r.Vars.Expand("emergency-install tftp://{laptop}/{file}")); err != nil {
		return err
	}
	if _, _, err := r.Expect(ctx, regexp.MustCompile(emergencyConfirm)); err != nil {
		return err
	}
	r.Vars["asking"] = "yes"
	return nil
}

func confirmEmergencyInstall(ctx context.Context, r *Run) error {
	r.Vars["asking"] = ""
	if err := r.Console.SendLine("y"); err != nil {
		return err
	}
	r.Message("the switch reads the whole bundle into memory, formats the bootflash and installs it (10-20 minutes on a local link)")
	_, _, err := r.Expect(ctx, regexp.MustCompile(emergencyDone))
	return err
}

func reachIOSAfterInstall(ctx context.Context, r *Run) error {
	if _, _, err := r.Expect(ctx, regexp.MustCompile(iosReady)); err != nil {
		return err
	}
	return reachIOSUser(ctx, r)
}
