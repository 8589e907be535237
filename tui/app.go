package tui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"fieldcon/serialcon"
	"fieldcon/servers"
)

// Options is everything the TUI is given. Only one of Console and Open is
// needed: Console when the port is already open, Open for the picker.
type Options struct {
	// Ctx bounds every command the TUI starts (breaks, opens, pastes).
	Ctx context.Context
	// Console is an open console to show at once, on the port named Port.
	Console Console
	Port    string
	// AutoBaud detects the speed of Console as soon as the TUI starts.
	AutoBaud bool

	// ListPorts lists serial ports for the picker; default serialcon.Ports.
	ListPorts func() ([]serialcon.PortInfo, error)
	// Open opens the port the technician picked.
	Open Opener
	// StartSim, when set, lets the picker offer the simulator.
	StartSim SimStarter
	// PrefsPath is where the last choice is remembered ("" for nowhere),
	// Prefs what was remembered.
	PrefsPath string
	Prefs     Prefs

	Logger *slog.Logger
	Styles *Styles
	Keys   *KeyMap
	// Now is the clock for fieldcon's banners; default time.Now.
	Now func() time.Time

	// Frame is the least time between two screen updates from the device;
	// 0 means DefaultFrame, negative means none (tests).
	Frame time.Duration
	// FeedBytes bounds device output waiting for the screen.
	FeedBytes int
	// ScrollbackLines is how many lines the console keeps (default 10000).
	ScrollbackLines int
	// LineDelay is the pause after each line of a paste (default 100 ms).
	LineDelay time.Duration

	// Images is the workspace images folder (nil: the Images pane says
	// there is none). ImagesPoll is how often the pane looks for new
	// files (0: every 5 s, negative: never).
	Images     ImageCatalog
	ImagesPoll time.Duration
	// Recovery is what the Recovery pane runs playbooks with; nil leaves
	// the pane explaining that this build cannot.
	Recovery *RecoveryDeps
	// Servers starts and stops the TFTP and DHCP servers; ServerEvents is
	// where they report (servers.Channel), read by the Servers pane.
	Servers      ServerControl
	ServerEvents <-chan servers.Event
	// XMODEMDir is where the XMODEM file picker starts (default: the
	// images folder, else the current directory).
	XMODEMDir string
}

// ErrNothingToShow means Options gave neither an open console nor a way
// to open one.
var ErrNothingToShow = errors.New("tui: give an open Console or an Open function for the port picker")

// Validate reports whether the TUI can work with o.
func (o *Options) Validate() error {
	if o.Console == nil && o.Open == nil && o.StartSim == nil {
		return ErrNothingToShow
	}
	return nil
}

func (o *Options) frame() time.Duration {
	switch {
	case o.Frame == 0:
		return DefaultFrame
	case o.Frame < 0:
		return 0
	}
	return o.Frame
}

func (o *Options) lineDelay() time.Duration {
	if o.LineDelay <= 0 {
		return 100 * time.Millisecond
	}
	return o.LineDelay
}

func (o *Options) imagesPoll() time.Duration {
	if o.ImagesPoll == 0 {
		return 5 * time.Second
	}
	return o.ImagesPoll
}

func (o *Options) listPorts() func() ([]serialcon.PortInfo, error) {
	if o.ListPorts != nil {
		return o.ListPorts
	}
	return serialcon.Ports
}

// App is the root model: a tab bar, the active pane, a status bar, the
// ctrl-t prefix and the help overlay.
type App struct {
	common Common
	panes  []Pane
	active int
	prefix bool // ctrl-t was pressed; the next key is a command
	help   bool
	note   string // answer to an unknown command, shown in the tab bar
}

// New builds the TUI.
func New(o Options) *App {
	if o.Ctx == nil {
		o.Ctx = context.Background()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Styles == nil {
		o.Styles = DefaultStyles()
	}
	if o.Keys == nil {
		o.Keys = DefaultKeyMap()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &App{common: Common{Ctx: o.Ctx, Styles: o.Styles, Keys: o.Keys, Logger: o.Logger, Now: o.Now, Width: 80, Height: 24}}
	opts := &o
	for _, f := range panes() {
		c := a.common
		c.Logger = o.Logger.With("component", "pane")
		p := f(&c, opts)
		a.panes = append(a.panes, p)
	}
	a.resize(80, 24)
	return a
}

// Init implements tea.Model.
func (a *App) Init() tea.Cmd {
	var cmds []tea.Cmd
	for _, p := range a.panes {
		cmds = append(cmds, p.Init())
	}
	return tea.Batch(cmds...)
}

func (a *App) resize(w, h int) {
	a.common.SetSize(w, h)
	for _, p := range a.panes {
		p.SetSize(w, max(h-2, 0))
	}
}

// quit ends the program; whoever ran it then calls Close, which closes
// the port, and Bubble Tea restores the terminal.
func (a *App) quit() tea.Cmd { return tea.Quit }

// Update implements tea.Model.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.resize(msg.Width, msg.Height)
		return a, nil
	case tea.KeyPressMsg:
		return a, a.key(msg)
	case tea.PasteMsg:
		return a, a.panes[a.active].Update(msg)
	}
	// Everything else is for whichever pane knows it; panes ignore the rest.
	var cmds []tea.Cmd
	for _, p := range a.panes {
		cmds = append(cmds, p.Update(msg))
	}
	return a, tea.Batch(cmds...)
}

