package recovery

import "sort"

// Entry describes a built-in playbook and builds it from the technician's
// choices.
type Entry struct {
	Name    string
	Title   string
	Summary string
	// StartsAt lists the prompt kinds (serialcon's names: "switch-loader",
	// "ap-loader", "rommon", "ios-user" …) the playbook starts from.
	StartsAt []string
	Build    func(Params, Tools) (*Playbook, Vars, error)
}

var builtins = []Entry{
	{
		Name:     "catalyst-xmodem",
		Title:    "Catalyst switch: image over XMODEM",
		Summary:  "copy an IOS .bin into flash over the console from switch: (with --fast at the highest speed the loader takes), set BOOT and boot it",
		StartsAt: []string{"switch-loader"},
		Build:    CatalystXMODEM,
	},
	{
		Name:     "aironet-mode-recovery",
		Title:    "Aironet AP: MODE-button recovery over TFTP",
		Summary:  "hold MODE at power-on; fieldcon (at 10.0.0.2-30 on --iface) serves the -tar- bundle under the *-k9w7-tar.default name the AP broadcasts for and follows the extraction to the new IOS",
		StartsAt: []string{"ap-loader", "ios-user", "ios-privileged", "press-return"},
		Build:    AironetModeRecovery,
	},
	{
		Name:     "aironet-tftp",
		Title:    "Aironet AP: tar -xtract over TFTP from ap:",
		Summary:  "from the ap: prompt: set IP_ADDR/NETMASK/DEFAULT_ROUTER, ether_init, tftp_init, flash_init, tar -xtract the bundle from the laptop (answering -- MORE --), set BOOT and boot",
		StartsAt: []string{"ap-loader"},
		Build:    AironetTFTP,
	},
	{
		Name:     "lap-upgrade",
		Title:    "Lightweight AP: manual upgrade with archive download-sw",
		Summary:  "enable (password Cisco), debug capwap console cli, check flash, archive download-sw /overwrite /reload from the laptop; waits and retries when the AP's controller download holds flash:/update",
		StartsAt: []string{"ios-user", "ios-privileged", "press-return"},
		Build:    LightweightUpgrade,
	},
	{
		Name:     "lap-to-autonomous",
		Title:    "Lightweight AP to autonomous (k9w7)",
		Summary:  "make a lightweight AP autonomous with a k9w7 bundle (k9w8 refused): from ap: or a silent AP, the MODE button with the laptop at 10.0.0.2-30; from its IOS prompt, enable, debug capwap console cli, archive download-sw /overwrite /reload; checks flash, verifies ap> and show version, then tells the first-login defaults (Cisco/Cisco, address on BVI1)",
		StartsAt: []string{"ap-loader", "ios-user", "ios-privileged", "press-return"},
		Build:    LightweightToAutonomous,
	},
	{
		Name:     "rommon-tftp",
		Title:    "Router ROMMON: image over TFTP (tftpdnld)",
		Summary:  "from rommon >: serve the .bin from the laptop (--iface), set IP_ADDRESS, IP_SUBNET_MASK, DEFAULT_GATEWAY, TFTP_SERVER, TFTP_FILE (checked, read back), tftpdnld (erases flash), reset; refuses images over 65535 512-byte blocks unless the ROMMON takes TFTP_BLKSIZE",
		StartsAt: []string{"rommon"},
		Build:    RommonTFTP,
	},
	{
		Name:     "rommon-xmodem",
		Title:    "Router ROMMON: image over XMODEM",
		Summary:  "from rommon >: xmodem -y (YMODEM) or -c where the ROMMON has them, checksum otherwise; with --fast -s 115200 and the host following there and back; waits for IOS",
		StartsAt: []string{"rommon"},
		Build:    RommonXMODEM,
	},
	{
		Name:     "router-password",
		Title:    "Router: password recovery (confreg 0x2142)",
		Summary:  "from rommon >: confreg 0x2142, reset, copy startup-config running-config, enable secret --password, config-register 0x2102, save; re-detects the console speed a mistyped register (0x2124) changed",
		StartsAt: []string{"rommon"},
		Build:    RouterPassword,
	},
	{
		Name:     "catalyst-password",
		Title:    "Catalyst switch: password recovery from switch:",
		Summary:  "MODE at power-on, flash_init, rename config.text aside, boot, rename it back, copy it to running-config, enable secret --password, write memory",
		StartsAt: []string{"switch-loader"},
		Build:    CatalystPassword,
	},
	{
		Name:     "catalyst-loader-tftp",
		Title:    "Catalyst 3560-X/3750-X: image over TFTP from switch:",
		Summary:  "over the management port: set IP_ADDR, set DEFAULT_ROUTER, copy tftp://laptop/FILE flash:, set BOOT, boot",
		StartsAt: []string{"switch-loader"},
		Build:    CatalystLoaderTFTP,
	},
	{
		Name:     "emergency-install",
		Title:    "Catalyst 3850/3650: emergency-install over TFTP",
		Summary:  "over the management port: set IP_ADDR, set DEFAULT_ROUTER, ping, emergency-install tftp://laptop/BUNDLE.bin (erases bootflash, asks first), wait for IOS-XE",
		StartsAt: []string{"switch-loader"},
		Build:    EmergencyInstall,
	},
	{
		Name:     "stack-version-mismatch",
		Title:    "Switch stack: member in Version Mismatch",
		Summary:  "show switch, then archive copy-sw /overwrite /destination-system N M and reload slot N (each after confirmation), until member N is Ready",
		StartsAt: []string{"ios-user", "ios-privileged", "press-return"},
		Build:    StackVersionMismatch,
	},
}

// Playbooks lists the built-in playbooks by name.
func Playbooks() []Entry {
	out := append([]Entry(nil), builtins...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a built-in playbook.
func Lookup(name string) (Entry, bool) {
	for _, e := range builtins {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Suggest lists the playbooks that start at a prompt kind.
func Suggest(prompt string) []Entry {
	var out []Entry
	for _, e := range Playbooks() {
		for _, p := range e.StartsAt {
			if p == prompt {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
