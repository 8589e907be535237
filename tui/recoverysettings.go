package tui

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"fieldcon/recovery"
)

// playbookSetup is what a playbook takes from the technician in the
// Recovery pane: the image chosen in Images, the fast transfer switch, and
// typed settings. The recovery catalog says what a playbook does; this
// says which of recovery.Params it reads, so the pane asks for nothing
// else. TestPlaybookSetupsMatchCatalog keeps the two in step.
type playbookSetup struct {
	image  bool // needs the image chosen for recovery
	fast   bool // reads Params.Fast
	inputs []playbookInput
}

// playbookInput is one typed setting.
type playbookInput struct {
	// key is where the value is kept: playbooks that share a key share
	// the value (the interface typed for one TFTP playbook serves all).
	key   string
	label string
	// blank says what an empty field means; short says it in the list
	// ("" reads "auto").
	blank    string
	short    string
	required bool
	// secret values are drawn as dots and never written anywhere but the
	// playbook's parameters.
	secret bool
	check  func(string) error
	// param puts the value into the playbook's parameters; varName, when
	// set, into its variables instead (the device's addresses).
	param   func(p *recovery.Params, v string)
	varName string
}

// playbookSetupFor is the setup of a built-in playbook. A playbook it does
// not know gets the image and nothing else, as before settings existed.
func playbookSetupFor(name string) (playbookSetup, bool) {
	iface := playbookInput{key: "iface", label: "interface", blank: "the one with an address on the device's cable",
		check: noSpaces, param: func(p *recovery.Params, v string) { p.Iface = v }}
	laptop := playbookInput{key: "laptop", label: "laptop IP", blank: "the interface's address",
		check: isIPv4, param: func(p *recovery.Params, v string) { p.Laptop = v }}
	listen := playbookInput{key: "listen", label: "TFTP listen", blank: "0.0.0.0:69", short: "0.0.0.0:69",
		check: isListenAddr, param: func(p *recovery.Params, v string) { p.Listen = v }}
	deviceIP := func(label, varName, blank string) playbookInput {
		return playbookInput{key: "device-ip", label: label, blank: blank, check: isIPv4, varName: varName}
	}
	gateway := playbookInput{key: "gateway", label: "gateway", blank: "the laptop", short: "the laptop", check: isIPv4, varName: "gateway"}
	newSecret := playbookInput{key: "new-secret", label: "new enable secret", required: true, secret: true,
		check: noSpaces, param: func(p *recovery.Params, v string) { p.Password = v }}
	enable := func(blank, short string) playbookInput {
		return playbookInput{key: "enable", label: "enable password", blank: blank, short: short, secret: true,
			check: noSpaces, param: func(p *recovery.Params, v string) { p.Password = v }}
	}
	next := "the next address after the laptop's"
	switch name {
	case "catalyst-xmodem", "rommon-xmodem":
		return playbookSetup{image: true, fast: true}, true
	case "aironet-mode-recovery":
		laptop.blank = "the interface's address in 10.0.0.2-10.0.0.30"
		return playbookSetup{image: true, inputs: []playbookInput{iface, laptop, listen}}, true
	case "aironet-tftp":
		return playbookSetup{image: true, inputs: []playbookInput{iface, laptop, listen,
			deviceIP("AP IP", "apip", "the first free address in the laptop's subnet")}}, true
	case "lap-upgrade":
		return playbookSetup{image: true, inputs: []playbookInput{iface, laptop, listen, enable("the factory Cisco", "Cisco")}}, true
	case "lap-to-autonomous":
		laptop.blank = "the interface's address (10.0.0.2-10.0.0.30 for the MODE button)"
		return playbookSetup{image: true, inputs: []playbookInput{iface, laptop, listen, enable("the factory Cisco", "Cisco")}}, true
	case "rommon-tftp":
		return playbookSetup{image: true, inputs: []playbookInput{iface, laptop, listen, deviceIP("router IP", "ip", next), gateway}}, true
	case "catalyst-loader-tftp", "emergency-install":
		return playbookSetup{image: true, inputs: []playbookInput{iface, laptop, listen, deviceIP("switch IP", "ip", next), gateway}}, true
	case "router-password", "catalyst-password":
		return playbookSetup{inputs: []playbookInput{newSecret}}, true
	case "stack-version-mismatch":
		return playbookSetup{inputs: []playbookInput{enable("none: typed only if the switch asks", "none")}}, true
	}
	return playbookSetup{image: true}, false
}

// errBlank is a required setting left empty.
var errBlank = errors.New("is needed")

// validate checks the typed values; it returns the first field in error.
func (s playbookSetup) validate(values map[string]string) (int, error) {
	for i, in := range s.inputs {
		v := values[in.key]
		switch {
		case v == "" && in.required:
			return i, fmt.Errorf("%s %w", in.label, errBlank)
		case v == "" || in.check == nil:
		default:
			if err := in.check(v); err != nil {
				return i, fmt.Errorf("%s: %w", in.label, err)
			}
		}
	}
	return -1, nil
}

// params are the playbook's parameters and the variables to add to what
// it builds.
func (s playbookSetup) params(values map[string]string, image string, fast bool) (recovery.Params, recovery.Vars) {
	p := recovery.Params{Image: image, Fast: fast && s.fast}
	vars := recovery.Vars{}
	for _, in := range s.inputs {
		v := values[in.key]
		switch {
		case v == "":
		case in.varName != "":
			vars[in.varName] = v
		case in.param != nil:
			in.param(&p, v)
		}
	}
	return p, vars
}

