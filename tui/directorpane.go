package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"fieldcon/servers"
	"fieldcon/servers/director"
)

// directorPane is the Director tab: the Smart Install director's client
// table, the selected client's group reasoning and download status, the
// join window and mode, hold-list approval and on-demand operations, each
// of which names the client and what will happen before anything is sent.
type directorPane struct {
	common *Common
	keys   directorKeys
	ctl    DirectorControl

	st      DirectorState
	running bool
	waiting bool // a command waits on DirectorChanged
	busy    bool // a start, stop or operation is under way
	cursor  int  // index into st.Clients

	dialog   directorDialog
	input    lineInput // the start setting
	question string    // what the confirmation asks
	op       director.Operation
	opMAC    director.MAC
	note     string
	noteBad  bool
}

type directorDialog int

const (
	dirNoDialog directorDialog = iota
	dirSetting
	dirConfirm
)

// directorKeys are the pane's own keys.
type directorKeys struct {
	Start, Window, Mode, Approve, Probe, Config, Image, Backup, Yes, No key.Binding
}

func newDirectorKeys() directorKeys {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	return directorKeys{
		Start:   b("s", "start / stop the director"),
		Window:  b("w", "open / close the join window"),
		Mode:    b("m", "join mode auto / manual"),
		Approve: b("a", "approve the held switch"),
		Probe:   b("p", "probe the switch (TCP 4786)"),
		Config:  b("c", "send its configuration"),
		Image:   b("i", "send its image list (reloads)"),
		Backup:  b("b", "back up its configuration"),
		Yes:     b("y", "yes, do it"),
		No:      b("n", "no"),
	}
}

func newDirectorPane(c *Common, o *Options) Pane {
	p := &directorPane{common: c, keys: newDirectorKeys()}
	if dc, ok := o.Servers.(DirectorControl); ok {
		p.ctl = dc
	}
	return p
}

// directorStateMsg is the director's state, read by a command.
type directorStateMsg struct {
	st      DirectorState
	ok      bool
	changed <-chan struct{}
}

// directorChangedMsg says the client database changed.
type directorChangedMsg struct{}

// directorDoneMsg reports an action the pane started.
type directorDoneMsg struct {
	what string // for the note
	text string // what happened, on success
	err  error
}

// directorQuestionMsg is the confirmation for an operation.
type directorQuestionMsg struct {
	op       director.Operation
	mac      director.MAC
	question string
	err      error
}

// directorSettingMsg is what to ask before starting.
type directorSettingMsg struct{ prompt, suggested string }

func (p *directorPane) Init() tea.Cmd { return p.refresh() }

func (p *directorPane) refresh() tea.Cmd {
	ctl := p.ctl
	if ctl == nil {
		return nil
	}
	return func() tea.Msg {
		st, ok := ctl.Director()
		return directorStateMsg{st: st, ok: ok, changed: ctl.DirectorChanged()}
	}
}

// waitChanged waits for the next change of the database.
func (p *directorPane) waitChanged(ch <-chan struct{}) tea.Cmd {
	ctx := p.common.Ctx
	return func() tea.Msg {
		select {
		case <-ch:
			return directorChangedMsg{}
		case <-ctx.Done():
			return nil
		}
	}
}

func (p *directorPane) Title() string { return "SMI" }

func (p *directorPane) TakesTyping() bool { return p.dialog != dirNoDialog }

func (p *directorPane) SetSize(w, h int) { p.common.SetSize(w, h) }

func (p *directorPane) Commands() []Command { return nil }

