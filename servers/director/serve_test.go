//go:build linux

package director_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/servers"
	"fieldcon/servers/dhcp"
	"fieldcon/servers/director"
	"fieldcon/servers/smi"
	"fieldcon/servers/tftp"
)

// waitFor waits until cond holds, woken by every change of the database.
func waitFor(ctx context.Context, t *testing.T, d *director.Director, e *events, what string, cond func() bool) {
	t.Helper()
	for {
		changed := d.DB().Watch()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			for _, x := range e.all() {
				t.Log(x)
			}
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func udpPort(c net.PacketConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

// The whole zero-touch path on loopback: the simulated switch gets its
// lease, image list, image and configuration through the director's DHCP,
// TFTP gate and syslog, then answers an on-demand backup over TCP 4786.
func TestServeZeroTouchOnLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "images"), 0o755)
	os.WriteFile(filepath.Join(root, "images", "img-a.tar"), make([]byte, 200_000), 0o644)
	os.WriteFile(filepath.Join(root, "images", "seed.txt"), []byte("hostname sw1\nend\n"), 0o644)
	p, err := director.Parse("director.yaml", []byte("director: {advertise-director: true}\ndefault: {image: img-a.tar, config: seed.txt}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{ch: make(chan servers.Event, 256)}
	lo := netip.MustParseAddr("127.0.0.1")
	d, err := director.New(director.Config{Profiles: p, Root: root, Address: lo, Hook: ev.hook, Open: true})
	if err != nil {
		t.Fatal(err)
	}
	dconn, tconn, sconn, cconn := listenUDP(t), listenUDP(t), listenUDP(t), listenUDP(t)
	go d.Serve(ctx, director.Sockets{DHCP: dconn, TFTP: tconn, Syslog: sconn}, director.Servers{
		DHCP: dhcp.Config{Interface: "lo", ServerIP: lo, Broadcast: lo, ClientPort: udpPort(cconn),
			Pools: []dhcp.Pool{{Network: netip.MustParsePrefix("127.0.0.0/8"), Start: netip.MustParseAddr("127.0.0.100"), End: netip.MustParseAddr("127.0.0.200")}}},
		TFTP: tftp.Config{},
	})
	sw := &devsim.SMIClient{MAC: net.HardwareAddr{0, 0x11, 0x22, 0x33, 0x44, 0x55}, PID: "WS-C2960X-24TS-L", Serial: "FOC1", Net: devsim.SMINet{
		DHCPConn: cconn, DHCPServer: netip.AddrPortFrom(lo, uint16(udpPort(dconn))),
		TFTPPort: udpPort(tconn), SyslogPort: udpPort(sconn), SMIPort: 0,
	}}
	// Linux routes all of 127.0.0.0/8 to lo, so the switch can use its
	// leased 127.0.0.x address as it is.
	res, err := sw.ZeroTouch(ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() = %v", err)
	}
	if res.Lease.ImageList != "imagelists/default-imagelist.txt" || res.Lease.ConfigFile != "images/seed.txt" || res.Lease.Director != lo || res.Bytes != 200_000+17 {
		t.Fatalf("ZeroTouch() = %+v", res)
	}
	mac := director.MAC("0011.2233.4455")
	waitFor(ctx, t, d, ev, "S A a I C", func() bool {
		c, _ := d.DB().Get(mac)
		return c.Status(time.Now(), d.DB().Keepalive()) == "S A a I C"
	})
	swIP := res.Lease.Addr.Addr()

	// On-demand backup over 4786 to the simulated switch.
	smiLn, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smiPort := smiLn.Addr().(*net.TCPAddr).Port
	smiLn.Close()
	sw.Net.SMIPort = smiPort
	ready := make(chan struct{})
	sw.Net.ListenTCP = func(ctx context.Context, addr string) (net.Listener, error) {
		defer close(ready)
		var lc net.ListenConfig
		return lc.Listen(ctx, "tcp4", addr)
	}
	go sw.Listen(ctx)
	<-ready
	client := smi.NewClient(nil, smi.WithPort(uint16(smiPort)))
	c, _ := d.DB().Get(mac)
	reply, err := client.Probe(ctx, swIP)
	if reply.Result != smi.ProbeClient {
		t.Fatalf("probe = %v, %v", reply.Result, err)
	}
	req := director.Request{Op: director.OpBackup, Target: swIP, Server: lo, File: director.UploadName(c)}
	if _, err := director.Do(ctx, client, req, "sw1", func(q string) bool { return strings.Contains(q, "upload its running configuration") }); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, d, ev, "a backup", func() bool { c, _ := d.DB().Get(mac); return c.Backup.Done })
	b, err := os.ReadFile(filepath.Join(root, "backups", "Switch-0011.2233.4455.REV2"))
	if err != nil || !strings.Contains(string(b), "version 15.2") {
		t.Errorf("REV2 = %q, %v", b, err)
	}
}

// The TFTP root is the workspace, so the request policy is what keeps
// state.db, director.yaml, logs and staged uploads from the switches:
// asked for over the wire, even by a client in the database, they are
// "file not found"; so is an image asked for by an unknown address.
func TestServeNeverServesTheWorkspace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	root := t.TempDir()
	for name, data := range map[string]string{
		"state.db":                        "bolt",
		"director.yaml":                   "default: {image: img-a.tar}\n",
		"logs/tui.log":                    "log",
		"uploads/director/other.1.upload": "someone's config",
		"images/img-a.tar":                "image",
		"backups/sw9-0011.2233.4499.REV2": "hostname sw9\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := director.Parse("director.yaml", []byte("default: {image: img-a.tar}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{ch: make(chan servers.Event, 256)}
	lo := netip.MustParseAddr("127.0.0.1")
	d, err := director.New(director.Config{Profiles: p, Root: root, Address: lo, Hook: ev.hook, Open: true})
	if err != nil {
		t.Fatal(err)
	}
	dconn, tconn := listenUDP(t), listenUDP(t)
	served := make(chan error, 1)
	go func() {
		served <- d.Serve(ctx, director.Sockets{DHCP: dconn, TFTP: tconn}, director.Servers{
			DHCP: dhcp.Config{Interface: "lo", ServerIP: lo, Broadcast: lo,
				Pools: []dhcp.Pool{{Network: netip.MustParsePrefix("127.0.0.0/8"), Start: netip.MustParseAddr("127.0.0.100"), End: netip.MustParseAddr("127.0.0.200")}}},
		})
	}()
	get := func(t *testing.T, from netip.Addr, name string) error {
		t.Helper()
		c, err := net.ListenPacket("udp4", netip.AddrPortFrom(from, 0).String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		tc := &devsim.TFTPClient{Conn: c, Server: netip.AddrPortFrom(lo, uint16(udpPort(tconn))), Retransmit: 200 * time.Millisecond}
		var b strings.Builder
		_, err = tc.Get(ctx, name, &b)
		return err
	}
	// A switch in the database at 127.0.0.1; 127.0.0.2 is nobody.
	if _, err := d.DB().Observe(director.Sighting{MAC: "0011.2233.4455", IP: lo, Source: "dhcp"}); err != nil {
		t.Fatal(err)
	}
	stranger := netip.MustParseAddr("127.0.0.2")
	tests := []struct {
		name string
		from netip.Addr
		ask  string
		ok   bool
	}{
		{"image to a client", lo, "images/img-a.tar", true},
		{"the store", lo, "state.db", false},
		{"the profile file", lo, "director.yaml", false},
		{"a log", lo, "logs/tui.log", false},
		{"a staged upload", lo, "uploads/director/other.1.upload", false},
		{"another client's backup", lo, "backups/sw9-0011.2233.4499.REV2", false},
		{"a way out", lo, "images/../state.db", false},
		{"an image to a stranger", stranger, "images/img-a.tar", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := get(t, tt.from, tt.ask)
			switch {
			case tt.ok && err != nil:
				t.Errorf("Get(%s) from %s = %v, want the file", tt.ask, tt.from, err)
			case !tt.ok && (err == nil || !strings.Contains(err.Error(), "file not found") && !strings.Contains(err.Error(), "not allowed")):
				t.Errorf("Get(%s) from %s = %v, want file not found", tt.ask, tt.from, err)
			}
		})
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve() = %v after cancel, want nil", err)
	}
}
