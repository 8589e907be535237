package tui

import (
	"context"

	"fieldcon/images"
	"fieldcon/recovery"
	"fieldcon/servers/dhcp"
)

// ImageCatalog is the workspace images folder as the Images and Recovery
// panes use it. *images.Catalog satisfies it; tests pass a fake.
type ImageCatalog interface {
	// Dir is the folder shown in the pane's title.
	Dir() string
	// Cached is the last scan, read from the store only, for an instant table.
	Cached() ([]images.Entry, error)
	// Pending lists files a Scan would inspect; cheap enough to poll.
	Pending() ([]string, error)
	// Scan inspects new and changed files, reporting progress.
	Scan(ctx context.Context, progress func(images.ScanProgress)) ([]images.Entry, error)
	// Select marks an image "use for recovery"; playbooks read it back
	// with Recovery.
	Select(name string, use images.Use) error
	ClearSelection() error
	// Selection is the stored recovery choice, or images.ErrNoSelection.
	Selection() (images.Selection, error)
	// Recovery is the image chosen for recovery, checked to be the same
	// file still.
	Recovery(ctx context.Context) (images.Entry, images.Selection, error)
}

var _ ImageCatalog = (*images.Catalog)(nil)

// RecoveryDeps is what the Recovery pane needs besides the open console.
type RecoveryDeps struct {
	// Adapt turns the console the Console pane has open into what a
	// playbook drives (recovery/live's adapter for a real port), and
	// returns how to stop using it. It runs in a command.
	Adapt func(c Console) (recovery.Console, func(), error)
	// Tools are handed to every playbook (the image check, file servers).
	Tools recovery.Tools
	// Playbooks lists what can be run; default recovery.Playbooks.
	Playbooks func() []recovery.Entry
}

func (d *RecoveryDeps) playbooks() []recovery.Entry {
	if d != nil && d.Playbooks != nil {
		return d.Playbooks()
	}
	return recovery.Playbooks()
}

// ServerControl starts and stops fieldcon's servers for the Servers pane.
// cmd/fieldcon implements it; the pane only ever calls it from commands,
// and learns what the servers do from Options.ServerEvents.
type ServerControl interface {
	// Setting is what to ask the technician before starting the server
	// called name ("tftp", "dhcp"): a prompt and a suggested answer. An
	// empty prompt asks nothing.
	Setting(name string) (prompt, suggested string)
	// Start starts the server and returns once it listens, or why it
	// cannot.
	Start(ctx context.Context, name, setting string) error
	// Stop stops it and waits for its transfers to end.
	Stop(ctx context.Context, name string) error
	// Leases is the DHCP server's table now (nil when it is not running).
	Leases() []dhcp.Lease
}

// Server names the Servers pane starts through ServerControl.
const (
	ServerTFTP = "tftp"
	ServerDHCP = "dhcp"
)
