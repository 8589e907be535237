package director

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// UDI is a Cisco unique device identifier: PID:<pid>,VID:<vid>,SN:<serial>.
// A stack member adds SW:<number> (fieldcon's convention for the simulated
// client; real stacks report members by CDP and the Smart Install protocol).
type UDI struct {
	PID, VID, SN string
	Member       int
}

// String renders the UDI the way it is sent.
func (u UDI) String() string {
	s := fmt.Sprintf("PID:%s,VID:%s,SN:%s", u.PID, u.VID, u.SN)
	if u.Member > 0 {
		s += fmt.Sprintf(",SW:%d", u.Member)
	}
	return s
}

// ParseUDI reads "PID:…,VID:…,SN:…[,SW:n]" in any order and case of keys.
func ParseUDI(s string) (UDI, error) {
	var u UDI
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "PID":
			u.PID = v
		case "VID":
			u.VID = v
		case "SN":
			u.SN = v
		case "SW":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 9 {
				return UDI{}, fmt.Errorf("udi %q: member %q is not 1-9", s, v)
			}
			u.Member = n
		}
	}
	if u.PID == "" || !printable(u.PID+u.VID+u.SN) || len(u.PID) > 64 {
		return UDI{}, fmt.Errorf("udi %q: no readable PID", s)
	}
	return u, nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// CiscoEnterprise is Cisco's IANA enterprise number in options 124/125.
const CiscoEnterprise = 9

// EncodeVendorClass builds option 124 (RFC 3925 V-I vendor class) for
// enterprise 9 with one data item per string.
func EncodeVendorClass(items []string) ([]byte, error) {
	var data []byte
	for _, it := range items {
		if len(it) > 255 {
			return nil, fmt.Errorf("option 124 item of %d bytes; at most 255 fit", len(it))
		}
		data = append(data, byte(len(it)))
		data = append(data, it...)
	}
	if len(data) > 255 {
		return nil, fmt.Errorf("option 124 data of %d bytes; at most 255 fit", len(data))
	}
	return append([]byte{0, 0, 0, CiscoEnterprise, byte(len(data))}, data...), nil
}

var errVendorClass = errors.New("option 124")

// ParseVendorClass reads option 124 and returns the data items of the
// Cisco (enterprise 9) blocks.
func ParseVendorClass(b []byte) ([]string, error) {
	var out []string
	for len(b) > 0 {
		if len(b) < 5 {
			return nil, fmt.Errorf("%w: %d stray bytes", errVendorClass, len(b))
		}
		ent := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		n := int(b[4])
		if 5+n > len(b) {
			return nil, fmt.Errorf("%w: block says %d bytes, %d follow", errVendorClass, n, len(b)-5)
		}
		data := b[5 : 5+n]
		b = b[5+n:]
		for len(data) > 0 {
			l := int(data[0])
			if 1+l > len(data) {
				return nil, fmt.Errorf("%w: item says %d bytes, %d follow", errVendorClass, l, len(data)-1)
			}
			if ent == CiscoEnterprise {
				out = append(out, string(data[1:1+l]))
			}
			data = data[1+l:]
		}
	}
	return out, nil
}

// MembersFromUDIs turns the UDIs a client sent into its identity: the
// product ID and serial of the switch (or of member 1) and, for two or more
// members, the stack members in member order.
func MembersFromUDIs(items []string) (pid, serial string, members []StackMember) {
	var udis []UDI
	for _, it := range items {
		if u, err := ParseUDI(it); err == nil {
			udis = append(udis, u)
		}
	}
	if len(udis) == 0 {
		return "", "", nil
	}
	pid, serial = udis[0].PID, udis[0].SN
	if len(udis) < 2 {
		return pid, serial, nil
	}
	for i, u := range udis {
		n := u.Member
		if n == 0 {
			n = i + 1
		}
		members = append(members, StackMember{Number: n, PID: u.PID})
		if n == 1 {
			pid, serial = u.PID, u.SN
		}
	}
	return pid, serial, members
}
