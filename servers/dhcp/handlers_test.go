package dhcp

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

func TestDORAGivesAddressAndCiscoOptions(t *testing.T) {
	f := newFixture(t, testConfig())
	offer, ack := f.dora(t, mac(1), ciscoPRL())
	if offer == nil || offer.MessageType() != dhcpv4.MessageTypeOffer {
		t.Fatalf("Handle(DISCOVER) = %v, want an OFFER", offer)
	}
	if ack == nil || ack.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("Handle(REQUEST) = %v, want an ACK", ack)
	}
	if !ack.YourIPAddr.Equal(offer.YourIPAddr) || !ack.YourIPAddr.Equal(ip("10.88.0.100")) {
		t.Errorf("ACK yiaddr = %v, OFFER yiaddr = %v, want both 10.88.0.100", ack.YourIPAddr, offer.YourIPAddr)
	}
	vi, _ := EncodeVendorInfo([]VendorInfo{CiscoSmartInstall("imagelist.txt", serverIP)})
	for _, p := range []*dhcpv4.DHCPv4{offer, ack} {
		want := map[uint8][]byte{
			OptSubnetMask:     {255, 255, 255, 0},
			OptRouter:         {10, 88, 0, 1},
			OptDNS:            {10, 88, 0, 53},
			OptDomain:         []byte("lab.example"),
			OptLeaseTime:      {0, 0, 0x1c, 0x20},
			OptRenewalTime:    {0, 0, 0x0e, 0x10},
			OptRebindingTime:  {0, 0, 0x18, 0x9c},
			OptServerID:       {10, 88, 0, 1},
			OptTFTPServerName: []byte("10.88.0.1"),
			OptBootFile:       []byte("network-confg"),
			OptTFTPServers:    {10, 88, 0, 1, 10, 88, 0, 2},
			OptVIVendorInfo:   vi,
		}
		for code, v := range want {
			if got := p.Options.Get(dhcpv4.GenericOptionCode(code)); !bytes.Equal(got, v) {
				t.Errorf("%s option %d = %x, want %x", p.MessageType(), code, got, v)
			}
		}
		if !p.ServerIPAddr.Equal(ip("10.88.0.1")) || p.BootFileName != "network-confg" {
			t.Errorf("%s siaddr, file = %v, %q, want 10.88.0.1, network-confg", p.MessageType(), p.ServerIPAddr, p.BootFileName)
		}
	}
}

func TestOptionsFollowRequestList(t *testing.T) {
	tests := []struct {
		name   string
		prl    []uint8 // nil: no option 55 at all
		always []uint8
		want   string
	}{
		{"no list gets everything", nil, nil, "1,3,6,12,15,43,51,53,54,58,59,66,67,125,150,200"},
		{"loader asking little", []uint8{1, 3}, nil, "1,3,51,53,54,58,59"},
		{"forced options", []uint8{1, 3}, []uint8{150, 125, 67}, "1,3,51,53,54,58,59,67,125,150"},
		{"cisco list", []uint8{1, 66, 6, 15, 44, 3, 67, 12, 33, 150, 43, 125}, nil, "1,3,6,12,15,43,51,53,54,58,59,66,67,125,150"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Pools[0].HostnamePrefix = "sw"
			cfg.Pools[0].VendorSpecific = PnPVendorSpecific("10.88.0.1", 80)
			cfg.Pools[0].Extra = map[uint8][]byte{200: {0xde, 0xad}}
			cfg.Pools[0].AlwaysSend = tt.always
			f := newFixture(t, cfg)
			d := discover(t, mac(7))
			if tt.prl == nil {
				d.Options.Del(dhcpv4.OptionParameterRequestList)
			} else {
				d.Options[OptParamRequest] = tt.prl
			}
			offer := f.srv.Handle(d)
			if offer == nil {
				t.Fatal("Handle(DISCOVER) = nil, want an OFFER")
			}
			if got := sentCodes(offer); got != tt.want {
				t.Errorf("options sent = %s, want %s", got, tt.want)
			}
			if h := offer.HostName(); h != "" && h != "sw-33.0007" {
				t.Errorf("hostname = %q, want sw-33.0007", h)
			}
		})
	}
}

