package dhcp

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sort"
	"time"
)

// Sentinel errors of address allocation.
var (
	// ErrPoolExhausted means every address of the range is taken, held for
	// an offer or quarantined after a DECLINE.
	ErrPoolExhausted = errors.New("no free address left in the pool")
	// ErrReservedInUse means a client's reserved address is held by another
	// client or quarantined.
	ErrReservedInUse = errors.New("the reserved address is in use")
)

// pool is a Pool ready to serve: numbers precomputed, reservations indexed.
type pool struct {
	Pool
	mask       net.IPMask
	start, end uint32
	cursor     uint32 // next address to try for a client never seen
	reserved   map[netip.Addr]Reservation
	always     [256]bool
	vendorInfo []byte // option 125, encoded once
	siaddr     net.IP
}

func newPool(p Pool) *pool {
	np := &pool{
		Pool:     p,
		mask:     net.CIDRMask(p.Network.Bits(), 32),
		start:    addrToU32(p.Start),
		end:      addrToU32(p.End),
		reserved: map[netip.Addr]Reservation{},
	}
	np.cursor = np.start
	for _, r := range p.Reservations {
		np.reserved[r.Addr] = r
	}
	for _, c := range []uint8{OptSubnetMask, OptRouter, OptLeaseTime, OptServerID, OptRenewalTime, OptRebindingTime} {
		np.always[c] = true
	}
	for _, c := range p.AlwaysSend {
		np.always[c] = true
	}
	np.vendorInfo, _ = EncodeVendorInfo(p.VendorInfo) // Validate checked it
	switch {
	case len(p.TFTPServers) > 0:
		np.siaddr = net.IP(p.TFTPServers[0].AsSlice())
	default:
		if a, err := netip.ParseAddr(p.TFTPServerName); err == nil && a.Is4() {
			np.siaddr = net.IP(a.AsSlice())
		}
	}
	return np
}

func (p *pool) inRange(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	v := addrToU32(a)
	return v >= p.start && v <= p.end
}

// reservationFor returns the client's reservation in this pool.
func (p *pool) reservationFor(mac net.HardwareAddr, cid []byte) (Reservation, bool) {
	// A client identifier match wins over a MAC match: IOS names the
	// interface in it, so it is the more specific of the two.
	if len(cid) > 0 {
		for _, r := range p.Reservations {
			if len(r.ClientID) > 0 && bytes.Equal(r.ClientID, cid) {
				return r, true
			}
		}
	}
	for _, r := range p.Reservations {
		if len(r.MAC) > 0 && bytes.Equal(r.MAC, mac) {
			return r, true
		}
	}
	return Reservation{}, false
}

// owns reports whether a lease record belongs to the client. Client
// identifiers decide when both sides have one; otherwise the MAC does, so a
// switch keeps its address between the boot loader (no identifier) and IOS
// (cisco-<mac>-Vl1).
func owns(l *Lease, mac net.HardwareAddr, cid []byte) bool {
	if len(l.ClientID) > 0 && len(cid) > 0 {
		return bytes.Equal(l.ClientID, cid)
	}
	return len(l.MAC) > 0 && bytes.Equal(l.MAC, mac)
}

// The lease table below is guarded by Server.mu.

func (s *Server) lookup(a netip.Addr) *Lease { return s.leases[a] }

// ownedLease finds the client's most recent lease record in p.
func (s *Server) ownedLease(p *pool, mac net.HardwareAddr, cid []byte) *Lease {
	if len(cid) > 0 {
		if a, ok := s.byCID[string(cid)]; ok {
			if l := s.leases[a]; l != nil && owns(l, mac, cid) && p.Network.Contains(a) {
				return l
			}
		}
	}
	if a, ok := s.byMAC[string(mac)]; ok {
		if l := s.leases[a]; l != nil && owns(l, mac, cid) && p.Network.Contains(a) {
			return l
		}
	}
	return nil
}

