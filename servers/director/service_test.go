package director

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers"
	"fieldcon/servers/dhcp"
	"fieldcon/servers/tftp"
)

// fakeWatcher is an AddressWatcher the test drives.
type fakeWatcher struct{ ch chan ServiceAddress }

func (w fakeWatcher) Watch(ctx context.Context) <-chan ServiceAddress {
	out := make(chan ServiceAddress)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case a := <-w.ch:
				select {
				case out <- a:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// serveRig is a director serving on in-memory sockets inside a synctest
// bubble, with a fake address watcher.
type serveRig struct {
	t         *testing.T
	d         *Director
	log       *eventLog
	watch     fakeWatcher
	dhcp      *memConn
	tftp      *memConn
	transfers chan *memConn
	cancel    context.CancelFunc
	served    chan error
}

func newServeRig(t *testing.T) *serveRig {
	t.Helper()
	root := t.TempDir()
	touchImages(t, root, "img-a.tar", "seed.txt")
	r := &serveRig{
		t: t, log: &eventLog{}, watch: fakeWatcher{make(chan ServiceAddress)},
		dhcp: newMemConn("0.0.0.0:67"), tftp: newMemConn("0.0.0.0:69"),
		transfers: make(chan *memConn, 8), served: make(chan error, 1),
	}
	d, err := New(Config{Profiles: parse(t, scenario1), Root: root, Address: directorIP, Hook: r.log.hook, Open: true})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	r.d = d
	ctx, cancel := context.WithCancel(t.Context())
	r.cancel = cancel
	go func() {
		r.served <- d.Serve(ctx, Sockets{DHCP: r.dhcp, TFTP: r.tftp}, Servers{
			Watch: r.watch,
			DHCP: dhcp.Config{Interface: "svc0", ServerIP: directorIP, Pools: []dhcp.Pool{{
				Network: netip.MustParsePrefix("10.99.0.0/24"),
				Start:   netip.MustParseAddr("10.99.0.100"), End: netip.MustParseAddr("10.99.0.200"),
			}}},
			TFTPOptions: []tftp.Option{tftp.WithTransferListener(func(context.Context, string) (net.PacketConn, error) {
				c := newMemConn("10.99.0.1:40000")
				r.transfers <- c
				return c, nil
			})},
		})
	}()
	return r
}

// report hands the director a watcher report and waits until everything
// it set off is done.
func (r *serveRig) report(a ServiceAddress) {
	r.watch.ch <- a
	synctest.Wait()
}

// discover sends a DISCOVER from mac and returns the replies.
func (r *serveRig) discover(mac string) []*dhcpv4.DHCPv4 {
	r.t.Helper()
	hw, _ := net.ParseMAC(mac)
	m, err := dhcpv4.NewDiscovery(hw, dhcpv4.WithBroadcast(true))
	if err != nil {
		r.t.Fatal(err)
	}
	r.dhcp.deliver("0.0.0.0:68", m.ToBytes())
	synctest.Wait()
	var out []*dhcpv4.DHCPv4
	for _, d := range r.dhcp.sent() {
		if reply, err := dhcpv4.FromBytes(d.data); err == nil && reply.TransactionID == m.TransactionID {
			out = append(out, reply)
		}
	}
	return out
}

// read sends a read request for name from peer and returns the transfer
// socket the server opened for it, or nil.
func (r *serveRig) read(peer, name string) *memConn {
	r.tftp.deliver(peer, append(append([]byte{0, 1}, name...), "\x00octet\x00"...))
	synctest.Wait()
	select {
	case c := <-r.transfers:
		return c
	default:
		return nil
	}
}

// lifecycle lists the director's SMI-5-DIRECTOR events and the TFTP
// server's starts and stops, in order.
func (r *serveRig) lifecycle() []string {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	var out []string
	for _, e := range r.log.ev {
		switch {
		case e.Kind == KindDirector:
			out = append(out, e.Detail)
		case e.Server == "tftp" && (e.Kind == servers.Started || e.Kind == servers.Stopped):
			out = append(out, "tftp "+string(e.Kind))
		}
	}
	return out
}

func (r *serveRig) ignored(server string) []servers.Event {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	var out []servers.Event
	for _, e := range r.log.ev {
		if e.Kind == KindIgnored && e.Subject == server {
			out = append(out, e)
		}
	}
	return out
}

// isData reports whether p is TFTP DATA block n.
func isData(p []byte, n byte) bool { return len(p) >= 4 && p[1] == 3 && p[2] == 0 && p[3] == n }

// DB-02 on the fake watcher: losing the service address disables the
// director at once (no DHCP answer, TFTP server and its transfers stopped,
// TFTP requests dropped, database stale), and getting it back enables it.
func TestServeStopsWhileTheServiceAddressIsGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServeRig(t)
		const mac = "00:11:22:33:44:51"
		r.report(ServiceAddress{Present: true})
		if on, why := r.d.Serving(); !on {
			t.Fatalf("Serving() = false (%s) with the address present, want true", why)
		}
		offers := r.discover(mac)
		if len(offers) != 1 || offers[0].MessageType() != dhcpv4.MessageTypeOffer {
			t.Fatalf("replies to a DISCOVER while enabled = %v, want one OFFER", offers)
		}
		client := netip.AddrPortFrom(netip.MustParseAddr(offers[0].YourIPAddr.String()), 5000).String()
		inFlight := r.read(client, "images/img-a.tar")
		if inFlight == nil {
			t.Fatal("no transfer started for a read while enabled")
		}
		if got := inFlight.sent(); len(got) != 1 || !isData(got[0].data, 1) {
			t.Fatalf("transfer sent %v, want DATA block 1", got)
		}

		const why = "svc0 lost its address 10.99.0.1 (removed, or lost with the cable or the DHCP lease); give 10.99.0.1 back to svc0"
		r.report(ServiceAddress{Why: why})
		if on, got := r.d.Serving(); on || got != why {
			t.Errorf("Serving() = %v, %q after the address went; want false, %q", on, got, why)
		}
		if e, ok := r.log.find(KindDirector); !ok || e.Detail != "Director is Enabled" {
			t.Errorf("first director event = %+v, want Director is Enabled", e)
		}
		if !inFlight.isClosed() {
			t.Error("the transfer in flight still has its socket open after the director was disabled")
		}
		if s, stale := r.d.DB().Stale(); !stale || s.Why != why {
			t.Errorf("DB().Stale() = %+v, %v; want stale because %q", s, stale, why)
		}
		if got := r.discover(mac); len(got) != 0 {
			t.Errorf("replies to a DISCOVER while disabled = %v, want none", got)
		}
		if ig := r.ignored("dhcp"); len(ig) != 1 || ig[0].Peer != "0011.2233.4451" || !strings.Contains(ig[0].Detail, "DISCOVER") || !strings.Contains(ig[0].Detail, why) {
			t.Errorf("ignored DHCP events = %+v, want one for the DISCOVER of 0011.2233.4451 saying why", ig)
		}
		if c := r.read(client, "images/img-a.tar"); c != nil {
			t.Error("a read request while disabled started a transfer")
		}
		if got := r.tftp.sent(); len(got) != 0 {
			t.Errorf("the TFTP socket sent %v while disabled, want nothing", got)
		}
		if ig := r.ignored("tftp"); len(ig) != 1 || ig[0].Peer != client {
			t.Errorf("ignored TFTP events = %+v, want one from %s", ig, client)
		}

		r.report(ServiceAddress{Present: true})
		if on, _ := r.d.Serving(); !on {
			t.Error("Serving() = false once the address is back, want true")
		}
		if s, stale := r.d.DB().Stale(); stale {
			t.Errorf("DB().Stale() = %+v once the address is back, want current", s)
		}
		if got := r.discover(mac); len(got) != 1 || got[0].MessageType() != dhcpv4.MessageTypeOffer {
			t.Errorf("replies to a DISCOVER once enabled again = %v, want one OFFER", got)
		}
		again := r.read(client, "images/img-a.tar")
		if again == nil {
			t.Fatal("no transfer started for a read once enabled again")
		}
		if got := again.sent(); len(got) != 1 || !isData(got[0].data, 1) {
			t.Errorf("transfer once enabled again sent %v, want DATA block 1", got)
		}

		r.cancel()
		if err := <-r.served; err != nil {
			t.Errorf("Serve() = %v after cancel, want nil", err)
		}
		want := []string{
			"Director is Enabled", "tftp started",
			"Director is Disabled", "tftp stopped",
			"Director is Enabled", "tftp started",
			"tftp stopped", "Director is Disabled",
		}
		if diff := cmp.Diff(want, r.lifecycle()); diff != "" {
			t.Errorf("director and TFTP lifecycle (-want +got):\n%s", diff)
		}
	})
}

