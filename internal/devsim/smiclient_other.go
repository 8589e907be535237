//go:build !linux

package devsim

import (
	"context"
	"net"
	"strconv"
)

// ListenDHCPClient opens the DHCP client port for one simulated switch;
// sharing the port between several and limiting it to an interface are
// only done on Linux.
func ListenDHCPClient(ctx context.Context, iface string, port int) (net.PacketConn, error) {
	var lc net.ListenConfig
	return lc.ListenPacket(ctx, "udp4", "0.0.0.0:"+strconv.Itoa(port))
}
