package director

import (
	"strings"
	"testing"
)

func FuzzParseSyslog(f *testing.F) {
	f.Add([]byte("<190>12: *Mar  1 00:01:02.003: %SMI-6-UPGRD_SUCCESS: Device (IP address: 10.99.0.51) image has upgraded successfully"))
	f.Add([]byte("<189>%DHCP-6-ADDRESS_ASSIGN: Interface Vlan1 assigned DHCP address 10.0.0.50, mask 255.255.255.0, hostname DEV-bf.97c0"))
	f.Add([]byte("%SMI-6-SWITCH_REPLACE: Device 0011.2233.4455 is being replaced by 0011.2233.4466 Device"))
	f.Add([]byte("no message here"))
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := ParseSyslog(p)
		if err != nil {
			return
		}
		if m.Facility == "" || m.Mnemonic == "" || m.Severity < 0 || m.Severity > 7 {
			t.Fatalf("ParseSyslog(%q) = %+v", p, m)
		}
		for _, ip := range m.IPs {
			if !ip.Is4() {
				t.Fatalf("ParseSyslog(%q) IP %s is not IPv4", p, ip)
			}
		}
	})
}

func FuzzParseVendorClass(f *testing.F) {
	one, _ := EncodeVendorClass([]string{"PID:WS-C2960X-24TS-L,VID:V01,SN:FOC1234X0AB"})
	two, _ := EncodeVendorClass([]string{"PID:WS-C3750-24PS-S,VID:V01,SN:A,SW:1", "PID:WS-C3750-24PS-S,VID:V01,SN:B,SW:2"})
	f.Add(one)
	f.Add(two)
	f.Add([]byte{0, 0, 0, 9, 5, 9, 'x'})
	f.Add([]byte{0, 0, 0, 3, 2, 1, 'x'})
	f.Fuzz(func(t *testing.T, p []byte) {
		items, err := ParseVendorClass(p)
		if err != nil {
			return
		}
		enc, err := EncodeVendorClass(items)
		if err != nil {
			return // several blocks may hold more than one block can
		}
		again, err := ParseVendorClass(enc)
		if err != nil || len(again) != len(items) {
			t.Fatalf("re-parsing %x = %q, %v, want %q", enc, again, err, items)
		}
		pid, _, members := MembersFromUDIs(items)
		if len(members) == 1 || (len(members) > 0 && pid == "") {
			t.Fatalf("MembersFromUDIs(%q) = %q, %v", items, pid, members)
		}
	})
}

func FuzzLintScript(f *testing.F) {
	f.Add([]byte("\"system mtu 1600\"\n\"vlan 123\" \"name VLAN\" \"exit\"\n\"sdm prefer default\"\n"))
	f.Add([]byte("'vlan 123' , 'name VLAN' , 'exit'\n>\"vlan 123\" \"name VLAN\" \"exit\"\n"))
	f.Add([]byte("\"vlan 123\" \"name VLAN\r\n'unclosed\n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		lines, probs := LintScript(p)
		n := strings.Count(string(p), "\n") + 1
		for _, pr := range probs {
			if pr.Line < 1 || pr.Line > n || pr.Msg == "" {
				t.Fatalf("LintScript(%q) problem %+v outside lines 1..%d", p, pr, n)
			}
		}
		last := 0
		for _, l := range lines {
			if l.Line <= last || l.Line > n || len(l.Commands) == 0 {
				t.Fatalf("LintScript(%q) preview line %+v after line %d of %d", p, l, last, n)
			}
			last = l.Line
			for _, c := range l.Commands {
				if strings.ContainsAny(c, "\"\n") {
					t.Fatalf("LintScript(%q) command %q holds a quote or a newline", p, c)
				}
			}
		}
	})
}
