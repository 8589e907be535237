package director

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrMAC means a MAC address cannot be read.
var ErrMAC = errors.New("not a MAC address")

// MAC is a hardware address in Cisco's dotted lower-case form,
// "0011.2233.4455", the way `show vstack status` prints it. The zero value
// is "no MAC".
type MAC string

// ParseMAC accepts the forms the guide's examples mix: 0023.34ca.c180,
// 00:1B:54:44:C6:00, 00-1b-54-44-c6-00 and 001b5444c600, in any case.
func ParseMAC(s string) (MAC, error) {
	var hex []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			hex = append(hex, c)
		case c >= 'A' && c <= 'F':
			hex = append(hex, c+'a'-'A')
		case c == '.' || c == ':' || c == '-':
		default:
			return "", fmt.Errorf("%w: %q has %q; write it as 0011.2233.4455 or 00:11:22:33:44:55", ErrMAC, s, c)
		}
	}
	if len(hex) != 12 {
		return "", fmt.Errorf("%w: %q has %d hex digits, a MAC has 12", ErrMAC, s, len(hex))
	}
	return MAC(string(hex[0:4]) + "." + string(hex[4:8]) + "." + string(hex[8:12])), nil
}

// MACFrom converts a hardware address from a packet.
func MACFrom(hw net.HardwareAddr) MAC {
	if len(hw) != 6 {
		return ""
	}
	m, _ := ParseMAC(hw.String())
	return m
}

// HardwareAddr returns the address as bytes.
func (m MAC) HardwareAddr() net.HardwareAddr {
	hw, err := net.ParseMAC(string(m))
	if err != nil {
		return nil
	}
	return hw
}

func (m MAC) String() string { return string(m) }

// interfacePrefixes expands the abbreviations IOS prints (`Gig 1/0/19`,
// `Fas 0/7`, `Gi1/0/3`) to the full names `match host … interface` wants.
// Longer names come first so that "Te" does not eat "TenGigabitEthernet".
var interfacePrefixes = []struct{ short, full string }{
	{"hundredgigabitethernet", "HundredGigE"},
	{"hundredgige", "HundredGigE"},
	{"fortygigabitethernet", "FortyGigabitEthernet"},
	{"twentyfivegige", "TwentyFiveGigE"},
	{"tengigabitethernet", "TenGigabitEthernet"},
	{"fivegigabitethernet", "FiveGigabitEthernet"},
	{"twogigabitethernet", "TwoGigabitEthernet"},
	{"gigabitethernet", "GigabitEthernet"},
	{"fastethernet", "FastEthernet"},
	{"ethernet", "Ethernet"},
	{"port-channel", "Port-channel"},
	{"tengig", "TenGigabitEthernet"},
	{"twe", "TwentyFiveGigE"},
	{"gig", "GigabitEthernet"},
	{"fas", "FastEthernet"},
	{"ten", "TenGigabitEthernet"},
	{"fo", "FortyGigabitEthernet"},
	{"hu", "HundredGigE"},
	{"te", "TenGigabitEthernet"},
	{"tw", "TwoGigabitEthernet"},
	{"gi", "GigabitEthernet"},
	{"fa", "FastEthernet"},
	{"po", "Port-channel"},
	{"eth", "Ethernet"},
	{"et", "Ethernet"},
	{"e", "Ethernet"},
	{"g", "GigabitEthernet"},
	{"f", "FastEthernet"},
}

// NormalizeInterface returns the full IOS interface name without spaces:
// "Gi1/0/3", "GigabitEthernet 1/0/3" and "gigabitethernet1/0/3" all give
// "GigabitEthernet1/0/3". A name it does not know is returned with its
// spaces removed, so that two spellings of it still compare equal.
func NormalizeInterface(s string) string {
	s = strings.Join(strings.Fields(s), "")
	i := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if i <= 0 {
		return s
	}
	word, rest := strings.ToLower(s[:i]), s[i:]
	for _, p := range interfacePrefixes {
		if word == p.short {
			return p.full + rest
		}
	}
	return s
}
