package dhcp

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers"
)

// The decision chain. Each function is one step of RFC 2131 section 4.3; it
// takes the request and the reply so far and returns the reply (nil: stay
// silent) and whether to stop.

// checkRequest drops what is not a client's DHCP request: replies, BOOTP
// without a message type, requests without a hardware address.
func (s *Server) checkRequest(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	if req.OpCode != dhcpv4.OpcodeBootRequest || len(req.ClientHWAddr) == 0 || len(req.ClientHWAddr) > 16 {
		return nil, true
	}
	if len(req.Options.Get(dhcpv4.OptionDHCPMessageType)) != 1 {
		return nil, true
	}
	allZero := true
	for _, b := range req.ClientHWAddr {
		if b != 0 {
			allZero = false
		}
	}
	if allZero {
		return nil, true
	}
	resp.UpdateOption(dhcpv4.OptServerIdentifier(net.IP(s.cfg.ServerIP.AsSlice())))
	return resp, false
}

// answer dispatches on the message type.
func (s *Server) answer(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	switch req.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		return s.discover(req, resp)
	case dhcpv4.MessageTypeRequest:
		return s.request(req, resp)
	case dhcpv4.MessageTypeRelease:
		return s.release(req, resp)
	case dhcpv4.MessageTypeDecline:
		return s.decline(req, resp)
	case dhcpv4.MessageTypeInform:
		return s.inform(req, resp)
	}
	return nil, true
}

func clientOf(req *dhcpv4.DHCPv4) (net.HardwareAddr, []byte) {
	return req.ClientHWAddr, req.Options.Get(dhcpv4.OptionClientIdentifier)
}

func ipOf(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip.To4())
	if !ok || a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}

// discover offers an address and holds it for OfferHold.
func (s *Server) discover(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	p := s.poolFor(req)
	if p == nil {
		s.emitRequest(KindDiscover, req, "relay "+req.GatewayIPAddr.String()+" is in none of the pools; not answering")
		return nil, true
	}
	s.emitRequest(KindDiscover, req, "")
	mac, cid := clientOf(req)
	now := s.now()
	s.mu.Lock()
	a, err := s.allocate(p, mac, cid, ipOf(req.RequestedIPAddress()), now)
	if err == nil {
		l := s.lookup(a)
		if l == nil || !owns(l, mac, cid) || l.State != Bound || !l.Active(now) {
			s.record(a, mac, cid, Offered, now.Add(s.cfg.OfferHold), now, req.HostName(), req.ClassIdentifier())
		}
	}
	s.mu.Unlock()
	if err != nil {
		detail := fmt.Sprintf("pool %s-%s has no free address for %s: %v", p.Start, p.End, mac, err)
		if err == ErrReservedInUse {
			r, _ := p.reservationFor(mac, cid)
			detail = fmt.Sprintf("%s is reserved for %s but is in use or quarantined", r.Addr, mac)
		}
		s.emit(servers.Event{Kind: KindExhausted, Peer: mac.String(), Subject: fmt.Sprintf("%s-%s", p.Start, p.End), Detail: detail})
		return nil, true
	}
	resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeOffer))
	resp.YourIPAddr = net.IP(a.AsSlice())
	return resp, false
}

// request confirms (ACK) or refuses (NAK) an address in the SELECTING,
// INIT-REBOOT, RENEWING and REBINDING states; a client that chose another
// server gets no answer and its offer is dropped.
func (s *Server) request(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	mac, cid := clientOf(req)
	now := s.now()
	if sid := ipOf(req.ServerIdentifier()); sid.IsValid() && sid != s.cfg.ServerIP {
		s.emitRequest(KindRequest, req, "client chose another DHCP server "+sid.String())
		if p := s.poolFor(req); p != nil {
			s.mu.Lock()
			if l := s.ownedLease(p, mac, cid); l != nil && l.State == Offered {
				l.Expires = now
			}
			s.mu.Unlock()
		}
		s.emit(servers.Event{Kind: KindForeignServer, Peer: mac.String(), Subject: sid.String(),
			Detail: fmt.Sprintf("client %s took an offer from another DHCP server %s on this segment", mac, sid)})
		return nil, true
	}
	s.emitRequest(KindRequest, req, "")
	p := s.poolFor(req)
	if p == nil {
		return nil, true
	}
	want := ipOf(req.RequestedIPAddress())
	if !want.IsValid() {
		want = ipOf(req.ClientIPAddr)
	}
	if !want.IsValid() {
		return nak(resp, "no address requested"), true
	}
	if !p.Network.Contains(want) {
		return nak(resp, fmt.Sprintf("%s is not on network %s", want, p.Network)), true
	}
	s.mu.Lock()
	if r, ok := p.reservationFor(mac, cid); ok && r.Addr != want {
		s.mu.Unlock()
		return nak(resp, fmt.Sprintf("%s is reserved %s, not %s", mac, r.Addr, want)), true
	}
	if !s.available(p, want, mac, cid, now) {
		s.mu.Unlock()
		return nak(resp, fmt.Sprintf("%s is not available to %s", want, mac)), true
	}
	// An offer this client holds for another address is no longer needed.
	if old := s.ownedLease(p, mac, cid); old != nil && old.Addr != want && old.State == Offered {
		old.Expires = now
	}
	s.record(want, mac, cid, Bound, now.Add(p.LeaseTime), now, req.HostName(), req.ClassIdentifier())
	s.mu.Unlock()
	s.save(want)
	resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeAck))
	resp.YourIPAddr = net.IP(want.AsSlice())
	return resp, false
}

