package dhcp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers"
)

// exchange sends p to dst from c and returns the first reply for its xid.
func exchange(t *testing.T, c net.PacketConn, dst net.Addr, p *dhcpv4.DHCPv4) *dhcpv4.DHCPv4 {
	t.Helper()
	if _, err := c.WriteTo(p.ToBytes(), dst); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second)) // hang guard
	buf := make([]byte, 1500)
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("waiting for the reply to %s: %v", p.MessageType(), err)
		}
		r, err := dhcpv4.FromBytes(buf[:n])
		if err == nil && r.TransactionID == p.TransactionID {
			return r
		}
	}
}

func TestServeOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := Listen(ctx, "", "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Broadcast = netip.MustParseAddr("127.0.0.1")
	cfg.ClientPort = client.LocalAddr().(*net.UDPAddr).Port
	ev := &recorder{}
	srv, err := New(cfg, WithHook(ev.hook()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()

	offer := exchange(t, client, conn.LocalAddr(), discover(t, mac(1), ciscoPRL()))
	if offer.MessageType() != dhcpv4.MessageTypeOffer {
		t.Fatalf("reply to DISCOVER = %s, want OFFER", offer.MessageType())
	}
	req, _ := dhcpv4.NewRequestFromOffer(offer)
	ack := exchange(t, client, conn.LocalAddr(), req)
	if ack.MessageType() != dhcpv4.MessageTypeAck || !ack.YourIPAddr.Equal(offer.YourIPAddr) {
		t.Fatalf("reply to REQUEST = %s %v, want ACK %v", ack.MessageType(), ack.YourIPAddr, offer.YourIPAddr)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve() after cancel = %v, want nil", err)
	}
	if len(ev.kinds(servers.Started)) != 1 || len(ev.kinds(servers.Stopped)) != 1 {
		t.Errorf("started/stopped events = %d/%d, want 1/1", len(ev.kinds(servers.Started)), len(ev.kinds(servers.Stopped)))
	}
	if _, err := conn.WriteTo([]byte{0}, client.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("server socket after Serve returned: write error %v, want closed", err)
	}
}

// countingConn records writes.
type countingConn struct {
	net.PacketConn
	mu     sync.Mutex
	writes int
}

func (c *countingConn) WriteTo(b []byte, a net.Addr) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return len(b), nil
}

func TestNoReplyAfterStop(t *testing.T) {
	f := newFixture(t, testConfig())
	c := &countingConn{}
	f.srv.serveOne(c, discover(t, mac(1)))
	if c.writes != 1 {
		t.Fatalf("writes while serving = %d, want 1", c.writes)
	}
	f.srv.stopped.Store(true)
	f.srv.serveOne(c, discover(t, mac(2)))
	if c.writes != 1 {
		t.Errorf("writes after stop = %d, want still 1", c.writes)
	}
}

func TestProbeNamesTheOtherServer(t *testing.T) {
	ctx := context.Background()
	other, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	go func() {
		buf := make([]byte, 1500)
		n, from, err := other.ReadFrom(buf)
		if err != nil {
			return
		}
		d, err := dhcpv4.FromBytes(buf[:n])
		if err != nil {
			return
		}
		stray, _ := dhcpv4.NewReplyFromRequest(d, dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer))
		stray.TransactionID[0]++
		other.WriteTo(stray.ToBytes(), from)
		offer, _ := dhcpv4.NewReplyFromRequest(d, dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer),
			dhcpv4.WithYourIP(ip("192.168.1.57")), dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
			dhcpv4.WithRouter(ip("192.168.1.1")), dhcpv4.WithServerIP(ip("192.168.1.1")),
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip("192.168.1.1"))))
		other.WriteTo(offer.ToBytes(), from)
	}()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	found, err := Probe(ctx, conn, other.LocalAddr(), mac(1), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("Probe() found %v, want one server", found)
	}
	want := "server 192.168.1.1 (answering from 127.0.0.1) offered 192.168.1.57 in 192.168.1.0/24 with router 192.168.1.1"
	if got := found[0].String(); got != want {
		t.Errorf("Probe()[0] = %q, want %q", got, want)
	}
	e := &ForeignServerError{Interface: "eth1", Servers: found}
	if !errors.Is(e, ErrForeignServer) {
		t.Errorf("ForeignServerError does not unwrap to ErrForeignServer")
	}
}

func TestProbeOnAQuietNetwork(t *testing.T) {
	sink, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	defer sink.Close()
	conn, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	defer conn.Close()
	found, err := Probe(context.Background(), conn, sink.LocalAddr(), mac(1), 200*time.Millisecond)
	if err != nil || len(found) != 0 {
		t.Errorf("Probe() = %v, %v, want nothing found", found, err)
	}
}
