package director

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers"
)

// DefaultWatchEvery is how often PollWatcher looks at the service
// interface: often enough that a pulled cable stops the director within a
// second or two, rarely enough to cost nothing.
const DefaultWatchEvery = time.Second

// ServiceAddress is one report of an AddressWatcher.
type ServiceAddress struct {
	// Present: fieldcon's address is on the service interface and the
	// interface has a link, so the director may serve.
	Present bool
	// Why says, when not Present, what is missing and what to do, in the
	// technician's words.
	Why string
}

// AddressWatcher tells the director whether it may serve (DB-02: a
// director whose service interface goes down or loses or changes its
// address stops at once and resumes only when the exact address is back).
// Watch reports the state at once and then every change, until ctx ends;
// then it closes the channel.
type AddressWatcher interface {
	Watch(ctx context.Context) <-chan ServiceAddress
}

// Link is what PollWatcher reads of an interface.
type Link struct {
	Up      bool // administratively up
	Running bool // has a link: cable in, switch port up
	Addrs   []netip.Prefix
}

// LookupLink reads an interface's flags and addresses through package net,
// which does the same on Linux, Windows and macOS.
func LookupLink(name string) (Link, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return Link{}, err
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return Link{}, err
	}
	l := Link{Up: ifc.Flags&net.FlagUp != 0, Running: ifc.Flags&net.FlagRunning != 0}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip, ok := netip.AddrFromSlice(n.IP); ok {
			ones, _ := n.Mask.Size()
			l.Addrs = append(l.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
		}
	}
	return l, nil
}

// PollWatcher is the AddressWatcher fieldcon uses: it reads the interface
// every Every. Polling is portable where address-change notifications are
// not (netlink, route sockets and NotifyIpInterfaceChange are three APIs),
// and a second's delay is nothing next to a switch's DHCP retries.
type PollWatcher struct {
	Interface string
	Address   netip.Addr
	// Every is the polling period (DefaultWatchEvery when zero).
	Every time.Duration
	// Lookup reads the interface (LookupLink when nil); tests read one
	// inside a network namespace.
	Lookup func(name string) (Link, error)
}

// Watch implements AddressWatcher.
func (w PollWatcher) Watch(ctx context.Context) <-chan ServiceAddress {
	every := w.Every
	if every <= 0 {
		every = DefaultWatchEvery
	}
	lookup := w.Lookup
	if lookup == nil {
		lookup = LookupLink
	}
	ch := make(chan ServiceAddress, 1)
	go func() {
		defer close(ch)
		t := time.NewTicker(every)
		defer t.Stop()
		var last ServiceAddress
		for first := true; ; first = false {
			if now := w.Check(lookup(w.Interface)); first || now != last {
				select {
				case ch <- now:
				case <-ctx.Done():
					return
				}
				last = now
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if ctx.Err() != nil {
					return
				}
			}
		}
	}()
	return ch
}

// Check turns one reading of the interface into a report.
func (w PollWatcher) Check(l Link, err error) ServiceAddress {
	name := w.Interface
	switch {
	case err != nil:
		return ServiceAddress{Why: fmt.Sprintf("interface %s is gone (%v); plug the adapter back in", name, err)}
	case !l.Up:
		return ServiceAddress{Why: fmt.Sprintf("interface %s is down (switched off, or its cable is unplugged); plug the cable in and bring the interface up", name)}
	case !l.Running:
		return ServiceAddress{Why: fmt.Sprintf("interface %s has no link: the cable is unplugged or the switch port is down; plug the cable back in", name)}
	}
	var others []string
	for _, p := range l.Addrs {
		if p.Addr() == w.Address {
			return ServiceAddress{Present: true}
		}
		if p.Addr().Is4() {
			others = append(others, p.Addr().String())
		}
	}
	if len(others) > 0 {
		return ServiceAddress{Why: fmt.Sprintf("%s is no longer on %s (it has %s now); give %s back to %s, or restart the director on the new address", w.Address, name, strings.Join(others, ", "), w.Address, name)}
	}
	return ServiceAddress{Why: fmt.Sprintf("%s lost its address %s (removed, or lost with the cable or the DHCP lease); give %s back to %s", name, w.Address, w.Address, name)}
}

// service is whether the director serves now: it stops when the service
// address goes and starts again when it is back.
type service struct {
	mu      sync.Mutex
	enabled bool
	why     string
	changed chan struct{} // closed and replaced at every change
}

func newService() *service { return &service{enabled: true, changed: make(chan struct{})} }

// state is the state now and a channel closed at the next change.
func (s *service) state() (enabled bool, why string, changed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enabled, s.why, s.changed
}

