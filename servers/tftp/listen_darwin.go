package tftp

import (
	"net"

	"golang.org/x/sys/unix"
)

// GrantHint says how to let fieldcon use port 69.
const GrantHint = "Run fieldcon with sudo for port 69"

// bindToInterface applies IP_BOUND_IF (IPV6_BOUND_IF for IPv6).
func bindToInterface(fd uintptr, network string, ifi *net.Interface) error {
	if network == "udp6" {
		return unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_BOUND_IF, ifi.Index)
	}
	return unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BOUND_IF, ifi.Index)
}

// interfaceBinding says whether Config.Interface limits the sockets here.
const interfaceBinding = true
