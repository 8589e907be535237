package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"

	"fieldcon/servers"
)

// Event kinds of the DHCP server, beyond the shared ones.
const (
	KindDiscover  servers.Kind = "discover"
	KindOffer     servers.Kind = "offer"
	KindRequest   servers.Kind = "request"
	KindAck       servers.Kind = "ack"
	KindNak       servers.Kind = "nak"
	KindRelease   servers.Kind = "release"
	KindDecline   servers.Kind = "decline"
	KindInform    servers.Kind = "inform"
	KindExhausted servers.Kind = "pool-exhausted"
	// KindForeignServer: another DHCP server is active on the segment.
	KindForeignServer servers.Kind = "foreign-server"
)

// Handler is one decision of the server: it looks at the request and the
// reply built so far and returns the reply (nil for no answer) and whether
// the chain stops here.
type Handler func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool)

// Server answers DHCPv4 requests out of its pools.
type Server struct {
	cfg   Config
	pools []*pool
	chain []Handler
	extra []Handler // decisions of others, after the server's own
	hook  servers.Hook
	store Store
	now   func() time.Time
	log   *slog.Logger

	mu     sync.Mutex // guards the lease table and pool cursors
	leases map[netip.Addr]*Lease
	byMAC  map[string]netip.Addr
	byCID  map[string]netip.Addr

	commit  committer
	stopped atomic.Bool
}

// Option changes how New builds a Server.
type Option func(*Server)

// WithHook sends the server's events to h.
func WithHook(h servers.Hook) Option { return func(s *Server) { s.hook = h } }

// WithDecision adds h to the end of the decision chain: it sees every reply
// the server built (with its options) and may change it, or drop it by
// returning nil. The Smart Install director uses it to add or withhold its
// options per client.
func WithDecision(h Handler) Option { return func(s *Server) { s.extra = append(s.extra, h) } }

// WithStore keeps leases in st (NewBoltStore for the workspace) instead of
// memory only.
func WithStore(st Store) Option { return func(s *Server) { s.store = st } }

// WithClock replaces time.Now, for tests of expiry.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLogger logs what events do not carry (store failures, write errors).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// New checks cfg and loads the saved leases that fall in its pools.
func New(cfg Config, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:    cfg,
		now:    time.Now,
		leases: map[netip.Addr]*Lease{},
		byMAC:  map[string]netip.Addr{},
		byCID:  map[string]netip.Addr{},
	}
	for _, p := range cfg.Pools {
		s.pools = append(s.pools, newPool(p))
	}
	for _, o := range opts {
		o(s)
	}
	if s.store == nil {
		s.store = NewMemStore()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "dhcp")
	s.chain = append([]Handler{s.checkRequest, s.answer, s.addOptions}, s.extra...)
	s.commit = committer{snapshot: s.snapshot, save: s.store.Save}

	saved, err := s.store.Leases()
	if err != nil {
		return nil, fmt.Errorf("dhcp: load leases: %w", err)
	}
	for _, l := range saved {
		if s.poolContaining(l.Addr) == nil || l.State == Offered {
			continue
		}
		c := l
		s.leases[c.Addr] = &c
		s.index(&c)
	}
	return s, nil
}

func (s *Server) snapshot(addrs []netip.Addr) []Lease {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Lease, 0, len(addrs))
	for _, a := range addrs {
		if l := s.leases[a]; l != nil && l.State != Offered {
			out = append(out, *l)
		}
	}
	return out
}

// save writes the lease for a through to the store; a failure is reported
// but does not stop the answer, since the client needs its address either
// way.
func (s *Server) save(a netip.Addr) {
	if err := s.commit.commit(a); err != nil {
		s.log.Error("saving lease failed", "addr", a, "err", err)
		s.emit(servers.Event{Kind: servers.Warning, Subject: a.String(),
			Detail: "could not save the lease in the workspace store (" + err.Error() + "); it will be forgotten at restart"})
	}
}

func (s *Server) poolContaining(a netip.Addr) *pool {
	for _, p := range s.pools {
		if p.Network.Contains(a) {
			return p
		}
	}
	return nil
}

