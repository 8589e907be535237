package dhcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// ErrPermission means the operating system refused the DHCP port: ports 67
// and 68 need root or, on Linux, the CAP_NET_BIND_SERVICE capability (and
// CAP_NET_RAW to bind to one interface).
var ErrPermission = errors.New("not allowed to use the DHCP ports")

// Listen opens a UDP socket on port (ServerPort for the server, ClientPort
// for Probe and Monitor) that sends broadcasts and, where the system allows
// it, only sees and sends traffic of the interface iface. ip is the local
// address to bind, usually "" (all addresses), which broadcasts need.
func Listen(ctx context.Context, iface, ip string, port int) (net.PacketConn, error) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = setSocketOptions(fd, iface) })
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := lc.ListenPacket(ctx, "udp4", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("%w: UDP port %d on %s: %v", ErrPermission, port, iface, err)
		}
		return nil, fmt.Errorf("dhcp listen on %s port %d: %w", iface, port, err)
	}
	return conn, nil
}