func (p *directorPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case directorStateMsg:
		p.st, p.running = msg.st, msg.ok
		if !msg.ok {
			p.st = DirectorState{}
		}
		p.cursor = min(p.cursor, max(len(p.st.Clients)-1, 0))
		if msg.changed != nil && !p.waiting {
			p.waiting = true
			return p.waitChanged(msg.changed)
		}
		return nil
	case directorChangedMsg:
		p.waiting = false
		return p.refresh()
	case ServerEventsMsg:
		// The window opening or closing on its schedule, or the director
		// starting or stopping, changes no client.
		for _, e := range msg.Events {
			if e.Server == "director" && (e.Kind == director.KindJoinWindow || e.Kind == director.KindDirector) || e.Kind == servers.Stopped {
				return p.refresh()
			}
		}
		return nil
	case directorSettingMsg:
		p.busy = false
		p.dialog = dirSetting
		p.input = lineInput{prompt: msg.prompt}
		p.input.Insert(msg.suggested)
		return nil
	case directorQuestionMsg:
		p.busy = false
		if msg.err != nil {
			p.note, p.noteBad = "✗ "+msg.err.Error(), true
			return nil
		}
		p.dialog, p.question, p.op, p.opMAC = dirConfirm, msg.question, msg.op, msg.mac
		return nil
	case directorDoneMsg:
		p.busy = false
		switch {
		case msg.err != nil:
			p.note, p.noteBad = "✗ "+msg.what+": "+msg.err.Error(), true
		case msg.text != "":
			p.note, p.noteBad = msg.text, false
		default:
			p.note, p.noteBad = msg.what+".", false
		}
		return p.refresh()
	case tea.KeyPressMsg:
		return p.key(msg)
	}
	return nil
}

func (p *directorPane) key(k tea.KeyPressMsg) tea.Cmd {
	keys := p.common.Keys
	switch p.dialog {
	case dirSetting:
		switch {
		case key.Matches(k, keys.Cancel):
			p.dialog = dirNoDialog
		case key.Matches(k, keys.Accept):
			p.dialog = dirNoDialog
			setting := strings.TrimSpace(p.input.Value())
			return p.do("Director started", func(ctl DirectorControl) (string, error) {
				return "", ctl.StartDirector(p.common.Ctx, setting)
			})
		default:
			p.input.Update(k)
		}
		return nil
	case dirConfirm:
		switch {
		case key.Matches(k, p.keys.Yes), key.Matches(k, keys.Accept):
			p.dialog = dirNoDialog
			op, mac, q := p.op, p.opMAC, p.question
			ctx := p.common.Ctx
			p.note, p.noteBad = fmt.Sprintf("%s %s…", strings.ToUpper(op.String()[:1])+op.String()[1:], mac), false
			return p.do(op.String()+" "+string(mac), func(ctl DirectorControl) (string, error) {
				return ctl.Operate(ctx, op, mac, q)
			})
		case key.Matches(k, p.keys.No), key.Matches(k, keys.Cancel):
			p.dialog = dirNoDialog
			p.note, p.noteBad = "Nothing was sent.", false
		}
		return nil
	}
	switch {
	case key.Matches(k, keys.Up):
		p.cursor = max(p.cursor-1, 0)
		return nil
	case key.Matches(k, keys.Down):
		p.cursor = min(p.cursor+1, max(len(p.st.Clients)-1, 0))
		return nil
	case key.Matches(k, p.keys.Start):
		return p.startStop()
	}
	if !p.running || p.busy {
		if p.ctl != nil && !p.busy && p.isAction(k) {
			p.note, p.noteBad = "✗ the director is not running; s starts it", true
		}
		return nil
	}
	switch {
	case key.Matches(k, p.keys.Window):
		open := !p.st.WindowOpen
		return p.do(map[bool]string{true: "Join window opened", false: "Join window closed"}[open], func(ctl DirectorControl) (string, error) {
			return "", ctl.SetJoinWindow(open)
		})
	case key.Matches(k, p.keys.Mode):
		manual := !p.st.Manual
		return p.do(map[bool]string{true: "Join mode manual: joining switches wait on the hold list", false: "Join mode auto: joining switches are provisioned"}[manual], func(ctl DirectorControl) (string, error) {
			return "", ctl.SetJoinMode(manual)
		})
	}
	c, ok := p.selected()
	if !ok {
		if p.isAction(k) {
			p.note, p.noteBad = "✗ no switch selected", true
		}
		return nil
	}
	switch {
	case key.Matches(k, p.keys.Approve):
		if c.Join != director.JoinHeld {
			p.note, p.noteBad = fmt.Sprintf("✗ %s is not on the hold list", c.MAC), true
			return nil
		}
		mac := c.MAC
		return p.do("Approved "+string(mac)+"; its next DHCP request gets the Smart Install options", func(ctl DirectorControl) (string, error) {
			return "", ctl.Approve(mac)
		})
	case key.Matches(k, p.keys.Probe):
		return p.ask(director.OpProbe, c.MAC)
	case key.Matches(k, p.keys.Config):
		return p.ask(director.OpConfig, c.MAC)
	case key.Matches(k, p.keys.Image):
		return p.ask(director.OpImage, c.MAC)
	case key.Matches(k, p.keys.Backup):
		return p.ask(director.OpBackup, c.MAC)
	}
	return nil
}