// poolFor picks the pool for a request: by relay address when relayed,
// else the pool of fieldcon's own address.
func (s *Server) poolFor(req *dhcpv4.DHCPv4) *pool {
	if gi, ok := netip.AddrFromSlice(req.GatewayIPAddr.To4()); ok && !gi.IsUnspecified() {
		return s.poolContaining(gi)
	}
	return s.poolContaining(s.cfg.ServerIP)
}

// Handle runs the decision chain on one request and returns the reply, or
// nil when the request gets no answer. It reports the exchange as events.
// It does no I/O besides saving leases, so tests drive it with packets
// built by dhcpv4 constructors.
func (s *Server) Handle(req *dhcpv4.DHCPv4) *dhcpv4.DHCPv4 {
	resp, err := dhcpv4.NewReplyFromRequest(req)
	if err != nil {
		return nil
	}
	for _, h := range s.chain {
		var stop bool
		resp, stop = h(req, resp)
		if stop || resp == nil {
			break
		}
	}
	if resp != nil {
		s.emitReply(req, resp)
	}
	return resp
}

// Serve answers requests arriving on conn (bound to UDP port 67 on the
// interface, see Listen) until ctx ends. It closes conn when it returns; no
// reply leaves after ctx is done.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	srv, err := server4.NewServer("", nil, func(c net.PacketConn, _ net.Addr, m *dhcpv4.DHCPv4) {
		s.serveOne(c, m)
	}, server4.WithConn(conn))
	if err != nil {
		return fmt.Errorf("dhcp serve: %w", err)
	}
	s.stopped.Store(false)
	s.emit(servers.Event{Kind: servers.Started, Subject: s.cfg.Interface,
		Detail: fmt.Sprintf("serving on %s as %s, %s", s.cfg.Interface, s.cfg.ServerIP, s.describePools())})
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	select {
	case <-ctx.Done():
		s.stopped.Store(true)
		srv.Close()
		<-done
		s.emit(servers.Event{Kind: servers.Stopped, Subject: s.cfg.Interface, Detail: "stopped answering"})
		return nil
	case err := <-done:
		s.stopped.Store(true)
		s.emit(servers.Event{Kind: servers.Stopped, Subject: s.cfg.Interface, Detail: "socket closed: " + err.Error()})
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		return fmt.Errorf("dhcp serve on %s: %w", s.cfg.Interface, err)
	}
}

func (s *Server) serveOne(c net.PacketConn, req *dhcpv4.DHCPv4) {
	if s.stopped.Load() {
		return
	}
	resp := s.Handle(req)
	if resp == nil || s.stopped.Load() {
		return
	}
	dst := s.replyAddr(req, resp)
	if _, err := c.WriteTo(resp.ToBytes(), dst); err != nil && !s.stopped.Load() {
		s.log.Warn("reply not sent", "to", dst, "err", err)
		s.emit(servers.Event{Kind: servers.Warning, Peer: req.ClientHWAddr.String(),
			Detail: fmt.Sprintf("could not send the %s to %s: %v", resp.MessageType(), dst, err)})
	}
}

// replyAddr is where a reply goes (RFC 2131 section 4.1): to the relay when
// relayed, to the client's own address when it has one, else broadcast on
// the interface (fieldcon never unicasts to an address the client does not
// have yet, which would need an ARP entry for it).
func (s *Server) replyAddr(req, resp *dhcpv4.DHCPv4) *net.UDPAddr {
	if gi := req.GatewayIPAddr.To4(); gi != nil && !gi.IsUnspecified() {
		return &net.UDPAddr{IP: gi, Port: s.cfg.RelayPort}
	}
	bcast := &net.UDPAddr{IP: net.IP(s.cfg.Broadcast.AsSlice()), Port: s.cfg.ClientPort}
	if resp.MessageType() == dhcpv4.MessageTypeNak {
		return bcast
	}
	if ci := req.ClientIPAddr.To4(); ci != nil && !ci.IsUnspecified() {
		return &net.UDPAddr{IP: ci, Port: s.cfg.ClientPort}
	}
	return bcast
}

func (s *Server) describePools() string {
	var parts []string
	for _, p := range s.pools {
		parts = append(parts, fmt.Sprintf("pool %s-%s/%d", p.Start, p.End, p.Network.Bits()))
	}
	return strings.Join(parts, ", ")
}

