package dhcp

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
)

// ErrDefaultRoute means the interface carries the laptop's default route:
// most likely the production network, where a DHCP server does harm.
var ErrDefaultRoute = errors.New("interface carries the default route")

// parseProcRoute returns the interfaces with a default route in the format
// of /proc/net/route (hex destination and mask 00000000).
func parseProcRoute(r io.Reader) []string {
	var out []string
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue // header
		}
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			continue
		}
		if f[1] == "00000000" && f[7] == "00000000" {
			out = append(out, f[0])
		}
	}
	return out
}

// defaultRouteBySource finds the interface that owns the source address
// the system would use to reach the Internet. Dialing UDP sends nothing.
func defaultRouteBySource() ([]string, error) {
	c, err := net.Dial("udp4", "192.0.2.1:9")
	if err != nil {
		return nil, nil // no route at all: no default route
	}
	local := c.LocalAddr().(*net.UDPAddr).IP
	c.Close()
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for _, ifc := range ifs {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(local) {
				return []string{ifc.Name}, nil
			}
		}
	}
	return nil, nil
}
