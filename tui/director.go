package tui

import (
	"context"
	"time"

	"fieldcon/servers/director"
)

// DirectorControl is the Smart Install director as the Director pane
// shows and drives it. The pane finds it in Options.Servers (cmd/fieldcon's
// server control implements both); tests pass a fake. The pane calls every
// method from commands, never from Update or View.
type DirectorControl interface {
	// DirectorSetting is what to ask before starting the director: a
	// prompt and a suggested answer (the interface cabled to the switches).
	DirectorSetting() (prompt, suggested string)
	// StartDirector starts DHCP, TFTP and syslog as a director and
	// returns once it serves, or why it cannot. The join window starts
	// closed.
	StartDirector(ctx context.Context, setting string) error
	StopDirector(ctx context.Context) error
	// Director is the director now; ok is false while none runs.
	Director() (st DirectorState, ok bool)
	// DirectorChanged is closed at the next change of the client
	// database; nil while no director runs.
	DirectorChanged() <-chan struct{}
	// SetJoinWindow opens or closes the join window by hand.
	SetJoinWindow(open bool) error
	// SetJoinMode switches between auto (provision joining switches) and
	// manual (hold them for approval).
	SetJoinMode(manual bool) error
	// Approve takes a held switch off the hold list: its next DHCP
	// exchange carries the Smart Install options.
	Approve(mac director.MAC) error
	// Question is the confirmation for op on one client: it names the
	// client and says what will happen to it.
	Question(op director.Operation, mac director.MAC) (string, error)
	// Operate runs op on the client once the technician accepted
	// question, and says what happened.
	Operate(ctx context.Context, op director.Operation, mac director.MAC, question string) (string, error)
}

// DirectorState is what the Director pane shows.
type DirectorState struct {
	Address   string // fieldcon on the switch VLAN
	Interface string
	Now       time.Time // the director's clock
	Keepalive time.Duration
	// WindowOpen and Manual are the join window; Window says it in words
	// ("open (opened by hand)", "closed (schedule)").
	WindowOpen bool
	Manual     bool
	Window     string
	Clients    []director.Client
	// Reasons is which profile each client resolves to and why the others
	// lost; Plans what DHCP last told it (with the reason for a plain
	// lease).
	Reasons map[director.MAC]director.Resolution
	Plans   map[director.MAC]director.Plan
}
