package director

import (
	"fmt"
	"slices"
	"strings"
)

// ProfileChanges lists, one line each in the technician's words, what
// differs between two profile files: settings, the default profile and
// every group added, removed or changed. Settings SetProfiles does not put
// into effect (the director address, the keepalive period, the join
// window) say that a restart is needed. No change gives an empty list.
func ProfileChanges(old, new *Profiles) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	const restart = " (takes effect when the director restarts)"

	o, n := old.Director, new.Director
	if o.Address != n.Address {
		add("director address %s -> %s%s", orWord(o.Address, "(the interface's)"), orWord(n.Address, "(the interface's)"), restart)
	}
	if o.AdvertiseDirector != n.AdvertiseDirector {
		add("advertise-director %s -> %s", onOff(o.AdvertiseDirector), onOff(n.AdvertiseDirector))
	}
	if o.HostnamePrefix != n.HostnamePrefix {
		add("hostname-prefix %s -> %s", orWord(o.HostnamePrefix, "(none)"), orWord(n.HostnamePrefix, "(none)"))
	}
	if old.KeepalivePeriod() != new.KeepalivePeriod() {
		add("keepalive %s -> %s%s", old.KeepalivePeriod(), new.KeepalivePeriod(), restart)
	}
	if old.BackupOn() != new.BackupOn() {
		add("backup %s -> %s", onOff(old.BackupOn()), onOff(new.BackupOn()))
	}
	if old.Window.Mode != new.Window.Mode {
		add("join-window mode %s -> %s%s", orWord(old.Window.Mode, "auto"), orWord(new.Window.Mode, "auto"), restart)
	}
	if describeSchedule(old.Window.Schedule) != describeSchedule(new.Window.Schedule) {
		add("join-window schedule %s -> %s%s", describeSchedule(old.Window.Schedule), describeSchedule(new.Window.Schedule), restart)
	}
	out = append(out, filesChanges("default", old.Default, new.Default)...)

	builtIn := func(gs []BuiltInGroup) map[string]BuiltInGroup {
		m := map[string]BuiltInGroup{}
		for _, g := range gs {
			m[g.Name()] = g
		}
		return m
	}
	ob, nb := builtIn(old.BuiltIn), builtIn(new.BuiltIn)
	for _, name := range unionKeys(ob, nb) {
		g, was := ob[name]
		h, is := nb[name]
		switch {
		case !was:
			add("group %s added: %s", name, describeFiles(h.Files))
		case !is:
			add("group %s removed", name)
		default:
			out = append(out, filesChanges("group "+name, g.Files, h.Files)...)
		}
	}

	custom := func(gs []Group) map[string]Group {
		m := map[string]Group{}
		for _, g := range gs {
			m[g.Name] = g
		}
		return m
	}
	oc, nc := custom(old.Groups), custom(new.Groups)
	for _, name := range unionKeys(oc, nc) {
		g, was := oc[name]
		h, is := nc[name]
		switch {
		case !was:
			add("group %s added: %s; %s", name, describeMatch(h), describeFiles(h.Files))
		case !is:
			add("group %s removed", name)
		default:
			if a, b := describeMatch(g), describeMatch(h); a != b {
				add("group %s: %s -> %s", name, a, b)
			}
			out = append(out, filesChanges("group "+name, g.Files, h.Files)...)
		}
	}

	if !slices.Equal(old.Families, new.Families) {
		add("families: %d product-ID rules -> %d", len(old.Families), len(new.Families))
	}
	return out
}

// filesChanges compares the image, config and script of one profile.
func filesChanges(what string, a, b Files) []string {
	var out []string
	for _, f := range []struct{ name, a, b string }{
		{"image", a.Image, b.Image}, {"config", a.Config, b.Config}, {"script", a.Script, b.Script},
	} {
		switch {
		case f.a == f.b:
		case f.a == "":
			out = append(out, fmt.Sprintf("%s: %s %s added", what, f.name, f.b))
		case f.b == "":
			out = append(out, fmt.Sprintf("%s: %s %s removed", what, f.name, f.a))
		default:
			out = append(out, fmt.Sprintf("%s: %s %s -> %s", what, f.name, f.a, f.b))
		}
	}
	return out
}

func describeFiles(f Files) string {
	var parts []string
	for _, p := range []struct{ name, v string }{{"image", f.Image}, {"config", f.Config}, {"script", f.Script}} {
		if p.v != "" {
			parts = append(parts, p.name+" "+p.v)
		}
	}
	if len(parts) == 0 {
		return "no files"
	}
	return strings.Join(parts, ", ")
}

// describeMatch says what a custom group matches: "mac 0011.2233.4455".
func describeMatch(g Group) string {
	var items []string
	switch g.Kind() {
	case KindMAC:
		for _, s := range g.MAC {
			if m, err := ParseMAC(s); err == nil {
				s = string(m)
			}
			items = append(items, s)
		}
	case KindConnectivity:
		for _, a := range g.Connectivity {
			items = append(items, a.Key())
		}
	case KindStack:
		for _, m := range g.Stack {
			s := fmt.Sprintf("%d %s %s", m.Number, m.Family, m.Ports)
			if m.Image != "" {
				s += " image " + m.Image
			}
			items = append(items, s)
		}
	case KindProductID:
		items = g.ProductID
	}
	return g.Kind().String() + " " + strings.Join(items, ", ")
}

func describeSchedule(s *Schedule) string {
	if s == nil {
		return "(none)"
	}
	d := "start " + s.Start
	if s.Duration != "" {
		d += " for " + s.Duration
	}
	if s.End != "" {
		d += " until " + s.End
	}
	if s.Recurring {
		d += " daily"
	}
	return d
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// unionKeys is the sorted names of both maps.
func unionKeys[V any](a, b map[string]V) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// ReloadProfiles reads file again and puts it into effect (SetProfiles),
// returning what changed. A file that does not load, or whose post-install
// scripts have errors, changes nothing: the profiles in effect stay, and
// the error names the file's line.
func (d *Director) ReloadProfiles(file string) ([]string, error) {
	p, err := Load(file)
	if err != nil {
		return nil, fmt.Errorf("%s not reloaded; the profiles in effect stay:\n%w", file, err)
	}
	changes := ProfileChanges(d.Profiles(), p)
	if err := d.SetProfiles(p); err != nil {
		return nil, fmt.Errorf("%s not reloaded; the profiles in effect stay:\n%w", file, err)
	}
	return changes, nil
}
