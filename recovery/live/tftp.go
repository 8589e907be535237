package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"sync"

	"fieldcon/recovery"
	"fieldcon/servers"
	"fieldcon/servers/tftp"
)

// TFTP is recovery.FileServer over servers/tftp.
type TFTP struct {
	// Do, when set, runs every call that opens a socket or reads the
	// interface list (tests run them on a thread inside a network
	// namespace). Nil runs them directly.
	Do func(f func())
}

func (t *TFTP) do(f func()) {
	if t.Do != nil {
		t.Do(f)
		return
	}
	f()
}

// Interfaces lists the interfaces with their IPv4 addresses.
func (t *TFTP) Interfaces(ctx context.Context) ([]recovery.NetInterface, error) {
	var ifs []net.Interface
	var err error
	addrs := map[string][]net.Addr{}
	t.do(func() {
		ifs, err = net.Interfaces()
		for _, ifi := range ifs {
			if err != nil {
				return
			}
			addrs[ifi.Name], err = ifi.Addrs()
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]recovery.NetInterface, 0, len(ifs))
	for _, ifi := range ifs {
		ni := recovery.NetInterface{Name: ifi.Name, Up: ifi.Flags&net.FlagUp != 0}
		for _, a := range addrs[ifi.Name] {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok || !ip.Unmap().Is4() {
				continue
			}
			bits, _ := ipn.Mask.Size()
			if len(ipn.Mask) == net.IPv6len {
				bits -= 96
			}
			ni.Addrs = append(ni.Addrs, netip.PrefixFrom(ip.Unmap(), bits))
		}
		out = append(out, ni)
	}
	return out, nil
}

// Serve starts a TFTP server for spec: the file's folder is the root, the
// file is served under its own name and every alias, read-only.
func (t *TFTP) Serve(ctx context.Context, spec recovery.ServeSpec) (recovery.Serving, error) {
	if spec.File == "" {
		return nil, errors.New("no file to serve")
	}
	listen := spec.Listen
	if listen == "" {
		listen = "0.0.0.0:69"
	}
	root, name := filepath.Dir(spec.File), filepath.Base(spec.File)
	cfg := tftp.Config{Root: root, Interface: spec.Iface}
	for _, a := range spec.Aliases {
		cfg.Aliases = append(cfg.Aliases, tftp.Alias{Pattern: a, File: name})
	}
	hook, raw, _ := servers.Channel(1024)
	opts := []tftp.Option{tftp.WithHook(hook)}
	if t.Do != nil {
		opts = append(opts, tftp.WithTransferListener(func(ctx context.Context, network string) (net.PacketConn, error) {
			var c net.PacketConn
			var err error
			t.do(func() { c, err = tftp.Listen(ctx, "0.0.0.0:0", spec.Iface) })
			return c, err
		}))
	}
	srv, err := tftp.New(cfg, opts...)
	if err != nil {
		return nil, err
	}
	var conn net.PacketConn
	t.do(func() { conn, err = tftp.Listen(ctx, listen, spec.Iface) })
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &serving{conn: conn, cancel: cancel, done: make(chan error, 1), events: make(chan recovery.FileEvent, 256), stopped: make(chan struct{})}
	go func() { s.done <- srv.Serve(sctx, conn) }()
	go s.translate(raw)
	return s, nil
}

// serving is one running server.
type serving struct {
	conn    net.PacketConn
	cancel  context.CancelFunc
	done    chan error
	events  chan recovery.FileEvent
	stopped chan struct{}

	once sync.Once
	err  error
}

func (s *serving) Events() <-chan recovery.FileEvent { return s.events }
func (s *serving) Addr() string                      { return s.conn.LocalAddr().String() }

// Stop stops serving, waits for the transfers to end and closes the socket.
func (s *serving) Stop() error {
	s.once.Do(func() {
		s.cancel()
		s.err = <-s.done
		s.conn.Close()
		close(s.stopped)
	})
	return s.err
}

// translate turns server events into recovery's, until Stop. Progress is
// dropped when the playbook is not reading; the rest waits for it.
func (s *serving) translate(raw <-chan servers.Event) {
	defer close(s.events)
	for {
		var e servers.Event
		select {
		case e = <-raw:
		case <-s.stopped:
			return
		}
		fe, ok := fileEvent(e)
		if !ok {
			continue
		}
		if fe.Kind == recovery.FileProgress {
			select {
			case s.events <- fe:
			default:
			}
			continue
		}
		select {
		case s.events <- fe:
		case <-s.stopped:
			return
		}
	}
}

func fileEvent(e servers.Event) (recovery.FileEvent, bool) {
	fe := recovery.FileEvent{Peer: e.Peer, Asked: e.Subject, Served: e.Attrs["served"], Bytes: e.Bytes, Total: e.Total, Rate: e.Rate, Detail: e.Detail}
	if e.Attrs["direction"] == "upload" {
		return fe, false
	}
	switch e.Kind {
	case servers.TransferStart:
		fe.Kind = recovery.FileRequested
	case servers.TransferProgress:
		fe.Kind = recovery.FileProgress
	case servers.TransferDone:
		fe.Kind = recovery.FileDone
	case servers.TransferFailed:
		fe.Kind = recovery.FileFailed
	case servers.Refused:
		fe.Kind = recovery.FileRefused
		if fe.Detail == "" {
			fe.Detail = fmt.Sprintf("refused %s to %s", e.Subject, e.Peer)
		}
	default:
		return fe, false
	}
	return fe, true
}

var _ recovery.FileServer = (*TFTP)(nil)
