package tftp

import (
	"net"

	"golang.org/x/sys/unix"
)

// GrantHint says how to let fieldcon use port 69 without running as root.
const GrantHint = "Grant it once with: sudo setcap cap_net_bind_service=+ep $(command -v fieldcon)"

// bindToInterface applies SO_BINDTODEVICE: the socket only hears and sends
// on ifi, and broadcasts to 255.255.255.255 leave through it.
func bindToInterface(fd uintptr, _ string, ifi *net.Interface) error {
	return unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifi.Name)
}

// interfaceBinding says whether Config.Interface limits the sockets here.
const interfaceBinding = true
