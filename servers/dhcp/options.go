package dhcp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ErrOption is wrapped by every option encoding or decoding error.
var ErrOption = errors.New("dhcp option")

// Option codes the server knows by name.
const (
	OptSubnetMask     = 1
	OptRouter         = 3
	OptDNS            = 6
	OptHostname       = 12
	OptDomain         = 15
	OptVendorSpecific = 43
	OptRequestedIP    = 50
	OptLeaseTime      = 51
	OptMessageType    = 53
	OptServerID       = 54
	OptParamRequest   = 55
	OptMaxMessageSize = 57
	OptRenewalTime    = 58
	OptRebindingTime  = 59
	OptVendorClass    = 60
	OptClientID       = 61
	OptTFTPServerName = 66
	OptBootFile       = 67
	OptVIVendorInfo   = 125
	OptTFTPServers    = 150
)

// Cisco values inside option 125.
const (
	CiscoEnterprise  = 9  // IANA enterprise number of Cisco Systems
	CiscoImageList   = 5  // sub-option: name of the Smart Install image list file
	CiscoDirectorIP  = 16 // sub-option: Smart Install director address
	wlcControllerTag = 0xf1
)

// VendorInfo is one enterprise's block of option 125 (RFC 3925 section 4):
//
//	+----------------+--------+----------------------------+
//	| enterprise (4) | len(1) | sub-options: code len data  |
//	+----------------+--------+----------------------------+
//
// len counts the sub-option bytes that follow it, so one enterprise carries
// at most 255 bytes of sub-options.
type VendorInfo struct {
	Enterprise uint32
	SubOptions []SubOption
}

// SubOption is one code/length/value entry inside a VendorInfo block.
type SubOption struct {
	Code uint8
	Data []byte
}

// CiscoSmartInstall is the option 125 block a Smart Install client reads:
// enterprise 9, sub-option 5 with the image list file name and, when director
// is valid, sub-option 16 with the director's address as 4 bytes.
func CiscoSmartInstall(imageList string, director netip.Addr) VendorInfo {
	v := VendorInfo{Enterprise: CiscoEnterprise}
	if imageList != "" {
		v.SubOptions = append(v.SubOptions, SubOption{Code: CiscoImageList, Data: []byte(imageList)})
	}
	if director.Is4() {
		a := director.As4()
		v.SubOptions = append(v.SubOptions, SubOption{Code: CiscoDirectorIP, Data: a[:]})
	}
	return v
}

// EncodeVendorInfo encodes option 125's value. Each length byte is computed
// from what follows it; anything that does not fit a length byte is an error,
// never a truncated or guessed length. A value longer than 255 bytes is split
// into several option 125 instances when the packet is written (RFC 3396).
func EncodeVendorInfo(blocks []VendorInfo) ([]byte, error) {
	var out []byte
	for _, b := range blocks {
		var data []byte
		for _, s := range b.SubOptions {
			if len(s.Data) > 255 {
				return nil, fmt.Errorf("%w 125: enterprise %d sub-option %d is %d bytes, at most 255 fit", ErrOption, b.Enterprise, s.Code, len(s.Data))
			}
			data = append(data, s.Code, byte(len(s.Data)))
			data = append(data, s.Data...)
		}
		if len(data) > 255 {
			return nil, fmt.Errorf("%w 125: enterprise %d carries %d bytes of sub-options, at most 255 fit", ErrOption, b.Enterprise, len(data))
		}
		out = append(out, byte(b.Enterprise>>24), byte(b.Enterprise>>16), byte(b.Enterprise>>8), byte(b.Enterprise), byte(len(data)))
		out = append(out, data...)
	}
	return out, nil
}

// DecodeVendorInfo decodes option 125's value (after RFC 3396
// concatenation). It rejects any length that runs past its container.
func DecodeVendorInfo(b []byte) ([]VendorInfo, error) {
	var out []VendorInfo
	for len(b) > 0 {
		if len(b) < 5 {
			return nil, fmt.Errorf("%w 125: %d stray bytes after the last enterprise block", ErrOption, len(b))
		}
		v := VendorInfo{Enterprise: uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])}
		n := int(b[4])
		b = b[5:]
		if n > len(b) {
			return nil, fmt.Errorf("%w 125: enterprise %d says %d bytes, only %d follow", ErrOption, v.Enterprise, n, len(b))
		}
		data := b[:n]
		b = b[n:]
		for len(data) > 0 {
			if len(data) < 2 {
				return nil, fmt.Errorf("%w 125: enterprise %d ends inside a sub-option header", ErrOption, v.Enterprise)
			}
			code, l := data[0], int(data[1])
			if 2+l > len(data) {
				return nil, fmt.Errorf("%w 125: enterprise %d sub-option %d says %d bytes, only %d follow", ErrOption, v.Enterprise, code, l, len(data)-2)
			}
			v.SubOptions = append(v.SubOptions, SubOption{Code: code, Data: append([]byte(nil), data[2:2+l]...)})
			data = data[2+l:]
		}
		out = append(out, v)
	}
	return out, nil
}