func TestNeverTheSameAddressTwice(t *testing.T) {
	cfg := testConfig()
	cfg.Pools[0].End = netip.MustParseAddr("10.88.0.163") // 64 addresses
	f := newFixture(t, cfg)
	const clients = 64
	got := make([]net.IP, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ack := f.dora(t, mac(i))
			if ack != nil && ack.MessageType() == dhcpv4.MessageTypeAck {
				got[i] = ack.YourIPAddr
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i, a := range got {
		if a == nil {
			t.Errorf("client %d got no ACK", i)
			continue
		}
		if j, dup := seen[a.String()]; dup {
			t.Errorf("clients %d and %d both got %s", j, i, a)
		}
		seen[a.String()] = i
	}
	// The pool is now full: one more client is told nothing and the
	// technician sees why.
	if offer := f.srv.Handle(discover(t, mac(1000))); offer != nil {
		t.Errorf("Handle(DISCOVER) on a full pool = %v, want nil", offer.YourIPAddr)
	}
	if ev := f.ev.kinds(KindExhausted); len(ev) != 1 {
		t.Errorf("pool-exhausted events = %d, want 1", len(ev))
	}
}

func TestOfferIsHeldThenReleasedWhenClientChoosesAnotherServer(t *testing.T) {
	cfg := testConfig()
	cfg.Pools[0].End = cfg.Pools[0].Start // one address
	f := newFixture(t, cfg)
	offer := f.srv.Handle(discover(t, mac(1)))
	if offer == nil {
		t.Fatal("first DISCOVER got no OFFER")
	}
	if o := f.srv.Handle(discover(t, mac(2))); o != nil {
		t.Fatalf("second client got %v while the only address is held for the first", o.YourIPAddr)
	}
	req, _ := dhcpv4.NewRequestFromOffer(offer)
	req.UpdateOption(dhcpv4.OptServerIdentifier(ip("10.88.0.254")))
	if r := f.srv.Handle(req); r != nil {
		t.Fatalf("REQUEST for another server answered with %s", r.MessageType())
	}
	if len(f.ev.kinds(KindForeignServer)) != 1 {
		t.Errorf("foreign-server events = %d, want 1", len(f.ev.kinds(KindForeignServer)))
	}
	if o := f.srv.Handle(discover(t, mac(2))); o == nil || !o.YourIPAddr.Equal(ip("10.88.0.100")) {
		t.Errorf("second client after the first went elsewhere got %v, want 10.88.0.100", o)
	}
}

func TestOfferHoldExpires(t *testing.T) {
	cfg := testConfig()
	cfg.Pools[0].End = cfg.Pools[0].Start
	f := newFixture(t, cfg)
	if f.srv.Handle(discover(t, mac(1))) == nil {
		t.Fatal("no OFFER")
	}
	f.clock.add(DefaultOfferHold + time.Second)
	if o := f.srv.Handle(discover(t, mac(2))); o == nil {
		t.Error("address still held after the offer hold expired")
	}
}

func TestReservations(t *testing.T) {
	iosID := append([]byte{0}, "cisco-0011.2233.4455-Vl1"...)
	tests := []struct {
		name string
		res  Reservation
		mods []dhcpv4.Modifier
		mac  net.HardwareAddr
		want string
		host string
	}{
		{"by MAC", Reservation{MAC: mac(9), Addr: netip.MustParseAddr("10.88.0.20"), Hostname: "core1"}, nil, mac(9), "10.88.0.20", "core1"},
		{"by IOS client id", Reservation{ClientID: iosID, Addr: netip.MustParseAddr("10.88.0.21")},
			[]dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptClientIdentifier(iosID))}, mac(3), "10.88.0.21", ""},
		{"in the range", Reservation{MAC: mac(9), Addr: netip.MustParseAddr("10.88.0.105")}, nil, mac(9), "10.88.0.105", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Pools[0].Reservations = []Reservation{tt.res}
			f := newFixture(t, cfg)
			_, ack := f.dora(t, tt.mac, append(tt.mods, ciscoPRL())...)
			if ack == nil || ack.MessageType() != dhcpv4.MessageTypeAck || ack.YourIPAddr.String() != tt.want {
				t.Fatalf("DORA = %v, want ACK %s", ack, tt.want)
			}
			if got := ack.HostName(); got != tt.host {
				t.Errorf("hostname = %q, want %q", got, tt.host)
			}
		})
	}
	t.Run("reserved address is never handed to others", func(t *testing.T) {
		cfg := testConfig()
		cfg.Pools[0].Reservations = []Reservation{{MAC: mac(99), Addr: netip.MustParseAddr("10.88.0.100")}}
		f := newFixture(t, cfg)
		for i := range 9 {
			_, ack := f.dora(t, mac(i))
			if ack == nil || ack.YourIPAddr.Equal(ip("10.88.0.100")) {
				t.Fatalf("client %d got %v; the range minus the reservation has 9 addresses", i, ack)
			}
		}
		if o := f.srv.Handle(discover(t, mac(50))); o != nil {
			t.Errorf("tenth client got %v, want nothing", o.YourIPAddr)
		}
		if _, ack := f.dora(t, mac(99)); ack == nil || !ack.YourIPAddr.Equal(ip("10.88.0.100")) {
			t.Errorf("reserved client got %v, want 10.88.0.100", ack)
		}
	})
}

