package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"fieldcon/serialcon"
	"fieldcon/xmodem"
)

// consoleMode is what the console pane shows.
type consoleMode int

const (
	modePick    consoleMode = iota // the port picker
	modeOpening                    // waiting for a port to open
	modeLive                       // the device's console
)

// dialog is the one-line input the console pane may be showing.
type dialog int

const (
	dialogNone dialog = iota
	dialogSearch
	dialogLine // local line editing
	dialogBaud
	dialogPastePath
	dialogPasteDelay
	dialogXFile // picking the file to send via XMODEM
	dialogXMode // picking the XMODEM variant
)

// Break timings: one break is 300 ms, longer than any Cisco UART needs to
// see a framing error, and the repeat covers a router's 60 s boot window.
const (
	breakLength = 300 * time.Millisecond
	breakEvery  = 250 * time.Millisecond
	breakWindow = 60 * time.Second
)

// consolePane is the Console tab: the port picker until a port is open,
// then the device's output in a bounded scrollback with every key going
// to the device.
type consolePane struct {
	common *Common
	opts   *Options

	mode   consoleMode
	picker *picker

	con     Console
	port    string
	feed    *Feed
	feedSeq int
	remove  func()
	sb      *Scrollback

	settings  serialcon.Settings
	state     serialcon.State
	prompt    serialcon.PromptKind
	logPath   string
	logging   bool
	received  int64
	garbled   bool
	detecting bool

	pending []byte // typed, not yet written
	sending bool

	dialog    dialog
	input     lineInput
	lineMode  bool
	baudSel   int
	pastePath string
	notFound  bool

	breakStop context.CancelFunc
	paste     *pasteJob
	pasteSeq  int
	pasteNote string

	files      *filePicker
	xmodemPath string
	modeSel    int
	xfer       *xmodemJob
	xferSeq    int
}

func newConsolePane(c *Common, o *Options) Pane {
	p := &consolePane{
		common: c,
		opts:   o,
		sb:     NewScrollback(o.ScrollbackLines),
		picker: newPicker(c, o.Prefs.Last, o.StartSim != nil),
	}
	if o.Console != nil {
		p.feedSeq++
		feed := NewFeed(p.feedSeq, o.FeedBytes, o.frame())
		remove := o.Console.Observe(feed.Observe)
		feed.Seed(o.Console.Transcript())
		p.attach(o.Console, o.Port, feed, remove, snapshot(o.Console))
	}
	return p
}

// consoleStatus is what the status bar shows about a console when it opens.
type consoleStatus struct {
	settings serialcon.Settings
	state    serialcon.State
	prompt   serialcon.PromptKind
	logPath  string
}

func snapshot(c Console) consoleStatus {
	return consoleStatus{settings: c.Settings(), state: c.State(), prompt: c.Prompt(), logPath: c.LogPath()}
}

func (p *consolePane) attach(c Console, port string, feed *Feed, remove func(), st consoleStatus) {
	p.con, p.port, p.feed, p.remove = c, port, feed, remove
	p.settings, p.state, p.prompt = st.settings, st.state, st.prompt
	p.logPath, p.logging = st.logPath, st.logPath != ""
	p.mode = modeLive
	p.sb.Banner(p.common.Now(), fmt.Sprintf("── %s at %s · ctrl-t ? for help and commands ──", port, st.settings))
}

func (p *consolePane) Init() tea.Cmd {
	if p.mode == modeLive {
		var cmds []tea.Cmd
		cmds = append(cmds, p.feed.Cmd())
		if p.opts.AutoBaud {
			cmds = append(cmds, p.detect())
		}
		return tea.Batch(cmds...)
	}
	return ListPortsCmd(p.opts.listPorts())
}

func (p *consolePane) Title() string { return "Console" }

func (p *consolePane) TakesTyping() bool { return p.mode == modeLive }

func (p *consolePane) SetSize(w, h int) {
	p.common.SetSize(w, h)
	p.sb.SetWidth(w)
}

// rows is the height of the scrollback: the pane less its footer line.
func (p *consolePane) rows() int {
	if p.footer() != "" {
		return max(p.common.Height-1, 0)
	}
	return p.common.Height
}

