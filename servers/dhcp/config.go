package dhcp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("dhcp settings")

// Defaults applied by Config.withDefaults.
const (
	DefaultLeaseTime   = time.Hour
	DefaultOfferHold   = 30 * time.Second
	DefaultDeclineHold = 10 * time.Minute
	ServerPort         = 67
	ClientPort         = 68
)

// Config is everything one server needs: fieldcon's own address on the
// interface it serves and the pools it hands addresses out of.
type Config struct {
	// Interface names the interface the server is bound to; it only appears
	// in events and messages.
	Interface string
	// ServerIP is fieldcon's address on Interface. It is the server
	// identifier (option 54) and picks the pool for clients on the wire: the
	// pool whose network contains it. Relayed requests pick the pool whose
	// network contains the relay's address (giaddr).
	ServerIP netip.Addr
	Pools    []Pool
	// OfferHold is how long an offered address stays set aside for the
	// client that was offered it.
	OfferHold time.Duration
	// DeclineHold is how long an address a client declined (someone else
	// answers ARP for it) stays out of use.
	DeclineHold time.Duration
	// Broadcast is where replies to clients without an address go. The
	// default, 255.255.255.255, leaves the interface the socket is bound to;
	// on Windows, where the socket cannot be bound to an interface, set the
	// subnet's broadcast address instead.
	Broadcast netip.Addr
	// ClientPort and RelayPort are the UDP ports replies go to (68 and 67).
	// Only tests and simulators change them.
	ClientPort, RelayPort int
}

// Pool is one subnet's worth of addresses and the options its clients get.
type Pool struct {
	// Network is the subnet, and so the mask (option 1).
	Network netip.Prefix
	// Start and End bound the addresses handed out dynamically (inclusive).
	Start, End netip.Addr
	Routers    []netip.Addr // option 3
	DNS        []netip.Addr // option 6
	Domain     string       // option 15
	LeaseTime  time.Duration
	// HostnamePrefix, when set, names clients without a reservation
	// hostname "<prefix>-<b4>.<b5b6>" from their MAC, the way a Smart Install
	// director does (option 12).
	HostnamePrefix string
	TFTPServerName string       // option 66, also the sname field
	BootFile       string       // option 67, also the file field
	TFTPServers    []netip.Addr // option 150, the first one also siaddr
	// VendorSpecific is option 43 as bytes: see PnPVendorSpecific and
	// WLCVendorSpecific for the Cisco forms.
	VendorSpecific []byte
	// VendorInfo is option 125 (RFC 3925), one block per enterprise.
	VendorInfo []VendorInfo
	// Extra holds any other option as raw bytes; it overrides a value the
	// fields above produce for the same code.
	Extra map[uint8][]byte
	// AlwaysSend lists options sent even when the client's parameter
	// request list does not ask for them (Cisco boot loaders do not always
	// ask). Options 1, 3, 51, 54, 58 and 59 are always sent.
	AlwaysSend   []uint8
	Reservations []Reservation
}

// Reservation pins an address (and optionally a hostname) to a client named
// by MAC or by client identifier (option 61). IOS sends
// "cisco-<mac>-<ifname>" as its client identifier.
type Reservation struct {
	MAC      net.HardwareAddr
	ClientID []byte // option 61 exactly as sent, type byte included
	Addr     netip.Addr
	Hostname string
}

func (r Reservation) matches(mac net.HardwareAddr, cid []byte) bool {
	if len(r.ClientID) > 0 && len(cid) > 0 && bytes.Equal(r.ClientID, cid) {
		return true
	}
	return len(r.MAC) > 0 && bytes.Equal(r.MAC, mac)
}

