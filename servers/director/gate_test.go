package director

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

type policyFunc struct {
	read, write func(peer netip.AddrPort, name string) (string, error)
}

func (p policyFunc) Read(peer netip.AddrPort, name string) (string, error) { return p.read(peer, name) }
func (p policyFunc) Write(peer netip.AddrPort, name string) (string, error) {
	return p.write(peer, name)
}

func TestGateConn(t *testing.T) {
	server, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	client, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	log := &eventLog{}
	g := &GateConn{PacketConn: server, Hook: log.hook, Policy: policyFunc{
		read: func(_ netip.AddrPort, name string) (string, error) {
			if name == "secret" {
				return "", &Refusal{Code: tftpErrNotFound, Msg: "file not found", Why: "outside the served folders"}
			}
			return strings.TrimPrefix(name, "/"), nil
		},
		write: func(netip.AddrPort, string) (string, error) { return "", errors.New("not a known client") },
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dl, _ := ctx.Deadline()
	server.SetDeadline(dl)
	client.SetDeadline(dl)
	send := func(p []byte) {
		if _, err := client.WriteTo(p, server.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	send(TFTPRequest{Name: "secret", Mode: "octet"}.Bytes())
	send(TFTPRequest{Write: true, Name: "x", Mode: "octet"}.Bytes())
	send(TFTPRequest{Name: "/images/a.tar", Mode: "octet", Options: []byte("blksize\x001428\x00")}.Bytes())
	send([]byte{0, 4, 0, 1}) // an ACK passes untouched

	buf := make([]byte, 1500)
	n, _, err := g.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseTFTPRequest(buf[:n])
	want := TFTPRequest{Name: "images/a.tar", Mode: "octet", Options: []byte("blksize\x001428\x00")}
	if err != nil || got.Name != want.Name || string(got.Options) != string(want.Options) {
		t.Fatalf("first admitted datagram = %+v, %v, want the renamed request %+v", got, err, want)
	}
	if n, _, err = g.ReadFrom(buf); err != nil || string(buf[:n]) != "\x00\x04\x00\x01" {
		t.Fatalf("second datagram = %q, %v, want the ACK", buf[:n], err)
	}
	// The two refused requests were answered with ERROR packets.
	for _, want := range []string{"\x00\x05\x00\x01file not found\x00", "\x00\x05\x00\x02access violation\x00"} {
		n, _, err := client.ReadFrom(buf)
		if err != nil || string(buf[:n]) != want {
			t.Errorf("client got %q, %v, want %q", buf[:n], err, want)
		}
	}
	if k := log.kinds(); len(k) != 2 || k[0] != "refused" {
		t.Errorf("events = %v, want two refusals", k)
	}
}

func TestParseSyslog(t *testing.T) {
	tests := []struct {
		in                  string
		tag, what, hostname string
		ips                 []string
		macs                []MAC
	}{
		{"<190>12: *Mar  1 00:01:02.003: %SMI-6-UPGRD_SUCCESS: Device (IP address: 10.99.0.51) image has upgraded successfully",
			"SMI-6-UPGRD_SUCCESS", "image", "", []string{"10.99.0.51"}, nil},
		{"%SMI-3-UPGRD_FAILED: Device (IP address: 10.0.0.9) config upgrade failed", "SMI-3-UPGRD_FAILED", "config", "", []string{"10.0.0.9"}, nil},
		{"<189>sw1: %DHCP-6-ADDRESS_ASSIGN: Interface Vlan1 assigned DHCP address 10.0.0.50, mask 255.255.255.0, hostname DEV-bf.97c0",
			"DHCP-6-ADDRESS_ASSIGN", "", "DEV-bf.97c0", []string{"10.0.0.50", "255.255.255.0"}, nil},
		{"%SMI-6-SWITCH_REPLACE: Device 0011.2233.4455 is being replaced by 0011.2233.4466 Device", "SMI-6-SWITCH_REPLACE", "", "", nil, []MAC{"0011.2233.4455", "0011.2233.4466"}},
	}
	for _, tt := range tests {
		m, err := ParseSyslog([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseSyslog(%q) = %v", tt.in, err)
			continue
		}
		var ips []string
		for _, ip := range m.IPs {
			ips = append(ips, ip.String())
		}
		if m.Tag() != tt.tag || m.What != tt.what || m.Hostname != tt.hostname || strings.Join(ips, ",") != strings.Join(tt.ips, ",") || len(m.MACs) != len(tt.macs) {
			t.Errorf("ParseSyslog(%q) = %+v", tt.in, m)
		}
	}
	if _, err := ParseSyslog([]byte("just text")); err == nil {
		t.Error("ParseSyslog(text without a message) = nil error")
	}
}

func TestServeSyslog(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan SyslogMessage, 1)
	done := make(chan error, 1)
	go func() {
		done <- ServeSyslog(ctx, conn, func(_ netip.Addr, m SyslogMessage) { got <- m })
	}()
	c, err := net.Dial("udp4", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("noise"))
	c.Write([]byte("<190>%SMI-6-AUTOINSTALL: continued AUTOINSTALL"))
	select {
	case m := <-got:
		if m.Tag() != "SMI-6-AUTOINSTALL" || m.Text != "continued AUTOINSTALL" {
			t.Errorf("got %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("no message delivered")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeSyslog() = %v after cancel, want nil", err)
	}
}