func (p *consolePane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case PortsMsg:
		p.picker.setPorts(msg)
		return nil
	case rescanMsg:
		return ListPortsCmd(p.opts.listPorts())
	case pickMsg:
		p.mode = modeOpening
		p.picker.status = "Opening " + msg.choice.Port + "…"
		p.feedSeq++
		cmds := []tea.Cmd{p.openCmd(msg.choice, p.feedSeq)}
		if p.opts.PrefsPath != "" {
			cmds = append(cmds, SavePrefsCmd(p.opts.PrefsPath, msg.choice))
		}
		return tea.Batch(cmds...)
	case simMsg:
		p.mode = modeOpening
		p.picker.status = "Starting the simulated switch…"
		p.feedSeq++
		return p.simCmd(p.feedSeq)
	case openedMsg:
		if msg.feed.ID() != p.feedSeq || p.mode != modeOpening {
			msg.feed.Close()
			return closeCmd(msg.ConsoleOpenedMsg.Console, msg.remove)
		}
		p.attach(msg.Console, msg.Port, msg.feed, msg.remove, msg.status)
		cmds := []tea.Cmd{p.feed.Cmd(), consoleChanged(msg.Console, msg.Port, msg.status.prompt)}
		if msg.AutoBaud {
			cmds = append(cmds, p.detect())
		}
		return tea.Batch(cmds...)
	case ErrorMsg:
		return p.showError(msg)
	case DataMsg:
		if p.feed == nil || msg.Feed != p.feed.ID() {
			return nil
		}
		p.apply(msg)
		return p.feed.Cmd()
	case sentMsg:
		if p.feed == nil || msg.feed != p.feed.ID() {
			return nil
		}
		p.sending = false
		if msg.err != nil {
			p.pending = nil
			p.sb.Banner(p.common.Now(), "✗ typing did not reach the device: "+msg.err.Error())
			return nil
		}
		return p.flush()
	case BreakMsg:
		return p.breakDone(msg)
	case BaudMsg:
		return p.baudDone(msg)
	case LogMsg:
		return p.logDone(msg)
	case PasteMsg:
		return p.pasteDone(msg)
	case dirListMsg:
		if p.files != nil {
			return p.files.Update(msg)
		}
		return nil
	case filePickedMsg:
		if p.dialog != dialogXFile {
			return nil
		}
		p.xmodemPath = msg.path
		p.dialog = dialogXMode
		return nil
	case xmodemProgressMsg:
		if p.xfer == nil || msg.job != p.xfer.id {
			return nil
		}
		p.xfer.last = msg.p
		return p.xfer.wait()
	case xmodemDoneMsg:
		return p.xmodemDone(msg)
	case prefsSavedMsg:
		if msg.err != nil && p.mode == modeLive {
			p.sb.Banner(p.common.Now(), "!! this port will not be remembered next time: "+msg.err.Error())
		}
		return nil
	case tea.PasteMsg:
		return p.pasteText(msg.Content)
	case tea.KeyPressMsg:
		switch p.mode {
		case modePick:
			return p.picker.Update(msg)
		case modeLive:
			return p.key(msg)
		}
	}
	return nil
}

// openedMsg is ConsoleOpenedMsg with what the pane attached to it.
type openedMsg struct {
	ConsoleOpenedMsg
	feed   *Feed
	remove func()
	status consoleStatus
}

// openCmd opens the picked port and starts observing it in the same
// command, so nothing the device says right after opening is missed.
func (p *consolePane) openCmd(c PortChoice, id int) tea.Cmd {
	open, ctx, o := p.opts.Open, p.common.Ctx, p.opts
	return func() tea.Msg {
		if open == nil {
			return ErrorMsg{Op: "open " + c.Port, Err: errors.New("this build cannot open ports")}
		}
		m := OpenCmd(ctx, open, c)()
		om, ok := m.(ConsoleOpenedMsg)
		if !ok {
			return m
		}
		return observe(om, id, o)
	}
}