// EncodeIPs encodes a list of IPv4 addresses the way options 3, 6 and 150
// carry them: 4 bytes each, nothing else.
func EncodeIPs(addrs []netip.Addr) []byte {
	out := make([]byte, 0, 4*len(addrs))
	for _, a := range addrs {
		b := a.As4()
		out = append(out, b[:]...)
	}
	return out
}

// DecodeIPs decodes an address-list option.
func DecodeIPs(b []byte) ([]netip.Addr, error) {
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, fmt.Errorf("%w: an address list is a multiple of 4 bytes, got %d", ErrOption, len(b))
	}
	out := make([]netip.Addr, 0, len(b)/4)
	for i := 0; i < len(b); i += 4 {
		out = append(out, netip.AddrFrom4([4]byte(b[i:i+4])))
	}
	return out, nil
}

// PnPVendorSpecific is option 43 in the Cisco Plug and Play string form,
// "5A1N;B2;K4;I<host>;J<port>": the device contacts the PnP server at host
// over HTTP (transport K4) on port.
func PnPVendorSpecific(host string, port int) []byte {
	return []byte(fmt.Sprintf("5A1N;B2;K4;I%s;J%d", host, port))
}

// ParsePnPVendorSpecific reads back the server host and port of a PnP
// option 43 string.
func ParsePnPVendorSpecific(b []byte) (host string, port int, err error) {
	s := string(b)
	if !strings.HasPrefix(s, "5A") {
		return "", 0, fmt.Errorf("%w 43: %q is not a Cisco PnP string (it starts with 5A)", ErrOption, s)
	}
	port = 80
	for _, f := range strings.Split(s, ";") {
		if f == "" {
			continue
		}
		switch f[0] {
		case 'I':
			host = f[1:]
		case 'J':
			p, perr := strconv.Atoi(f[1:])
			if perr != nil || p <= 0 || p > 65535 {
				return "", 0, fmt.Errorf("%w 43: bad PnP port %q", ErrOption, f[1:])
			}
			port = p
		}
	}
	if host == "" {
		return "", 0, fmt.Errorf("%w 43: PnP string %q names no server (I field)", ErrOption, s)
	}
	return host, port, nil
}

// WLCVendorSpecific is option 43 as lightweight access points read it: type
// 0xf1, then the controllers' addresses.
func WLCVendorSpecific(controllers []netip.Addr) []byte {
	ips := EncodeIPs(controllers)
	return append([]byte{wlcControllerTag, byte(len(ips))}, ips...)
}

// HostnameFor builds a Smart Install style name from a prefix and the
// client's MAC: prefix "sw" and MAC …:bf:97:c0 give "sw-bf.97c0".
func HostnameFor(prefix string, mac net.HardwareAddr) string {
	if len(mac) < 3 {
		return prefix
	}
	t := mac[len(mac)-3:]
	return fmt.Sprintf("%s-%02x.%02x%02x", prefix, t[0], t[1], t[2])
}

// ParseRawOption reads "N=HEX" (the --option flag): an option code from 1 to
// 254 and its value in hex, with optional ':', '-', '.' or space separators.
func ParseRawOption(s string) (code uint8, value []byte, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return 0, nil, fmt.Errorf("%w: %q is not CODE=HEX (for example 150=0a580001)", ErrOption, s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(k))
	if err != nil || n < 1 || n > 254 {
		return 0, nil, fmt.Errorf("%w: option code %q must be a number from 1 to 254", ErrOption, k)
	}
	clean := strings.NewReplacer(":", "", "-", "", ".", "", " ", "").Replace(strings.TrimPrefix(strings.TrimSpace(v), "0x"))
	value, err = hex.DecodeString(clean)
	if err != nil {
		return 0, nil, fmt.Errorf("%w %d: value %q is not hex", ErrOption, n, v)
	}
	if len(value) > 255 && n != OptVIVendorInfo {
		// Longer values are legal (RFC 3396) but almost always a typo.
		return 0, nil, fmt.Errorf("%w %d: %d bytes is more than one option holds (255)", ErrOption, n, len(value))
	}
	return uint8(n), value, nil
}

// clientIDString renders option 61 for people: IOS sends a type byte 0
// followed by text ("cisco-0011.2233.4455-Vl1"), most others type 1 and the
// MAC.
func clientIDString(cid []byte) string {
	if len(cid) == 0 {
		return ""
	}
	if cid[0] == 1 && len(cid) == 7 {
		return "01:" + net.HardwareAddr(cid[1:]).String()
	}
	body := cid
	if cid[0] == 0 {
		body = cid[1:]
	}
	printable := len(body) > 0
	for _, c := range body {
		if c < 0x20 || c > 0x7e {
			printable = false
			break
		}
	}
	if printable {
		return string(body)
	}
	return hex.EncodeToString(cid)
}