// A director whose address is missing when it starts serves nothing until
// the address appears.
func TestServeStartsDisabledWithoutTheAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServeRig(t)
		r.report(ServiceAddress{Why: "svc0 has no link"})
		if got := r.discover("00:11:22:33:44:52"); len(got) != 0 {
			t.Errorf("replies to a DISCOVER before the address = %v, want none", got)
		}
		if e, ok := r.log.find(KindDirector); !ok || e.Detail != "Director is Disabled" || e.Attrs["why"] != "svc0 has no link" {
			t.Errorf("first director event = %+v, want Director is Disabled because svc0 has no link", e)
		}
		r.report(ServiceAddress{Present: true})
		if got := r.discover("00:11:22:33:44:52"); len(got) != 1 {
			t.Errorf("replies to a DISCOVER once the address is there = %v, want one OFFER", got)
		}
		r.cancel()
		if err := <-r.served; err != nil {
			t.Errorf("Serve() = %v after cancel, want nil", err)
		}
		want := []string{"Director is Disabled", "Director is Enabled", "tftp started", "tftp stopped", "Director is Disabled"}
		if diff := cmp.Diff(want, r.lifecycle()); diff != "" {
			t.Errorf("director and TFTP lifecycle (-want +got):\n%s", diff)
		}
	})
}

