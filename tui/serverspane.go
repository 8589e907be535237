package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"fieldcon/servers"
	"fieldcon/servers/dhcp"
)

// serversPane is the Servers tab: the TFTP and DHCP servers' state, a
// table of file transfers with progress bars, the DHCP leases and the
// latest things the servers reported.
type serversPane struct {
	common *Common
	opts   *Options
	ctl    ServerControl
	events <-chan servers.Event

	running   map[string]bool
	listening map[string]string // server → address it listens on
	busy      map[string]bool   // a start or stop is under way

	transfers []*transferRow
	leases    []dhcp.Lease
	log       []servers.Event // recent events other than progress

	dialog  string // server whose setting is being asked
	input   lineInput
	note    string
	noteBad bool
}

// transferRow is one TFTP transfer as the table shows it.
type transferRow struct {
	id     string
	peer   string
	asked  string
	served string
	upload bool
	bytes  int64
	total  int64
	rate   float64
	state  servers.Kind
	detail string
}

const (
	maxTransferRows = 64
	maxServerLog    = 64
	// maxEventsPerMsg bounds one ServerEventsMsg; the rest come next.
	maxEventsPerMsg = 512
)

func newServersPane(c *Common, o *Options) Pane {
	return &serversPane{
		common: c, opts: o, ctl: o.Servers, events: o.ServerEvents,
		running: map[string]bool{}, listening: map[string]string{}, busy: map[string]bool{},
	}
}

// ServerEventsMsg is everything the servers reported since the previous
// one, in order.
type ServerEventsMsg struct {
	Events []servers.Event
	// Closed means the event channel is closed and will not be read again.
	Closed bool
}

// WaitServerEventsCmd waits for at least one event on ch and returns it
// with every other event already waiting, as one message; the receiver
// calls it again to keep listening.
func WaitServerEventsCmd(ctx context.Context, ch <-chan servers.Event) tea.Cmd {
	return func() tea.Msg {
		var m ServerEventsMsg
		select {
		case e, ok := <-ch:
			if !ok {
				return ServerEventsMsg{Closed: true}
			}
			m.Events = append(m.Events, e)
		case <-ctx.Done():
			return nil
		}
		for len(m.Events) < maxEventsPerMsg {
			select {
			case e, ok := <-ch:
				if !ok {
					m.Closed = true
					return m
				}
				m.Events = append(m.Events, e)
			default:
				return m
			}
		}
		return m
	}
}

// leasesMsg is the DHCP server's table.
type leasesMsg struct{ leases []dhcp.Lease }

// serverDoneMsg reports a start or stop the pane asked for.
type serverDoneMsg struct {
	server string
	start  bool
	err    error
}

func (p *serversPane) Init() tea.Cmd {
	var cmds []tea.Cmd
	if p.events != nil {
		cmds = append(cmds, WaitServerEventsCmd(p.common.Ctx, p.events))
	}
	if p.ctl != nil {
		cmds = append(cmds, p.leasesCmd())
	}
	return tea.Batch(cmds...)
}

func (p *serversPane) leasesCmd() tea.Cmd {
	ctl := p.ctl
	if ctl == nil {
		return nil
	}
	return func() tea.Msg { return leasesMsg{leases: ctl.Leases()} }
}

func (p *serversPane) Title() string { return "Servers" }

func (p *serversPane) TakesTyping() bool { return p.dialog != "" }

func (p *serversPane) SetSize(w, h int) { p.common.SetSize(w, h) }

func (p *serversPane) Commands() []Command { return nil }

func (p *serversPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ServerEventsMsg:
		dhcpSeen := false
		for _, e := range msg.Events {
			p.apply(e)
			dhcpSeen = dhcpSeen || e.Server == ServerDHCP
		}
		var cmds []tea.Cmd
		if !msg.Closed {
			cmds = append(cmds, WaitServerEventsCmd(p.common.Ctx, p.events))
		}
		if dhcpSeen {
			cmds = append(cmds, p.leasesCmd())
		}
		return tea.Batch(cmds...)
	case serverSettingMsg:
		p.busy[msg.server] = false
		if msg.prompt == "" {
			return p.start(msg.server, "")
		}
		p.dialog = msg.server
		p.input = lineInput{prompt: msg.prompt}
		p.input.Insert(msg.suggested)
		return nil
	case leasesMsg:
		p.leases = msg.leases
		return nil
	case serverDoneMsg:
		p.busy[msg.server] = false
		switch {
		case msg.err != nil && msg.start:
			p.note, p.noteBad = fmt.Sprintf("✗ %s did not start: %v", strings.ToUpper(msg.server), msg.err), true
		case msg.err != nil:
			p.note, p.noteBad = fmt.Sprintf("✗ stopping %s: %v", strings.ToUpper(msg.server), msg.err), true
		case msg.start:
			p.running[msg.server] = true
			p.note, p.noteBad = strings.ToUpper(msg.server)+" server started.", false
		default:
			p.running[msg.server] = false
			p.note, p.noteBad = strings.ToUpper(msg.server)+" server stopped.", false
		}
		return p.leasesCmd()
	case tea.KeyPressMsg:
		return p.key(msg)
	}
	return nil
}

