package director

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
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
}

// Serve runs DHCP, TFTP and syslog with the director in front of them
// until ctx ends. DHCP replies pass through Decide; TFTP requests pass the
// gate (Read, Write) and its events reach TFTPEvent; syslog messages reach
// Syslog.
//
// servers/dhcp has no hook for a decision of the director's, so Serve runs
// the DHCP server's Handle and then Decide in its own receive loop.
func (d *Director) Serve(ctx context.Context, s Sockets, srv Servers) error {
	hook := d.hook
	dsrv, err := dhcp.New(srv.DHCP, append([]dhcp.Option{dhcp.WithHook(hook)}, srv.DHCPOptions...)...)
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
	})}, srv.TFTPOptions...)...)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { d.Run(ctx); return nil })
	g.Go(func() error {
		return tsrv.Serve(ctx, &GateConn{PacketConn: s.TFTP, Policy: d, Hook: hook})
	})
	g.Go(func() error { return d.serveDHCP(ctx, s.DHCP, dsrv, srv.DHCP) })
	if s.Syslog != nil {
		g.Go(func() error { return ServeSyslog(ctx, s.Syslog, d.Syslog) })
	}
	return g.Wait()
}

func (d *Director) serveDHCP(ctx context.Context, conn net.PacketConn, dsrv *dhcp.Server, cfg dhcp.Config) error {
	clientPort, relayPort := cfg.ClientPort, cfg.RelayPort
	if clientPort == 0 {
		clientPort = dhcp.ClientPort
	}
	if relayPort == 0 {
		relayPort = dhcp.ServerPort
	}
	bcast := net.IPv4bcast
	if cfg.Broadcast.Is4() {
		bcast = net.IP(cfg.Broadcast.AsSlice())
	}
	s, err := server4.NewServer("", nil, func(c net.PacketConn, _ net.Addr, req *dhcpv4.DHCPv4) {
		if ctx.Err() != nil {
			return
		}
		resp := dsrv.Handle(req)
		if resp == nil {
			return
		}
		resp, _ = d.Decide(req, resp)
		if resp == nil || ctx.Err() != nil {
			return
		}
		dst := &net.UDPAddr{IP: bcast, Port: clientPort}
		switch {
		case req.GatewayIPAddr.To4() != nil && !req.GatewayIPAddr.IsUnspecified():
			dst = &net.UDPAddr{IP: req.GatewayIPAddr, Port: relayPort}
		case resp.MessageType() == dhcpv4.MessageTypeNak:
		case req.ClientIPAddr.To4() != nil && !req.ClientIPAddr.IsUnspecified():
			dst = &net.UDPAddr{IP: req.ClientIPAddr, Port: clientPort}
		}
		if _, err := c.WriteTo(resp.ToBytes(), dst); err != nil {
			d.hook.Emit(servers.Event{Server: "dhcp", Kind: servers.Warning, Peer: req.ClientHWAddr.String(), Detail: fmt.Sprintf("could not send the %s to %s: %v", resp.MessageType(), dst, err)})
		}
	}, server4.WithConn(conn))
	if err != nil {
		return fmt.Errorf("director dhcp: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	select {
	case <-ctx.Done():
		s.Close()
		<-done
		return nil
	case err := <-done:
		if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("director dhcp: %w", err)
	}
}
