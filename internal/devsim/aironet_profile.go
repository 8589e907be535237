package devsim

import (
	"context"
)

// aironetProfile is an Aironet 1200 whose flash holds no IOS: its boot
// loader stops at "ap: ", where the manual recovery commands work
// (set IP_ADDR/NETMASK/DEFAULT_ROUTER, ether_init, tftp_init, flash_init,
// dir flash:). Its banner is the one in the field transcripts.
func aironetProfile() *Profile {
	modes := iosModes()
	modes["loader"] = &Mode{
		Prompt: "ap: ",
		Rules: append(loaderRules(),
			Rule{Match: `ether_init`, Output: etherInitLines},
			Rule{Match: `tftp_init`},
			Rule{Match: `boot(?:\s+(\S+))?`, Handler: aironetBoot},
			Rule{Match: `version`, Output: []string{
				"C1200 Boot Loader (C1200-BOOT-M) Version 12.3(2)JA4, RELEASE SOFTWARE (fc1)",
				"Technical Support: http://www.cisco.com/techsupport",
				"Compiled Mon 13-Jun-05 15:39 by ssearch",
			}},
		),
		Unknown: loaderUnknown,
	}
	return &Profile{
		Name:    "aironet",
		Summary: "Aironet 1200 boot loader (ap:) with no bootable image",
		Start:   "loader",
		Modes:   modes,
		// The loader initialises flash while booting, so flash_init finds
		// it done.
		State:     map[string]string{"hostname": "ap", "flash": "on"},
		Env:       map[string]string{"BAUD": "9600", "ENABLE_BREAK": "yes", "MANUAL_BOOT": "no"},
		FlashSize: 7741440,
		Files:     map[string][]byte{"env_vars": make([]byte, 316)},
		Banner: concat(
			[]string{"Xmodem file system is available."},
			flashfsLines("11"),
			[]string{
				"Reading cookie from flash parameter block...done.",
				"Base ethernet MAC Address: 00:16:c7:16:c4:53",
			},
			etherInitLines,
			noBootableFiles,
		),
		BaudVar:     "BAUD",
		DefaultBaud: 9600,
	}
}

// flashfsLines are the flash check lines an AP prints while booting.
func flashfsLines(took string) []string {
	return []string{
		"flashfs[0]: ${flash.files} files, ${flash.dirs} directories",
		"flashfs[0]: 0 orphaned files, 0 orphaned directories",
		"flashfs[0]: Total bytes: ${flash.total}",
		"flashfs[0]: Bytes used: ${flash.used}",
		"flashfs[0]: Bytes available: ${flash.free}",
		"flashfs[0]: flashfs fsck took " + took + " seconds.",
	}
}

var etherInitLines = []string{
	"Initializing ethernet port 0...",
	"Reset ethernet port 0...",
	"Reset done!",
	"ethernet link up, 100 mbps, full-duplex",
	"Ethernet port 0 initialized: link is up",
}

var noBootableFiles = []string{
	"The system is unable to boot automatically because there",
	"are no bootable files to boot.",
	"",
}

// aironetBoot is `boot [image]`: an AP image is a file in a folder named
// after it, with no .bin; anything present and non-empty boots.
func aironetBoot(ctx context.Context, c *Call) error {
	d := c.Device
	boot := c.Arg(1)
	if boot == "" {
		boot, _ = d.Env("BOOT")
	}
	if boot != "" {
		if data, ok := d.Flash().Get(boot); ok && len(data) > 0 {
			if err := c.Println(`Loading "`+boot+`"...`+loadingBar(len(data)), "", `File "`+boot+`" uncompressed and installed, entry point: 0x3000`, "executing..."); err != nil {
				return err
			}
			return startIOS(ctx, c, boot)
		}
		if err := c.Println(`Loading "` + boot + `"...` + boot + `: no such file or directory`); err != nil {
			return err
		}
	}
	return c.Println(noBootableFiles...)
}

// concat joins line lists into a new one.
func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