// shown is a value as the pane draws it: secrets as dots.
func (in playbookInput) shown(v string) string {
	if in.secret {
		return strings.Repeat("•", len([]rune(v)))
	}
	return v
}

func noSpaces(v string) error {
	if strings.ContainsAny(v, " \t") {
		return errors.New("must not contain spaces")
	}
	return nil
}

func isIPv4(v string) error {
	if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
		return fmt.Errorf("%q is not an IPv4 address such as 10.0.0.2", v)
	}
	return nil
}

func isListenAddr(v string) error {
	host, port, err := net.SplitHostPort(v)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q is not an address and port such as 0.0.0.0:69 or 0.0.0.0:6969", v)
	}
	if host != "" {
		return isIPv4(host)
	}
	return nil
}

// recoveryForm is the settings of one playbook being typed before it
// runs.
type recoveryForm struct {
	entry  recovery.Entry
	setup  playbookSetup
	fields []lineInput
	field  int
}

func (p *recoveryPane) openForm(e recovery.Entry, s playbookSetup) {
	f := &recoveryForm{entry: e, setup: s}
	for _, in := range s.inputs {
		li := lineInput{}
		li.Insert(p.values[in.key])
		f.fields = append(f.fields, li)
	}
	p.form = f
	p.note = ""
}

// keepForm stores what was typed, so another playbook with the same
// setting starts with it.
func (p *recoveryPane) keepForm() {
	f := p.form
	for i, in := range f.setup.inputs {
		p.values[in.key] = strings.TrimSpace(f.fields[i].Value())
	}
}

func (p *recoveryPane) formKey(k tea.KeyPressMsg) tea.Cmd {
	f := p.form
	n := len(f.fields)
	switch {
	case k.Code == tea.KeyEnter && k.Mod == 0:
		p.keepForm()
		if i, err := f.setup.validate(p.values); err != nil {
			f.field = i
			p.note, p.noteBad = "✗ "+err.Error(), true
			return nil
		}
		return p.start(f.entry)
	case k.Code == tea.KeyEscape:
		p.keepForm()
		p.form, p.note = nil, ""
	case k.Code == tea.KeyUp, k.Code == tea.KeyTab && k.Mod == tea.ModShift:
		f.field = (f.field + n - 1) % n
	case k.Code == tea.KeyDown, k.Code == tea.KeyTab && k.Mod == 0:
		f.field = (f.field + 1) % n
	default:
		f.fields[f.field].Update(k)
	}
	return nil
}

// formLines draws the settings being typed; active is the line of the
// field with the cursor, col the cell where its value starts.
func (p *recoveryPane) formLines(w int) (lines []string, active, col int) {
	st := p.common.Styles
	f := p.form
	e := f.entry
	lines = append(lines, truncate(e.Name+" · "+e.Title, w))
	for _, l := range wrap(tuiWording(e.Summary), w-4) {
		lines = append(lines, st.Dim.Render("    "+l))
	}
	lines = append(lines, "", "Settings (blank takes what is in brackets):")
	labelW := len("image")
	for _, in := range f.setup.inputs {
		labelW = max(labelW, len([]rune(in.label)))
	}
	col = 2 + labelW + 2
	if f.setup.image {
		img := "none: choose one in the Images tab (u)"
		if p.image != "" {
			img = "★ " + p.image + " (another: Images tab, u)"
		}
		lines = append(lines, truncate("  "+padRight("image", labelW)+"  "+img, w))
	}
	active = -1
	for i, in := range f.setup.inputs {
		mark := "  "
		if i == f.field {
			mark = "▸ "
			active = len(lines)
		}
		v := in.shown(f.fields[i].Value())
		text := mark + padRight(in.label, labelW) + "  " + v
		if v == "" {
			hint := "(" + in.blank + ")"
			if in.required {
				hint = "(needed)"
			}
			text += st.Dim.Render(hint)
		}
		line := truncate(text, w)
		if i == f.field {
			line = st.Input.Render(line)
		}
		lines = append(lines, line)
	}
	return lines, active, col
}

// Cursor is at the end of the value being typed.
func (p *recoveryPane) Cursor() (x, y int, ok bool) {
	if p.form == nil || p.run != nil {
		return 0, 0, false
	}
	_, active, col := p.formLines(p.common.Width)
	y = 2 + active // under the pane's title and its blank line
	if active < 0 || y >= p.common.Height-len(p.footer(p.common.Width)) {
		return 0, 0, false
	}
	x = col + len([]rune(p.form.fields[p.form.field].Value()))
	return min(x, p.common.Width-1), y, true
}

// settingsSummary is one line per few settings under the selected
// playbook in the list: what it will run with.
func (p *recoveryPane) settingsSummary(s playbookSetup) string {
	var parts []string
	for _, in := range s.inputs {
		v := p.values[in.key]
		switch {
		case v != "" && in.secret:
			v = "set"
		case v == "" && in.required:
			v = "not set"
		case v == "" && in.short != "":
			v = in.short
		case v == "":
			v = "auto"
		}
		parts = append(parts, in.label+" "+v)
	}
	return strings.Join(parts, " · ")
}
