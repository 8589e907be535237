package tui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"fieldcon/serialcon"
)

// DataMsg is everything a console reported since the previous DataMsg, in
// order: device bytes (consecutive reads merged into one EventData) and
// connection events. It comes from a Feed.
type DataMsg struct {
	Feed   int
	Events []serialcon.Event
	// Dropped is how many device bytes the display skipped because it fell
	// a whole feed buffer behind; the transcript still has them.
	Dropped int64
	// Received counts every device byte the feed has seen.
	Received int64
}

// ConsoleOpenedMsg reports that a port picked in the TUI is open.
type ConsoleOpenedMsg struct {
	Console Console
	Port    string
	// AutoBaud asks the pane to detect the speed now.
	AutoBaud bool
}

// ConsoleChangedMsg tells every pane which console is open now (nil when
// none), so the Recovery pane drives the one the Console pane shows.
type ConsoleChangedMsg struct {
	Console Console
	Port    string
	Prompt  serialcon.PromptKind
}

func consoleChanged(c Console, port string, prompt serialcon.PromptKind) tea.Cmd {
	return func() tea.Msg { return ConsoleChangedMsg{Console: c, Port: port, Prompt: prompt} }
}

// ErrorMsg is a failure to show the technician; Op says what was being
// done, in their words.
type ErrorMsg struct {
	Op  string
	Err error
}

func (e ErrorMsg) Error() string { return fmt.Sprintf("%s: %v", e.Op, e.Err) }

// ErrorCmd wraps err as an ErrorMsg.
func ErrorCmd(op string, err error) tea.Cmd {
	return func() tea.Msg { return ErrorMsg{Op: op, Err: err} }
}

// PortsMsg is the result of listing serial ports.
type PortsMsg struct {
	Ports []serialcon.PortInfo
	Err   error
}

// ListPortsCmd lists the serial ports with list.
func ListPortsCmd(list func() ([]serialcon.PortInfo, error)) tea.Cmd {
	return func() tea.Msg {
		ps, err := list()
		return PortsMsg{Ports: ps, Err: err}
	}
}

// PortChoice is what the technician picked in the port picker.
type PortChoice struct {
	Port string `json:"port"`
	// Baud is 0 for auto-detect.
	Baud int `json:"baud"`
	// Identity of the adapter (VID:PID and serial), to find it again after
	// the operating system renames it.
	VID    string `json:"vid,omitempty"`
	PID    string `json:"pid,omitempty"`
	Serial string `json:"serial,omitempty"`
}

// Opener opens a picked port.
type Opener func(ctx context.Context, c PortChoice) (Console, error)

// OpenCmd opens a picked port with open.
func OpenCmd(ctx context.Context, open Opener, c PortChoice) tea.Cmd {
	return func() tea.Msg {
		con, err := open(ctx, c)
		if err != nil {
			return ErrorMsg{Op: "open " + c.Port, Err: err}
		}
		return ConsoleOpenedMsg{Console: con, Port: c.Port, AutoBaud: c.Baud == 0}
	}
}

// SimStarter starts the simulated device and opens a console on it,
// returning the console and the name of its port.
type SimStarter func(ctx context.Context) (Console, string, error)

// StartSimCmd starts the simulator with start.
func StartSimCmd(ctx context.Context, start SimStarter) tea.Cmd {
	return func() tea.Msg {
		con, port, err := start(ctx)
		if err != nil {
			return ErrorMsg{Op: "start the simulator", Err: err}
		}
		return ConsoleOpenedMsg{Console: con, Port: port}
	}
}

// sentMsg reports that one write of typed bytes finished.
type sentMsg struct {
	feed int
	err  error
}

// sendCmd writes typed bytes to the device.
func sendCmd(c Console, feed int, p []byte) tea.Cmd {
	return func() tea.Msg {
		return sentMsg{feed: feed, err: c.Send(p)}
	}
}

// BreakMsg reports that a break, or a run of breaks, is over.
type BreakMsg struct {
	Repeat bool
	Err    error
}

// BreakCmd sends one break of d.
func BreakCmd(c Console, d time.Duration) tea.Cmd {
	return func() tea.Msg { return BreakMsg{Err: c.SendBreak(d)} }
}

// BreakRepeatCmd sends a break every interval for total, or until ctx ends.
func BreakRepeatCmd(ctx context.Context, c Console, every, total time.Duration) tea.Cmd {
	return func() tea.Msg {
		err := c.BreakRepeat(ctx, every, total)
		if ctx.Err() != nil {
			err = nil // stopped by the technician
		}
		return BreakMsg{Repeat: true, Err: err}
	}
}

// BaudMsg reports a speed change: set by hand or detected.
type BaudMsg struct {
	Baud     int
	Detected bool
	Err      error
}

// SetBaudCmd changes the host side's speed.
func SetBaudCmd(c Console, baud int) tea.Cmd {
	return func() tea.Msg { return BaudMsg{Baud: baud, Err: c.SetBaud(baud)} }
}

// DetectBaudCmd tries the common speeds and keeps the one that reads as text.
func DetectBaudCmd(ctx context.Context, c Console) tea.Cmd {
	return func() tea.Msg {
		b, err := c.DetectBaud(ctx)
		return BaudMsg{Baud: b, Detected: true, Err: err}
	}
}

// LogMsg reports the session log starting or stopping.
type LogMsg struct {
	On   bool
	Path string
	Err  error
}

// StartLogCmd starts the session log.
func StartLogCmd(c Console) tea.Cmd {
	return func() tea.Msg {
		err := c.StartLog()
		return LogMsg{On: err == nil, Path: c.LogPath(), Err: err}
	}
}

// StopLogCmd stops the session log.
func StopLogCmd(c Console) tea.Cmd {
	return func() tea.Msg {
		path := c.LogPath()
		err := c.StopLog()
		return LogMsg{On: false, Path: path, Err: err}
	}
}

// prefsSavedMsg reports that the last choice was (or was not) remembered.
type prefsSavedMsg struct{ err error }

// SavePrefsCmd remembers c in the file at path.
func SavePrefsCmd(path string, c PortChoice) tea.Cmd {
	return func() tea.Msg { return prefsSavedMsg{err: SavePrefs(path, Prefs{Last: c})} }
}