func TestRequestNAK(t *testing.T) {
	cfg := testConfig()
	cfg.Pools[0].Reservations = []Reservation{{MAC: mac(9), Addr: netip.MustParseAddr("10.88.0.20")}}
	f := newFixture(t, cfg)
	_, ack := f.dora(t, mac(1))
	taken := ack.YourIPAddr
	initReboot := func(m net.HardwareAddr, addr string) *dhcpv4.DHCPv4 {
		r, _ := dhcpv4.New(dhcpv4.WithHwAddr(m), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip(addr))))
		return r
	}
	renew := func(m net.HardwareAddr, addr string) *dhcpv4.DHCPv4 {
		r, _ := dhcpv4.New(dhcpv4.WithHwAddr(m), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithClientIP(ip(addr)))
		return r
	}
	tests := []struct {
		name string
		req  *dhcpv4.DHCPv4
		want dhcpv4.MessageType
	}{
		{"address of another network", initReboot(mac(2), "192.168.1.50"), dhcpv4.MessageTypeNak},
		{"address held by another client", initReboot(mac(2), taken.String()), dhcpv4.MessageTypeNak},
		{"address outside the range", initReboot(mac(2), "10.88.0.7"), dhcpv4.MessageTypeNak},
		{"reserved client asks for another", initReboot(mac(9), "10.88.0.101"), dhcpv4.MessageTypeNak},
		{"someone else's reservation", initReboot(mac(2), "10.88.0.20"), dhcpv4.MessageTypeNak},
		{"renew of another client's address", renew(mac(2), taken.String()), dhcpv4.MessageTypeNak},
		{"init-reboot own address", initReboot(mac(1), taken.String()), dhcpv4.MessageTypeAck},
		{"init-reboot free address after our restart", initReboot(mac(3), "10.88.0.105"), dhcpv4.MessageTypeAck},
		{"renew own address", renew(mac(1), taken.String()), dhcpv4.MessageTypeAck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.srv.Handle(tt.req)
			if resp == nil || resp.MessageType() != tt.want {
				t.Fatalf("Handle(REQUEST) = %v, want %s", resp, tt.want)
			}
			if tt.want == dhcpv4.MessageTypeNak {
				if !resp.YourIPAddr.IsUnspecified() || resp.Options.Has(dhcpv4.OptionIPAddressLeaseTime) {
					t.Errorf("NAK carries yiaddr %v or a lease time", resp.YourIPAddr)
				}
				if f.srv.replyAddr(tt.req, resp).IP.String() != "255.255.255.255" {
					t.Errorf("NAK goes to %v, want broadcast", f.srv.replyAddr(tt.req, resp))
				}
			}
		})
	}
}