func (p *consolePane) simCmd(id int) tea.Cmd {
	start, ctx, o := p.opts.StartSim, p.common.Ctx, p.opts
	return func() tea.Msg {
		m := StartSimCmd(ctx, start)()
		om, ok := m.(ConsoleOpenedMsg)
		if !ok {
			return m
		}
		return observe(om, id, o)
	}
}

func observe(om ConsoleOpenedMsg, id int, o *Options) openedMsg {
	feed := NewFeed(id, o.FeedBytes, o.frame())
	remove := om.Console.Observe(feed.Observe)
	feed.Seed(om.Console.Transcript())
	return openedMsg{ConsoleOpenedMsg: om, feed: feed, remove: remove, status: snapshot(om.Console)}
}

// closedMsg reports a console closed by the pane.
type closedMsg struct{ err error }

func closeCmd(c Console, remove func()) tea.Cmd {
	return func() tea.Msg {
		if remove != nil {
			remove()
		}
		return closedMsg{err: c.Close()}
	}
}

func (p *consolePane) showError(e ErrorMsg) tea.Cmd {
	if p.mode != modeLive {
		p.mode = modePick
		p.picker.status = "✗ " + e.Error()
		return nil
	}
	p.sb.Banner(p.common.Now(), "✗ "+e.Error())
	return nil
}

// apply puts a DataMsg on screen.
func (p *consolePane) apply(m DataMsg) {
	now := p.common.Now()
	if m.Dropped > 0 {
		p.sb.Banner(now, fmt.Sprintf("… %d bytes not shown: the screen fell behind (the session log has them)", m.Dropped))
	}
	p.received = m.Received
	for _, e := range m.Events {
		switch e.Kind {
		case serialcon.EventData:
			before := p.sb.Garbled()
			p.sb.Write(e.Time, e.Data)
			if len(e.Data) >= 16 {
				p.garbled = (p.sb.Garbled()-before)*4 > len(e.Data)
			}
		case serialcon.EventPrompt:
			p.prompt = e.Prompt
		case serialcon.EventBaudChanged:
			p.settings = e.Settings
			if !p.detecting {
				p.sb.Banner(e.Time, "── speed now "+e.Settings.String()+" ──")
			}
		case serialcon.EventDisconnected:
			p.state = serialcon.StateDisconnected
			note := "── adapter gone: waiting for the same cable to come back (plug it in again) ──"
			if e.Err != nil {
				note = "── adapter gone (" + e.Err.Error() + "): waiting for the same cable to come back ──"
			}
			p.sb.Banner(e.Time, note)
		case serialcon.EventReconnected:
			p.state = serialcon.StateConnected
			if e.Settings.Baud != 0 {
				p.settings = e.Settings
			}
			p.sb.Banner(e.Time, "── reconnected at "+p.settings.String()+" ──")
		case serialcon.EventClosed:
			p.state = serialcon.StateClosed
			p.sb.Banner(e.Time, "── port closed ──")
		}
	}
}

// key handles a key press while the console is live.
func (p *consolePane) key(k tea.KeyPressMsg) tea.Cmd {
	keys := p.common.Keys
	if p.xfer != nil {
		// The line belongs to the transfer: typing would corrupt it.
		if key.Matches(k, keys.Cancel) {
			p.xfer.cancel()
		}
		return nil
	}
	if p.dialog == dialogXFile {
		if key.Matches(k, keys.Cancel) {
			p.closeDialog()
			return nil
		}
		return p.files.Update(k)
	}
	if p.dialog != dialogNone && p.dialog != dialogLine {
		return p.dialogKey(k)
	}
	switch {
	case key.Matches(k, keys.PageUp):
		p.sb.Scroll(max(p.rows()-1, 1), p.rows())
		return nil
	case key.Matches(k, keys.PageDown):
		p.sb.Scroll(-max(p.rows()-1, 1), p.rows())
		return nil
	case key.Matches(k, keys.LineUp):
		p.sb.Scroll(1, p.rows())
		return nil
	case key.Matches(k, keys.LineDown):
		p.sb.Scroll(-1, p.rows())
		return nil
	case key.Matches(k, keys.Bottom):
		p.sb.Bottom()
		return nil
	}
	if p.dialog == dialogLine && k.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
		if key.Matches(k, keys.Accept) {
			line := p.input.Value()
			p.input.Reset()
			p.sb.Bottom()
			return p.queue([]byte(line + "\r"))
		}
		if key.Matches(k, keys.Cancel) {
			p.input.Reset()
			return nil
		}
		if p.input.Update(k) {
			return nil
		}
	}
	b := keyBytes(k)
	if b == nil {
		return nil
	}
	p.sb.Bottom()
	return p.queue(b)
}

