package recovery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Password recovery strings (field-notes §2(a) and §2(c)).
const (
	iosPrivPrompt   = `(?:^|[\r\n])([\w.-]+)# *$`
	iosConfigPrompt = `(?:^|[\r\n])[\w.-]+\(config\)# *$`
	destFilename    = `Destination filename \[[^\]]*\]\? *$`
	confregDone     = `You must reset or power cycle for new config to take effect`
	registerPending = `Configuration register is 0x2142 \(will be 0x2102 at next reload\)`
)

var errNoPassword = errors.New("password recovery needs --password NEW (the new enable secret)")

// RouterPassword is router password recovery through ROMMON: confreg 0x2142
// so IOS skips the startup configuration, reset, copy startup-config
// running-config, a new enable secret, config-register 0x2102, save, and
// a check that the register returns to 0x2102 at the next reload.
//
// Both register values are checked before they are typed: a mistyped
// value such as 0x2124 moves the console to 19200 baud and keeps the old
// password. A router left at another speed is found again by auto-baud.
func RouterPassword(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Password == "" {
		return nil, nil, errNoPassword
	}
	vars := Vars{"password": p.Password, "confreg": "0x2142", "confreg_after": "0x2102"}
	priv := []string{iosPrivPrompt}
	pb := &Playbook{
		Name:        "router-password",
		Title:       "Router: password recovery (confreg 0x2142)",
		Description: "From rommon >: boots IOS without its startup configuration, restores it, sets a new enable secret, puts the register back to 0x2102 and saves.",
		StartsAt:    []string{"rommon"},
		Steps: []Step{
			{Name: "check register values", Action: Func{What: "check {confreg} and {confreg_after} before typing them", F: checkRegisterValues}},
			{Name: "reach ROMMON", Action: Func{What: "reach the rommon prompt (break at power-on if needed)", F: reachROMMON}, Timeout: 5 * time.Minute, Checkpoint: true},
			{Name: "confreg", Action: Command{Line: "confreg {confreg}", Expect: []string{confregDone}}, Timeout: 30 * time.Second},
			{Name: "reset", Action: Func{What: "reset; IOS boots without the startup configuration", F: resetToRegister}, Timeout: 20 * time.Minute},
			{Name: "reach IOS", Action: Func{What: "reach the IOS prompt", F: reachIOSAfterLaunch}, Timeout: 5 * time.Minute, Checkpoint: true},
			{Name: "enable", Action: Command{Line: "enable", Expect: priv}, Timeout: 30 * time.Second},
			{Name: "restore configuration", Action: Func{What: "copy startup-config running-config", F: copyAnswering("copy startup-config running-config")}, Timeout: 2 * time.Minute},
			{Name: "new secret", Action: Func{What: "set the new enable secret and config-register {confreg_after}", F: configLines("enable secret {password}", "config-register {confreg_after}")}, Timeout: time.Minute, Destructive: true},
			{Name: "save", Action: Func{What: "copy running-config startup-config (overwrites the saved configuration)", F: copyAnswering("copy running-config startup-config")}, Timeout: 2 * time.Minute, Destructive: true},
			{Name: "verify register", Action: Command{Line: "show version", Expect: []string{registerPending}}, Timeout: time.Minute},
			{Name: "done", Action: Func{What: "tell the technician what is left", F: func(_ context.Context, r *Run) error {
				r.Message("the configuration is back with the new enable secret; interfaces the restore left shut down need no shutdown; the register is 0x2102 from the next reload")
				return nil
			}}},
		},
		Fail: []*regexp.Regexp{regexp.MustCompile(`% Bad secrets`), regexp.MustCompile(`% Invalid input detected[^\r\n]*`)},
	}
	return pb, vars, nil
}

func checkRegisterValues(_ context.Context, r *Run) error {
	if _, err := CheckConfreg(r.Vars["confreg"], "password"); err != nil {
		return r.diagnosed(err, "console-speed-changed", "")
	}
	if _, err := CheckConfreg(r.Vars["confreg_after"], "normal"); err != nil {
		return r.diagnosed(err, "console-speed-changed", "")
	}
	return nil
}

// resetToRegister types reset and moves the host to the console speed
// the new register gives, once the command's echo is back.
func resetToRegister(ctx context.Context, r *Run) error {
	c, err := ParseConfreg(r.Vars["confreg"])
	if err != nil {
		return err
	}
	r.Console.MarkRead()
	if err := r.Console.SendLine("reset"); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	r.Expect(wctx, regexp.MustCompile(`reset\r?\n`))
	cancel()
	if r.Console.Baud() != c.ConsoleBaud {
		r.Message(fmt.Sprintf("register %s sets the console to %d baud; the host follows", r.Vars["confreg"], c.ConsoleBaud))
		if err := r.Console.SetBaud(c.ConsoleBaud); err != nil {
			return fmt.Errorf("set host speed %d: %w", c.ConsoleBaud, err)
		}
		r.Vars["baud"] = strconv.Itoa(c.ConsoleBaud)
	}
	return nil
}

