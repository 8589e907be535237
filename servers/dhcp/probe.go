package dhcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers"
)

// DefaultProbeTimeout is how long Probe listens for other servers.
const DefaultProbeTimeout = 5 * time.Second

// ErrForeignServer means another DHCP server answered on the segment.
var ErrForeignServer = errors.New("another DHCP server is active on this network")

// ForeignServer is another DHCP server seen answering on the segment.
type ForeignServer struct {
	Source   netip.Addr // the IP the answer came from (a relay, or the server)
	ServerID netip.Addr // option 54
	Offered  netip.Addr // the address it offered
	Network  netip.Prefix
	Routers  []netip.Addr
}

func (f ForeignServer) String() string {
	s := fmt.Sprintf("server %s", f.ServerID)
	if f.Source.IsValid() && f.Source != f.ServerID {
		s += fmt.Sprintf(" (answering from %s)", f.Source)
	}
	if f.Offered.IsValid() {
		s += fmt.Sprintf(" offered %s", f.Offered)
		if f.Network.IsValid() {
			s += fmt.Sprintf(" in %s", f.Network)
		}
	}
	if len(f.Routers) > 0 {
		s += fmt.Sprintf(" with router %s", f.Routers[0])
	}
	return s
}

// ForeignServerError names the servers a probe found; it unwraps to
// ErrForeignServer.
type ForeignServerError struct {
	Interface string
	Servers   []ForeignServer
}

func (e *ForeignServerError) Error() string {
	var names []string
	for _, s := range e.Servers {
		names = append(names, s.String())
	}
	return fmt.Sprintf("another DHCP server answers on %s: %s. fieldcon will not compete with it: "+
		"connect to the device on a cable of its own, or use --force if this server is yours and you accept two servers",
		e.Interface, strings.Join(names, "; "))
}

func (e *ForeignServerError) Unwrap() error { return ErrForeignServer }

func foreignFrom(m *dhcpv4.DHCPv4, src net.Addr) ForeignServer {
	f := ForeignServer{ServerID: ipOf(m.ServerIdentifier()), Offered: ipOf(m.YourIPAddr)}
	if u, ok := src.(*net.UDPAddr); ok {
		f.Source = ipOf(u.IP)
	}
	if !f.ServerID.IsValid() {
		f.ServerID = f.Source
	}
	if mask := m.SubnetMask(); mask != nil && f.Offered.IsValid() {
		if ones, bits := mask.Size(); bits == 32 {
			f.Network = netip.PrefixFrom(f.Offered, ones).Masked()
		}
	}
	for _, r := range m.Router() {
		if a := ipOf(r); a.IsValid() {
			f.Routers = append(f.Routers, a)
		}
	}
	return f
}

// Probe broadcasts a DISCOVER from conn (bound to the client port on the
// interface, see Listen) to dst (nil: 255.255.255.255:67) for the hardware
// address mac, and collects every OFFER answering it until wait has passed
// or ctx ends. The DISCOVER is sent twice, at the start and half way, in
// case the first is lost.
func Probe(ctx context.Context, conn net.PacketConn, dst net.Addr, mac net.HardwareAddr, wait time.Duration) ([]ForeignServer, error) {
	if dst == nil {
		dst = &net.UDPAddr{IP: net.IPv4bcast, Port: ServerPort}
	}
	if wait <= 0 {
		wait = DefaultProbeTimeout
	}
	disc, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithBroadcast(true),
		dhcpv4.WithRequestedOptions(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionServerIdentifier))
	if err != nil {
		return nil, fmt.Errorf("dhcp probe: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	send := func() error {
		if _, err := conn.WriteTo(disc.ToBytes(), dst); err != nil {
			return fmt.Errorf("dhcp probe: send DISCOVER: %w", err)
		}
		return nil
	}
	if err := send(); err != nil {
		return nil, err
	}
	resend := time.AfterFunc(wait/2, func() { _ = send() })
	defer resend.Stop()
	// Unblock the read when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	defer conn.SetReadDeadline(time.Time{})

	var found []ForeignServer
	buf := make([]byte, 4096)
	for {
		n, src, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return found, nil
			}
			return found, fmt.Errorf("dhcp probe: %w", err)
		}
		m, err := dhcpv4.FromBytes(buf[:n])
		if err != nil || m.OpCode != dhcpv4.OpcodeBootReply || m.TransactionID != disc.TransactionID {
			continue
		}
		if t := m.MessageType(); t != dhcpv4.MessageTypeOffer && t != dhcpv4.MessageTypeAck {
			continue
		}
		f := foreignFrom(m, src)
		if !slices.ContainsFunc(found, func(g ForeignServer) bool { return g.ServerID == f.ServerID && g.Source == f.Source }) {
			found = append(found, f)
		}
	}
}

