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
	// Watch says whether fieldcon's address is on the service interface;
	// the director answers DHCP and serves TFTP only while it is (DB-02).
	// Nil watches DHCP.Interface for DHCP.ServerIP (else the director's
	// address) with a PollWatcher; with no interface named, nothing is
	// watched.
	Watch AddressWatcher
}

// Serve runs DHCP, TFTP and syslog with the director in front of them
// until ctx ends. DHCP replies pass through Decide (the last decision of the
// DHCP server's chain); TFTP requests pass TFTPPolicy and the TFTP
// server's events reach TFTPEvent; syslog messages reach Syslog.
//
// While the service interface lacks fieldcon's address (srv.Watch), the
// director is disabled: it drops DHCP requests, stops the TFTP server with
// every transfer and drops TFTP requests, and marks the database stale,
// until the address is back.
func (d *Director) Serve(ctx context.Context, s Sockets, srv Servers) error {
	hook := d.hook
	if srv.Preflight != nil {
		if err := srv.Preflight(ctx); err != nil {
			d.svc.set(ServiceAddress{Why: err.Error()})
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
	topts := append([]tftp.Option{tftp.WithHook(func(e servers.Event) {
		hook.Emit(e)
		d.TFTPEvent(e)
	}), tftp.WithRequestPolicy(d.TFTPPolicy)}, srv.TFTPOptions...)
	if _, err := tftp.New(tcfg, topts...); err != nil {
		return err
	}
	serveTFTP := func(ctx context.Context, conn net.PacketConn) error {
		tsrv, err := tftp.New(tcfg, topts...)
		if err != nil {
			return err
		}
		return tsrv.Serve(ctx, conn)
	}

	wctx, stopWatch := context.WithCancel(ctx)
	reports := d.watch(wctx, srv)
	defer func() {
		stopWatch()
		if reports != nil {
			for range reports { // the watcher is done when it closes them
			}
		}
	}()
	first := ServiceAddress{Present: true}
	if reports != nil {
		select {
		case a, ok := <-reports:
			if ok {
				first = a
			}
		case <-ctx.Done():
			return nil
		}
	}
	d.svc.set(first)
	if on, why := d.Serving(); on {
		d.db.MarkCurrent()
		d.emitEnabled()
	} else {
		d.db.MarkStale(why)
		d.emitDisabled(why)
		hook.Emit(ev(servers.Warning, "", d.cfg.Address.String(), "%s; fieldcon answers no DHCP and serves no TFTP until it is there", why))
	}

	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { d.Run(ctx); return nil })
	if reports != nil {
		g.Go(func() error {
			for {
				select {
				case <-ctx.Done():
					return nil
				case a, ok := <-reports:
					if !ok {
						return nil
					}
					d.setService(a)
				}
			}
		})
	}
	g.Go(func() error { return d.serveTFTP(ctx, s.TFTP, serveTFTP) })
	g.Go(func() error { return dsrv.Serve(ctx, gatedDHCP{s.DHCP, d}) })
	if s.Syslog != nil {
		g.Go(func() error { return ServeSyslog(ctx, s.Syslog, d.Syslog) })
	}
	err = g.Wait()
	if d.svc.set(ServiceAddress{Why: "the director stopped"}) {
		d.emitDisabled("")
	}
	return err
}

// watch starts srv's address watcher, or the default one; nil when there
// is nothing to watch.
func (d *Director) watch(ctx context.Context, srv Servers) <-chan ServiceAddress {
	w := srv.Watch
	if w == nil {
		if srv.DHCP.Interface == "" {
			return nil
		}
		addr := srv.DHCP.ServerIP
		if !addr.IsValid() {
			addr = d.cfg.Address
		}
		w = PollWatcher{Interface: srv.DHCP.Interface, Address: addr}
	}
	return w.Watch(ctx)
}