func (a *App) key(k tea.KeyPressMsg) tea.Cmd {
	keys := a.common.Keys
	pane := a.panes[a.active]
	a.note = ""
	if a.help {
		switch {
		case key.Matches(k, keys.Cancel), key.Matches(k, keys.Help):
			a.help = false
			return nil
		}
		a.help = false
		if cmd, ok := a.command(k); ok {
			return cmd
		}
		return nil
	}
	if a.prefix {
		a.prefix = false
		if cmd, ok := a.command(k); ok {
			return cmd
		}
		if !key.Matches(k, keys.Cancel) {
			a.note = "ctrl-t " + k.String() + " does nothing; ctrl-t ? lists the commands"
		}
		return nil
	}
	if key.Matches(k, keys.Prefix) {
		a.prefix = true
		return nil
	}
	if !pane.TakesTyping() {
		switch {
		case key.Matches(k, keys.HelpDirect):
			a.help = true
			return nil
		case key.Matches(k, keys.QuitDirect):
			return a.quit()
		case key.Matches(k, keys.NextPane):
			a.active = (a.active + 1) % len(a.panes)
			return nil
		}
	}
	return pane.Update(k)
}

// commands are the app's own ctrl-t entries, then the active pane's.
func (a *App) commands() []Command {
	k := a.common.Keys
	cs := []Command{
		{Key: k.Help, Run: func() tea.Cmd { a.help = true; return nil }},
		{Key: k.Quit, Run: a.quit},
		{Key: k.NextPane, Run: func() tea.Cmd { a.active = (a.active + 1) % len(a.panes); return nil }},
	}
	if len(a.panes) > 1 {
		cs = append(cs, Command{Key: k.Pane, Run: nil}) // handled in command
	}
	return append(cs, a.panes[a.active].Commands()...)
}

func (a *App) command(k tea.KeyPressMsg) (tea.Cmd, bool) {
	if len(a.panes) > 1 && key.Matches(k, a.common.Keys.Pane) {
		if n := int(k.Code - '1'); n >= 0 && n < len(a.panes) {
			a.active = n
		}
		return nil, true
	}
	for _, c := range a.commands() {
		if c.Run != nil && key.Matches(k, c.Key) {
			return c.Run(), true
		}
	}
	return nil, false
}

// View implements tea.Model.
func (a *App) View() tea.View {
	w, h := a.common.Width, a.common.Height
	body := a.panes[a.active].View()
	if a.help {
		body = a.helpView(w, max(h-2, 0))
	}
	v := tea.NewView(a.tabBar(w) + "\n" + body + "\n" + a.statusBar(w))
	v.AltScreen = true
	v.WindowTitle = "fieldcon"
	if c, ok := a.panes[a.active].(interface{ Cursor() (int, int, bool) }); ok && !a.help {
		if x, y, ok := c.Cursor(); ok {
			v.Cursor = tea.NewCursor(x, y+1)
		}
	}
	return v
}

// Render is the screen as plain lines, what View draws without the
// terminal modes: for tests and the benchmark.
func (a *App) Render() string { return a.View().Content }

func (a *App) tabBar(w int) string {
	st := a.common.Styles
	var tabs []string
	for i, p := range a.panes {
		if i == a.active {
			tabs = append(tabs, st.ActiveTab.Render(p.Title()))
		} else {
			tabs = append(tabs, st.Tab.Render(p.Title()))
		}
	}
	left := "fieldcon " + strings.Join(tabs, " ")
	hint := "ctrl-t ? help"
	switch {
	case a.note != "":
		hint = a.note
	case a.prefix:
		hint = "ctrl-t … (? lists commands, esc cancels)"
	}
	right := st.TabHint.Render(hint)
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return truncate(left+" "+right, w)
	}
	return st.TabBar.Render(left + strings.Repeat(" ", gap) + right)
}

func (a *App) statusBar(w int) string {
	st := a.common.Styles
	var parts []string
	for _, p := range a.panes {
		r, ok := p.(StatusReporter)
		if !ok {
			continue
		}
		for _, it := range r.Status() {
			if it.Warn {
				parts = append(parts, st.StatusWarn.Render(it.Text))
			} else {
				parts = append(parts, st.StatusItem.Render(it.Text))
			}
		}
	}
	line := truncate(" "+strings.Join(parts, st.StatusSep), w)
	return st.StatusBar.Render(padRight(line, w))
}

// Close lets every pane release what it holds (the serial port); the
// caller runs it once the program has ended.
func (a *App) Close() error {
	var errs []error
	for _, p := range a.panes {
		if c, ok := p.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}