func TestRenewAndRebind(t *testing.T) {
	f := newFixture(t, testConfig())
	_, ack := f.dora(t, mac(1))
	f.clock.add(time.Hour) // T1 of a 2 h lease
	renew, _ := dhcpv4.NewRenewFromAck(ack)
	r := f.srv.Handle(renew)
	if r == nil || r.MessageType() != dhcpv4.MessageTypeAck || !r.YourIPAddr.Equal(ack.YourIPAddr) {
		t.Fatalf("Handle(renew) = %v, want ACK %v", r, ack.YourIPAddr)
	}
	if dst := f.srv.replyAddr(renew, r); dst.String() != ack.YourIPAddr.String()+":68" {
		t.Errorf("renew reply goes to %v, want the client's address", dst)
	}
	l := f.srv.Leases()[0]
	if want := f.clock.now().Add(2 * time.Hour); !l.Expires.Equal(want) {
		t.Errorf("lease expires %v after renew, want %v", l.Expires, want)
	}
	// Rebinding is the same request broadcast after T2; it may come after
	// the lease ran out on our side if the client was cut off.
	f.clock.add(3 * time.Hour)
	rebind, _ := dhcpv4.NewRenewFromAck(ack, dhcpv4.WithBroadcast(true))
	if r := f.srv.Handle(rebind); r == nil || r.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("Handle(rebind) = %v, want ACK", r)
	}
}

func TestReleaseKeepsTheAddressForTheSameClient(t *testing.T) {
	cfg := testConfig()
	cfg.Pools[0].End = netip.MustParseAddr("10.88.0.101") // two addresses
	f := newFixture(t, cfg)
	_, ack := f.dora(t, mac(1))
	rel, _ := dhcpv4.NewReleaseFromACK(ack)
	if r := f.srv.Handle(rel); r != nil {
		t.Fatalf("RELEASE answered with %v", r.MessageType())
	}
	if l := f.srv.Leases()[0]; l.State != Released {
		t.Errorf("lease state after RELEASE = %v, want released", l.State)
	}
	// Another client prefers a never-used address over a released one.
	if _, a2 := f.dora(t, mac(2)); a2 == nil || a2.YourIPAddr.Equal(ack.YourIPAddr) {
		t.Errorf("second client got %v, want the other address", a2)
	}
	if _, again := f.dora(t, mac(1)); again == nil || !again.YourIPAddr.Equal(ack.YourIPAddr) {
		t.Errorf("first client back got %v, want %v", again, ack.YourIPAddr)
	}
	// A release naming someone else's address changes nothing.
	bogus, _ := dhcpv4.NewReleaseFromACK(ack, dhcpv4.WithHwAddr(mac(5)))
	f.srv.Handle(bogus)
	for _, l := range f.srv.Leases() {
		if l.State != Bound {
			t.Errorf("lease %s is %v after a stranger's RELEASE, want bound", l.Addr, l.State)
		}
	}
}

func TestDeclineQuarantinesTheAddress(t *testing.T) {
	cfg := testConfig()
	cfg.Pools[0].End = cfg.Pools[0].Start
	f := newFixture(t, cfg)
	_, ack := f.dora(t, mac(1))
	dec, _ := dhcpv4.New(dhcpv4.WithHwAddr(mac(1)), dhcpv4.WithMessageType(dhcpv4.MessageTypeDecline),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ack.YourIPAddr)), dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip("10.88.0.1"))))
	if r := f.srv.Handle(dec); r != nil {
		t.Fatalf("DECLINE answered with %v", r.MessageType())
	}
	for _, m := range []net.HardwareAddr{mac(1), mac(2)} {
		if o := f.srv.Handle(discover(t, m)); o != nil {
			t.Errorf("client %s got declined address %v", m, o.YourIPAddr)
		}
	}
	saved, _ := f.store.Leases()
	if len(saved) != 1 || saved[0].State != Declined {
		t.Errorf("saved leases = %+v, want one declined", saved)
	}
	f.clock.add(DefaultDeclineHold + time.Second)
	if o := f.srv.Handle(discover(t, mac(2))); o == nil {
		t.Error("address still out of use after the quarantine")
	}
}

