package devsim

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// iosProfile is a Catalyst switch running IOS: it boots to "Press RETURN to
// get started!", then user, privileged and configuration modes; long
// output pages with --More--, destructive commands ask [confirm].
func iosProfile() *Profile {
	return &Profile{
		Name:      "ios",
		Summary:   "Catalyst 2960 running IOS (Switch>, enable, configure terminal, --More--, [confirm])",
		Start:     "idle",
		Modes:     iosModes(),
		State:     map[string]string{"hostname": "Switch"},
		FlashSize: 32514048,
		Files: map[string][]byte{
			"c2960-lanbasek9-mz.150-2.SE11.bin": FakeIOSImage(4096),
			"config.text":                       []byte(strings.Repeat("!\n", 524)),
			"private-config.text":               []byte("!\n!\n!"),
			"vlan.dat":                          make([]byte, 616),
		},
		PowerOn: func(ctx context.Context, c *Call) error {
			return startIOS(ctx, c, "flash:c2960-lanbasek9-mz.150-2.SE11.bin")
		},
	}
}

// words builds a pattern for an IOS command that accepts abbreviations. Each
// blank-separated word is written "min|rest": "sh|ow run|ning-config"
// matches "sh run", "show running-config" and everything between.
func words(spec string) string {
	var parts []string
	for _, w := range strings.Fields(spec) {
		min, rest, _ := strings.Cut(w, "|")
		p := ""
		for i := len(rest) - 1; i >= 0; i-- {
			p = "(?:" + regexp.QuoteMeta(rest[i:i+1]) + p + ")?"
		}
		parts = append(parts, regexp.QuoteMeta(min)+p)
	}
	return strings.Join(parts, `\s+`)
}

// iosUnknown is the answer to an unknown word at an exec prompt: IOS takes
// it for a host name to telnet to.
var iosUnknown = []string{
	`Translating "${cmd}"...domain server (255.255.255.255)`,
	"% Unknown command or computer name, or unable to find computer address",
}

// iosInvalid is the answer to a line IOS cannot parse in config mode.
var iosInvalid = []string{
	"${caret}",
	"% Invalid input detected at '^' marker.",
	"",
}

// iosModes are the IOS command modes shared by every profile that boots
// IOS. They expect hostname, image, version, platform and feature state.
func iosModes() map[string]*Mode {
	showVersion := Rule{Match: words("sh|ow ver|sion"), Output: showVersionLines, Paged: true}
	termLength := Rule{Match: words("te|rminal len|gth") + `\s+(\d+)`, State: map[string]string{"length": "$1"}}
	dirFlash := Rule{Match: `(?:` + words("dir") + `|` + words("sh|ow fl|ash:") + `)(?:\s+(\S+))?`, Handler: iosDir}
	return map[string]*Mode{
		"idle": {
			Prompt: "",
			Rules:  []Rule{{Match: `.*`, Output: []string{""}, Mode: "user"}},
		},
		"user": {
			Prompt: "${hostname}>",
			Rules: []Rule{
				{Match: words("en|able"), Mode: "priv"},
				showVersion, termLength, dirFlash,
				{Match: words("exit") + `|` + words("logo|ut"), Output: consoleAvailable, Mode: "idle"},
			},
			Unknown: iosUnknown,
		},
		"priv": {
			Prompt: "${hostname}#",
			Rules: []Rule{
				{Match: words("disa|ble"), Mode: "user"},
				{Match: words("conf|igure") + `(?:\s+` + words("t|erminal") + `)?`,
					Output: []string{"Enter configuration commands, one per line.  End with CNTL/Z."}, Mode: "config"},
				showVersion, termLength, dirFlash,
				{Match: words("sh|ow run|ning-config"), Output: runningConfig, Paged: true},
				{Match: words("wr|ite") + `(?:\s+` + words("m|emory") + `)?`, Output: []string{"Building configuration...", "[OK]"}},
				{Match: words("wr|ite er|ase") + `|` + words("erase") + `\s+(?:` + words("startup-config") + `|nvram:)`,
					Confirm: "Erasing the nvram filesystem will remove all configuration files! Continue? [confirm]",
					Output:  []string{"[OK]", "Erase of nvram: complete"}},
				{Match: words("rel|oad"), Confirm: "Proceed with reload? [confirm]", Handler: reload},
				{Match: words("exit") + `|` + words("logo|ut"), Output: consoleAvailable, Mode: "idle"},
			},
			Unknown: iosUnknown,
		},
		"config": {
			Prompt: "${hostname}(config)#",
			Rules: []Rule{
				{Match: words("hostn|ame") + `\s+(\S+)`, State: map[string]string{"hostname": "$1"}},
				{Match: words("int|erface") + `\s+(\S+(?:\s*\S+)?)`, Mode: "config-if"},
				{Match: words("end") + "|\x1a", Mode: "priv"},
				{Match: words("exit"), Mode: "priv"},
			},
			Unknown: iosInvalid,
		},
		"config-if": {
			Prompt: "${hostname}(config-if)#",
			Rules: []Rule{
				{Match: `(?:no\s+)?(?:` + words("sh|utdown") + `|` + words("desc|ription") + `.*|` +
					words("sw|itchport") + `.*|` + words("ip") + `\s+.*|` + words("spe|ed") + `.*|` + words("dup|lex") + `.*)`},
				{Match: words("int|erface") + `\s+(\S+(?:\s*\S+)?)`},
				{Match: words("end") + "|\x1a", Mode: "priv"},
				{Match: words("exit"), Mode: "config"},
			},
			Unknown: iosInvalid,
		},
	}
}