// apply takes one event into the tables.
func (p *serversPane) apply(e servers.Event) {
	switch e.Kind {
	case servers.Started:
		p.running[e.Server] = true
		p.listening[e.Server] = e.Subject
	case servers.Stopped:
		p.running[e.Server] = false
		delete(p.listening, e.Server)
	case servers.TransferStart, servers.TransferProgress, servers.TransferDone, servers.TransferFailed:
		p.transfer(e)
		if e.Kind == servers.TransferProgress {
			return // the table shows it; the log would drown
		}
	}
	p.log = append(p.log, e)
	if len(p.log) > maxServerLog {
		p.log = p.log[len(p.log)-maxServerLog:]
	}
}

func (p *serversPane) transfer(e servers.Event) {
	id := e.Server + "/" + e.Attrs["transfer"]
	if e.Attrs["transfer"] == "" {
		id = e.Server + "/" + e.Peer + "/" + e.Subject
	}
	var row *transferRow
	for _, t := range p.transfers {
		if t.id == id {
			row = t
		}
	}
	if row == nil {
		row = &transferRow{id: id, peer: e.Peer, asked: e.Subject}
		p.transfers = append(p.transfers, row)
		if len(p.transfers) > maxTransferRows {
			p.transfers = p.transfers[len(p.transfers)-maxTransferRows:]
		}
	}
	if s := e.Attrs["served"]; s != "" {
		row.served = s
	}
	row.upload = e.Attrs["direction"] == "upload"
	if e.Bytes > row.bytes || e.Kind != servers.TransferProgress {
		row.bytes = e.Bytes
	}
	if e.Total > 0 {
		row.total = e.Total
	}
	if e.Rate > 0 {
		row.rate = e.Rate
	}
	if row.state != servers.TransferDone && row.state != servers.TransferFailed {
		row.state = e.Kind
	}
	if e.Detail != "" {
		row.detail = e.Detail
	}
}

func (p *serversPane) key(k tea.KeyPressMsg) tea.Cmd {
	keys := p.common.Keys
	if p.dialog != "" {
		switch {
		case key.Matches(k, keys.Cancel):
			p.dialog = ""
		case key.Matches(k, keys.Accept):
			name, setting := p.dialog, strings.TrimSpace(p.input.Value())
			p.dialog = ""
			return p.start(name, setting)
		default:
			p.input.Update(k)
		}
		return nil
	}
	switch {
	case key.Matches(k, keys.ToggleTFTP):
		return p.toggle(ServerTFTP)
	case key.Matches(k, keys.ToggleDHCP):
		return p.toggle(ServerDHCP)
	case key.Matches(k, keys.Clear):
		p.clearFinished()
	}
	return nil
}

func (p *serversPane) toggle(name string) tea.Cmd {
	if p.ctl == nil {
		p.note, p.noteBad = "✗ this build cannot start servers from here; use fieldcon "+name+" serve", true
		return nil
	}
	if p.busy[name] {
		return nil
	}
	if p.running[name] {
		p.busy[name] = true
		p.note, p.noteBad = "Stopping "+strings.ToUpper(name)+"…", false
		ctl, ctx := p.ctl, p.common.Ctx
		return func() tea.Msg { return serverDoneMsg{server: name, err: ctl.Stop(ctx, name)} }
	}
	// The suggestion may look at the laptop's interfaces: a command's job.
	p.busy[name] = true
	ctl := p.ctl
	return func() tea.Msg {
		prompt, suggested := ctl.Setting(name)
		return serverSettingMsg{server: name, prompt: prompt, suggested: suggested}
	}
}

// serverSettingMsg is what to ask before starting a server.
type serverSettingMsg struct{ server, prompt, suggested string }

