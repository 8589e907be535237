//go:build !linux

package dhcp

// DefaultRouteInterfaces lists the interfaces that carry a default route.
func DefaultRouteInterfaces() ([]string, error) { return defaultRouteBySource() }
