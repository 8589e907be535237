//go:build unix

package dhcp

import (
	"fmt"

	"github.com/insomniacslk/dhcp/interfaces"
	"golang.org/x/sys/unix"
)

func setSocketOptions(fd uintptr, iface string) error {
	if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
		return fmt.Errorf("allow broadcast: %w", err)
	}
	if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fmt.Errorf("reuse address: %w", err)
	}
	if iface != "" {
		if err := interfaces.BindToInterface(int(fd), iface); err != nil {
			return fmt.Errorf("bind to interface %s: %w", iface, err)
		}
	}
	return nil
}
