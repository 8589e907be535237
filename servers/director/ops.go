package director

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"fieldcon/servers/smi"
)

// Operation is an on-demand action on one client.
type Operation int

const (
	OpProbe  Operation = iota // type 4: is it a Smart Install client?
	OpConfig                  // type 3: fetch a configuration, optionally reload
	OpImage                   // type 2: fetch an image list, install, reload
	OpBackup                  // type 8: copy its running configuration to fieldcon
)

func (o Operation) String() string {
	return [...]string{"probe", "config", "image", "backup"}[o]
}

// ParseOperation reads the operation word of `fieldcon smi`.
func ParseOperation(s string) (Operation, error) {
	for o := OpProbe; o <= OpBackup; o++ {
		if s == o.String() {
			return o, nil
		}
	}
	return 0, fmt.Errorf("%q is not an operation; choose probe, config, image or backup", s)
}

// Errors of on-demand operations.
var (
	ErrTarget       = errors.New("on-demand operations act on exactly one switch address")
	ErrNotConfirmed = errors.New("not confirmed; nothing was sent")
)

// ParseTarget accepts exactly one IPv4 address: no ranges, prefixes,
// lists or host names, so an operation can never reach more switches than
// the technician typed.
func ParseTarget(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "-/,* ") {
		return netip.Addr{}, fmt.Errorf("%w: %q looks like a range or a list; give one address such as 10.99.0.51", ErrTarget, s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() || a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Addr{}, fmt.Errorf("%w: %q is not the IPv4 address of one switch", ErrTarget, s)
	}
	return a, nil
}

// Request is one on-demand operation as the technician asked for it.
type Request struct {
	Op     Operation
	Target netip.Addr
	// Server is fieldcon's address the switch fetches from or uploads to.
	Server netip.Addr
	// File is the TFTP name: the configuration (OpConfig), the image list
	// (OpImage) or the upload name (OpBackup).
	File      string
	Reload    smi.ReloadTime
	Immediate bool
}

// Describe is the confirmation question: it names the client and says
// what will happen to it.
func (r Request) Describe(who string) string {
	if who == "" {
		who = "the switch"
	}
	t := r.Target.String()
	url := "tftp://" + r.Server.String() + "/" + r.File
	switch r.Op {
	case OpProbe:
		return fmt.Sprintf("Probe %s (%s) on TCP 4786 to see whether it is a Smart Install client?", t, who)
	case OpConfig:
		if r.Reload.IsZero() {
			return fmt.Sprintf("Tell %s (%s) to fetch the configuration %s (no reload)?", t, who, url)
		}
		return fmt.Sprintf("Tell %s (%s) to fetch the configuration %s as its startup configuration and RELOAD in %s?", t, who, url, r.Reload)
	case OpImage:
		when := "in " + r.Reload.String()
		if r.Immediate {
			when = "IMMEDIATELY"
		}
		return fmt.Sprintf("Tell %s (%s) to install the image(s) listed in %s and RELOAD %s?", t, who, url, when)
	}
	return fmt.Sprintf("Tell %s (%s) to upload its running configuration to %s?", t, who, url)
}

// Confirm asks the technician a yes/no question.
type Confirm func(question string) bool

// SMI is the part of servers/smi's Client the operator uses.
type SMI interface {
	Probe(ctx context.Context, addr netip.Addr) (smi.ProbeReply, error)
	SendConfig(ctx context.Context, addr netip.Addr, r smi.ConfigRequest) error
	SendImageList(ctx context.Context, addr netip.Addr, r smi.ImageRequest) error
	Backup(ctx context.Context, addr netip.Addr, r smi.BackupRequest) error
}

