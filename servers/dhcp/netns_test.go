//go:build linux

package dhcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"fieldcon/internal/netnstest"
	"fieldcon/servers"
)

// segment is two network namespaces joined by a veth pair: the server side
// has 10.88.0.1/24, the client side no address.
type segment struct {
	serverNS, clientNS       string
	serverIface, clientIface string
	// server and client open sockets inside the namespaces.
	server, client *netnstest.Thread
}

// Namespace names are fcdhcp-ROLE-PID-N, so concurrent test binaries never
// share one and netnstest.SweepStale finds those of killed runs.
const netnsPrefix = "fcdhcp-"

var segmentSeq atomic.Int32

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces (run the tests as root, as CI does)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip) to create network namespaces")
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func newSegment(t *testing.T) *segment {
	t.Helper()
	requireRoot(t)
	netnstest.SweepStale(netnsPrefix)
	pid, n := os.Getpid(), segmentSeq.Add(1)
	s := &segment{
		serverNS: fmt.Sprintf("%ss-%d-%d", netnsPrefix, pid, n), clientNS: fmt.Sprintf("%sc-%d-%d", netnsPrefix, pid, n),
		// The dash keeps pid 1234 run 51 apart from pid 12345 run 1.
		serverIface: fmt.Sprintf("fcds%d-%d", pid%100000, n), clientIface: fmt.Sprintf("fcdc%d-%d", pid%100000, n),
	}
	if len(s.serverIface) > 15 {
		t.Fatalf("interface name %s too long", s.serverIface)
	}
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", s.serverNS).Run()
		exec.Command("ip", "netns", "del", s.clientNS).Run()
	})
	run(t, "ip", "netns", "add", s.serverNS)
	run(t, "ip", "netns", "add", s.clientNS)
	run(t, "ip", "link", "add", s.serverIface, "netns", s.serverNS, "type", "veth", "peer", "name", s.clientIface, "netns", s.clientNS)
	run(t, "ip", "-n", s.serverNS, "addr", "add", "10.88.0.1/24", "dev", s.serverIface)
	for _, ns := range [][2]string{{s.serverNS, s.serverIface}, {s.clientNS, s.clientIface}} {
		run(t, "ip", "-n", ns[0], "link", "set", ns[1], "up")
		run(t, "ip", "-n", ns[0], "link", "set", "lo", "up")
	}
	s.server = netnstest.Enter(t, s.serverNS)
	s.client = netnstest.Enter(t, s.clientNS)
	return s
}

