package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"fieldcon/serialcon"
)

// Bauds offered in the picker and the speed dialog; 0 is auto-detect.
var pickerBauds = []int{0, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1200, 2400, 4800}

func baudLabel(b int) string {
	if b == 0 {
		return "auto"
	}
	return fmt.Sprint(b)
}

func baudIndex(b int) int {
	for i, v := range pickerBauds {
		if v == b {
			return i
		}
	}
	return 0
}

// picker lets the technician choose the console port and its speed.
type picker struct {
	common  *Common
	ports   []serialcon.PortInfo
	err     error
	loading bool
	sel     int
	baud    int // index into pickerBauds
	last    PortChoice
	canSim  bool
	status  string // what is happening or went wrong
}

func newPicker(c *Common, last PortChoice, canSim bool) *picker {
	p := &picker{common: c, last: last, canSim: canSim, loading: true}
	if last.Port != "" {
		p.baud = baudIndex(last.Baud)
	} else {
		p.baud = baudIndex(9600) // Cisco's factory speed
	}
	return p
}

// pickMsg is the technician's choice.
type pickMsg struct{ choice PortChoice }

// simMsg asks for the simulator.
type simMsg struct{}

func (p *picker) setPorts(m PortsMsg) {
	p.loading = false
	p.ports, p.err = m.Ports, m.Err
	p.sel = 0
	// Preselect what was used last time, by adapter identity first: the
	// same cable often comes back under another name.
	best := -1
	for i, pi := range p.ports {
		switch {
		case p.last.Serial != "" && pi.Serial == p.last.Serial && pi.VID == p.last.VID && pi.PID == p.last.PID:
			best = i
		case best < 0 && p.last.Port != "" && pi.Path == p.last.Port:
			best = i
		}
	}
	if best < 0 {
		for i, pi := range p.ports {
			if pi.LikelyConsole {
				best = i
				break
			}
		}
	}
	p.sel = max(best, 0)
}

func (p *picker) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	keys := p.common.Keys
	switch {
	case key.Matches(k, keys.Up):
		p.sel = max(p.sel-1, 0)
	case key.Matches(k, keys.Down):
		p.sel = min(p.sel+1, max(len(p.ports)-1, 0))
	case key.Matches(k, keys.Left):
		p.baud = (p.baud + len(pickerBauds) - 1) % len(pickerBauds)
	case key.Matches(k, keys.Right):
		p.baud = (p.baud + 1) % len(pickerBauds)
	case key.Matches(k, keys.Rescan):
		p.loading = true
		return func() tea.Msg { return rescanMsg{} }
	case key.Matches(k, keys.Sim) && p.canSim:
		return func() tea.Msg { return simMsg{} }
	case key.Matches(k, keys.Accept):
		if len(p.ports) == 0 {
			return nil
		}
		pi := p.ports[p.sel]
		c := PortChoice{Port: pi.Path, Baud: pickerBauds[p.baud], VID: pi.VID, PID: pi.PID, Serial: pi.Serial}
		return func() tea.Msg { return pickMsg{choice: c} }
	}
	return nil
}

// rescanMsg asks the pane to list the ports again.
type rescanMsg struct{}

func (p *picker) View(width, height int) string {
	st := p.common.Styles
	var b strings.Builder
	b.WriteString(st.OverlayTitle.Render("Pick the console port") + "\n\n")
	switch {
	case p.loading:
		b.WriteString("  Looking for serial ports…\n")
	case p.err != nil:
		b.WriteString(st.Error.Render(truncate("  Cannot list serial ports: "+p.err.Error(), width)) + "\n")
	case len(p.ports) == 0:
		b.WriteString("  No serial port found. Plug in the console cable and press r to look again")
		if p.canSim {
			b.WriteString(",\n  or press S to start the simulated Catalyst switch instead")
		}
		b.WriteString(".\n")
	}
	pathW := 0
	for _, pi := range p.ports {
		pathW = max(pathW, len([]rune(pi.Path)))
	}
	for i, pi := range p.ports {
		mark := "  "
		if i == p.sel {
			mark = "▸ "
		}
		row := fmt.Sprintf("%s%-*s  %s", mark, pathW, pi.Path, describePort(pi))
		row = truncate(row, width)
		switch {
		case i == p.sel:
			row = st.Selected.Render(row)
		case pi.LikelyConsole:
			row = st.Likely.Render(row)
		}
		b.WriteString(row + "\n")
	}
	b.WriteString("\n")
	b.WriteString(fmt.Sprintf("  Speed: ‹ %s ›   (←/→; auto tries 9600, 115200, 57600, 38400, 19200)\n", baudLabel(pickerBauds[p.baud])))
	if p.last.Port != "" {
		b.WriteString(st.Dim.Render(truncate(fmt.Sprintf("  Last time: %s at %s", p.last.Port, baudLabel(p.last.Baud)), width)) + "\n")
	}
	if p.status != "" {
		b.WriteString(truncate("  "+p.status, width) + "\n")
	}
	b.WriteString("\n")
	hint := "  enter open · ↑/↓ choose · r look again"
	if p.canSim {
		hint += " · S simulator"
	}
	hint += " · ? help · q quit"
	b.WriteString(st.Dim.Render(truncate(hint, width)))
	return fitBlock(b.String(), width, height)
}

// describePort is how a technician recognises a cable: whether it looks
// like a console cable, the chip inside, its USB identity, then the
// product name (often long, so last).
func describePort(pi serialcon.PortInfo) string {
	var parts []string
	if pi.LikelyConsole {
		parts = append(parts, "likely console")
	}
	if pi.Chipset != "" {
		parts = append(parts, pi.Chipset)
	}
	if pi.USB {
		id := pi.VID + ":" + pi.PID
		if pi.Serial != "" {
			id += " SN " + pi.Serial
		}
		parts = append(parts, id)
	}
	name := strings.TrimSpace(pi.Product)
	if name == "" {
		name = strings.TrimSpace(pi.Manufacturer)
	}
	if name != "" && name != pi.Chipset {
		parts = append(parts, name)
	}
	if len(parts) == 0 {
		return "built-in serial port"
	}
	return strings.Join(parts, " · ")
}