func nak(resp *dhcpv4.DHCPv4, why string) *dhcpv4.DHCPv4 {
	n, _ := dhcpv4.New(dhcpv4.WithReply(resp), dhcpv4.WithGatewayIP(resp.GatewayIPAddr))
	n.OpCode = dhcpv4.OpcodeBootReply
	n.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeNak))
	n.UpdateOption(dhcpv4.OptMessage(why))
	for _, c := range []dhcpv4.OptionCode{dhcpv4.OptionServerIdentifier, dhcpv4.OptionClientIdentifier, dhcpv4.OptionRelayAgentInformation} {
		if v := resp.Options.Get(c); v != nil {
			n.UpdateOption(dhcpv4.OptGeneric(c, v))
		}
	}
	if !n.GatewayIPAddr.IsUnspecified() {
		// RFC 2131 4.3.2: the relay must broadcast a NAK to the client.
		n.SetBroadcast()
	}
	return n
}

// release frees the client's address but remembers the client, so it gets
// the same address back if nobody took it meanwhile.
func (s *Server) release(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	s.emitRequest(KindRelease, req, "")
	mac, cid := clientOf(req)
	a := ipOf(req.ClientIPAddr)
	now := s.now()
	s.mu.Lock()
	l := s.lookup(a)
	ok := l != nil && owns(l, mac, cid) && l.State == Bound
	if ok {
		l.State, l.Expires, l.Updated = Released, now, now
	}
	s.mu.Unlock()
	if ok {
		s.save(a)
	}
	return nil, true
}

// decline quarantines an address the client found in use.
func (s *Server) decline(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	mac, cid := clientOf(req)
	a := ipOf(req.RequestedIPAddress())
	p := s.poolContaining(a)
	if !a.IsValid() || p == nil {
		s.emitRequest(KindDecline, req, "names no address of ours; ignored")
		return nil, true
	}
	now := s.now()
	s.mu.Lock()
	l := s.lookup(a)
	ok := l != nil && owns(l, mac, cid)
	if ok {
		s.record(a, mac, cid, Declined, now.Add(s.cfg.DeclineHold), now, "", "")
	}
	s.mu.Unlock()
	if !ok {
		s.emitRequest(KindDecline, req, a.String()+" was not given to this client; ignored")
		return nil, true
	}
	s.emitRequest(KindDecline, req, fmt.Sprintf("another device answers for %s; it is out of use for %s", a, s.cfg.DeclineHold))
	s.save(a)
	return nil, true
}

// inform answers a client that has its address and only wants options.
func (s *Server) inform(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	s.emitRequest(KindInform, req, "")
	ci := ipOf(req.ClientIPAddr)
	if !ci.IsValid() {
		return nil, true
	}
	if s.poolContaining(ci) == nil {
		return nil, true
	}
	resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeAck))
	resp.ClientIPAddr = req.ClientIPAddr
	resp.YourIPAddr = net.IPv4zero
	return resp, false
}

// addOptions puts the pool's options into an OFFER or ACK: always the
// lease essentials, the rest when the client asks for them (or sends no
// list at all) or the technician forces them.
func (s *Server) addOptions(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	addr := ipOf(resp.YourIPAddr)
	isInform := !addr.IsValid()
	if isInform {
		addr = ipOf(resp.ClientIPAddr)
	}
	p := s.poolContaining(addr)
	if p == nil {
		return resp, true
	}
	prl := req.Options.Get(dhcpv4.OptionParameterRequestList)
	asked := [256]bool{}
	for _, c := range prl {
		asked[c] = true
	}
	want := func(c uint8) bool { return prl == nil || asked[c] || p.always[c] }
	set := func(c uint8, v []byte) {
		if want(c) && v != nil {
			resp.Options[c] = v
		}
	}
	set(OptSubnetMask, p.mask)
	if len(p.Routers) > 0 {
		set(OptRouter, EncodeIPs(p.Routers))
	}
	if len(p.DNS) > 0 {
		set(OptDNS, EncodeIPs(p.DNS))
	}
	if p.Domain != "" {
		set(OptDomain, []byte(p.Domain))
	}
	mac, cid := clientOf(req)
	host := ""
	if r, ok := p.reservationFor(mac, cid); ok && r.Hostname != "" {
		host = r.Hostname
	} else if p.HostnamePrefix != "" {
		host = HostnameFor(p.HostnamePrefix, mac)
	}
	if host != "" {
		set(OptHostname, []byte(host))
	}
	if !isInform {
		lt := p.LeaseTime
		resp.UpdateOption(dhcpv4.OptIPAddressLeaseTime(lt))
		resp.UpdateOption(dhcpv4.OptRenewTimeValue(lt / 2))
		resp.UpdateOption(dhcpv4.OptRebindingTimeValue(lt * 7 / 8))
	}
	if p.TFTPServerName != "" {
		set(OptTFTPServerName, []byte(p.TFTPServerName))
		resp.ServerHostName = p.TFTPServerName
	}
	if p.BootFile != "" {
		set(OptBootFile, []byte(p.BootFile))
		if len(p.BootFile) < 128 {
			resp.BootFileName = p.BootFile
		}
	}
	if len(p.TFTPServers) > 0 {
		set(OptTFTPServers, EncodeIPs(p.TFTPServers))
	}
	if p.siaddr != nil {
		resp.ServerIPAddr = p.siaddr
	}
	if len(p.VendorSpecific) > 0 {
		set(OptVendorSpecific, p.VendorSpecific)
	}
	if len(p.vendorInfo) > 0 {
		set(OptVIVendorInfo, p.vendorInfo)
	}
	for c, v := range p.Extra {
		if c == OptMessageType || c == OptServerID {
			continue
		}
		set(c, v)
	}
	return resp, false
}