func (p *directorPane) isAction(k tea.KeyPressMsg) bool {
	for _, b := range []key.Binding{p.keys.Window, p.keys.Mode, p.keys.Approve, p.keys.Probe, p.keys.Config, p.keys.Image, p.keys.Backup} {
		if key.Matches(k, b) {
			return true
		}
	}
	return false
}

func (p *directorPane) selected() (director.Client, bool) {
	if p.cursor < 0 || p.cursor >= len(p.st.Clients) {
		return director.Client{}, false
	}
	return p.st.Clients[p.cursor], true
}

func (p *directorPane) startStop() tea.Cmd {
	if p.ctl == nil {
		p.note, p.noteBad = "✗ this build cannot run the director from here; use fieldcon director serve", true
		return nil
	}
	if p.busy {
		return nil
	}
	p.busy = true
	ctl := p.ctl
	if p.running {
		p.note, p.noteBad = "Stopping the director…", false
		ctx := p.common.Ctx
		return p.do("Director stopped", func(ctl DirectorControl) (string, error) { return "", ctl.StopDirector(ctx) })
	}
	return func() tea.Msg {
		prompt, suggested := ctl.DirectorSetting()
		return directorSettingMsg{prompt: prompt, suggested: suggested}
	}
}

// ask fetches the confirmation question for op on the client.
func (p *directorPane) ask(op director.Operation, mac director.MAC) tea.Cmd {
	p.busy = true
	ctl := p.ctl
	return func() tea.Msg {
		q, err := ctl.Question(op, mac)
		return directorQuestionMsg{op: op, mac: mac, question: q, err: err}
	}
}

// do runs fn in a command and reports it as a directorDoneMsg.
func (p *directorPane) do(what string, fn func(ctl DirectorControl) (string, error)) tea.Cmd {
	p.busy = true
	ctl := p.ctl
	return func() tea.Msg {
		text, err := fn(ctl)
		return directorDoneMsg{what: what, text: text, err: err}
	}
}

func (p *directorPane) View() string {
	w, h := p.common.Width, p.common.Height
	st := p.common.Styles
	foot := p.footer(w)
	room := h - len(foot)

	var top []string
	top = append(top, p.headLine(w))
	if !p.running {
		top = append(top, "")
		msg := []string{
			"  The director answers switches on one interface: DHCP with the Smart Install",
			"  options, TFTP for image lists, images and configurations, syslog for their",
			"  reports. Profiles come from director.yaml in the workspace (fieldcon director",
			"  init writes a starter). The join window starts closed.",
		}
		if p.ctl == nil {
			msg = append(msg, "", "  This build cannot run it from here: use fieldcon director serve.")
		}
		for _, m := range msg {
			top = append(top, st.Dim.Render(truncate(m, w)))
		}
		return fitBlock(strings.Join(top, "\n"), w, room) + "\n" + strings.Join(foot, "\n")
	}
	top = append(top, "")

	detail := p.detailLines(w)
	tableRoom := max(room-len(top)-min(len(detail), room/2)-1, 3)
	table := p.tableLines(w, tableRoom)
	body := append(append(top, table...), "")
	body = append(body, detail...)
	return fitBlock(strings.Join(body, "\n"), w, room) + "\n" + strings.Join(foot, "\n")
}