// startServer serves cfg on the server side and returns a stop function
// that waits for Serve to return.
func (s *segment) startServer(t *testing.T, cfg Config, opts ...Option) (stop func()) {
	t.Helper()
	cfg.Interface = s.serverIface
	srv, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var conn net.PacketConn
	err = s.server.Run(func() (err error) {
		conn, err = Listen(context.Background(), s.serverIface, "", ServerPort)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve() = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func nclient(t *testing.T, s *segment, hw net.HardwareAddr) *nclient4.Client {
	t.Helper()
	var c *nclient4.Client
	err := s.client.Run(func() (err error) {
		opts := []nclient4.ClientOpt{nclient4.WithTimeout(2 * time.Second), nclient4.WithRetry(5)}
		if hw != nil {
			opts = append(opts, nclient4.WithHWAddr(hw))
		}
		c, err = nclient4.New(s.clientIface, opts...)
		return err
	})
	if err != nil {
		t.Fatalf("nclient4.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ciscoServerConfig() Config {
	cfg := testConfig()
	cfg.Pools[0].Start = netip.MustParseAddr("10.88.0.100")
	cfg.Pools[0].End = netip.MustParseAddr("10.88.0.199")
	return cfg
}

const wantVI = "00000009150505" // enterprise 9, 21 bytes, sub-option 5 ...

func viHex() string {
	b, _ := EncodeVendorInfo([]VendorInfo{CiscoSmartInstall("imagelist.txt", serverIP)})
	return fmt.Sprintf("%x", b)
}

func TestRealClientsReadCiscoOptions(t *testing.T) {
	s := newSegment(t)
	s.startServer(t, ciscoServerConfig())
	dir := t.TempDir()

	t.Run("nclient4", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := nclient(t, s, mac(0x41))
		lease, err := c.Request(ctx, dhcpv4.WithRequestedOptions(dhcpv4.OptionTFTPServerName, dhcpv4.OptionBootfileName,
			dhcpv4.OptionTFTPServerAddress, dhcpv4.OptionVendorIdentifyingVendorSpecific))
		if err != nil {
			t.Fatalf("Request() = %v", err)
		}
		ack := lease.ACK
		if got := ack.TFTPServerName(); got != "10.88.0.1" {
			t.Errorf("option 66 = %q, want 10.88.0.1", got)
		}
		if got := ack.BootFileNameOption(); got != "network-confg" {
			t.Errorf("option 67 = %q, want network-confg", got)
		}
		if got := fmt.Sprintf("%x", ack.Options.Get(dhcpv4.OptionTFTPServerAddress)); got != "0a5800010a580002" {
			t.Errorf("option 150 = %s, want 0a5800010a580002", got)
		}
		if got := fmt.Sprintf("%x", ack.Options.Get(dhcpv4.OptionVendorIdentifyingVendorSpecific)); got != viHex() {
			t.Errorf("option 125 = %s, want %s", got, viHex())
		}
	})

	t.Run("busybox udhcpc", func(t *testing.T) {
		if _, err := exec.LookPath("busybox"); err != nil {
			t.Skip("busybox is not installed (scripts/install-test-deps.sh installs it)")
		}
		out := filepath.Join(dir, "udhcpc.env")
		script := filepath.Join(dir, "udhcpc.sh")
		os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = bound ] && env > "+out+"\nexit 0\n"), 0o755)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", s.clientNS, "busybox", "udhcpc", "-i", s.clientIface,
			"-n", "-q", "-f", "-s", script, "-t", "5", "-T", "2", "-O", "tftp", "-O", "bootfile", "-O", "150", "-O", "125")
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("udhcpc: %v\n%s", err, o)
		}
		env := readEnv(t, out)
		want := map[string]string{"tftp": "10.88.0.1", "boot_file": "network-confg", "opt150": "0a5800010a580002", "opt125": viHex(), "siaddr": "10.88.0.1"}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("udhcpc %s = %q, want %q", k, env[k], v)
			}
		}
		if !strings.HasPrefix(env["ip"], "10.88.0.") {
			t.Errorf("udhcpc ip = %q, want an address of 10.88.0.0/24", env["ip"])
		}
	})

	t.Run("dhclient", func(t *testing.T) {
		if _, err := exec.LookPath("dhclient"); err != nil {
			t.Skip("dhclient is not installed (scripts/install-test-deps.sh installs it)")
		}
		conf := filepath.Join(dir, "dhclient.conf")
		leases := filepath.Join(dir, "dhclient.leases")
		pid := filepath.Join(dir, "dhclient.pid")
		os.WriteFile(conf, []byte(`option tftp-servers code 150 = array of ip-address;
timeout 30;
request subnet-mask, routers, tftp-server-name, bootfile-name, tftp-servers, vivso;
`), 0o644)
		t.Cleanup(func() {
			if b, err := os.ReadFile(pid); err == nil {
				if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					unix.Kill(p, unix.SIGTERM)
				}
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		// -1: try once and exit non-zero on failure; on success dhclient
		// forks to the background (stopped by the cleanup above) and the
		// foreground process exits 0 with the lease file written.
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", s.clientNS, "dhclient", "-4", "-1", "-v",
			"-cf", conf, "-lf", leases, "-pf", pid, "-sf", "/bin/true", s.clientIface)
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dhclient: %v\n%s", err, o)
		}
		b, err := os.ReadFile(leases)
		if err != nil {
			t.Fatal(err)
		}
		lease := string(b)
		for _, want := range []string{
			"fixed-address 10.88.0.",
			`option tftp-server-name "10.88.0.1";`,
			`option bootfile-name "network-confg";`,
			"option tftp-servers 10.88.0.1,10.88.0.2;",
			"option vivso " + colonHex(viHex()) + ";",
		} {
			if !strings.Contains(lease, want) {
				t.Errorf("dhclient lease file lacks %q:\n%s", want, lease)
			}
		}
	})
}