var consoleAvailable = []string{"", "", "", "${hostname} con0 is now available", "", "", "", "", "", "Press RETURN to get started.", "", ""}

// startIOS prints an IOS boot to "Press RETURN to get started!" and waits
// there. image is the file the loader ran.
func startIOS(_ context.Context, c *Call, image string) error {
	d := c.Device
	n := parseImageName(image)
	if d.State("hostname") == "" {
		d.SetState("hostname", "Switch")
	}
	d.SetState("image", image)
	d.SetState("platform", n.Platform)
	d.SetState("feature", n.Feature)
	d.SetState("version", n.Version)
	d.SetState("flash", "on")
	if err := c.Println(d.expandAll(iosBootLines, nil)...); err != nil {
		return err
	}
	return d.SetMode("idle")
}

var iosBootLines = []string{
	"",
	"              Restricted Rights Legend",
	"",
	"Use, duplication, or disclosure by the Government is",
	"subject to restrictions as set forth in subparagraph",
	"(c) of the Commercial Computer Software - Restricted",
	"Rights clause at FAR sec. 52.227-19 and subparagraph",
	"(c) (1) (ii) of the Rights in Technical Data and Computer",
	"Software clause at DFARS sec. 252.227-7013.",
	"",
	"           cisco Systems, Inc.",
	"           170 West Tasman Drive",
	"           San Jose, California 95134-1706",
	"",
	"",
	"",
	"Cisco IOS Software, ${platform} Software (${platform}-${feature}-M), Version ${version}, RELEASE SOFTWARE (fc3)",
	"Technical Support: http://www.cisco.com/techsupport",
	"Copyright (c) 1986-2017 by Cisco Systems, Inc.",
	"Compiled Sat 19-Aug-17 09:34 by prod_rel_team",
	"Image text-base: 0x00003000, data-base: 0x02800000",
	"",
	"Initializing flashfs...",
	"",
	"flashfs[1]: ${flash.files} files, ${flash.dirs} directories",
	"flashfs[1]: 0 orphaned files, 0 orphaned directories",
	"flashfs[1]: Total bytes: ${flash.total}",
	"flashfs[1]: Bytes used: ${flash.used}",
	"flashfs[1]: Bytes available: ${flash.free}",
	"flashfs[1]: flashfs fsck took 9 seconds.",
	"flashfs[1]: Initialization complete....done Initializing flashfs.",
	"",
	"POST: CPU MIC register Tests : Begin",
	"POST: CPU MIC register Tests : End, Status Passed",
	"",
	"Press RETURN to get started!",
	"",
}

