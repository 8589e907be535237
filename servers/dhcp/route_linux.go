package dhcp

import "os"

// DefaultRouteInterfaces lists the interfaces that carry a default route.
func DefaultRouteInterfaces() ([]string, error) {
	// thread-self follows the network namespace of the calling thread,
	// which is what matters for a thread that entered one.
	f, err := os.Open("/proc/thread-self/net/route")
	if err != nil {
		f, err = os.Open("/proc/net/route")
	}
	if err != nil {
		return defaultRouteBySource()
	}
	defer f.Close()
	return parseProcRoute(f), nil
}
