package tui

import (
	"context"
	"log/slog"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Common is what every component shares: the session's context (for the
// commands they start), styles, keys, the size given to the component, a
// logger and the clock.
type Common struct {
	Ctx           context.Context
	Width, Height int
	Styles        *Styles
	Keys          *KeyMap
	Logger        *slog.Logger
	// Now stamps fieldcon's own banners; tests fix it.
	Now func() time.Time
}

// SetSize records the size a component was given.
func (c *Common) SetSize(width, height int) {
	c.Width, c.Height = width, height
}

// Component is a part of the screen. Update changes it in place and
// returns any I/O to do as a command; View draws it in exactly the size
// set by SetSize; the help.KeyMap lists its keys for the help overlay.
type Component interface {
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(width, height int)
	help.KeyMap
}

// Pane is a Component shown as a tab. Adding a pane is one file with a
// type implementing Pane and a PaneFactory, plus one line in panes().
type Pane interface {
	Component
	// Init returns the commands the pane starts with.
	Init() tea.Cmd
	// Title is the tab label.
	Title() string
	// Commands are what the pane adds to the ctrl-t menu.
	Commands() []Command
	// TakesTyping reports whether plain keys belong to the pane right now
	// (the console passes them to the device), so the app acts only on
	// the prefix key.
	TakesTyping() bool
}

// StatusReporter is a pane with something to say in the status bar.
type StatusReporter interface {
	Status() []StatusItem
}

// StatusItem is one field of the status bar.
type StatusItem struct {
	Text string
	// Warn draws it in the warning style (disconnected, garbled).
	Warn bool
}

// Command is an entry of the ctrl-t menu: the key pressed after ctrl-t,
// with its help text, and what it does.
type Command struct {
	Key key.Binding
	Run func() tea.Cmd
}

// PaneFactory builds a pane from the shared Common and the app's options.
type PaneFactory func(c *Common, o *Options) Pane
