package devsim

import (
	"context"
	"strings"
)

// catalystProfile is a Catalyst 2960 whose IOS image is gone: it stops at
// the boot loader's "switch: " prompt, where flash_init, load_helper, dir,
// set/unset (BAUD really changes the console speed) and boot work as on the
// real loader; boot with BOOT naming a good image starts IOS.
func catalystProfile() *Profile {
	modes := iosModes()
	modes["loader"] = &Mode{
		Prompt: "switch: ",
		Rules: append(loaderRules(),
			Rule{Match: `load_helper`},
			Rule{Match: `boot(?:\s+(\S+))?`, Handler: catalystBootCommand},
			Rule{Match: `version`, Output: []string{
				"C2960 Boot Loader (C2960-HBOOT-M) Version 12.2(44)SE5, RELEASE SOFTWARE (fc1)",
				"Technical Support: http://www.cisco.com/techsupport",
				"Compiled Mon 22-Dec-08 13:59 by nachen",
			}},
		),
		Unknown: loaderUnknown,
	}
	return &Profile{
		Name:      "catalyst",
		Summary:   "Catalyst 2960 boot loader (switch:) with no bootable image",
		Start:     "loader",
		Modes:     modes,
		State:     map[string]string{"hostname": "Switch"},
		Env:       map[string]string{"MAC_ADDR": "00:1E:7A:3C:51:80", "MODEL_NUM": "WS-C2960-24TT-L", "SWITCH_NUMBER": "1"},
		FlashSize: 32514048,
		Files: map[string][]byte{
			"config.text":         []byte(strings.Repeat("!\n", 524)),
			"private-config.text": []byte("!\n!\n!"),
			"vlan.dat":            make([]byte, 616),
		},
		PowerOn:     catalystPowerOn,
		BaudVar:     "BAUD",
		DefaultBaud: 9600,
	}
}

// unableToBoot is how the Catalyst loader ends a failed automatic boot,
// wrapped as the loader wraps it.
var unableToBoot = []string{
	"The system is unable to boot automatically.  The BOOT",
	"environment variable needs to be set to a bootable",
	"image.",
	"",
	"",
}

// catalystPowerOn prints the loader's start-up and tries BOOT. With BOOT
// unset it stops at the loader without touching flash, so flash_init still
// has work to do, as after pressing MODE.
func catalystPowerOn(ctx context.Context, c *Call) error {
	d := c.Device
	mac, _ := d.Env("MAC_ADDR")
	if err := c.Println(
		"Using driver version 1 for media type 1",
		"Base ethernet MAC Address: "+strings.ToLower(mac),
		"Xmodem file system is available.",
		"The password-recovery mechanism is enabled.",
	); err != nil {
		return err
	}
	boot, _ := d.Env("BOOT")
	if boot == "" {
		if err := c.Println(unableToBoot...); err != nil {
			return err
		}
		return d.SetMode("loader")
	}
	lines := append(d.expandAll(flashInitLines, nil), "...done Initializing Flash.", "Boot Sector Filesystem (bs) installed, fsid: 3")
	if err := c.Println(lines...); err != nil {
		return err
	}
	d.SetState("flash", "on")
	return catalystBoot(ctx, c, boot)
}

// catalystBootCommand is `boot [image]`.
func catalystBootCommand(ctx context.Context, c *Call) error {
	boot := c.Arg(1)
	if boot == "" {
		boot, _ = c.Device.Env("BOOT")
	}
	if boot == "" {
		return c.Println(unableToBoot...)
	}
	return catalystBoot(ctx, c, boot)
}

func catalystBoot(ctx context.Context, c *Call, boot string) error {
	ok, err := bootFrom(ctx, c, boot)
	if err != nil || ok {
		return err
	}
	if err := c.Println("Interrupt within 5 seconds to abort boot process.", "Boot process failed...", ""); err != nil {
		return err
	}
	if err := c.Println(unableToBoot...); err != nil {
		return err
	}
	return c.Device.SetMode("loader")
}
