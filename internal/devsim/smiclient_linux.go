package devsim

import (
	"context"
	"net"
	"strconv"
	"syscall"
)

// ListenDHCPClient opens the DHCP client port (68) on iface for a simulated
// switch. Several simulated switches may open it at once: the port is
// shared (SO_REUSEADDR) and every one of them hears the broadcast replies,
// keeping only its own by transaction ID and MAC.
func ListenDHCPClient(ctx context.Context, iface string, port int) (net.PacketConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); serr != nil {
				return
			}
			if serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1); serr != nil {
				return
			}
			if iface != "" {
				serr = syscall.BindToDevice(int(fd), iface)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return lc.ListenPacket(ctx, "udp4", "0.0.0.0:"+strconv.Itoa(port))
}