func TestInform(t *testing.T) {
	f := newFixture(t, testConfig())
	inf, _ := dhcpv4.NewInform(mac(4), ip("10.88.0.30"), ciscoPRL())
	r := f.srv.Handle(inf)
	if r == nil || r.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("Handle(INFORM) = %v, want ACK", r)
	}
	if !r.YourIPAddr.IsUnspecified() || r.Options.Has(dhcpv4.OptionIPAddressLeaseTime) {
		t.Errorf("INFORM ACK yiaddr %v, lease time present %v; want neither", r.YourIPAddr, r.Options.Has(dhcpv4.OptionIPAddressLeaseTime))
	}
	if got := r.Options.Get(dhcpv4.OptionTFTPServerAddress); len(got) != 8 {
		t.Errorf("INFORM ACK option 150 = %x, want two addresses", got)
	}
	if dst := f.srv.replyAddr(inf, r); dst.String() != "10.88.0.30:68" {
		t.Errorf("INFORM reply goes to %v, want 10.88.0.30:68", dst)
	}
	if len(f.srv.Leases()) != 0 {
		t.Errorf("INFORM created a lease: %+v", f.srv.Leases())
	}
}

func TestRelayedRequestsUseTheRelayPool(t *testing.T) {
	cfg := testConfig()
	cfg.Pools = append(cfg.Pools, Pool{
		Network: netip.MustParsePrefix("10.89.5.0/24"),
		Start:   netip.MustParseAddr("10.89.5.10"), End: netip.MustParseAddr("10.89.5.20"),
		Routers: []netip.Addr{netip.MustParseAddr("10.89.5.1")},
	})
	f := newFixture(t, cfg)
	relayed := dhcpv4.WithGatewayIP(ip("10.89.5.1"))
	offer, ack := f.dora(t, mac(1), relayed, dhcpv4.WithOption(dhcpv4.OptRelayAgentInfo(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(1), []byte("Gi1/0/1")))))
	if ack == nil || ack.MessageType() != dhcpv4.MessageTypeAck || !ack.YourIPAddr.Equal(ip("10.89.5.10")) {
		t.Fatalf("relayed DORA = %v, want ACK 10.89.5.10", ack)
	}
	if got := offer.Options.Get(dhcpv4.OptionRouter); !bytes.Equal(got, []byte{10, 89, 5, 1}) {
		t.Errorf("relayed OFFER router = %v, want 10.89.5.1", got)
	}
	if !offer.Options.Has(dhcpv4.OptionRelayAgentInformation) {
		t.Error("option 82 not echoed to the relay")
	}
	d := discover(t, mac(1), relayed)
	if dst := f.srv.replyAddr(d, offer); dst.String() != "10.89.5.1:67" {
		t.Errorf("relayed reply goes to %v, want 10.89.5.1:67", dst)
	}
	if o := f.srv.Handle(discover(t, mac(2), dhcpv4.WithGatewayIP(ip("172.16.0.1")))); o != nil {
		t.Errorf("relay from an unknown network got %v, want no answer", o.YourIPAddr)
	}
	nakReq, _ := dhcpv4.New(dhcpv4.WithHwAddr(mac(3)), relayed, dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip("10.88.0.100"))))
	n := f.srv.Handle(nakReq)
	if n == nil || n.MessageType() != dhcpv4.MessageTypeNak || !n.IsBroadcast() {
		t.Errorf("relayed wrong-network REQUEST = %v, want NAK with the broadcast flag", n)
	}
}

