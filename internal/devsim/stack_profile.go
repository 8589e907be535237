package devsim

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A Catalyst 3750 stack (seed 000, field notes §2(a)): its master runs IOS
// with the stack commands `show switch`, `archive copy-sw` and `reload
// slot`, and one member that joined with other software sits in "Version
// Mismatch" after the automatic upgrade failed. The same switch with the
// MODE button held at power-on stops at its boot loader with flash not
// initialised, for password recovery: rename flash:config.text aside, boot,
// rename it back and copy it into the running configuration.
//
// Members are hidden state "member.N" = "role|mac|priority|state|version";
// the running configuration's enable secret is "running.secret" (as
// SimSecret stores it) and flash:config.text holds the saved one.

func init() {
	registerProfile("c3750-stack", func() *Profile { return c3750Profile("c3750-stack") })
	registerProfile("c3750-mode", func() *Profile { return c3750Profile("c3750-mode") })
	for _, name := range []string{"c3750-stack", "c3750-mode"} {
		registerRules(name, "idle", Rule{Match: `.*`, When: map[string]string{"boot.config": ""}, Handler: switchLoadConfig, Output: []string{""}, Mode: "user"})
		registerRules(name, "user", Rule{Match: words("en|able"), Handler: routerEnable})
		registerRules(name, "priv",
			Rule{Match: words("sh|ow sw|itch"), Handler: showSwitch},
			Rule{Match: words("arc|hive") + `\s+` + words("copy-sw") + `((?:\s+/\S+)*)\s+(?:/destination-system\s+(\d+)\s+)?(\d+)`, Handler: archiveCopySw},
			Rule{Match: words("rel|oad") + `\s+` + words("sl|ot") + `\s+(\d+)`, Confirm: "Proceed with reload? [confirm]", Handler: reloadSlot},
			Rule{Match: words("ren|ame") + `\s+(flash:\S+)\s+(flash:\S+)`, Handler: iosRename},
			Rule{Match: words("copy") + `\s+flash:/?config\.text\s+(?:system:)?` + words("r|unning-config"), Handler: switchCopyConfig},
			Rule{Match: words("wr|ite") + `(?:\s+` + words("m|emory") + `)?`, Handler: switchWriteMemory},
			Rule{Match: words("copy") + `\s+(?:` + words("r|unning-config") + `|system:running-config)\s+(?:` + words("st|artup-config") + `|nvram:startup-config)`, Handler: func(ctx context.Context, c *Call) error {
				ok, err := askDestination(ctx, c, "startup-config")
				if err != nil || !ok {
					return err
				}
				return switchWriteMemory(ctx, c)
			}},
		)
		registerRules(name, "config",
			Rule{Match: words("ena|ble") + `\s+` + words("s|ecret") + `\s+(?:0\s+)?(\S+)`, Handler: func(_ context.Context, c *Call) error {
				c.Device.SetState("running.secret", SimSecret(c.Arg(1)))
				return nil
			}},
		)
		registerRules(name, "loader",
			Rule{Match: `rename\s+(flash:\S+)\s+(flash:\S+)`, Handler: loaderRename},
		)
	}
}

const c3750Image = "c3750-ipservicesk9-mz.122-55.SE12.bin"

// C3750Config is the saved configuration of the simulated 3750: hostname
// and enable secret, as flash:config.text holds them.
func C3750Config(hostname, password string) []byte {
	return []byte("!\nversion 12.2\nhostname " + hostname + "\n!\nenable secret 5 " + SimSecret(password) + "\n!\ninterface Vlan1\n no ip address\n!\nend\n")
}

func c3750Profile(name string) *Profile {
	modes := iosModes()
	modes["loader"] = &Mode{
		Prompt: "switch: ",
		Rules: append(loaderRules(),
			Rule{Match: `load_helper`},
			Rule{Match: `boot(?:\s+(\S+))?`, Handler: catalystBootCommand},
		),
		Unknown: loaderUnknown,
	}
	p := &Profile{
		Name:    name,
		Summary: "Catalyst 3750 stack master running IOS; member 3 in Version Mismatch",
		Start:   "loader",
		Modes:   modes,
		State: map[string]string{
			"hostname": "Switch",
			"member.1": "Master|0015.63f6.b700|5|Ready|12.2(55)SE12",
			"member.2": "Member|0015.c6c1.3000|2|Ready|12.2(55)SE12",
			"member.3": "Member|000f.f794.3d00|5|Version Mismatch|12.2(25)SEE1",
		},
		Env:       map[string]string{"BOOT": "flash:" + c3750Image, "MODEL_NUM": "WS-C3750G-24TS-S1U", "SWITCH_NUMBER": "1"},
		FlashSize: 32514048,
		Files: map[string][]byte{
			c3750Image:            FakeIOSImage(16384),
			"config.text":         C3750Config("3750-stack", "forgotten"),
			"private-config.text": []byte("!\n"),
			"vlan.dat":            make([]byte, 616),
		},
		PowerOn:     c3750PowerOn,
		BaudVar:     "BAUD",
		DefaultBaud: 9600,
	}
	if name == "c3750-mode" {
		p.Summary = "Catalyst 3750 with the MODE button held at power-on: boot loader, flash not initialised"
	}
	return p
}