// set records a report and says whether it changed enabled.
func (s *service) set(a ServiceAddress) (changed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed = s.enabled != a.Present
	s.enabled, s.why = a.Present, a.Why
	if changed {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	return changed
}

// Serving reports whether the director answers DHCP and TFTP now, and when
// it does not, why.
func (d *Director) Serving() (bool, string) {
	on, why, _ := d.svc.state()
	return on, why
}

// ServingChanged returns a channel that is closed at the next change of
// Serving.
func (d *Director) ServingChanged() <-chan struct{} {
	_, _, ch := d.svc.state()
	return ch
}

// setService puts a watcher's report into effect: losing the address
// disables the director (SMI-5-DIRECTOR "Director is Disabled") and marks
// the database stale; getting it back enables it again. The events go out
// just before the switch, so the log reads "Director is Disabled" before
// the TFTP server's "stopped". Only Serve's watcher loop calls it.
func (d *Director) setService(a ServiceAddress) {
	was, oldWhy, _ := d.svc.state()
	switch {
	case was == a.Present:
		if !a.Present && a.Why != oldWhy {
			d.hook.Emit(ev(servers.Warning, "", d.cfg.Address.String(), "the director stays disabled: %s", a.Why))
		}
	case was:
		d.db.MarkStale(a.Why)
		d.emitDisabled(a.Why)
		d.hook.Emit(ev(servers.Warning, "", d.cfg.Address.String(), "%s; fieldcon answers no DHCP and serves no TFTP until it is back, and the client database is stale meanwhile", a.Why))
	default:
		d.db.MarkCurrent()
		d.emitEnabled()
		d.hook.Emit(ev(servers.Info, "", d.cfg.Address.String(), "the service address %s is back; answering DHCP and serving TFTP again", d.cfg.Address))
	}
	d.svc.set(a)
}

// The SMI-5-DIRECTOR events keep the IOS text exactly ("Director is
// Enabled", "Director is Disabled") so one parser reads fieldcon's log and
// a switch's; the reason travels in Attrs and in a separate warning.
func (d *Director) emitEnabled() {
	d.hook.Emit(ev(KindDirector, "", "Enabled", "Director is Enabled"))
}

func (d *Director) emitDisabled(why string) {
	e := ev(KindDirector, "", "Disabled", "Director is Disabled")
	if why != "" {
		e.Attrs = map[string]string{"why": why}
	}
	d.hook.Emit(e)
}

// ignored reports a request that arrived while the director was disabled.
func (d *Director) ignored(server, peer, what string) {
	_, why, _ := d.svc.state()
	d.hook.Emit(ev(KindIgnored, peer, server, "ignored %s from %s: the director is disabled (%s)", what, peer, why))
}

// gatedDHCP is the DHCP socket as the DHCP server sees it: while the
// director is disabled, requests are dropped before the server allocates
// anything, and a reply decided just before is not sent.
type gatedDHCP struct {
	net.PacketConn
	d *Director
}

func (c gatedDHCP) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, from, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, from, err
		}
		if on, _, _ := c.d.svc.state(); on {
			return n, from, nil
		}
		what, peer := "a DHCP request", fmt.Sprint(from)
		if m, err := dhcpv4.FromBytes(p[:n]); err == nil {
			what, peer = "a DHCP "+m.MessageType().String(), string(MACFrom(m.ClientHWAddr))
		}
		c.d.ignored("dhcp", peer, what)
	}
}

// WriteTo drops a reply while the director is disabled; the DHCP server is
// told it was sent, since nothing is wrong with the socket.
func (c gatedDHCP) WriteTo(p []byte, to net.Addr) (int, error) {
	if on, _, _ := c.d.svc.state(); !on {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, to)
}

// serveTFTP runs a TFTP server while the director is enabled and stops it
// (with every transfer) when it is disabled; meanwhile it reads and drops
// what arrives, so a request made while disabled is not served later. A
// tftp.Server serves once, so each enabled period gets a new one.
func (d *Director) serveTFTP(ctx context.Context, conn net.PacketConn, serve func(ctx context.Context, conn net.PacketConn) error) error {
	for ctx.Err() == nil {
		on, _, changed := d.svc.state()
		pctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-changed:
				cancel()
			case <-pctx.Done():
			}
		}()
		var err error
		if on {
			err = serve(pctx, conn)
		} else {
			err = d.drainTFTP(pctx, conn)
		}
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// drainTFTP reads and drops datagrams until ctx ends.
func (d *Director) drainTFTP(ctx context.Context, conn net.PacketConn) error {
	woke := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = conn.SetReadDeadline(time.Unix(1, 0))
		close(woke)
	})
	defer func() {
		// The wake-up must land before the deadline is cleared, or it
		// would stop the next server's first read.
		if !stop() {
			<-woke
		}
		_ = conn.SetReadDeadline(time.Time{})
	}()
	buf := make([]byte, 1500)
	for {
		_, from, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("tftp: the listening socket was closed: %w", err)
			}
			continue // an ICMP report (Windows)
		}
		d.ignored("tftp", fmt.Sprint(from), "a TFTP request")
	}
}