// copyAnswering types an IOS copy (or rename) and takes the default
// destination IOS offers, then waits for the privileged prompt.
func copyAnswering(line string) func(ctx context.Context, r *Run) error {
	return func(ctx context.Context, r *Run) error {
		r.Console.MarkRead()
		if err := r.Console.SendLine(r.Vars.Expand(line)); err != nil {
			return err
		}
		if _, _, err := r.Expect(ctx, regexp.MustCompile(destFilename)); err != nil {
			return err
		}
		if err := r.Console.SendLine(""); err != nil {
			return err
		}
		_, g, err := r.Expect(ctx, regexp.MustCompile(iosPrivPrompt))
		if err != nil {
			return err
		}
		r.Vars["hostname"] = g[1]
		return nil
	}
}

// configLines enters configuration mode, types lines and ends.
func configLines(lines ...string) func(ctx context.Context, r *Run) error {
	return func(ctx context.Context, r *Run) error {
		cfg := regexp.MustCompile(iosConfigPrompt)
		for _, l := range append([]string{"configure terminal"}, lines...) {
			r.Console.MarkRead()
			if err := r.Console.SendLine(r.Vars.Expand(l)); err != nil {
				return err
			}
			if _, _, err := r.Expect(ctx, cfg); err != nil {
				return err
			}
		}
		r.Console.MarkRead()
		if err := r.Console.SendLine("end"); err != nil {
			return err
		}
		_, _, err := r.Expect(ctx, regexp.MustCompile(iosPrivPrompt))
		return err
	}
}

// CatalystPassword is Catalyst password recovery from the boot loader
// (MODE button at power-on): flash_init, load_helper, rename config.text
// aside, boot without it, rename it back and copy it into the running
// configuration, set a new enable secret and save.
func CatalystPassword(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Password == "" {
		return nil, nil, errNoPassword
	}
	vars := Vars{"password": p.Password}
	pb := &Playbook{
		Name:        "catalyst-password",
		Title:       "Catalyst switch: password recovery from switch:",
		Description: "MODE button at power-on, then: flash_init, rename flash:config.text aside, boot, rename it back, copy it to the running configuration, set a new enable secret and save.",
		StartsAt:    []string{"switch-loader"},
		Steps: []Step{
			{Name: "reach loader", Action: Func{What: "reach the switch: prompt (MODE button at power-on)", F: reachSwitchLoader}, Timeout: 10 * time.Minute, Checkpoint: true},
			{Name: "flash_init", Action: Command{Line: "flash_init", Expect: []string{switchPrompt}}, Timeout: 2 * time.Minute, Checkpoint: true},
			{Name: "load_helper", Action: Command{Line: "load_helper", Expect: []string{switchPrompt}}, Timeout: 30 * time.Second},
			{Name: "find config", Action: Func{What: "check flash:config.text is there", F: findConfigText}, Timeout: 30 * time.Second},
			{Name: "rename config", Action: Command{Line: "rename flash:config.text flash:config.old", Expect: []string{switchPrompt}}, Timeout: 30 * time.Second, Destructive: true},
			{Name: "boot", Action: Command{Line: "boot", Expect: []string{iosReady}}, Timeout: 20 * time.Minute},
			{Name: "reach IOS", Action: Func{What: "reach the IOS prompt (answering no to the setup dialog)", F: reachIOSUser}, Timeout: 3 * time.Minute, Checkpoint: true},
			{Name: "enable", Action: Command{Line: "enable", Expect: []string{iosPrivPrompt}}, Timeout: 30 * time.Second},
			{Name: "rename back", Action: Func{What: "rename flash:config.old flash:config.text", F: copyAnswering("rename flash:config.old flash:config.text")}, Timeout: 30 * time.Second},
			{Name: "restore configuration", Action: Func{What: "copy flash:config.text system:running-config", F: copyAnswering("copy flash:config.text system:running-config")}, Timeout: 2 * time.Minute},
			{Name: "new secret", Action: Func{What: "set the new enable secret", F: configLines("enable secret {password}")}, Timeout: time.Minute, Destructive: true},
			{Name: "save", Action: Command{Line: "write memory", Expect: []string{`\[OK\]`}}, Timeout: 2 * time.Minute, Destructive: true},
			{Name: "done", Action: Func{What: "tell the technician what is left", F: func(_ context.Context, r *Run) error {
				r.Message("the configuration of " + r.Vars["hostname"] + " is back with the new enable secret; interfaces the restore left shut down need no shutdown")
				return nil
			}}},
		},
		Fail: []*regexp.Regexp{
			regexp.MustCompile(`password-recovery mechanism has been triggered, but\s*is currently disabled`),
			regexp.MustCompile(`% Bad secrets`),
		},
	}
	return pb, vars, nil
}

// findConfigText lists flash and stops when there is no config.text: a
// config.old from an earlier attempt is the likely reason.
func findConfigText(ctx context.Context, r *Run) error {
	listing, err := dirFlash(ctx, r)
	if err != nil {
		return err
	}
	if flashFileSize(listing, "config.text") > 0 {
		return nil
	}
	if flashFileSize(listing, "config.old") > 0 {
		return errors.New("flash has config.old but no config.text: an earlier recovery renamed it; type boot, then in IOS rename flash:config.old flash:config.text and copy it to system:running-config")
	}
	return errors.New("flash has no config.text: the switch has no saved configuration, so there is no password to recover; boot it and configure it")
}