// c3750PowerOn boots IOS, or, for the MODE profile, stops at the loader
// the way a switch does when MODE is held.
func c3750PowerOn(ctx context.Context, c *Call) error {
	d := c.Device
	if err := c.Println("Base ethernet MAC Address: 00:15:63:f6:b7:00", "Xmodem file system is available.", "The password-recovery mechanism is enabled."); err != nil {
		return err
	}
	if d.p.Name == "c3750-mode" {
		if err := c.Println("",
			"The system has been interrupted prior to initializing the",
			"flash filesystem.  The following commands will initialize",
			"the flash filesystem, and finish loading the operating",
			"system software:",
			"",
			"    flash_init",
			"    load_helper",
			"    boot",
			""); err != nil {
			return err
		}
		return d.SetMode("loader")
	}
	d.SetState("flash", "on")
	boot, _ := d.Env("BOOT")
	return catalystBoot(ctx, c, boot)
}

// parseConfigText reads hostname and secret from a saved configuration.
var (
	cfgHostname = regexp.MustCompile(`(?m)^hostname (\S+)`)
	cfgSecret   = regexp.MustCompile(`(?m)^enable secret 5 (\S+)`)
)

func loadConfigText(d *Device, text []byte) {
	if m := cfgHostname.FindSubmatch(text); m != nil {
		d.SetState("hostname", string(m[1]))
	}
	if m := cfgSecret.FindSubmatch(text); m != nil {
		d.SetState("running.secret", string(m[1]))
	}
}

// switchLoadConfig is IOS reading flash:config.text at the end of its boot;
// without it the switch comes up as "Switch" with no secret.
func switchLoadConfig(_ context.Context, c *Call) error {
	d := c.Device
	d.SetState("boot.config", "done")
	text, ok := d.Flash().Get("config.text")
	if !ok {
		d.SetState("hostname", "Switch")
		d.SetState("running.secret", "")
		return nil
	}
	loadConfigText(d, text)
	return nil
}

func switchCopyConfig(ctx context.Context, c *Call) error {
	ok, err := askDestination(ctx, c, "running-config")
	if err != nil || !ok {
		return err
	}
	text, found := c.Device.Flash().Get("config.text")
	if !found {
		return c.Println("%Error opening flash:config.text (No such file or directory)")
	}
	loadConfigText(c.Device, text)
	return c.Println("", fmt.Sprintf("%d bytes copied in 0.310 secs (%d bytes/sec)", len(text), len(text)*3))
}

func switchWriteMemory(_ context.Context, c *Call) error {
	d := c.Device
	text := "!\nversion 12.2\nhostname " + d.State("hostname") + "\n!\n"
	if s := d.State("running.secret"); s != "" {
		text += "enable secret 5 " + s + "\n!\n"
	}
	text += "end\n"
	if err := d.Flash().Put("config.text", []byte(text)); err != nil {
		return c.Println("%Error writing flash:config.text")
	}
	return c.Println("Building configuration...", "[OK]")
}

// loaderRename is the boot loader's rename; it prints nothing on success.
func loaderRename(_ context.Context, c *Call) error {
	d := c.Device
	if d.State("flash") != "on" {
		return c.Println("unable to stat " + c.Arg(1) + ": invalid argument")
	}
	return renameFlash(c, false)
}

// iosRename asks for the destination first, as IOS does.
func iosRename(ctx context.Context, c *Call) error {
	dst := strings.TrimPrefix(c.Arg(2), "flash:")
	ok, err := askDestination(ctx, c, strings.TrimPrefix(dst, "/"))
	if err != nil || !ok {
		return err
	}
	return renameFlash(c, true)
}

func renameFlash(c *Call, ios bool) error {
	d := c.Device
	data, ok := d.Flash().Get(c.Arg(1))
	if !ok {
		if ios {
			return c.Println("%Error renaming " + c.Arg(1) + " (No such file or directory)")
		}
		return c.Println("unable to rename " + c.Arg(1) + ": no such file or directory")
	}
	if err := d.Flash().Put(c.Arg(2), data); err != nil {
		return c.Println("unable to rename " + c.Arg(1) + ": " + err.Error())
	}
	return d.Flash().Delete(c.Arg(1))
}

type stackMember struct {
	n                                   int
	role, mac, priority, state, version string
}

