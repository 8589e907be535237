package devsim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// rommonProfile is a Cisco 2800 router interrupted into ROMMON with break:
// "rommon 1 > " whose number counts the lines entered, confreg to show or
// set the configuration register, VAR=value and set, and reset, which
// applies the register (boot field and console speed) like a power cycle.
func rommonProfile() *Profile {
	modes := iosModes()
	modes["rommon"] = &Mode{
		Prompt:  "rommon ${counter} > ",
		Counter: true,
		Rules: []Rule{
			{Match: `confreg`, Handler: confregShow},
			{Match: `confreg\s+(\S+)`, Handler: confregSet},
			{Match: `set`, Handler: rommonSet},
			{Match: `unset\s+(\S+)`, Unset: []string{"$1"}},
			{Match: `([A-Za-z_][A-Za-z0-9_]*)=(.*)`, Env: map[string]string{"$1": "$2"}},
			{Match: `reset`, Handler: rommonReset},
			{Match: `boot(?:\s+(\S+))?`, Handler: rommonBoot},
			{Match: `dir\s+(flash:\S*)`, Handler: rommonDir},
		},
		Unknown: []string{`monitor: command "${cmd}" not found`},
	}
	return &Profile{
		Name:      "rommon",
		Summary:   "Cisco 2800 router in ROMMON (rommon 1 >) after a break",
		Start:     "rommon",
		Modes:     modes,
		State:     map[string]string{"hostname": "Router", "counter": "1", "confreg": "0x2102"},
		FlashSize: 64008192,
		Files:     map[string][]byte{"c2800nm-advipservicesk9-mz.124-24.T.bin": FakeIOSImage(8192)},
		PowerOn:   rommonPowerOn,
	}
}

var rommonBanner = []string{
	"",
	"System Bootstrap, Version 12.4(13r)T, RELEASE SOFTWARE (fc1)",
	"Technical Support: http://www.cisco.com/techsupport",
	"Copyright (c) 2006 by cisco Systems, Inc.",
	"",
	"Initializing memory for ECC",
	"..",
	"c2821 platform with 262144 Kbytes of main memory",
	"Main memory is configured to 64 bit mode with ECC enabled",
	"",
	"Readonly ROMMON initialized",
}

// rommonPowerOn is the first power-on: the technician's break stops the
// autoboot.
func rommonPowerOn(_ context.Context, c *Call) error {
	c.Device.SetState("confreg", c.Device.profileState("confreg"))
	return c.Println(append(rommonBanner, "", `monitor: command "boot" aborted due to user interrupt`)...)
}

func (d *Device) profileState(name string) string { return d.p.State[name] }

// confreg is the configuration register: value at boot, and the one set
// for the next reset.
func confregValue(s string) (uint16, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 16)
	return uint16(v), err
}

// confregBaud decodes the console speed bits 5, 11 and 12.
func confregBaud(v uint16) int {
	idx := (v>>11)&3 | (v>>5&1)<<2
	return [...]int{9600, 4800, 1200, 2400, 19200, 38400, 57600, 115200}[idx]
}

// confregShow prints the register summary and the question real ROMMON
// asks; any answer but y keeps the value (the interactive editor is not
// simulated).
func confregShow(ctx context.Context, c *Call) error {
	d := c.Device
	v, _ := confregValue(d.State("confreg"))
	lines := []string{"", "", "    Configuration Summary", "enabled are:"}
	if v&0x2000 != 0 {
		lines = append(lines, "load rom after netboot fails")
	}
	if v&0x0040 != 0 {
		lines = append(lines, "ignore system config info")
	}
	if v&0x0100 == 0 {
		lines = append(lines, "break/abort has effect")
	}
	lines = append(lines, fmt.Sprintf("console baud: %d", confregBaud(v)))
	switch v & 0xf {
	case 0:
		lines = append(lines, "boot: the ROM Monitor")
	case 1:
		lines = append(lines, "boot: the boot helper image")
	default:
		lines = append(lines, "boot: image specified by the boot system commands", "      or default to: cisco2-C2800")
	}
	if err := c.Println(append(lines, "", "")...); err != nil {
		return err
	}
	if _, err := c.Port.Write([]byte("do you wish to change the configuration? y/n  [n]:  ")); err != nil {
		return err
	}
	if _, err := d.readLine(ctx); err != nil {
		return err
	}
	return nil
}

func confregSet(_ context.Context, c *Call) error {
	v, err := confregValue(c.Arg(1))
	if err != nil {
		return c.Println("usage: confreg [hexnum]")
	}
	c.Device.SetState("confreg.next", fmt.Sprintf("0x%x", v))
	return c.Println("", "You must reset or power cycle for new config to take effect")
}

// rommonSet lists the monitor variables.
func rommonSet(_ context.Context, c *Call) error {
	return c.Println(append([]string{"PS1=rommon ! > "}, c.Device.EnvList()...)...)
}

// rommonReset restarts the router: the new configuration register takes
// effect, its console speed first.
func rommonReset(ctx context.Context, c *Call) error {
	d := c.Device
	if next := d.State("confreg.next"); next != "" {
		d.SetState("confreg", next)
		d.SetState("confreg.next", "")
	}
	confreg := d.State("confreg")
	v, _ := confregValue(confreg)
	if baud := confregBaud(v); baud != d.Baud() {
		if err := d.SetBaud(ctx, baud); err != nil {
			return err
		}
	}
	if err := c.Println(rommonBanner...); err != nil {
		return err
	}
	d.SetState("counter", "1")
	if v&0xf == 0 {
		return c.Println("")
	}
	return rommonBoot(ctx, c)
}

// rommonBoot loads the image named, or BOOT, or the first .bin in flash.
func rommonBoot(ctx context.Context, c *Call) error {
	d := c.Device
	img := c.Arg(1)
	if img == "" {
		img, _ = d.Env("BOOT")
	}
	if img == "" {
		files, _ := d.Flash().List("")
		for _, f := range files {
			if strings.HasSuffix(f.Name, ".bin") {
				img = "flash:" + f.Name
				break
			}
		}
	}
	if img == "" {
		d.SetState("counter", "1")
		return c.Println(`boot: cannot determine first file name on device "flash:"`)
	}
	data, ok := d.Flash().Get(img)
	if !ok || !isIOSImage(img, data) {
		d.SetState("counter", "1")
		return c.Println(fmt.Sprintf(`boot: cannot open "%s"`, img), `boot: cannot determine first file name on device "flash:"`)
	}
	if err := c.Println(fmt.Sprintf("program load complete, entry point: 0x8000f000, size: 0x%x", len(data)), "Self decompressing the image : ###########################################################  [OK]"); err != nil {
		return err
	}
	return startIOS(ctx, c, img)
}

// rommonDir lists flash the ROMMON way.
func rommonDir(_ context.Context, c *Call) error {
	files, err := c.Device.Flash().List(c.Arg(1))
	if err != nil {
		return c.Println("device does not contain a valid magic number")
	}
	out := []string{"         File size           Checksum   File name"}
	for _, f := range files {
		if f.Dir {
			continue
		}
		out = append(out, fmt.Sprintf("%11d bytes (0x%x)   0x%04x    %s", f.Size, f.Size, f.Index*0x1f3b&0xffff, f.Name))
	}
	return c.Println(out...)
}
