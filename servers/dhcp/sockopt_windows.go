//go:build windows

package dhcp

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// setSocketOptions allows broadcast. Windows cannot bind a socket to one
// interface: the server sees requests from every interface, and replies
// should go to the subnet broadcast address (Config.Broadcast).
func setSocketOptions(fd uintptr, _ string) error {
	if err := windows.SetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, windows.SO_BROADCAST, 1); err != nil {
		return fmt.Errorf("allow broadcast: %w", err)
	}
	return nil
}