// available reports whether the client may have address a of pool p now.
func (s *Server) available(p *pool, a netip.Addr, mac net.HardwareAddr, cid []byte, now time.Time) bool {
	if !a.Is4() || !p.Network.Contains(a) || a == s.cfg.ServerIP || a == p.Network.Addr() || a == broadcastOf(p.Network) {
		return false
	}
	if r, ok := p.reserved[a]; ok {
		if !r.matches(mac, cid) {
			return false
		}
	} else if !p.inRange(a) {
		return false
	}
	l := s.lookup(a)
	if l == nil {
		return true
	}
	if l.State == Declined {
		return !l.Active(now)
	}
	return owns(l, mac, cid) || !l.Active(now)
}

// allocate picks the address to offer: the reservation, the address the
// client had, the one it asks for, a never-used one, then the one expired
// longest ago.
func (s *Server) allocate(p *pool, mac net.HardwareAddr, cid []byte, requested netip.Addr, now time.Time) (netip.Addr, error) {
	if r, ok := p.reservationFor(mac, cid); ok {
		if !s.available(p, r.Addr, mac, cid, now) {
			return netip.Addr{}, ErrReservedInUse
		}
		return r.Addr, nil
	}
	if l := s.ownedLease(p, mac, cid); l != nil && s.available(p, l.Addr, mac, cid, now) {
		return l.Addr, nil
	}
	if requested.IsValid() && s.available(p, requested, mac, cid, now) {
		if l := s.lookup(requested); l == nil || owns(l, mac, cid) {
			return requested, nil
		}
	}
	size := p.end - p.start + 1
	for i := uint32(0); i < size; i++ {
		v := p.cursor
		p.cursor++
		if p.cursor > p.end || p.cursor < p.start {
			p.cursor = p.start
		}
		a := u32ToAddr(v)
		if _, res := p.reserved[a]; res || a == s.cfg.ServerIP {
			continue
		}
		if s.lookup(a) == nil {
			return a, nil
		}
	}
	var oldest *Lease
	for a, l := range s.leases {
		if !p.inRange(a) || l.Active(now) || !s.available(p, a, mac, cid, now) {
			continue
		}
		if oldest == nil || l.Expires.Before(oldest.Expires) || (l.Expires.Equal(oldest.Expires) && a.Less(oldest.Addr)) {
			oldest = l
		}
	}
	if oldest != nil {
		return oldest.Addr, nil
	}
	return netip.Addr{}, ErrPoolExhausted
}

// record sets the lease for a to the client and state, keeping the indexes
// right, and returns a copy.
func (s *Server) record(a netip.Addr, mac net.HardwareAddr, cid []byte, state LeaseState, expires time.Time, now time.Time, hostname, vendor string) Lease {
	l := s.leases[a]
	if l == nil {
		l = &Lease{Addr: a}
		s.leases[a] = l
	}
	if !owns(l, mac, cid) {
		s.unindex(l)
		*l = Lease{Addr: a}
	}
	l.MAC = append(net.HardwareAddr(nil), mac...)
	if len(cid) > 0 {
		if len(l.ClientID) > 0 && string(l.ClientID) != string(cid) {
			s.unindex(l)
		}
		l.ClientID = append([]byte(nil), cid...)
	}
	if hostname != "" {
		l.Hostname = hostname
	}
	if vendor != "" {
		l.VendorClass = vendor
	}
	l.State = state
	l.Expires = expires
	l.Updated = now
	s.index(l)
	return *l
}

func (s *Server) index(l *Lease) {
	if len(l.MAC) > 0 {
		s.byMAC[string(l.MAC)] = l.Addr
	}
	if len(l.ClientID) > 0 {
		s.byCID[string(l.ClientID)] = l.Addr
	}
}

func (s *Server) unindex(l *Lease) {
	if a, ok := s.byMAC[string(l.MAC)]; ok && a == l.Addr {
		delete(s.byMAC, string(l.MAC))
	}
	if a, ok := s.byCID[string(l.ClientID)]; ok && a == l.Addr {
		delete(s.byCID, string(l.ClientID))
	}
}

// Leases returns a snapshot of every address the server knows about,
// ordered by address: what the TUI's leases table shows.
func (s *Server) Leases() []Lease {
	s.mu.Lock()
	out := make([]Lease, 0, len(s.leases))
	for _, l := range s.leases {
		c := *l
		c.MAC = append(net.HardwareAddr(nil), l.MAC...)
		c.ClientID = append([]byte(nil), l.ClientID...)
		out = append(out, c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out
}
