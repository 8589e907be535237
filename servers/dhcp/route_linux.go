package dhcp

import "os"

// DefaultRouteInterfaces lists the interfaces that carry a default route.
func DefaultRouteInterfaces() ([]string, error) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return defaultRouteBySource()
	}
	defer f.Close()
	return parseProcRoute(f), nil
}