func TestRestartKeepsLeases(t *testing.T) {
	f := newFixture(t, testConfig())
	_, first := f.dora(t, mac(1))
	f.srv.Handle(discover(t, mac(2))) // an offer is not a lease: not saved
	srv2, err := New(testConfig(), WithStore(f.store), WithClock(f.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv2
	_, other := f.dora(t, mac(3))
	if other == nil || other.YourIPAddr.Equal(first.YourIPAddr) {
		t.Fatalf("new client after restart got %v; %v belongs to the first", other, first.YourIPAddr)
	}
	_, again := f.dora(t, mac(1))
	if again == nil || !again.YourIPAddr.Equal(first.YourIPAddr) {
		t.Errorf("first client after restart got %v, want %v", again, first.YourIPAddr)
	}
}

func TestBootLoaderAndIOSShareTheAddress(t *testing.T) {
	f := newFixture(t, testConfig())
	_, loader := f.dora(t, mac(1))
	ios := dhcpv4.WithOption(dhcpv4.OptClientIdentifier(append([]byte{0}, "cisco-0011.2233.0001-Vl1"...)))
	_, ack := f.dora(t, mac(1), ios)
	if ack == nil || !ack.YourIPAddr.Equal(loader.YourIPAddr) {
		t.Errorf("IOS after loader got %v, want %v", ack, loader.YourIPAddr)
	}
	// A different client identifier on the same MAC is a different client.
	other := dhcpv4.WithOption(dhcpv4.OptClientIdentifier(append([]byte{0}, "cisco-0011.2233.0001-Vl99"...)))
	if o := f.srv.Handle(discover(t, mac(1), other)); o == nil || o.YourIPAddr.Equal(loader.YourIPAddr) {
		t.Errorf("second interface got %v, want another address", o)
	}
}

func TestEventsDescribeTheExchange(t *testing.T) {
	f := newFixture(t, testConfig())
	cid := append([]byte{0}, "cisco-0011.2233.0001-Vl1"...)
	f.dora(t, mac(1), ciscoPRL(), dhcpv4.WithOption(dhcpv4.OptClientIdentifier(cid)),
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier("cisco-pnp")), dhcpv4.WithOption(dhcpv4.OptHostName("Switch")))
	var got []string
	for _, e := range f.ev.ev {
		got = append(got, string(e.Kind))
	}
	if diff := cmp.Diff([]string{"discover", "offer", "request", "ack"}, got); diff != "" {
		t.Fatalf("event kinds (-want +got):\n%s", diff)
	}
	ack := f.ev.kinds(KindAck)[0]
	want := map[string]string{
		"mac": "00:11:22:33:00:01", "client-id": "cisco-0011.2233.0001-Vl1", "vendor-class": "cisco-pnp",
		"hostname": "Switch", "addr": "10.88.0.100", "options": "1,3,6,15,51,53,54,58,59,61,66,67,125,150",
	}
	for k, v := range want {
		if ack.Attrs[k] != v {
			t.Errorf("ACK event attr %s = %q, want %q", k, ack.Attrs[k], v)
		}
	}
	if !strings.Contains(ack.Attrs["prl"], "150") || !strings.Contains(ack.Detail, "10.88.0.100") {
		t.Errorf("ACK event = %+v, want the request list and the address", ack)
	}
	if s := ack.String(); !strings.Contains(s, "ack") {
		t.Errorf("event line %q does not name the message", s)
	}
}

func TestHandleDropsWhatIsNotARequest(t *testing.T) {
	f := newFixture(t, testConfig())
	reply, _ := dhcpv4.NewDiscovery(mac(1))
	reply.OpCode = dhcpv4.OpcodeBootReply
	bootp, _ := dhcpv4.NewDiscovery(mac(1))
	bootp.Options.Del(dhcpv4.OptionDHCPMessageType)
	zero, _ := dhcpv4.NewDiscovery(net.HardwareAddr{0, 0, 0, 0, 0, 0})
	offer, _ := dhcpv4.NewDiscovery(mac(1), dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer))
	for name, p := range map[string]*dhcpv4.DHCPv4{"reply": reply, "bootp": bootp, "zero mac": zero, "offer": offer} {
		if r := f.srv.Handle(p); r != nil {
			t.Errorf("Handle(%s) = %v, want nil", name, r.MessageType())
		}
	}
}