// colonHex renders hex the way dhclient writes unknown binary options:
// bytes without leading zeros, separated by colons.
func colonHex(h string) string {
	var parts []string
	for i := 0; i+1 < len(h); i += 2 {
		v, _ := strconv.ParseUint(h[i:i+2], 16, 8)
		parts = append(parts, strconv.FormatUint(v, 16))
	}
	return strings.Join(parts, ":")
}

func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("client script did not run: %v", err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env
}

func TestRestartKeepsTheAddress(t *testing.T) {
	s := newSegment(t)
	path := filepath.Join(t.TempDir(), "state.db")
	open := func() (*bolt.DB, Store) {
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := NewBoltStore(db)
		if err != nil {
			t.Fatal(err)
		}
		return db, st
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	get := func(hw net.HardwareAddr) net.IP {
		t.Helper()
		lease, err := nclient(t, s, hw).Request(ctx)
		if err != nil {
			t.Fatalf("Request(%s) = %v", hw, err)
		}
		return lease.ACK.YourIPAddr
	}
	db, st := open()
	stop := s.startServer(t, ciscoServerConfig(), WithStore(st))
	first := get(mac(0x51))
	stop()
	db.Close()

	db, st = open()
	defer db.Close()
	s.startServer(t, ciscoServerConfig(), WithStore(st))
	if other := get(mac(0x52)); other.Equal(first) {
		t.Fatalf("after restart a new client got %v, which belongs to %s", other, mac(0x51))
	}
	if again := get(mac(0x51)); !again.Equal(first) {
		t.Errorf("after restart %s got %v, want %v", mac(0x51), again, first)
	}
}

// startDnsmasq runs dnsmasq as a second DHCP server on the client side
// (10.88.0.2, range .50-.60) and returns once it is serving.
func startDnsmasq(t *testing.T, s *segment) {
	t.Helper()
	if _, err := exec.LookPath("dnsmasq"); err != nil {
		t.Skip("dnsmasq is not installed (scripts/install-test-deps.sh installs it)")
	}
	run(t, "ip", "-n", s.clientNS, "addr", "add", "10.88.0.2/24", "dev", s.clientIface)
	dir := t.TempDir()
	cmd := exec.Command("ip", "netns", "exec", s.clientNS, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
		"--interface="+s.clientIface, "--bind-interfaces", "--dhcp-range=10.88.0.50,10.88.0.60,255.255.255.0,1h",
		"--dhcp-leasefile="+filepath.Join(dir, "leases"), "--pid-file="+filepath.Join(dir, "pid"), "--log-facility=-", "--log-dhcp")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		var seen bytes.Buffer
		for {
			n, err := stderr.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(seen.String(), "DHCP, IP range") {
				ready <- nil
				io_discard(stderr)
				return
			}
			if err != nil {
				ready <- fmt.Errorf("dnsmasq ended: %v\n%s", err, seen.String())
				return
			}
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // hang guard
		t.Fatal("dnsmasq did not start")
	}
}

func io_discard(r interface{ Read([]byte) (int, error) }) {
	buf := make([]byte, 4096)
	for {
		if _, err := r.Read(buf); err != nil {
			return
		}
	}
}

func TestServeRefusesNextToAnotherServer(t *testing.T) {
	s := newSegment(t)
	startDnsmasq(t, s)
	var err error
	s.server.Run(func() error {
		// The default 5 s: dnsmasq pings an address for up to 3 s before
		// offering it.
		err = Preflight{Interface: s.serverIface}.Check(context.Background())
		return nil
	})
	var fe *ForeignServerError
	if !errors.As(err, &fe) {
		t.Fatalf("Preflight.Check() = %v, want a ForeignServerError", err)
	}
	f := fe.Servers[0]
	if f.ServerID != netip.MustParseAddr("10.88.0.2") || !netip.MustParsePrefix("10.88.0.48/28").Contains(f.Offered) {
		t.Errorf("found %v, want dnsmasq at 10.88.0.2 offering from 10.88.0.50-60", f)
	}
	if !strings.Contains(err.Error(), "10.88.0.2") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("error %q does not name the server and the way out", err)
	}
	s.server.Run(func() error {
		err = Preflight{Interface: s.serverIface, ProbeTimeout: time.Second, Force: true}.Check(context.Background())
		return nil
	})
	if err != nil {
		t.Errorf("Preflight.Check() with Force = %v, want nil", err)
	}

	// While serving, offers of the other server are reported.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hook, events, _ := servers.Channel(16)
	var mon net.PacketConn
	if err := s.server.Run(func() (err error) {
		mon, err = Listen(ctx, s.serverIface, "", ClientPort)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	go Monitor(ctx, mon, serverIP, hook)
	// A client on the segment asks (sent from the server side, since
	// dnsmasq does not hear frames its own namespace sends).
	var asker net.PacketConn
	if err := s.server.Run(func() (err error) {
		asker, err = Listen(ctx, s.serverIface, "", 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer asker.Close()
	d := discover(t, mac(0x61), dhcpv4.WithBroadcast(true))
	if _, err := asker.WriteTo(d.ToBytes(), &net.UDPAddr{IP: net.IPv4bcast, Port: ServerPort}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Kind != KindForeignServer || e.Subject != "10.88.0.2" {
			t.Errorf("Monitor event = %v, want foreign-server 10.88.0.2", e)
		}
	case <-time.After(30 * time.Second): // hang guard
		t.Error("Monitor reported nothing while dnsmasq answered a DISCOVER")
	}
}

func TestRefusesTheDefaultRouteInterface(t *testing.T) {
	s := newSegment(t)
	run(t, "ip", "-n", s.serverNS, "route", "add", "default", "via", "10.88.0.254", "dev", s.serverIface)
	var err error
	s.server.Run(func() error {
		err = Preflight{Interface: s.serverIface, ProbeTimeout: 200 * time.Millisecond}.Check(context.Background())
		return nil
	})
	if !errors.Is(err, ErrDefaultRoute) {
		t.Errorf("Preflight.Check() on the default-route interface = %v, want ErrDefaultRoute", err)
	}
}

func TestMalformedPacketsWhileClientsGetLeases(t *testing.T) {
	s := newSegment(t)
	s.startServer(t, ciscoServerConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	var junk net.PacketConn
	if err := s.client.Run(func() (err error) {
		junk, err = Listen(ctx, s.clientIface, "", 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	seeds := seedPackets(t)
	dst := &net.UDPAddr{IP: net.IPv4bcast, Port: ServerPort}
	rng := rand.New(rand.NewPCG(1, 2))
	// 2000 malformed packets, one every 500 µs, overlapping the clients.
	const junkPackets = 2000
	var junkDone sync.WaitGroup
	junkDone.Add(1)
	go func() {
		defer junkDone.Done()
		pace := time.NewTicker(500 * time.Microsecond)
		defer pace.Stop()
		for range junkPackets {
			<-pace.C
			var p []byte
			switch rng.IntN(4) {
			case 0: // random bytes
				p = make([]byte, rng.IntN(600))
				for i := range p {
					p[i] = byte(rng.Uint32())
				}
			case 1: // truncated request
				s := seeds[rng.IntN(len(seeds))]
				p = s[:rng.IntN(len(s)+1)]
			default: // valid request with bytes flipped
				s := seeds[rng.IntN(len(seeds))]
				p = append([]byte(nil), s...)
				for range 1 + rng.IntN(8) {
					if len(p) > 0 {
						p[rng.IntN(len(p))] = byte(rng.Uint32())
					}
				}
			}
			if _, err := junk.WriteTo(p, dst); err != nil {
				t.Errorf("sending junk: %v", err)
				return
			}
		}
	}()

	const clients = 8
	got := make([]net.IP, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		c := nclient(t, s, mac(0x70+i))
		go func() {
			defer wg.Done()
			lease, err := c.Request(ctx)
			if err != nil {
				t.Errorf("client %d: Request() = %v", i, err)
				return
			}
			got[i] = lease.ACK.YourIPAddr
		}()
	}
	wg.Wait()
	junkDone.Wait()
	seen := map[string]bool{}
	for i, a := range got {
		if a == nil {
			continue
		}
		if seen[a.String()] {
			t.Errorf("client %d got %v twice", i, a)
		}
		seen[a.String()] = true
	}
	// The server still serves after the storm.
	if _, err := nclient(t, s, mac(0x7f)).Request(ctx); err != nil {
		t.Errorf("Request() after %d malformed packets = %v", junkPackets, err)
	}
}
