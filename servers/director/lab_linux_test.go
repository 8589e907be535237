package director_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/internal/devsim"
	"fieldcon/internal/netnstest"
	"fieldcon/servers"
	"fieldcon/servers/dhcp"
	"fieldcon/servers/director"
	"fieldcon/servers/director/directortest"
	"fieldcon/servers/smi"
	"fieldcon/servers/tftp"
)

// A lab is a branch access VLAN in two network namespaces joined by a veth
// pair: fieldcon's side (10.99.0.1/24) runs the director on the standard
// ports, the switches' side (10.99.0.2/24) runs simulated Smart Install
// clients, each of which installs its leased address there. The director
// runs on a test clock; DHCP and TFTP run on real time.
type lab struct {
	t            *testing.T
	srvNS, cliNS string
	srvIf, cliIf string
	srv, cli     *netnstest.Thread
	root         string
	clock        *directortest.Clock
	ev           *events
	d            *director.Director
	serveErr     chan error
	socks        director.Sockets
	cancel       context.CancelFunc
	ctx          context.Context
	nextMAC      atomic.Int32
}

var (
	labSeq   atomic.Int32
	fcIP     = netip.MustParseAddr("10.99.0.1")
	labStart = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
)

// labWatchEvery is how often the lab's director looks at its interface:
// short, so a removed address stops it quickly; tests wait for its events,
// never for a time.
const labWatchEvery = 50 * time.Millisecond

// labPrefix starts the names of this package's namespaces and interfaces.
const labPrefix = "fcdir-"

// labOptions change how a lab is built.
type labOptions struct {
	closed bool      // the join window starts closed
	start  time.Time // the test clock's start (default labStart)
	// noServe leaves the director unstarted (the test calls serve).
	noServe bool
}