// Do runs one confirmed operation on one switch through c. who names the
// client in the question ("sw1, 0011.2233.4455"). Nothing is sent when the
// target is not one address or the technician says no.
func Do(ctx context.Context, c SMI, r Request, who string, confirm Confirm) (smi.ProbeReply, error) {
	if _, err := ParseTarget(r.Target.String()); err != nil || !r.Target.IsValid() {
		return smi.ProbeReply{}, fmt.Errorf("%w: no single target selected", ErrTarget)
	}
	if confirm == nil || !confirm(r.Describe(who)) {
		return smi.ProbeReply{}, ErrNotConfirmed
	}
	url := smi.TFTPURL{Server: r.Server, Path: r.File}
	switch r.Op {
	case OpProbe:
		return c.Probe(ctx, r.Target)
	case OpConfig:
		return smi.ProbeReply{}, c.SendConfig(ctx, r.Target, smi.ConfigRequest{URL: url, Reload: r.Reload})
	case OpImage:
		return smi.ProbeReply{}, c.SendImageList(ctx, r.Target, smi.ImageRequest{ImageListURL: url, Reload: r.Reload, Immediate: r.Immediate})
	case OpBackup:
		return smi.ProbeReply{}, c.Backup(ctx, r.Target, smi.BackupRequest{URL: url})
	}
	return smi.ProbeReply{}, fmt.Errorf("unknown operation %d", r.Op)
}

// ErrNoFile means an operation has no file to name and none was given.
var ErrNoFile = errors.New("nothing to send")

// Operate runs one confirmed on-demand operation on the client at
// r.Target, which must be in the database. The question names the client
// (hostname and MAC); an empty r.Server is fieldcon's address, an empty
// r.File the client's own: its upload name for a backup, the image list or
// configuration it was last given for the others. What the operation
// learns or starts is recorded: a probe sets the device type (S for a
// Smart Install client, N for a switch that refuses TCP 4786), a
// configuration or image operation sets the download method and tracks
// the files the client then fetches.
func (d *Director) Operate(ctx context.Context, c SMI, r Request, confirm Confirm) (smi.ProbeReply, error) {
	if _, err := ParseTarget(r.Target.String()); err != nil || !r.Target.IsValid() {
		return smi.ProbeReply{}, fmt.Errorf("%w: no single target selected", ErrTarget)
	}
	cl, ok := d.db.ByIP(r.Target)
	if !ok {
		return smi.ProbeReply{}, fmt.Errorf("%w: %s is not a client in the director database; pick one from the client list", ErrTarget, r.Target)
	}
	if !r.Server.IsValid() {
		r.Server = d.cfg.Address
	}
	plan, _ := d.PlanFor(cl.MAC)
	if r.File == "" {
		switch r.Op {
		case OpBackup:
			r.File = UploadName(cl)
		case OpImage:
			r.File = plan.ImageList
		case OpConfig:
			r.File = plan.Config
		}
	}
	if r.File == "" && r.Op != OpProbe {
		return smi.ProbeReply{}, fmt.Errorf("%w: %s has no %s in its profile; give the file name", ErrNoFile, cl.MAC, map[Operation]string{OpImage: "image list", OpConfig: "configuration"}[r.Op])
	}
	who := orWord(cl.Hostname, "no hostname") + ", " + string(cl.MAC)
	reply, err := Do(ctx, c, r, who, confirm)
	if errors.Is(err, ErrNotConfirmed) || errors.Is(err, ErrTarget) {
		return reply, err
	}
	_, _ = d.db.Update(cl.MAC, func(c *Client) {
		switch r.Op {
		case OpProbe:
			switch {
			case err == nil && reply.Result == smi.ProbeClient:
				c.Type = TypeSmart
			case errors.Is(err, syscall.ECONNREFUSED) && c.Type != TypeSmart:
				c.Type = TypeNonSmart
			}
		case OpConfig:
			if err == nil {
				c.Method = "config-upgrade"
				c.Config = Artifact{Files: []string{r.File}}
			}
		case OpImage:
			if err == nil {
				c.Method = "image-upgrade"
				c.Image = Artifact{Files: d.listedImages(r.File)}
			}
		}
	})
	return reply, err
}

// listedImages reads the images an image list names.
func (d *Director) listedImages(list string) []string {
	b, err := os.ReadFile(filepath.Join(d.cfg.Root, filepath.FromSlash(list)))
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