var showVersionLines = []string{
	"Cisco IOS Software, ${platform} Software (${platform}-${feature}-M), Version ${version}, RELEASE SOFTWARE (fc3)",
	"Technical Support: http://www.cisco.com/techsupport",
	"Copyright (c) 1986-2017 by Cisco Systems, Inc.",
	"Compiled Sat 19-Aug-17 09:34 by prod_rel_team",
	"",
	"ROM: Bootstrap program is ${platform} boot loader",
	"BOOTLDR: ${platform} Boot Loader (${platform}-HBOOT-M) Version 12.2(44)SE5, RELEASE SOFTWARE (fc1)",
	"",
	"${hostname} uptime is 2 minutes",
	"System returned to ROM by power-on",
	`System image file is "${image}"`,
	"",
	"cisco WS-C2960-24TT-L (PowerPC405) processor (revision B0) with 65536K bytes of memory.",
	"Processor board ID FOC1010X104",
	"Last reset from power-on",
	"1 Virtual Ethernet interface",
	"24 FastEthernet interfaces",
	"2 Gigabit Ethernet interfaces",
	"The password-recovery mechanism is enabled.",
	"",
	"64K bytes of flash-simulated non-volatile configuration memory.",
	"Base ethernet MAC Address       : 00:1E:7A:3C:51:80",
	"Motherboard assembly number     : 73-10390-03",
	"Power supply part number        : 341-0097-02",
	"Motherboard serial number       : FOC10093R12",
	"Power supply serial number      : AZS1007032H",
	"Model revision number           : B0",
	"Motherboard revision number     : B0",
	"Model number                    : WS-C2960-24TT-L",
	"System serial number            : FOC1010X104",
	"Top Assembly Part Number        : 800-27221-02",
	"Top Assembly Revision Number    : A0",
	"Version ID                      : V02",
	"Hardware Board Revision Number  : 0x01",
	"",
	"",
	"Switch Ports Model              SW Version            SW Image",
	"------ ----- -----              ----------            ----------",
	"*    1 26    WS-C2960-24TT-L    ${version}           ${platform}-${feature}-M",
	"",
	"",
	"Configuration register is 0xF",
	"",
}

// runningConfig is a factory-default 2960 configuration.
var runningConfig = func() []string {
	out := []string{
		"Building configuration...",
		"",
		"Current configuration : 1364 bytes",
		"!",
		"version 15.0",
		"no service pad",
		"service timestamps debug datetime msec",
		"service timestamps log datetime msec",
		"no service password-encryption",
		"!",
		"hostname ${hostname}",
		"!",
		"boot-start-marker",
		"boot-end-marker",
		"!",
		"!",
		"no aaa new-model",
		"system mtu routing 1500",
		"!",
		"!",
		"spanning-tree mode pvst",
		"spanning-tree extend system-id",
		"!",
		"vlan internal allocation policy ascending",
		"!",
		"!",
	}
	for i := 1; i <= 24; i++ {
		out = append(out, fmt.Sprintf("interface FastEthernet0/%d", i), "!")
	}
	out = append(out,
		"interface GigabitEthernet0/1", "!",
		"interface GigabitEthernet0/2", "!",
		"interface Vlan1", " no ip address", "!",
		"ip http server", "ip http secure-server", "!",
		"line con 0", "line vty 0 4", " login", "line vty 5 15", " login", "!",
		"end", "",
	)
	return out
}()

// iosDir lists flash the way IOS does, with a "bytes total (bytes free)"
// footer.
func iosDir(_ context.Context, c *Call) error {
	arg := c.Arg(1)
	if arg == "" {
		arg = "flash:"
	}
	files, err := c.Device.Flash().List(arg)
	if err != nil {
		return c.Println(fmt.Sprintf("%%Error opening %s (No such file or directory)", arg))
	}
	out := []string{"Directory of flash:/" + cleanFlashName(arg), ""}
	for _, f := range files {
		perm := "-rwx"
		if f.Dir {
			perm = "drwx"
		}
		out = append(out, fmt.Sprintf("%5d  %s %11d  Mar 1 1993 00:02:16 +00:00  %s", f.Index, perm, f.Size, f.Name))
	}
	fl := c.Device.Flash()
	out = append(out, "", fmt.Sprintf("%d bytes total (%d bytes free)", fl.Total(), fl.Free()))
	return c.Println(out...)
}

// reload restarts the device: back through its own power-on (a Catalyst
// returns through its boot loader).
func reload(ctx context.Context, c *Call) error {
	if err := c.Println("", "%SYS-5-RELOAD: Reload requested by console. Reload Reason: Reload command.", ""); err != nil {
		return err
	}
	return c.Device.PowerOn(ctx)
}