// queue sends typed bytes in order: one write at a time, and whatever is
// typed meanwhile goes in the next one.
func (p *consolePane) queue(b []byte) tea.Cmd {
	if p.con == nil {
		return nil
	}
	p.pending = append(p.pending, b...)
	return p.flush()
}

func (p *consolePane) flush() tea.Cmd {
	if p.sending || len(p.pending) == 0 {
		return nil
	}
	data := p.pending
	p.pending = nil
	p.sending = true
	return sendCmd(p.con, p.feed.ID(), data)
}

func (p *consolePane) pasteText(s string) tea.Cmd {
	if p.mode != modeLive {
		return nil
	}
	if p.dialog != dialogNone {
		p.input.Insert(strings.ReplaceAll(strings.ReplaceAll(s, "\r", ""), "\n", " "))
		return nil
	}
	if !strings.ContainsAny(strings.TrimRight(s, "\r\n"), "\r\n") {
		return p.queue([]byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\r"), "\n", "\r")))
	}
	return p.startPaste("", s)
}

// Commands are the console's entries in the ctrl-t menu.
func (p *consolePane) Commands() []Command {
	if p.mode != modeLive {
		return nil
	}
	k := p.common.Keys
	return []Command{
		{Key: k.Break, Run: func() tea.Cmd {
			p.sb.Banner(p.common.Now(), "── break ──")
			return BreakCmd(p.con, breakLength)
		}},
		{Key: k.BreakRepeat, Run: p.toggleBreakRepeat},
		{Key: k.Baud, Run: func() tea.Cmd {
			p.dialog = dialogBaud
			p.baudSel = baudIndex(p.settings.Baud)
			return nil
		}},
		{Key: k.Timestamps, Run: func() tea.Cmd { p.sb.SetTimestamps(!p.sb.Timestamps()); return nil }},
		{Key: k.Hex, Run: func() tea.Cmd { p.sb.SetHex(!p.sb.Hex(), p.common.Now()); return nil }},
		{Key: k.Log, Run: func() tea.Cmd {
			if p.logging {
				return StopLogCmd(p.con)
			}
			return StartLogCmd(p.con)
		}},
		{Key: k.Clear, Run: func() tea.Cmd { p.sb.Clear(); return nil }},
		{Key: k.SendFile, Run: func() tea.Cmd {
			if p.paste != nil {
				p.paste.cancel()
				return nil
			}
			p.openDialog(dialogPastePath, "file to paste: ", p.pastePath)
			return nil
		}},
		{Key: k.LineMode, Run: func() tea.Cmd {
			p.lineMode = !p.lineMode
			if p.lineMode {
				p.openDialog(dialogLine, "line> ", "")
			} else {
				p.dialog = dialogNone
			}
			return nil
		}},
		{Key: k.Search, Run: func() tea.Cmd {
			p.openDialog(dialogSearch, "search: ", "")
			return nil
		}},
		{Key: k.Literal, Run: func() tea.Cmd { return p.queue([]byte{0x14}) }},
		{Key: k.Disconnect, Run: p.disconnect},
		{Key: k.XMODEM, Run: p.xmodemCommand},
	}
}

func (p *consolePane) openDialog(d dialog, prompt, value string) {
	p.dialog = d
	p.notFound = false
	p.input = lineInput{prompt: prompt}
	p.input.Insert(value)
}

func (p *consolePane) closeDialog() {
	p.dialog = dialogNone
	if p.lineMode {
		p.openDialog(dialogLine, "line> ", "")
	}
}

func (p *consolePane) dialogKey(k tea.KeyPressMsg) tea.Cmd {
	keys := p.common.Keys
	switch p.dialog {
	case dialogBaud:
		switch {
		case key.Matches(k, keys.Left):
			p.baudSel = (p.baudSel + len(pickerBauds) - 1) % len(pickerBauds)
		case key.Matches(k, keys.Right):
			p.baudSel = (p.baudSel + 1) % len(pickerBauds)
		case key.Matches(k, keys.Cancel):
			p.closeDialog()
		case key.Matches(k, keys.Accept):
			p.closeDialog()
			if b := pickerBauds[p.baudSel]; b != 0 {
				return SetBaudCmd(p.con, b)
			}
			return p.detect()
		}
		return nil
	case dialogSearch:
		switch {
		case key.Matches(k, keys.Cancel):
			p.sb.ClearSearch()
			p.sb.Bottom()
			p.closeDialog()
		case key.Matches(k, keys.Older):
			p.notFound = !p.sb.Search(p.input.Value(), true, p.rows())
		case key.Matches(k, keys.Newer):
			p.notFound = !p.sb.Search(p.input.Value(), false, p.rows())
		default:
			p.input.Update(k)
			p.notFound = false
		}
		return nil
	case dialogPastePath:
		switch {
		case key.Matches(k, keys.Cancel):
			p.closeDialog()
		case key.Matches(k, keys.Accept):
			p.pastePath = strings.TrimSpace(p.input.Value())
			if p.pastePath == "" {
				return nil
			}
			p.openDialog(dialogPasteDelay, "pause after each line: ", p.opts.lineDelay().String())
		default:
			p.input.Update(k)
		}
		return nil
	case dialogXMode:
		switch {
		case key.Matches(k, keys.Left):
			p.modeSel = (p.modeSel + len(xmodemModes) - 1) % len(xmodemModes)
		case key.Matches(k, keys.Right):
			p.modeSel = (p.modeSel + 1) % len(xmodemModes)
		case key.Matches(k, keys.Cancel):
			p.closeDialog()
		case key.Matches(k, keys.Accept):
			p.closeDialog()
			return p.startXMODEM()
		}
		return nil
	case dialogPasteDelay:
		switch {
		case key.Matches(k, keys.Cancel):
			p.closeDialog()
		case key.Matches(k, keys.Accept):
			d, err := parseDelay(p.input.Value())
			if err != nil {
				p.notFound = true
				return nil
			}
			p.closeDialog()
			p.opts.LineDelay = d
			return p.startPaste(p.pastePath, "")
		default:
			p.input.Update(k)
			p.notFound = false
		}
	}
	return nil
}

func (p *consolePane) startPaste(path, text string) tea.Cmd {
	if p.paste != nil {
		p.sb.Banner(p.common.Now(), "✗ a paste is already running; ctrl-t p stops it")
		return nil
	}
	if p.xfer != nil {
		p.sb.Banner(p.common.Now(), "✗ an XMODEM transfer is running; esc stops it")
		return nil
	}
	p.pasteSeq++
	job, cmd := startPaste(p.common.Ctx, p.con, p.pasteSeq, path, text, p.opts.lineDelay())
	p.paste = job
	p.pasteNote = "pasting " + job.name
	return cmd
}

func (p *consolePane) pasteDone(m PasteMsg) tea.Cmd {
	if p.paste == nil || m.Job != p.paste.id {
		return nil
	}
	p.pasteNote = fmt.Sprintf("pasting %s: line %d of %d", p.paste.name, m.Sent, m.Total)
	if !m.Done {
		return p.paste.wait()
	}
	name := p.paste.name
	p.paste, p.pasteNote = nil, ""
	switch {
	case errors.Is(m.Err, context.Canceled):
		p.sb.Banner(p.common.Now(), fmt.Sprintf("── paste of %s stopped after %d of %d lines ──", name, m.Sent, m.Total))
	case m.Err != nil:
		p.sb.Banner(p.common.Now(), fmt.Sprintf("✗ paste of %s failed after %d lines: %v", name, m.Sent, m.Err))
	default:
		p.sb.Banner(p.common.Now(), fmt.Sprintf("── pasted %s: %d lines ──", name, m.Total))
	}
	return nil
}

func (p *consolePane) toggleBreakRepeat() tea.Cmd {
	if p.breakStop != nil {
		p.breakStop()
		return nil
	}
	ctx, cancel := context.WithCancel(p.common.Ctx)
	p.breakStop = cancel
	p.sb.Banner(p.common.Now(), fmt.Sprintf("── sending break every %v for %v: power-cycle the device now; ctrl-t B stops ──", breakEvery, breakWindow))
	return BreakRepeatCmd(ctx, p.con, breakEvery, breakWindow)
}

func (p *consolePane) breakDone(m BreakMsg) tea.Cmd {
	now := p.common.Now()
	if m.Repeat {
		if p.breakStop != nil {
			p.breakStop()
			p.breakStop = nil
		}
		if m.Err != nil {
			p.sb.Banner(now, "✗ break repeat failed: "+m.Err.Error())
		} else {
			p.sb.Banner(now, "── break repeat over ──")
		}
		return nil
	}
	if m.Err != nil {
		p.sb.Banner(now, "✗ break failed: "+m.Err.Error())
	}
	return nil
}

func (p *consolePane) detect() tea.Cmd {
	p.detecting = true
	p.sb.Banner(p.common.Now(), "── detecting the speed: press nothing for a moment ──")
	return DetectBaudCmd(p.common.Ctx, p.con)
}

func (p *consolePane) baudDone(m BaudMsg) tea.Cmd {
	now := p.common.Now()
	if m.Detected {
		p.detecting = false
		if m.Err != nil {
			p.sb.Banner(now, "✗ could not detect the speed ("+m.Err.Error()+"); pick one with ctrl-t s")
			return nil
		}
		p.settings.Baud = m.Baud
		p.sb.Banner(now, fmt.Sprintf("── detected %d baud ──", m.Baud))
		return nil
	}
	if m.Err != nil {
		p.sb.Banner(now, fmt.Sprintf("✗ cannot change the speed to %d: %v", m.Baud, m.Err))
		return nil
	}
	p.settings.Baud = m.Baud
	return nil
}

func (p *consolePane) logDone(m LogMsg) tea.Cmd {
	now := p.common.Now()
	if m.Err != nil {
		p.sb.Banner(now, "✗ session log: "+m.Err.Error())
		return nil
	}
	p.logging, p.logPath = m.On, m.Path
	if m.On {
		p.sb.Banner(now, "── session log: "+m.Path+" ──")
	} else {
		p.sb.Banner(now, "── session log stopped: "+m.Path+" ──")
		p.logPath = ""
	}
	return nil
}

// disconnect closes the console and goes back to the picker.
func (p *consolePane) disconnect() tea.Cmd {
	cmd := tea.Batch(p.release(), consoleChanged(nil, "", serialcon.PromptNone))
	p.mode = modePick
	p.picker.status = "Closed " + p.port + "."
	p.picker.loading = true
	return tea.Batch(cmd, ListPortsCmd(p.opts.listPorts()))
}

// release stops everything tied to the console and returns the command
// that closes it.
func (p *consolePane) release() tea.Cmd {
	if p.con == nil {
		return nil
	}
	if p.breakStop != nil {
		p.breakStop()
		p.breakStop = nil
	}
	if p.paste != nil {
		p.paste.cancel()
		p.paste = nil
	}
	if p.xfer != nil {
		p.xfer.cancel()
		p.xfer = nil
	}
	p.feed.Close()
	cmd := closeCmd(p.con, p.remove)
	p.con, p.feed, p.remove = nil, nil, nil
	p.pending, p.sending = nil, false
	p.dialog, p.lineMode = dialogNone, false
	return cmd
}

// Close closes the console, for when the program has ended.
func (p *consolePane) Close() error {
	cmd := p.release()
	if cmd == nil {
		return nil
	}
	if m, ok := cmd().(closedMsg); ok {
		return m.err
	}
	return nil
}

// Status is the console's part of the status bar.
func (p *consolePane) Status() []StatusItem {
	if p.mode != modeLive {
		return []StatusItem{{Text: "no port open"}}
	}
	items := []StatusItem{{Text: p.port}, {Text: p.settings.String()}}
	if p.prompt != serialcon.PromptNone {
		items = append(items, StatusItem{Text: p.prompt.String()})
	}
	items = append(items, StatusItem{Text: p.state.String(), Warn: p.state != serialcon.StateConnected})
	if p.logging {
		items = append(items, StatusItem{Text: "log " + filepath.Base(p.logPath)})
	} else {
		items = append(items, StatusItem{Text: "log off"})
	}
	if p.breakStop != nil {
		items = append(items, StatusItem{Text: "BREAKING", Warn: true})
	}
	if p.xfer != nil {
		items = append(items, StatusItem{Text: "XMODEM " + percent(p.xfer.last.Bytes, p.xfer.last.Total)})
	}
	if p.garbled {
		items = append(items, StatusItem{Text: "garbled: wrong speed? ctrl-t s", Warn: true})
	}
	var modes []string
	if p.sb.Timestamps() {
		modes = append(modes, "time")
	}
	if p.sb.Hex() {
		modes = append(modes, "hex")
	}
	if p.lineMode {
		modes = append(modes, "line")
	}
	if len(modes) > 0 {
		items = append(items, StatusItem{Text: strings.Join(modes, "+")})
	}
	return items
}

// footer is the line under the scrollback, or "" for none.
func (p *consolePane) footer() string {
	switch p.dialog {
	case dialogBaud:
		var b strings.Builder
		b.WriteString("speed:")
		for i, v := range pickerBauds {
			if i == p.baudSel {
				fmt.Fprintf(&b, " [%s]", baudLabel(v))
			} else {
				fmt.Fprintf(&b, " %s", baudLabel(v))
			}
		}
		b.WriteString("  ←/→ enter esc")
		return b.String()
	case dialogSearch:
		s := p.input.View()
		if p.notFound {
			s += "  (not found)"
		} else if hit := p.sb.SearchHit(); hit != "" {
			s += "  (" + hit + ")"
		}
		return s + "  ↑/enter older · ↓ newer · esc"
	case dialogPastePath:
		return p.input.View() + "  enter · esc"
	case dialogPasteDelay:
		s := p.input.View()
		if p.notFound {
			s += "  (write 100ms, 1s or a number of ms)"
		}
		return s + "  enter · esc"
	case dialogLine:
		return p.input.View()
	case dialogXMode:
		var b strings.Builder
		b.WriteString("send " + filepath.Base(p.xmodemPath) + " as:")
		for i, m := range xmodemModes {
			if i == p.modeSel {
				fmt.Fprintf(&b, " [%s]", m)
			} else {
				fmt.Fprintf(&b, " %s", m)
			}
		}
		b.WriteString("  ←/→ enter esc")
		return b.String()
	}
	switch {
	case p.xfer != nil:
		return p.xfer.line(p.common.Width)
	case p.pasteNote != "":
		return "── " + p.pasteNote + " · ctrl-t p stops ──"
	case !p.sb.Following():
		return "── scrolled back · pgdn or shift-end for live output ──"
	}
	return ""
}

func (p *consolePane) View() string {
	w, h := p.common.Width, p.common.Height
	if p.mode != modeLive {
		return p.picker.View(w, h)
	}
	if p.dialog == dialogXFile {
		return p.files.View("Send a file via XMODEM", w, h)
	}
	st := p.common.Styles
	rows, _ := p.sb.Rows(p.rows())
	lines := make([]string, 0, h)
	for _, r := range rows {
		switch {
		case r.Banner:
			lines = append(lines, st.Banner.Render(r.Text))
		case r.End > 0:
			rs := []rune(r.Text)
			lines = append(lines, string(rs[:r.Start])+st.Match.Render(string(rs[r.Start:r.End]))+string(rs[r.End:]))
		default:
			lines = append(lines, r.Text)
		}
	}
	for len(lines) < p.rows() {
		lines = append(lines, "")
	}
	if f := p.footer(); f != "" {
		lines = append(lines, st.Input.Render(truncate(f, w)))
	}
	return fitBlock(strings.Join(lines, "\n"), w, h)
}

// Cursor is where the terminal cursor belongs in the pane: after the
// device's prompt, or in the dialog being typed into.
func (p *consolePane) Cursor() (x, y int, ok bool) {
	if p.mode != modeLive {
		return 0, 0, false
	}
	if p.dialog == dialogXFile || p.dialog == dialogXMode || p.xfer != nil {
		return 0, 0, false
	}
	if p.dialog != dialogNone && p.dialog != dialogBaud {
		return min(len([]rune(p.input.View())), p.common.Width-1), p.common.Height - 1, true
	}
	rows, col := p.sb.Rows(p.rows())
	if col < 0 || p.dialog == dialogBaud {
		return 0, 0, false
	}
	return col, max(len(rows)-1, 0), true
}

// ShortHelp implements help.KeyMap.
func (p *consolePane) ShortHelp() []key.Binding {
	k := p.common.Keys
	if p.mode != modeLive {
		return []key.Binding{k.Accept, k.Up, k.Down, k.Left, k.Right, k.Rescan, k.Sim}
	}
	return []key.Binding{k.Prefix, k.PageUp, k.PageDown}
}

// FullHelp implements help.KeyMap.
func (p *consolePane) FullHelp() [][]key.Binding {
	k := p.common.Keys
	if p.mode != modeLive {
		return [][]key.Binding{{k.Accept, k.Up, k.Down, k.Left, k.Right, k.Rescan, k.Sim}}
	}
	return [][]key.Binding{
		{k.Prefix, k.PageUp, k.PageDown, k.LineUp, k.LineDown, k.Bottom},
		{k.Older, k.Newer, k.Cancel},
	}
}

// xmodemCommand is ctrl-t x: the file picker, or stop the running transfer.
func (p *consolePane) xmodemCommand() tea.Cmd {
	if p.xfer != nil {
		p.xfer.cancel()
		return nil
	}
	dir := p.opts.XMODEMDir
	if p.xmodemPath != "" {
		dir = filepath.Dir(p.xmodemPath)
	}
	if dir == "" && p.opts.Images != nil {
		dir = p.opts.Images.Dir()
	}
	if dir == "" {
		dir = "."
	}
	p.files = newFilePicker(p.common, dir)
	p.dialog = dialogXFile
	return p.files.load(dir)
}

func (p *consolePane) startXMODEM() tea.Cmd {
	if p.paste != nil {
		p.sb.Banner(p.common.Now(), "✗ a paste is running; stop it with ctrl-t p before sending a file")
		return nil
	}
	p.xferSeq++
	mode := xmodemModes[p.modeSel]
	job, cmd := startXMODEM(p.common.Ctx, p.con, p.xferSeq, p.xmodemPath, mode)
	p.xfer = job
	p.sb.Bottom()
	p.sb.Banner(p.common.Now(), fmt.Sprintf("── sending %s via XMODEM (%s); the device must be receiving (copy xmodem: flash:NAME) ──", job.name, mode))
	return cmd
}

func (p *consolePane) xmodemDone(m xmodemDoneMsg) tea.Cmd {
	if p.xfer == nil || m.job != p.xfer.id {
		return nil
	}
	j := p.xfer
	p.xfer = nil
	now := p.common.Now()
	took := m.stats.Duration.Round(100 * time.Millisecond)
	switch {
	case m.err == nil:
		p.sb.Banner(now, fmt.Sprintf("── sent %s via XMODEM: %s in %v, %d retries ──", j.name, humanBytes(m.stats.Bytes), took, m.stats.Retries))
	case errors.Is(m.err, xmodem.ErrEOTNotAcknowledged):
		p.sb.Banner(now, fmt.Sprintf("── sent %s via XMODEM (%s); the receiver did not confirm the end: check what the device says ──", j.name, humanBytes(m.stats.Bytes)))
	case errors.Is(m.err, context.Canceled):
		p.sb.Banner(now, fmt.Sprintf("── XMODEM send of %s stopped after %s; the device was told to cancel ──", j.name, humanBytes(j.last.Bytes)))
	default:
		p.sb.Banner(now, fmt.Sprintf("✗ XMODEM send of %s failed after %s: %v", j.name, humanBytes(j.last.Bytes), m.err))
	}
	return nil
}
