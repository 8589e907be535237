//go:build linux

package netnstest_test

import (
	"net"
	"testing"

	"fieldcon/internal/netnstest"
)

// A test opens its server's socket inside the namespace it made with
// ip netns add, so broadcasts on that segment never leave it.
func ExampleEnter() {
	var t *testing.T // the test's own
	netnstest.SweepStale("fcpkg-")
	srv := netnstest.Enter(t, "fcpkg-srv-1234-1")
	var conn net.PacketConn
	_ = srv.Run(func() (err error) {
		conn, err = net.ListenPacket("udp4", "0.0.0.0:0")
		return err
	})
	defer conn.Close()
}
