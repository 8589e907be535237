// Package dhcp is fieldcon's DHCPv4 server: it gives Cisco switches, routers
// and access points an address plus what their boot loaders, AutoInstall,
// Smart Install and PnP need (options 66, 67, 150, 43, 125), and it refuses
// to become a rogue server on a production network.
//
// The server is a chain of plain decision functions (see Handler) over the
// packets of github.com/insomniacslk/dhcp/dhcpv4; Handle runs the chain on
// one request without any socket, Serve runs it on a socket bound with
// Listen. Leases are sticky: every change goes through a Store (NewBoltStore
// for the workspace, NewMemStore for tests) before the client is answered.
// Preflight refuses the interface that carries the default route and probes
// the segment for another DHCP server first; Monitor reports other servers
// while running.
//
// It does not do DHCPv6, BOOTP-only clients, dynamic DNS, failover, ping
// checks before offering (a client that finds its address taken sends
// DECLINE, and the address is quarantined), or unicast replies to clients
// without an address (they are broadcast on the interface). It never
// snoops or rewrites another server's offers.
package dhcp