func (p *directorPane) headLine(w int) string {
	st := p.common.Styles
	if !p.running {
		state := "stopped"
		if p.busy {
			state = "starting…"
		}
		return truncate("○ Director "+state, w) + st.Dim.Render(truncate("  (s starts it)", max(w-len("○ Director ")-len(state), 0)))
	}
	held := 0
	for _, c := range p.st.Clients {
		if c.Join == director.JoinHeld {
			held++
		}
	}
	win := "CLOSED"
	if p.st.WindowOpen {
		win = "OPEN"
	}
	mode := "auto"
	if p.st.Manual {
		mode = "manual"
	}
	line := fmt.Sprintf("● Director %s on %s · join window %s, %s · %d switch(es), %d on hold",
		p.st.Address, orDash(p.st.Interface), win, mode, len(p.st.Clients), held)
	out := st.Selected.Render(truncate(line, w))
	if p.st.Window != "" && w-len([]rune(line)) > 4 {
		out += st.Dim.Render(truncate("  "+p.st.Window, w-len([]rune(line))))
	}
	return out
}

// tableLines is the client table: a header and as many rows as fit,
// scrolled so the selected one shows.
func (p *directorPane) tableLines(w, room int) []string {
	st := p.common.Styles
	wide := w >= 110
	hostW, pidW := 12, max(w-(2+3+1+14+1+15+1+12+1+1+11), 8)
	if wide {
		hostW, pidW = 16, 18
	}
	pidW = min(pidW, 20)
	row := func(n, mac, ip, host, pid, status, image, config string) string {
		cell := func(s string, n int) string { return padRight(truncate(s, n), n) }
		s := "  " + cell(n, 3) + " " + cell(mac, 14) + " " + cell(ip, 15) + " " + cell(host, hostW) + " " + cell(pid, pidW) + " " + cell(status, 11)
		if wide {
			s += " " + cell(image, 11) + " " + config
		}
		return s
	}
	lines := []string{st.Dim.Render(truncate(row("#", "MAC", "IP", "HOSTNAME", "PRODUCT-ID", "STATUS", "IMAGE", "CONFIG"), w))}
	if len(p.st.Clients) == 0 {
		hint := "  no switch yet: open the join window (w) and power one on"
		if p.st.WindowOpen {
			hint = "  no switch yet: power one on; it shows here when it asks for an address"
		}
		return append(lines, st.Dim.Render(truncate(hint, w)))
	}
	rows := room - 1
	first := 0
	if p.cursor >= rows {
		first = p.cursor - rows + 1
	}
	for i := first; i < len(p.st.Clients) && i < first+rows; i++ {
		c := p.st.Clients[i]
		ip := "-"
		if c.IP.IsValid() {
			ip = c.IP.String()
		}
		pid := c.PID
		if len(c.Members) > 1 {
			pid = fmt.Sprintf("%s ×%d", c.PID, len(c.Members))
		}
		line := truncate(row(fmt.Sprint(c.Index), string(c.MAC), ip, orDash(c.Hostname), orDash(pid),
			c.Status(p.st.Now, p.st.Keepalive), artifactState(c.Image), artifactState(c.Config)), w)
		switch {
		case i == p.cursor:
			line = st.Match.Render(padRight(line, w))
		case c.Join == director.JoinHeld:
			line = st.Banner.Render(line)
		case c.Image.State == director.Failed || c.Config.State == director.Failed:
			line = st.Error.Render(line)
		}
		lines = append(lines, line)
	}
	return lines
}

// artifactState is a download-status word.
func artifactState(a director.Artifact) string {
	if len(a.Files) == 0 && a.State == director.NotStarted {
		return "**"
	}
	return a.State.Word()
}

