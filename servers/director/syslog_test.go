package director

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

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
