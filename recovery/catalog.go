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