// newLab builds the namespaces, the workspace (images img-a.tar, s1..s3.tar
// and seed.txt) and the director with profile, and serves it.
func newLab(t *testing.T, profile string, o labOptions) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: the director scenarios need root to create network namespaces (ip netns add); run go test as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: the director scenarios need the ip command (iproute2)")
	}
	sweepStaleLabs()
	pid, n := os.Getpid(), labSeq.Add(1)
	l := &lab{
		t:     t,
		srvNS: fmt.Sprintf("%ss-%d-%d", labPrefix, pid, n),
		cliNS: fmt.Sprintf("%sc-%d-%d", labPrefix, pid, n),
		srvIf: fmt.Sprintf("fcd%ds%d", pid%100000, n),
		cliIf: fmt.Sprintf("fcd%dc%d", pid%100000, n),
		ev:    &events{ch: make(chan servers.Event, 4096), changed: make(chan struct{})},
	}
	t.Cleanup(func() {
		for _, ns := range []string{l.srvNS, l.cliNS} {
			_ = exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	for _, args := range [][]string{
		{"netns", "add", l.srvNS},
		{"netns", "add", l.cliNS},
		{"link", "add", l.srvIf, "type", "veth", "peer", "name", l.cliIf},
		{"link", "set", l.srvIf, "netns", l.srvNS},
		{"link", "set", l.cliIf, "netns", l.cliNS},
		{"-n", l.srvNS, "addr", "add", "10.99.0.1/24", "brd", "+", "dev", l.srvIf},
		{"-n", l.cliNS, "addr", "add", "10.99.0.2/24", "brd", "+", "dev", l.cliIf},
		{"-n", l.srvNS, "link", "set", "lo", "up"},
		{"-n", l.cliNS, "link", "set", "lo", "up"},
		{"-n", l.srvNS, "link", "set", l.srvIf, "up"},
		{"-n", l.cliNS, "link", "set", l.cliIf, "up"},
		{"-n", l.cliNS, "route", "add", "255.255.255.255/32", "dev", l.cliIf},
		{"-n", l.srvNS, "route", "add", "255.255.255.255/32", "dev", l.srvIf},
	} {
		l.ip(args...)
	}
	l.srv = netnstest.Enter(t, l.srvNS)
	l.cli = netnstest.Enter(t, l.cliNS)

	l.root = t.TempDir()
	for name, data := range map[string]string{
		"img-a.tar": strings.Repeat("A", 300_000),
		"s1.tar":    strings.Repeat("1", 100_000),
		"s2.tar":    strings.Repeat("2", 100_000),
		"s3.tar":    strings.Repeat("3", 100_000),
		"seed.txt":  "hostname sw1\n!\nend\n",
	} {
		p := filepath.Join(l.root, "images", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := o.start
	if start.IsZero() {
		start = labStart
	}
	l.clock = directortest.NewClock(start)
	p, err := director.Parse("director.yaml", []byte(profile))
	if err != nil {
		t.Fatal(err)
	}
	l.d, err = director.New(director.Config{Profiles: p, Root: l.root, Address: fcIP, Clock: l.clock, Hook: l.ev.hook, Open: !o.closed})
	if err != nil {
		t.Fatal(err)
	}
	l.ctx, l.cancel = context.WithTimeout(context.Background(), 3*time.Minute) // hang guard
	t.Cleanup(l.stop)
	if !o.noServe {
		l.serve(nil)
		l.waitEvent("the director to start", func(e servers.Event) bool { return e.Kind == director.KindDirector && e.Subject == "Enabled" })
	}
	return l
}

// writeImage puts a file into the workspace images/ folder.
func (l *lab) writeImage(name, data string) {
	l.t.Helper()
	if err := os.WriteFile(filepath.Join(l.root, director.ImagesDir, name), []byte(data), 0o644); err != nil {
		l.t.Fatal(err)
	}
}

// setProfile puts an edited director.yaml into effect on the running
// director.
func (l *lab) setProfile(text string) {
	l.t.Helper()
	p, err := director.Parse("director.yaml", []byte(text))
	if err != nil {
		l.t.Fatal(err)
	}
	if err := l.d.SetProfiles(p); err != nil {
		l.t.Fatalf("SetProfiles() = %v", err)
	}
}

func (l *lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// serve binds the director's sockets on fieldcon's side and runs Serve;
// preflight, when set, is run first the way fieldcon runs it.
func (l *lab) serve(preflight func(context.Context) error) {
	l.t.Helper()
	var socks director.Sockets
	err := l.srv.Run(func() (err error) {
		if socks.DHCP, err = dhcp.Listen(l.ctx, l.srvIf, "", dhcp.ServerPort); err != nil {
			return err
		}
		if socks.TFTP, err = tftp.Listen(l.ctx, "0.0.0.0:69", l.srvIf); err != nil {
			return err
		}
		socks.Syslog, err = net.ListenPacket("udp4", "0.0.0.0:514")
		return err
	})
	if err != nil {
		l.t.Fatalf("director sockets: %v", err)
	}
	l.socks = socks
	if preflight != nil {
		srvThread := l.srv
		inner := preflight
		preflight = func(ctx context.Context) error { return srvThread.Run(func() error { return inner(ctx) }) }
	}
	l.serveErr = make(chan error, 1)
	go func() {
		l.serveErr <- l.d.Serve(l.ctx, socks, director.Servers{
			Preflight: preflight,
			// The service interface is read inside fieldcon's namespace.
			Watch: director.PollWatcher{Interface: l.srvIf, Address: fcIP, Every: labWatchEvery, Lookup: func(name string) (lk director.Link, err error) {
				err = l.srv.Run(func() error {
					lk, err = director.LookupLink(name)
					return err
				})
				return lk, err
			}},
			DHCP: dhcp.Config{Interface: l.srvIf, ServerIP: fcIP, Pools: []dhcp.Pool{{
				Network: netip.MustParsePrefix("10.99.0.0/24"),
				Start:   netip.MustParseAddr("10.99.0.100"), End: netip.MustParseAddr("10.99.0.200"),
			}}},
			// Transfer sockets are opened on fieldcon's side too.
			TFTPOptions: []tftp.Option{tftp.WithTransferListener(func(ctx context.Context, network string) (c net.PacketConn, err error) {
				err = l.srv.Run(func() error {
					c, err = net.ListenPacket(network, "0.0.0.0:0")
					return err
				})
				return c, err
			})},
		})
	}()
}

// stop ends Serve and waits for it.
func (l *lab) stop() {
	l.cancel()
	if l.serveErr != nil {
		select {
		case err := <-l.serveErr:
			if err != nil && !errors.Is(err, context.Canceled) {
				l.t.Errorf("Serve() = %v after cancel, want nil", err)
			}
		case <-time.After(30 * time.Second): // hang guard
			l.t.Error("Serve did not return after its context ended")
		}
		l.serveErr = nil
	}
	for _, c := range []net.PacketConn{l.socks.DHCP, l.socks.TFTP, l.socks.Syslog} {
		if c != nil {
			c.Close()
		}
	}
}

// newSwitch builds a simulated switch on the switches' side.
func (l *lab) newSwitch(pid string) *devsim.SMIClient {
	l.t.Helper()
	n := l.nextMAC.Add(1)
	var conn net.PacketConn
	if err := l.cli.Run(func() (err error) {
		conn, err = devsim.ListenDHCPClient(l.ctx, l.cliIf, 68)
		return err
	}); err != nil {
		l.t.Fatalf("DHCP client socket: %v", err)
	}
	l.t.Cleanup(func() { conn.Close() })
	sw := &devsim.SMIClient{
		MAC: net.HardwareAddr{0x00, 0x11, 0x22, 0x33, 0x44, byte(0x50 + n)},
		PID: pid, Serial: fmt.Sprintf("FOC%04d", n), Version: "15.0(2)EX5",
		Net: devsim.SMINet{
			DHCPConn: conn,
			Bind: func(ctx context.Context, p netip.Prefix) error {
				out, err := exec.CommandContext(ctx, "ip", "-n", l.cliNS, "addr", "add", netip.PrefixFrom(p.Addr(), 32).String(), "dev", l.cliIf).CombinedOutput()
				if err != nil && !strings.Contains(string(out), "File exists") && !strings.Contains(string(out), "already assigned") {
					return fmt.Errorf("%v: %s", err, out)
				}
				return nil
			},
			ListenUDP: func(ctx context.Context, addr string) (c net.PacketConn, err error) {
				err = l.cli.Run(func() error {
					c, err = net.ListenPacket("udp4", addr)
					return err
				})
				return c, err
			},
			ListenTCP: func(ctx context.Context, addr string) (ln net.Listener, err error) {
				err = l.cli.Run(func() error {
					ln, err = net.Listen("tcp4", addr)
					return err
				})
				return ln, err
			},
		},
		Log: func(s string) { l.t.Log(s) },
	}
	return sw
}

// listen runs the switch's TCP 4786 listener until the test ends and
// returns once it accepts connections.
func (l *lab) listen(sw *devsim.SMIClient) {
	l.t.Helper()
	ready := make(chan error, 1)
	inner := sw.Net.ListenTCP
	sw.Net.ListenTCP = func(ctx context.Context, addr string) (net.Listener, error) {
		ln, err := inner(ctx, addr)
		ready <- err
		return ln, err
	}
	done := make(chan error, 1)
	go func() { done <- sw.Listen(l.ctx) }()
	l.t.Cleanup(func() { l.cancel(); <-done })
	if err := <-ready; err != nil {
		l.t.Fatalf("switch listener: %v", err)
	}
}

// smiClient is fieldcon's Smart Install client, dialling from fieldcon's
// side; dials counts its connection attempts.
func (l *lab) smiClient() (*smi.Client, *atomic.Int32) {
	var dials atomic.Int32
	return smi.NewClient(nsDialer{l.srv, &dials}, smi.WithTimeout(10*time.Second)), &dials
}

type nsDialer struct {
	th    *netnstest.Thread
	dials *atomic.Int32
}

func (d nsDialer) DialContext(ctx context.Context, network, addr string) (c net.Conn, err error) {
	d.dials.Add(1)
	err = d.th.Run(func() error {
		var nd net.Dialer
		c, err = nd.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// client is the database entry of a simulated switch.
func (l *lab) client(sw *devsim.SMIClient) (director.Client, bool) {
	return l.d.DB().Get(director.MACFrom(sw.MAC))
}

// status is the client's `show vstack status` letters now.
func (l *lab) status(sw *devsim.SMIClient) string {
	c, ok := l.client(sw)
	if !ok {
		return "(not in the database)"
	}
	return c.Status(l.clock.Now(), l.d.DB().Keepalive())
}

// waitClient waits, woken by every database change, until cond holds for
// the switch's entry.
func (l *lab) waitClient(sw *devsim.SMIClient, what string, cond func(c director.Client) bool) director.Client {
	l.t.Helper()
	for {
		changed := l.d.DB().Watch()
		if c, ok := l.client(sw); ok && cond(c) {
			return c
		}
		select {
		case <-changed:
		case <-l.ctx.Done():
			c, _ := l.client(sw)
			l.dump()
			l.t.Fatalf("timed out waiting for %s; the client is %+v", what, c)
		}
	}
}

// waitEvent waits until an event matching match has been emitted and
// returns it.
func (l *lab) waitEvent(what string, match func(servers.Event) bool) servers.Event {
	l.t.Helper()
	for {
		changed := l.ev.watch()
		if e, ok := l.ev.find(match); ok {
			return e
		}
		select {
		case <-changed:
		case <-l.ctx.Done():
			l.dump()
			l.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (l *lab) dump() {
	for _, e := range l.ev.all() {
		l.t.Log(e)
	}
}

func (l *lab) count(match func(servers.Event) bool) int {
	n := 0
	for _, e := range l.ev.all() {
		if match(e) {
			n++
		}
	}
	return n
}

// kind matches events of kind k, optionally from one server.
func kind(k servers.Kind, server string) func(servers.Event) bool {
	return func(e servers.Event) bool { return e.Kind == k && (server == "" || e.Server == server) }
}

// put uploads data by TFTP from the switch's side, as a switch at from.
func (l *lab) put(from netip.Addr, name string, data []byte) error {
	l.t.Helper()
	var conn net.PacketConn
	if err := l.cli.Run(func() (err error) {
		conn, err = net.ListenPacket("udp4", netip.AddrPortFrom(from, 0).String())
		return err
	}); err != nil {
		l.t.Fatal(err)
	}
	defer conn.Close()
	c := &devsim.TFTPClient{Conn: conn, Server: netip.AddrPortFrom(fcIP, 69), BlockSize: 512, Retransmit: 300 * time.Millisecond}
	_, err := c.Put(l.ctx, name, strings.NewReader(string(data)), int64(len(data)))
	return err
}

// dhcpProbe is a bare DHCP client on the switches' side.
type dhcpProbe struct {
	t    *testing.T
	conn net.PacketConn
}

func (l *lab) dhcpProbe() *dhcpProbe {
	l.t.Helper()
	var conn net.PacketConn
	if err := l.cli.Run(func() (err error) {
		conn, err = devsim.ListenDHCPClient(l.ctx, l.cliIf, 68)
		return err
	}); err != nil {
		l.t.Fatalf("DHCP client socket: %v", err)
	}
	l.t.Cleanup(func() { conn.Close() })
	return &dhcpProbe{l.t, conn}
}

// discover broadcasts one DISCOVER for mac.
func (p *dhcpProbe) discover(mac net.HardwareAddr) dhcpv4.TransactionID {
	p.t.Helper()
	m, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithBroadcast(true))
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.conn.WriteTo(m.ToBytes(), &net.UDPAddr{IP: net.IPv4bcast, Port: 67}); err != nil {
		p.t.Fatalf("send DISCOVER: %v", err)
	}
	return m.TransactionID
}

// replies lists the message types of the replies to xid that arrive.
// Called once the director has reported the request dropped, it checks
// that nothing came anyway; the read deadline bounds that look, it is not
// what the test waits for.
func (p *dhcpProbe) replies(xid dhcpv4.TransactionID) []string {
	var got []string
	buf := make([]byte, 1500)
	_ = p.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		n, _, err := p.conn.ReadFrom(buf)
		if err != nil {
			return got
		}
		if m, err := dhcpv4.FromBytes(buf[:n]); err == nil && m.OpCode == dhcpv4.OpcodeBootReply && m.TransactionID == xid {
			got = append(got, m.MessageType().String())
		}
	}
}

// udpFrom opens a UDP socket on the switches' side at address a.
func (l *lab) udpFrom(a netip.Addr) net.PacketConn {
	l.t.Helper()
	var conn net.PacketConn
	if err := l.cli.Run(func() (err error) {
		conn, err = net.ListenPacket("udp4", netip.AddrPortFrom(a, 0).String())
		return err
	}); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { conn.Close() })
	return conn
}

// nothingFor returns the first datagram that reaches conn, or "" when none
// does; like dhcpProbe.replies it is a last look after the director
// reported the request dropped.
func nothingFor(conn net.PacketConn) string {
	buf := make([]byte, 1500)
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, from, err := conn.ReadFrom(buf)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%q from %v", buf[:n], from)
}

// addAddress gives the switches' side one more address (a stranger).
func (l *lab) addAddress(a netip.Addr) {
	l.ip("-n", l.cliNS, "addr", "add", netip.PrefixFrom(a, 32).String(), "dev", l.cliIf)
}

// sweepStaleLabs deletes namespaces left by test processes that died
// before their cleanup ran.
func sweepStaleLabs() {
	entries, _ := os.ReadDir("/var/run/netns")
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), labPrefix)
		if !ok {
			continue
		}
		parts := strings.Split(name, "-") // s-PID-N
		if len(parts) != 3 {
			continue
		}
		pid, err := strconv.Atoi(parts[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", parts[1])); err == nil {
			continue // its process still runs
		}
		_ = exec.Command("ip", "netns", "del", e.Name()).Run()
	}
}

// events records what the director and its servers emitted.
type events struct {
	mu      sync.Mutex
	ev      []servers.Event
	ch      chan servers.Event
	changed chan struct{} // closed and replaced at every event
}

func (e *events) hook(ev servers.Event) {
	e.mu.Lock()
	e.ev = append(e.ev, ev)
	if e.changed != nil {
		close(e.changed)
		e.changed = make(chan struct{})
	}
	e.mu.Unlock()
	select {
	case e.ch <- ev:
	default:
	}
}

func (e *events) watch() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changed
}

func (e *events) all() []servers.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.ev)
}

func (e *events) find(match func(servers.Event) bool) (servers.Event, bool) {
	for _, ev := range e.all() {
		if match(ev) {
			return ev, true
		}
	}
	return servers.Event{}, false
}