// PollWatcher reports the state at once, then only changes, on its own
// ticker; under synctest the ticker runs on the bubble's clock.
func TestPollWatcherReportsChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		addr := netip.MustParseAddr("10.99.0.1")
		up := Link{Up: true, Running: true, Addrs: []netip.Prefix{netip.MustParsePrefix("10.99.0.1/24")}}
		readings := make(chan func() (Link, error), 1)
		current := func() (Link, error) { return up, nil }
		w := PollWatcher{Interface: "svc0", Address: addr, Every: 50 * time.Millisecond, Lookup: func(string) (Link, error) {
			select {
			case f := <-readings:
				current = f
			default:
			}
			return current()
		}}
		ctx, cancel := context.WithCancel(t.Context())
		ch := w.Watch(ctx)
		next := func() (ServiceAddress, bool) {
			// Sleeping in a bubble moves its clock past the next tick.
			time.Sleep(w.Every)
			synctest.Wait()
			select {
			case a := <-ch:
				return a, true
			default:
				return ServiceAddress{}, false
			}
		}
		synctest.Wait()
		if a := <-ch; !a.Present {
			t.Fatalf("first report = %+v, want present", a)
		}
		if a, ok := next(); ok {
			t.Errorf("report without a change = %+v, want none", a)
		}
		readings <- func() (Link, error) { return Link{Up: true, Running: true}, nil }
		if a, ok := next(); !ok || a.Present || !strings.Contains(a.Why, "10.99.0.1") {
			t.Errorf("report after the address went = %+v, %v; want absent, naming 10.99.0.1", a, ok)
		}
		if a, ok := next(); ok {
			t.Errorf("second report while still absent = %+v, want none", a)
		}
		readings <- func() (Link, error) { return up, nil }
		if a, ok := next(); !ok || !a.Present {
			t.Errorf("report after the address came back = %+v, %v; want present", a, ok)
		}
		cancel()
		synctest.Wait()
		if _, open := <-ch; open {
			t.Error("Watch did not close its channel when ctx ended")
		}
	})
}

func TestPollWatcherCheck(t *testing.T) {
	w := PollWatcher{Interface: "eth1", Address: netip.MustParseAddr("10.99.0.1")}
	p := netip.MustParsePrefix
	tests := []struct {
		name    string
		link    Link
		err     error
		present bool
		why     string // a part of the reason
	}{
		{"address present", Link{Up: true, Running: true, Addrs: []netip.Prefix{p("fe80::1/64"), p("10.99.0.1/24")}}, nil, true, ""},
		{"interface gone", Link{}, errors.New("route ip+net: no such network interface"), false, "eth1 is gone"},
		{"interface down", Link{Running: true, Addrs: []netip.Prefix{p("10.99.0.1/24")}}, nil, false, "eth1 is down"},
		{"cable unplugged", Link{Up: true, Addrs: []netip.Prefix{p("10.99.0.1/24")}}, nil, false, "cable is unplugged"},
		{"address removed", Link{Up: true, Running: true, Addrs: []netip.Prefix{p("fe80::1/64")}}, nil, false, "eth1 lost its address 10.99.0.1"},
		{"address changed", Link{Up: true, Running: true, Addrs: []netip.Prefix{p("10.99.0.7/24")}}, nil, false, "it has 10.99.0.7 now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.Check(tt.link, tt.err)
			if got.Present != tt.present || !strings.Contains(got.Why, tt.why) || tt.present != (got.Why == "") {
				t.Errorf("Check(%+v, %v) = %+v, want present %v and a reason containing %q", tt.link, tt.err, got, tt.present, tt.why)
			}
		})
	}
}
