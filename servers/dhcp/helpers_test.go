package dhcp

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers"
)

var (
	serverIP = netip.MustParseAddr("10.88.0.1")
	tftpA    = netip.MustParseAddr("10.88.0.1")
	tftpB    = netip.MustParseAddr("10.88.0.2")
)

// testConfig is a /24 with a range of 10 and every Cisco option set.
func testConfig() Config {
	return Config{
		Interface: "test0",
		ServerIP:  serverIP,
		Pools: []Pool{{
			Network:        netip.MustParsePrefix("10.88.0.0/24"),
			Start:          netip.MustParseAddr("10.88.0.100"),
			End:            netip.MustParseAddr("10.88.0.109"),
			Routers:        []netip.Addr{serverIP},
			DNS:            []netip.Addr{netip.MustParseAddr("10.88.0.53")},
			Domain:         "lab.example",
			LeaseTime:      2 * time.Hour,
			TFTPServerName: "10.88.0.1",
			BootFile:       "network-confg",
			TFTPServers:    []netip.Addr{tftpA, tftpB},
			VendorInfo:     []VendorInfo{CiscoSmartInstall("imagelist.txt", serverIP)},
		}},
	}
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder collects events.
type recorder struct {
	mu sync.Mutex
	ev []servers.Event
}

func (r *recorder) hook() servers.Hook {
	return func(e servers.Event) { r.mu.Lock(); r.ev = append(r.ev, e); r.mu.Unlock() }
}

func (r *recorder) kinds(k servers.Kind) []servers.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []servers.Event
	for _, e := range r.ev {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

type fixture struct {
	srv   *Server
	clock *clock
	ev    *recorder
	store *MemStore
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, ev: &recorder{}, store: NewMemStore()}
	srv, err := New(cfg, WithClock(f.clock.now), WithHook(f.ev.hook()), WithStore(f.store))
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	f.srv = srv
	return f
}

func mac(i int) net.HardwareAddr {
	return net.HardwareAddr{0x00, 0x11, 0x22, 0x33, byte(i >> 8), byte(i)}
}

func ciscoPRL() dhcpv4.Modifier {
	// What a 2960-X asks for (field notes 2(e)).
	return dhcpv4.WithRequestedOptions(
		dhcpv4.GenericOptionCode(1), dhcpv4.GenericOptionCode(66), dhcpv4.GenericOptionCode(6),
		dhcpv4.GenericOptionCode(15), dhcpv4.GenericOptionCode(44), dhcpv4.GenericOptionCode(3),
		dhcpv4.GenericOptionCode(67), dhcpv4.GenericOptionCode(12), dhcpv4.GenericOptionCode(33),
		dhcpv4.GenericOptionCode(150), dhcpv4.GenericOptionCode(43), dhcpv4.GenericOptionCode(125))
}

func discover(t *testing.T, m net.HardwareAddr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	d, err := dhcpv4.NewDiscovery(m, mods...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// dora runs DISCOVER then REQUEST and returns the ACK (or NAK).
func (f *fixture) dora(t *testing.T, m net.HardwareAddr, mods ...dhcpv4.Modifier) (offer, ack *dhcpv4.DHCPv4) {
	t.Helper()
	offer = f.srv.Handle(discover(t, m, mods...))
	if offer == nil {
		return nil, nil
	}
	req, err := dhcpv4.NewRequestFromOffer(offer, mods...)
	if err != nil {
		t.Fatal(err)
	}
	return offer, f.srv.Handle(req)
}

func ip(s string) net.IP { return net.ParseIP(s).To4() }