// detailLines describe the selected client: which profile it got and why,
// what it was told, how its downloads went, its backup.
func (p *directorPane) detailLines(w int) []string {
	st := p.common.Styles
	c, ok := p.selected()
	if !ok {
		return nil
	}
	var out []string
	title := fmt.Sprintf("Switch %d: %s %s", c.Index, orDash(c.Hostname), c.MAC)
	if c.Replaced != "" {
		title += " (replaces " + string(c.Replaced) + ")"
	}
	out = append(out, st.OverlayTitle.Render(truncate(title, w)))
	line := func(s string) { out = append(out, truncate("  "+s, w)) }

	if res, ok := p.st.Reasons[c.MAC]; ok {
		for _, l := range strings.Split(strings.TrimRight(res.Explain(), "\n"), "\n") {
			line(l)
		}
	}
	if plan, ok := p.st.Plans[c.MAC]; ok && plan.Reason != "" {
		line("last DHCP: plain lease, " + plan.Reason)
	}
	method := orDash(c.Method)
	line(fmt.Sprintf("download: %s · image %s · config %s · script %s", method, artifactState(c.Image), artifactState(c.Config), artifactState(c.Script)))
	for _, a := range []struct {
		what string
		a    director.Artifact
	}{{"image", c.Image}, {"config", c.Config}, {"script", c.Script}} {
		if len(a.a.Files) > 0 {
			got := fmt.Sprintf("%d/%d", len(a.a.Got), len(a.a.Files))
			line(fmt.Sprintf("  %-6s %s (%s fetched)", a.what, strings.Join(a.a.Files, ", "), got))
		}
		if a.a.Fail != "" {
			out = append(out, st.Error.Render(truncate(fmt.Sprintf("    %s failed: %s", a.what, a.a.Fail), w)))
		}
	}
	if c.Backup.Done {
		line(fmt.Sprintf("backup: %s MD5 %s", c.Backup.File, c.Backup.MD5))
	} else {
		line("backup: none yet")
	}
	return out
}

func (p *directorPane) footer(w int) []string {
	st := p.common.Styles
	switch p.dialog {
	case dirSetting:
		return []string{"", st.Input.Render(truncate(p.input.View()+"  enter · esc", w))}
	case dirConfirm:
		var out []string
		for _, l := range wrap(p.question, w-2) {
			out = append(out, st.Banner.Render("  "+l))
		}
		return append(out, st.Input.Render(truncate("  y send it · n cancel", w)))
	}
	note := ""
	if p.note != "" {
		note = truncate("  "+p.note, w)
		if p.noteBad {
			note = st.Error.Render(note)
		}
	}
	hint := "  s start the director"
	switch {
	case p.running && w >= 96:
		hint = "  ↑↓ select · s stop · w window · m mode · a approve · p probe · c config · i image · b backup"
	case p.running:
		hint = "  ↑↓ · s stop · w window · m mode · a approve · p/c/i/b probe/config/image/backup"
	}
	return []string{note, st.Dim.Render(truncate(hint, w))}
}

// Cursor is in the setting being typed.
func (p *directorPane) Cursor() (x, y int, ok bool) {
	if p.dialog != dirSetting {
		return 0, 0, false
	}
	return min(len([]rune(p.input.View())), p.common.Width-1), p.common.Height - 1, true
}

// Status is the director's part of the status bar.
func (p *directorPane) Status() []StatusItem {
	if !p.running {
		return nil
	}
	items := []StatusItem{{Text: "director on"}}
	if p.st.WindowOpen {
		items = append(items, StatusItem{Text: "join window open"})
	}
	held := 0
	for _, c := range p.st.Clients {
		if c.Join == director.JoinHeld {
			held++
		}
	}
	if held > 0 {
		items = append(items, StatusItem{Text: fmt.Sprintf("%d on hold", held), Warn: true})
	}
	return items
}

func (p *directorPane) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Start, p.keys.Window, p.keys.Approve}
}

func (p *directorPane) FullHelp() [][]key.Binding {
	k := p.keys
	return [][]key.Binding{{k.Start, k.Window, k.Mode, k.Approve}, {k.Probe, k.Config, k.Image, k.Backup, k.Yes, k.No}}
}
