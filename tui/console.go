package tui

import (
	"context"
	"time"

	"fieldcon/serialcon"
)

// Console is what the TUI needs from an open serial console. It is
// satisfied by *serialcon.Console; tests pass a fake.
type Console interface {
	Send(p []byte) error
	SendBreak(d time.Duration) error
	// BreakRepeat sends a break every interval until total has passed or
	// ctx ends: how a router is caught in its boot window.
	BreakRepeat(ctx context.Context, every, total time.Duration) error
	SetBaud(baud int) error
	DetectBaud(ctx context.Context, rates ...int) (int, error)
	Settings() serialcon.Settings
	State() serialcon.State
	Prompt() serialcon.PromptKind
	// Observe registers o for every event; o must not block.
	Observe(o serialcon.Observer) (remove func())
	// Transcript is the recent output, to show what the device said
	// before the TUI started listening.
	Transcript() []byte
	StartLog() error
	StopLog() error
	LogPath() string
	Close() error
}

var _ Console = (*serialcon.Console)(nil)