func TestLongOptionsAreSplit(t *testing.T) {
	cfg := testConfig()
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	// Two enterprises of 200 bytes each: 410 bytes of option 125.
	cfg.Pools[0].VendorInfo = []VendorInfo{
		{Enterprise: 9, SubOptions: []SubOption{{Code: 5, Data: long[:198]}}},
		{Enterprise: 3561, SubOptions: []SubOption{{Code: 1, Data: long[:198]}}},
	}
	f := newFixture(t, cfg)
	d := discover(t, mac(1))
	d.Options.Del(dhcpv4.OptionParameterRequestList)
	offer := f.srv.Handle(d)
	raw := offer.ToBytes()
	var parts [][]byte
	for i := 240; i < len(raw) && raw[i] != 255; {
		if raw[i] == 0 {
			i++
			continue
		}
		code, l := raw[i], int(raw[i+1])
		if code == OptVIVendorInfo {
			parts = append(parts, raw[i+2:i+2+l])
		}
		i += 2 + l
	}
	if len(parts) != 2 || len(parts[0]) != 255 || len(parts[1]) != 410-255 {
		t.Fatalf("option 125 instances = %d (lengths %v), want 255 + 155", len(parts), lens(parts))
	}
	back, err := DecodeVendorInfo(bytes.Join(parts, nil))
	if err != nil || len(back) != 2 || back[1].Enterprise != 3561 {
		t.Errorf("DecodeVendorInfo(concatenated) = %v, %v", back, err)
	}
}

func lens(p [][]byte) []int {
	var out []int
	for _, b := range p {
		out = append(out, len(b))
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" for valid
	}{
		{"valid", func(*Config) {}, ""},
		{"no server address", func(c *Config) { c.ServerIP = netip.Addr{} }, "no IPv4 address"},
		{"no pool", func(c *Config) { c.Pools = nil }, "no address pool"},
		{"range outside network", func(c *Config) { c.Pools[0].End = netip.MustParseAddr("10.88.1.5") }, "not inside"},
		{"range backwards", func(c *Config) { c.Pools[0].Start = netip.MustParseAddr("10.88.0.200") }, "ends before"},
		{"range with broadcast", func(c *Config) { c.Pools[0].End = netip.MustParseAddr("10.88.0.255") }, "broadcast"},
		{"bad prefix", func(c *Config) { c.Pools[0].HostnamePrefix = "1sw" }, "hostname prefix"},
		{"reservation elsewhere", func(c *Config) {
			c.Pools[0].Reservations = []Reservation{{MAC: mac(1), Addr: netip.MustParseAddr("10.9.9.9")}}
		}, "not a host address"},
		{"reservation twice", func(c *Config) {
			r := Reservation{MAC: mac(1), Addr: netip.MustParseAddr("10.88.0.9")}
			c.Pools[0].Reservations = []Reservation{r, r}
		}, "reserved twice"},
		{"overlapping pools", func(c *Config) { c.Pools = append(c.Pools, c.Pools[0]) }, "overlap"},
		{"vendor block too long", func(c *Config) {
			c.Pools[0].VendorInfo = []VendorInfo{{Enterprise: 9, SubOptions: []SubOption{{Code: 5, Data: make([]byte, 200)}, {Code: 6, Data: make([]byte, 60)}}}}
		}, "at most 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestReplyAddr(t *testing.T) {
	f := newFixture(t, testConfig())
	mk := func(mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
		p, _ := dhcpv4.New(append([]dhcpv4.Modifier{dhcpv4.WithHwAddr(mac(1))}, mods...)...)
		return p
	}
	ackMsg := mk(dhcpv4.WithMessageType(dhcpv4.MessageTypeAck))
	nakMsg := mk(dhcpv4.WithMessageType(dhcpv4.MessageTypeNak))
	tests := []struct {
		name      string
		req, resp *dhcpv4.DHCPv4
		want      string
	}{
		{"new client", mk(), ackMsg, "255.255.255.255:68"},
		{"renewing client", mk(dhcpv4.WithClientIP(ip("10.88.0.101"))), ackMsg, "10.88.0.101:68"},
		{"NAK to a renewing client", mk(dhcpv4.WithClientIP(ip("10.88.0.101"))), nakMsg, "255.255.255.255:68"},
		{"relayed", mk(dhcpv4.WithGatewayIP(ip("10.89.0.1"))), ackMsg, "10.89.0.1:67"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.srv.replyAddr(tt.req, tt.resp).String(); got != tt.want {
				t.Errorf("replyAddr() = %s, want %s", got, tt.want)
			}
		})
	}
}

func ExampleHostnameFor() {
	m, _ := net.ParseMAC("00:1b:d4:bf:97:c0")
	fmt.Println(HostnameFor("Cisco", m))
	// Output: Cisco-bf.97c0
}
