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
