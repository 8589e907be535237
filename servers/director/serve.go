package director

import (
	"context"
	"fmt"
	"net"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"fieldcon/servers"
	"fieldcon/servers/dhcp"
	"fieldcon/servers/tftp"
)

// Sockets are the bound sockets the director serves on; the caller binds
// them (to the service interface) and owns them.
type Sockets struct {
	DHCP   net.PacketConn // UDP 67
	TFTP   net.PacketConn // UDP 69
	Syslog net.PacketConn // UDP 514; nil: no syslog receiver
}

// Servers are the DHCP and TFTP settings the director runs with.
type Servers struct {
	DHCP dhcp.Config
	// DHCPOptions are passed to dhcp.New (store, clock).
	DHCPOptions []dhcp.Option
	// TFTP is the base TFTP configuration; Root, Uploads and MaxUpload are
	// set by Serve.
	TFTP        tftp.Config
	TFTPOptions []tftp.Option
	// Preflight runs before anything is served; an error (another DHCP
	// server answering, the default-route interface) stops Serve at once.
	// It is dhcp.Preflight.Check, run where the interface is. Its probe
	// broadcasts a DISCOVER that the DHCP socket, when already bound, hears
	// too: callers that can should probe before binding (fieldcon director
	// serve does) and leave this nil.
	Preflight func(ctx context.Context) error
}

// Serve runs DHCP, TFTP and syslog with the director in front of them
// until ctx ends. DHCP replies pass through Decide (the last decision of the
// DHCP server's chain); TFTP requests pass TFTPPolicy and the TFTP
// server's events reach TFTPEvent; syslog messages reach Syslog.
func (d *Director) Serve(ctx context.Context, s Sockets, srv Servers) error {
	hook := d.hook
	if srv.Preflight != nil {
		if err := srv.Preflight(ctx); err != nil {
			hook.Emit(ev(KindDirector, "", "Disabled", "Director is Disabled: %v", err))
			return fmt.Errorf("director not started: %w", err)
		}
	}
	dsrv, err := dhcp.New(srv.DHCP, append([]dhcp.Option{dhcp.WithHook(hook), dhcp.WithDecision(d.Decide)}, srv.DHCPOptions...)...)
	if err != nil {
		return err
	}
	tcfg := srv.TFTP
	tcfg.Root = d.cfg.Root
	tcfg.Uploads = filepath.Join(d.cfg.Root, filepath.FromSlash(StagingDir))
	tcfg.MaxUpload = MaxBackup
	tsrv, err := tftp.New(tcfg, append([]tftp.Option{tftp.WithHook(func(e servers.Event) {
		hook.Emit(e)
		d.TFTPEvent(e)
	}), tftp.WithRequestPolicy(d.TFTPPolicy)}, srv.TFTPOptions...)...)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { d.Run(ctx); return nil })
	g.Go(func() error {
		return tsrv.Serve(ctx, s.TFTP)
	})
	g.Go(func() error { return dsrv.Serve(ctx, s.DHCP) })
	if s.Syslog != nil {
		g.Go(func() error { return ServeSyslog(ctx, s.Syslog, d.Syslog) })
	}
	return g.Wait()
}