// Preflight is what must hold before serving on an interface.
type Preflight struct {
	Interface string
	// ProbeTimeout is how long to listen for other servers (default 5 s).
	ProbeTimeout time.Duration
	// Force serves even on the default-route interface or next to another
	// server; the checks still run and report what they found as warnings.
	Force bool
	Hook  servers.Hook
}

// Check refuses the interface that carries the default route, then probes
// for other DHCP servers. It returns an error wrapping ErrDefaultRoute or a
// *ForeignServerError unless Force is set.
func (p Preflight) Check(ctx context.Context) error {
	ifc, err := net.InterfaceByName(p.Interface)
	if err != nil {
		return fmt.Errorf("no network interface %q: %w (list them with `ip link`)", p.Interface, err)
	}
	routes, err := DefaultRouteInterfaces()
	if err == nil && slices.Contains(routes, p.Interface) {
		e := fmt.Errorf("%w: %s is this laptop's way to the Internet, so it is probably a production network where a second DHCP server does harm; "+
			"cable the device to another interface, or use --force if this network is yours", ErrDefaultRoute, p.Interface)
		if !p.Force {
			return e
		}
		p.Hook.Emit(servers.Event{Server: "dhcp", Kind: servers.Warning, Subject: p.Interface, Detail: "forced: " + e.Error()})
	}
	conn, err := Listen(ctx, p.Interface, "", ClientPort)
	if err != nil {
		return fmt.Errorf("dhcp probe on %s: %w", p.Interface, err)
	}
	defer conn.Close()
	mac := ifc.HardwareAddr
	if len(mac) == 0 {
		mac = net.HardwareAddr{0x02, 0xfc, 0, 0, 0, 1}
	}
	found, err := Probe(ctx, conn, nil, mac, p.ProbeTimeout)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return nil
	}
	e := &ForeignServerError{Interface: p.Interface, Servers: found}
	if !p.Force {
		return e
	}
	p.Hook.Emit(servers.Event{Server: "dhcp", Kind: KindForeignServer, Subject: p.Interface, Detail: "forced: " + e.Error()})
	return nil
}

// Monitor reports as KindForeignServer events every OFFER or ACK on conn
// (bound to the client port on the interface) from a server other than
// self, once per server and minute, until ctx ends.
func Monitor(ctx context.Context, conn net.PacketConn, self netip.Addr, hook servers.Hook) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var mu sync.Mutex
	last := map[netip.Addr]time.Time{}
	buf := make([]byte, 4096)
	for {
		n, src, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("dhcp monitor: %w", err)
		}
		m, err := dhcpv4.FromBytes(buf[:n])
		if err != nil || m.OpCode != dhcpv4.OpcodeBootReply {
			continue
		}
		if t := m.MessageType(); t != dhcpv4.MessageTypeOffer && t != dhcpv4.MessageTypeAck {
			continue
		}
		f := foreignFrom(m, src)
		if f.ServerID == self || f.Source == self {
			continue
		}
		mu.Lock()
		now := time.Now()
		seen := now.Sub(last[f.ServerID]) < time.Minute
		last[f.ServerID] = now
		mu.Unlock()
		if seen {
			continue
		}
		hook.Emit(servers.Event{Server: "dhcp", Kind: KindForeignServer, Peer: m.ClientHWAddr.String(), Subject: f.ServerID.String(),
			Detail: fmt.Sprintf("another DHCP server is answering on this segment: %s %s to %s", f, m.MessageType(), m.ClientHWAddr)})
	}
}