func (c Config) withDefaults() Config {
	if c.OfferHold <= 0 {
		c.OfferHold = DefaultOfferHold
	}
	if c.DeclineHold <= 0 {
		c.DeclineHold = DefaultDeclineHold
	}
	if !c.Broadcast.IsValid() {
		c.Broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	if c.ClientPort == 0 {
		c.ClientPort = ClientPort
	}
	if c.RelayPort == 0 {
		c.RelayPort = ServerPort
	}
	pools := make([]Pool, len(c.Pools))
	for i, p := range c.Pools {
		if p.LeaseTime <= 0 {
			p.LeaseTime = DefaultLeaseTime
		}
		p.Network = p.Network.Masked()
		pools[i] = p
	}
	c.Pools = pools
	return c
}

// Validate reports the first setting that cannot work, in words a
// technician can act on.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	if !c.ServerIP.Is4() {
		return bad("the interface has no IPv4 address to serve from; give it one (for example 10.88.0.1/24) first")
	}
	if len(c.Pools) == 0 {
		return bad("no address pool: give a range such as --range 10.88.0.100-10.88.0.199")
	}
	for i, p := range c.Pools {
		if err := p.validate(); err != nil {
			return bad("pool %d: %s", i+1, err)
		}
		for j := range i {
			if c.Pools[j].Network.Overlaps(p.Network) {
				return bad("pools %d and %d overlap (%s and %s)", j+1, i+1, c.Pools[j].Network, p.Network)
			}
		}
	}
	return nil
}

func (p Pool) validate() error {
	n := p.Network
	if !n.IsValid() || !n.Addr().Is4() {
		return errors.New("no IPv4 network set (for example 10.88.0.0/24)")
	}
	if n.Bits() > 30 {
		return fmt.Errorf("network %s is too small to hand out addresses", n)
	}
	if !p.Start.Is4() || !p.End.Is4() {
		return errors.New("no address range set (for example 10.88.0.100-10.88.0.199)")
	}
	if !n.Contains(p.Start) || !n.Contains(p.End) {
		return fmt.Errorf("range %s-%s is not inside network %s", p.Start, p.End, n)
	}
	if p.End.Less(p.Start) {
		return fmt.Errorf("range %s-%s ends before it starts", p.Start, p.End)
	}
	if p.Start == n.Addr() || p.End == broadcastOf(n) {
		return fmt.Errorf("range %s-%s includes the network or broadcast address of %s", p.Start, p.End, n)
	}
	for _, ip := range append(append(append([]netip.Addr{}, p.Routers...), p.DNS...), p.TFTPServers...) {
		if !ip.Is4() {
			return fmt.Errorf("address %s is not IPv4", ip)
		}
	}
	if p.HostnamePrefix != "" && !validHostLabel(p.HostnamePrefix, 40) {
		return fmt.Errorf("hostname prefix %q: use 1-40 letters, digits and hyphens, starting with a letter", p.HostnamePrefix)
	}
	if len(p.BootFile) > 255 || len(p.TFTPServerName) > 255 || len(p.Domain) > 255 {
		return errors.New("boot file, TFTP server name and domain must each fit in 255 bytes")
	}
	if len(p.VendorSpecific) > 255 {
		return errors.New("option 43 must fit in 255 bytes")
	}
	if _, err := EncodeVendorInfo(p.VendorInfo); err != nil {
		return fmt.Errorf("option 125: %w", err)
	}
	seen := map[netip.Addr]bool{}
	for _, r := range p.Reservations {
		if len(r.MAC) == 0 && len(r.ClientID) == 0 {
			return fmt.Errorf("reservation for %s names no MAC or client identifier", r.Addr)
		}
		if !n.Contains(r.Addr) || r.Addr == n.Addr() || r.Addr == broadcastOf(n) {
			return fmt.Errorf("reserved address %s is not a host address of %s", r.Addr, n)
		}
		if seen[r.Addr] {
			return fmt.Errorf("address %s is reserved twice", r.Addr)
		}
		seen[r.Addr] = true
		if r.Hostname != "" && !validHostLabel(r.Hostname, 63) {
			return fmt.Errorf("reserved hostname %q: use letters, digits and hyphens", r.Hostname)
		}
	}
	return nil
}

func validHostLabel(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return !strings.HasSuffix(s, "-")
}

func broadcastOf(n netip.Prefix) netip.Addr {
	a := n.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= 1<<(32-n.Bits()) - 1
	return u32ToAddr(v)
}

func addrToU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u32ToAddr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