func (s *Server) emit(e servers.Event) {
	e.Server = "dhcp"
	s.hook.Emit(e)
}

// clientAttrs describes the client side of an exchange for events.
func clientAttrs(req *dhcpv4.DHCPv4) map[string]string {
	a := map[string]string{
		"mac": req.ClientHWAddr.String(),
		"xid": req.TransactionID.String(),
	}
	if cid := req.Options.Get(dhcpv4.OptionClientIdentifier); len(cid) > 0 {
		a["client-id"] = clientIDString(cid)
	}
	if v := req.ClassIdentifier(); v != "" {
		a["vendor-class"] = v
	}
	if h := req.HostName(); h != "" {
		a["hostname"] = h
	}
	if prl := req.Options.Get(dhcpv4.OptionParameterRequestList); len(prl) > 0 {
		a["prl"] = codeList(prl)
	}
	if gi := req.GatewayIPAddr.To4(); gi != nil && !gi.IsUnspecified() {
		a["relay"] = gi.String()
	}
	if ci := req.ClientIPAddr.To4(); ci != nil && !ci.IsUnspecified() {
		a["ciaddr"] = ci.String()
	}
	if r := req.RequestedIPAddress(); r != nil {
		a["requested"] = r.String()
	}
	return a
}

func codeList(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = strconv.Itoa(int(c))
	}
	return strings.Join(parts, ",")
}

func (s *Server) emitRequest(kind servers.Kind, req *dhcpv4.DHCPv4, detail string) {
	a := clientAttrs(req)
	subject := ""
	if r, ok := a["requested"]; ok {
		subject = r
	} else if c, ok := a["ciaddr"]; ok {
		subject = c
	}
	who := a["mac"]
	if cid := a["client-id"]; cid != "" {
		who += " (" + cid + ")"
	}
	if v := a["vendor-class"]; v != "" {
		who += " vendor " + strconv.Quote(v)
	}
	if h := a["hostname"]; h != "" {
		who += " host " + strconv.Quote(h)
	}
	if prl := a["prl"]; prl != "" {
		who += " asks " + prl
	}
	if detail != "" {
		who += "; " + detail
	}
	s.emit(servers.Event{Kind: kind, Peer: a["mac"], Subject: subject, Detail: who, Attrs: a})
}

func (s *Server) emitReply(req, resp *dhcpv4.DHCPv4) {
	var kind servers.Kind
	switch resp.MessageType() {
	case dhcpv4.MessageTypeOffer:
		kind = KindOffer
	case dhcpv4.MessageTypeAck:
		kind = KindAck
	case dhcpv4.MessageTypeNak:
		kind = KindNak
	default:
		return
	}
	a := clientAttrs(req)
	codes := sentCodes(resp)
	a["options"] = codes
	subject := resp.YourIPAddr.String()
	if resp.YourIPAddr.IsUnspecified() {
		subject = req.ClientIPAddr.String()
	}
	a["addr"] = subject
	detail := fmt.Sprintf("%s %s to %s", strings.ToUpper(string(kind)), subject, a["mac"])
	if cid := a["client-id"]; cid != "" {
		detail += " (" + cid + ")"
	}
	if kind == KindNak {
		detail += ": " + resp.Message()
	} else {
		detail += ", options " + codes
	}
	if max := maxReplySize(req); len(resp.ToBytes()) > max {
		detail += fmt.Sprintf("; warning: reply is %d bytes, the client accepts %d", len(resp.ToBytes()), max)
	}
	s.emit(servers.Event{Kind: kind, Peer: a["mac"], Subject: subject, Detail: detail, Attrs: a})
}

func sentCodes(resp *dhcpv4.DHCPv4) string {
	var codes []byte
	for c := 1; c < 255; c++ {
		if resp.Options.Has(dhcpv4.GenericOptionCode(c)) {
			codes = append(codes, byte(c))
		}
	}
	return codeList(codes)
}

// maxReplySize is the largest DHCP message the client said it accepts
// (option 57), or the 576 bytes every client must accept, less the IP and
// UDP headers.
func maxReplySize(req *dhcpv4.DHCPv4) int {
	size := dhcpv4.MaxMessageSize
	if m, err := req.MaxMessageSize(); err == nil && int(m) > size {
		size = int(m)
	}
	return size - 28
}