func (d *Device) stackMembers() []stackMember {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []stackMember
	for k, v := range d.state {
		num, ok := strings.CutPrefix(k, "member.")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		f := strings.Split(v, "|")
		if len(f) != 5 {
			continue
		}
		out = append(out, stackMember{n, f[0], f[1], f[2], f[3], f[4]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n < out[j].n })
	return out
}

func (d *Device) setMember(m stackMember) {
	d.SetState("member."+strconv.Itoa(m.n), strings.Join([]string{m.role, m.mac, m.priority, m.state, m.version}, "|"))
}

// StackMemberState returns the state `show switch` shows for member n.
func (d *Device) StackMemberState(n int) string {
	for _, m := range d.stackMembers() {
		if m.n == n {
			return m.state
		}
	}
	return ""
}

// showSwitch prints the stack table; a member reloaded with the right
// software shows Progressing once, then Ready.
func showSwitch(_ context.Context, c *Call) error {
	d := c.Device
	out := []string{
		"Switch#  Role      Mac Address     Priority     State",
		"--------------------------------------------------------",
	}
	for _, m := range d.stackMembers() {
		mark := " "
		if m.role == "Master" {
			mark = "*"
		}
		out = append(out, fmt.Sprintf("%s%-7d %-9s %-15s %-12s %s", mark, m.n, m.role, m.mac, "    "+m.priority, m.state))
		if m.state == "Progressing" {
			m.state = "Ready"
			d.setMember(m)
		}
	}
	return c.Println(append(out, "")...)
}

func archiveCopySw(_ context.Context, c *Call) error {
	d := c.Device
	flags := c.Arg(1)
	dst, _ := strconv.Atoi(c.Arg(2))
	src, _ := strconv.Atoi(c.Arg(3))
	members := d.stackMembers()
	var from, to *stackMember
	for i := range members {
		if members[i].n == src {
			from = &members[i]
		}
		if members[i].n == dst {
			to = &members[i]
		}
	}
	if from == nil || (dst != 0 && to == nil) {
		return c.Println("%Error: system number not in the stack", "")
	}
	if from.state != "Ready" {
		return c.Println(fmt.Sprintf("%%Error: system %d is not ready to act as software donor", src), "")
	}
	if to == nil {
		return c.Println("%Error: give /destination-system for a single member", "")
	}
	img := strings.TrimSuffix(c3750Image, ".bin")
	lines := []string{
		"System software to be uploaded:",
		"System Type:             0x00000000",
		"  archiving " + img + " (directory)",
		"  archiving " + img + "/" + c3750Image + " (16384 bytes)",
		"  archiving " + img + "/info (450 bytes)",
		"  archiving info (110 bytes)",
		"examining image...",
		"  extracting info (110 bytes)",
		"  extracting " + img + "/info (450 bytes)",
		"  extracting info (110 bytes)",
		"",
		"System Type:             0x00000000",
		"  Ios Image File Size:    0x00004000",
		"  Total Image File Size:  0x00004200",
		"  Minimum Dram required:  0x08000000",
		"  Image Suffix:           ipservicesk9-122-55.SE12",
		"  Image Directory:        " + img,
		"  Image Name:             " + c3750Image,
		"  Image Feature:          IP|LAYER_3|PLUS|MIN_DRAM_MEG=128",
		"",
	}
	if to.version != from.version && !strings.Contains(flags, "/overwrite") {
		lines = append(lines, fmt.Sprintf("%%Error: flash%d already has an image; use /overwrite to replace it", dst), "")
		return c.Println(lines...)
	}
	lines = append(lines,
		fmt.Sprintf("Old image for switch %d: flash%d:/c3750-advipservicesk9-mz.122-25.SEE1", dst, dst),
		"  Old image will be deleted after download.",
		"",
		fmt.Sprintf("Extracting images from archive into flash%d...", dst),
		"  "+img+"/ (directory)",
		"  extracting "+img+"/"+c3750Image+" (16384 bytes)",
		"",
		fmt.Sprintf("Installing (renaming): `flash%d:update/%s' ->", dst, img),
		fmt.Sprintf("                                       `flash%d:%s'", dst, img),
		fmt.Sprintf("New software image installed in flash%d:%s", dst, img),
		"",
		fmt.Sprintf("Deleting `flash%d:c3750-advipservicesk9-mz.122-25.SEE1'", dst),
		"",
		"All software images installed.",
		"")
	to.version = from.version
	d.setMember(*to)
	return c.Println(lines...)
}

func reloadSlot(_ context.Context, c *Call) error {
	d := c.Device
	n, _ := strconv.Atoi(c.Arg(1))
	for _, m := range d.stackMembers() {
		if m.n != n {
			continue
		}
		if m.role == "Master" {
			return c.Println("%Use reload to reload the master", "")
		}
		master := d.stackMembers()[0]
		m.state = "Version Mismatch"
		if m.version == master.version {
			m.state = "Progressing"
		}
		d.setMember(m)
		return c.Println("", fmt.Sprintf("%%STACKMGR-4-SWITCH_REMOVED: Switch %d has been REMOVED from the stack", n), "")
	}
	return c.Println("%Invalid switch number", "")
}
