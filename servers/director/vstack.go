package director

import (
	"fmt"
	"strings"
)

// VStack renders the profiles as the IOS `vstack` configuration an IOS
// director would need for the same result. server is the TFTP server the
// files are on (fieldcon's address); empty renders flash: locations, as if
// the files were in the director's flash.
func (p *Profiles) VStack(server string) string {
	loc := func(name string) string {
		if server == "" {
			return "flash:" + name
		}
		return "tftp://" + server + "/images/" + name
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	files := func(indent string, f Files) {
		if f.Image != "" {
			line("%simage %s", indent, loc(f.Image))
		}
		if f.Config != "" {
			line("%sconfig %s", indent, loc(f.Config))
		}
		if f.Script != "" {
			line("%sscript %s", indent, loc(f.Script))
		}
	}
	line("vstack")
	if a := p.Director.Address; a != "" {
		line("vstack director %s", a)
	}
	line("vstack basic")
	if !p.BackupOn() {
		line("no vstack backup")
	}
	if p.Director.HostnamePrefix != "" {
		line("vstack hostname-prefix %s", p.Director.HostnamePrefix)
	}
	if p.Window.Mode == "manual" {
		line("no vstack join-window mode")
	} else {
		line("vstack join-window mode auto")
	}
	if s := p.Window.Schedule; s != nil {
		line("vstack join-window start %s", s.IOS())
	}
	files("vstack ", p.Default)
	for _, g := range p.BuiltIn {
		line("vstack group built-in %s %s", strings.ToLower(g.Family), strings.ToLower(g.Ports))
		files(" ", g.Files)
		line(" exit")
	}
	for _, g := range p.Groups {
		line("vstack group custom %s %s", g.Name, g.Kind())
		switch g.Kind() {
		case KindMAC:
			for _, s := range g.MAC {
				m, _ := ParseMAC(s)
				line(" match mac %s", m)
			}
		case KindConnectivity:
			for _, a := range g.Connectivity {
				line(" match host %s interface %s", a.Host, NormalizeInterface(a.Interface))
			}
		case KindProductID:
			for _, pid := range g.ProductID {
				line(" match %s", strings.TrimSpace(pid))
			}
		case KindStack:
			for _, m := range g.Stack {
				line(" match %d %s %s", m.Number, strings.ToLower(m.Family), strings.ToLower(m.Ports))
			}
		}
		f := g.Files
		if g.Kind() == KindStack && f.Image == "" {
			for _, m := range g.Stack {
				if m.Image != "" {
					f.Image = m.Image
					break
				}
			}
		}
		files(" ", f)
		if g.Kind() == KindStack {
			for _, m := range g.Stack {
				if m.Image != "" && m.Image != f.Image {
					line(" ! member %d installs %s: an IOS stack group names one image, fieldcon puts each member's in the image list", m.Number, loc(m.Image))
				}
			}
		}
		line(" exit")
	}
	return b.String()
}