func (p *serversPane) start(name, setting string) tea.Cmd {
	p.busy[name] = true
	p.note, p.noteBad = "Starting "+strings.ToUpper(name)+"…", false
	ctl, ctx := p.ctl, p.common.Ctx
	return func() tea.Msg { return serverDoneMsg{server: name, start: true, err: ctl.Start(ctx, name, setting)} }
}

// clearFinished drops finished transfers from the table.
func (p *serversPane) clearFinished() {
	kept := p.transfers[:0]
	for _, t := range p.transfers {
		if t.state != servers.TransferDone && t.state != servers.TransferFailed {
			kept = append(kept, t)
		}
	}
	p.transfers = kept
}

func (p *serversPane) View() string {
	w, h := p.common.Width, p.common.Height
	st := p.common.Styles
	var top []string
	top = append(top, p.serverLine(ServerTFTP, "TFTP", w), p.serverLine(ServerDHCP, "DHCP", w), "")

	// Transfers, newest last, as many as fit in about half the room left.
	foot := p.footer(w)
	room := h - len(top) - len(foot)
	leaseRoom := min(len(p.leases)+2, max(room/3, 3))
	logRoom := min(len(p.log)+1, max(room/5, 2))
	transferRoom := max(room-leaseRoom-logRoom-1, 2)

	var mid []string
	mid = append(mid, st.OverlayTitle.Render("Transfers"))
	if len(p.transfers) == 0 {
		mid = append(mid, st.Dim.Render(truncate("  none yet: a device that fetches a file over TFTP shows up here", w)))
	}
	shown := p.transfers
	if n := (transferRoom - 1) / 2; len(shown) > n {
		shown = shown[len(shown)-n:]
	}
	for _, t := range shown {
		mid = append(mid, p.transferLines(t, w)...)
	}
	mid = fitLines(mid, transferRoom)

	var leases []string
	leases = append(leases, st.OverlayTitle.Render("DHCP leases"))
	if len(p.leases) == 0 {
		leases = append(leases, st.Dim.Render(truncate("  none", w)))
	} else {
		leases = append(leases, st.Dim.Render(truncate(leaseRow(w, "ADDRESS", "MAC", "HOSTNAME", "VENDOR", "STATE", "EXPIRES"), w)))
		for _, l := range p.leases {
			leases = append(leases, truncate(leaseRow(w, l.Addr.String(), l.MAC.String(), l.Hostname, l.VendorClass, l.State.String(), l.Expires.Local().Format("15:04:05")), w))
		}
	}
	leases = fitLines(leases, leaseRoom)

	var log []string
	log = append(log, st.OverlayTitle.Render("Latest"))
	evs := p.log
	if n := logRoom - 1; len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	for _, e := range evs {
		line := truncate("  "+e.Time.Local().Format("15:04:05")+" "+e.Server+" "+eventText(e), w)
		if e.Kind == servers.TransferFailed || e.Kind == servers.Refused || e.Kind == servers.Warning || e.Kind == dhcp.KindForeignServer {
			line = st.Banner.Render(line)
		}
		log = append(log, line)
	}
	log = fitLines(log, logRoom)

	body := strings.Join(append(append(append(append(top, mid...), ""), leases...), log...), "\n")
	return fitBlock(body, w, h-len(foot)) + "\n" + strings.Join(foot, "\n")
}

