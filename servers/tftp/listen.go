package tftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// Errors from Listen.
var (
	// ErrPrivilege means the OS refused the port: below 1024 it takes
	// root or, on Linux, the CAP_NET_BIND_SERVICE capability.
	ErrPrivilege = errors.New("no permission to use the TFTP port")
	ErrPortInUse = errors.New("the TFTP port is in use")
	ErrInterface = errors.New("network interface")
)

// Listen binds the socket a Server serves on. addr is HOST:PORT; use the
// wildcard (":69" or "0.0.0.0:69") to hear broadcast requests, and iface to
// limit it to one interface (SO_BINDTODEVICE on Linux, IP_BOUND_IF on macOS;
// elsewhere iface is only checked to exist).
func Listen(ctx context.Context, addr, iface string) (net.PacketConn, error) {
	network := "udp4"
	if host, _, err := net.SplitHostPort(addr); err == nil && strings.Contains(host, ":") {
		network = "udp6"
	}
	conn, err := listenUDP(ctx, network, addr, iface)
	if err != nil {
		return nil, explainListen(addr, err)
	}
	return conn, nil
}

// listenUDP opens a UDP socket limited to iface when iface is set.
func listenUDP(ctx context.Context, network, addr, iface string) (net.PacketConn, error) {
	lc := net.ListenConfig{}
	if iface != "" {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return nil, fmt.Errorf("%w %q does not exist; pick one the laptop has (ip link shows them on Linux)", ErrInterface, iface)
		}
		lc.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = bindToInterface(fd, network, ifi) }); err != nil {
				return err
			}
			if serr != nil {
				return fmt.Errorf("%w %s: cannot limit the socket to it: %w", ErrInterface, iface, serr)
			}
			return nil
		}
	}
	return lc.ListenPacket(ctx, network, addr)
}

// explainListen turns a bind error into what the technician should do.
func explainListen(addr string, err error) error {
	switch {
	case errors.Is(err, ErrInterface):
		return err
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%w %s. %s, or use --listen with a port above 1023 for tests", ErrPrivilege, addr, GrantHint)
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%w: another TFTP server (tftpd-hpa, atftpd, dnsmasq?) already listens on %s; stop it or choose another --listen address: %w", ErrPortInUse, addr, err)
	default:
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
}