// fitLines cuts or pads lines to exactly n.
func fitLines(lines []string, n int) []string {
	if len(lines) > n {
		return lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

func (p *serversPane) serverLine(name, label string, w int) string {
	st := p.common.Styles
	state := "stopped"
	switch {
	case p.busy[name] && p.running[name]:
		state = "stopping…"
	case p.busy[name]:
		state = "starting…"
	case p.running[name]:
		state = "running"
		if a := p.listening[name]; a != "" {
			state += " on " + a
		}
	}
	k := p.common.Keys.ToggleTFTP
	if name == ServerDHCP {
		k = p.common.Keys.ToggleDHCP
	}
	line := fmt.Sprintf("%s %-5s %s", map[bool]string{true: "●", false: "○"}[p.running[name]], label, state)
	hint := "  (" + k.Help().Key + " starts it)"
	if p.running[name] {
		hint = "  (" + k.Help().Key + " stops it)"
	}
	if p.running[name] {
		return st.Selected.Render(truncate(line, w)) + st.Dim.Render(truncate(hint, max(w-len([]rune(line)), 0)))
	}
	return truncate(line, w) + st.Dim.Render(truncate(hint, max(w-len([]rune(line)), 0)))
}

// transferLines is one transfer in two lines: who asked for what, then
// its progress bar with size, rate and time left.
func (p *serversPane) transferLines(t *transferRow, w int) []string {
	st := p.common.Styles
	name := t.asked
	if t.served != "" && t.served != t.asked {
		name += " → " + t.served
	}
	if t.upload {
		name = "↑ " + name
	}
	var info string
	switch t.state {
	case servers.TransferDone:
		info = " done " + humanBytes(t.bytes)
		if t.rate > 0 {
			info += " at " + humanRate(t.rate)
		}
	case servers.TransferFailed:
		info = " failed at " + humanBytes(t.bytes)
		if t.detail != "" {
			info += ": " + t.detail
		}
	default:
		info = " " + percent(t.bytes, t.total) + " " + humanBytes(t.bytes)
		if t.total > 0 {
			info += "/" + humanBytes(t.total)
		}
		if r := humanRate(t.rate); r != "" {
			info += " " + r
		}
		if e := humanETA(eta(t.bytes, t.total, t.rate)); e != "" {
			info += " " + e
		}
	}
	barW := 20
	if w >= 100 {
		barW = 30
	}
	var bar string
	switch {
	case t.state == servers.TransferDone:
		bar = progressBar(barW, 1, 1)
	case t.total == 0:
		bar = strings.Repeat("·", barW) // size unknown
	default:
		bar = progressBar(barW, t.bytes, t.total)
	}
	head := truncate("  "+padRight(t.peer, 16)+" "+name, w)
	line := truncate("    "+bar+info, w)
	if t.state == servers.TransferFailed {
		line = st.Error.Render(line)
	}
	return []string{head, line}
}

func leaseRow(w int, addr, mac, host, vendor, state, expires string) string {
	cell := func(s string, n int) string { return padRight(truncate(s, n), n) }
	hostW := 18
	if w < 100 {
		hostW = 14
	}
	vendorW := min(max(w-(2+15+1+17+1+hostW+1+1+9+1+8), 8), 24)
	return "  " + cell(addr, 15) + " " + cell(mac, 17) + " " + cell(host, hostW) + " " + cell(vendor, vendorW) + " " + cell(state, 9) + " " + expires
}

// eventText is an event without its server name and time.
func eventText(e servers.Event) string {
	s := string(e.Kind)
	if e.Detail != "" {
		return s + ": " + e.Detail
	}
	if e.Subject != "" {
		s += " " + e.Subject
	}
	if e.Peer != "" {
		s += " from " + e.Peer
	}
	return s
}

func (p *serversPane) footer(w int) []string {
	st := p.common.Styles
	if p.dialog != "" {
		return []string{st.Input.Render(truncate(p.input.View()+"  enter · esc", w))}
	}
	note := ""
	if p.note != "" {
		note = truncate("  "+p.note, w)
		if p.noteBad {
			note = st.Error.Render(note)
		}
	}
	return []string{note, st.Dim.Render(truncate("  t TFTP on/off · d DHCP on/off · l clear finished transfers", w))}
}

// Cursor is in the setting being typed.
func (p *serversPane) Cursor() (x, y int, ok bool) {
	if p.dialog == "" {
		return 0, 0, false
	}
	return min(len([]rune(p.input.View())), p.common.Width-1), p.common.Height - 1, true
}

// Status is the servers' part of the status bar: which run, and how many
// transfers are under way.
func (p *serversPane) Status() []StatusItem {
	var items []StatusItem
	for _, name := range []string{ServerTFTP, ServerDHCP} {
		if p.running[name] {
			items = append(items, StatusItem{Text: name + " on"})
		}
	}
	active := 0
	for _, t := range p.transfers {
		if t.state == servers.TransferStart || t.state == servers.TransferProgress {
			active++
		}
	}
	if active > 0 {
		items = append(items, StatusItem{Text: fmt.Sprintf("%d transfer(s)", active)})
	}
	return items
}

func (p *serversPane) ShortHelp() []key.Binding {
	k := p.common.Keys
	return []key.Binding{k.ToggleTFTP, k.ToggleDHCP}
}

func (p *serversPane) FullHelp() [][]key.Binding {
	k := p.common.Keys
	clear := key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "clear finished transfers"))
	return [][]key.Binding{{k.ToggleTFTP, k.ToggleDHCP, clear, k.Accept, k.Cancel}}
}
