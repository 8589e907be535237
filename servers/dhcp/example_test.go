package dhcp_test

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers/dhcp"
)

func Example() {
	srv, err := dhcp.New(dhcp.Config{
		Interface: "eth1",
		ServerIP:  netip.MustParseAddr("10.88.0.1"),
		Pools: []dhcp.Pool{{
			Network:     netip.MustParsePrefix("10.88.0.0/24"),
			Start:       netip.MustParseAddr("10.88.0.100"),
			End:         netip.MustParseAddr("10.88.0.199"),
			TFTPServers: []netip.Addr{netip.MustParseAddr("10.88.0.1")},
			BootFile:    "switch-confg",
			// NewDiscovery asks for 1, 3, 6 and 15 only, like many loaders.
			AlwaysSend: []uint8{dhcp.OptBootFile, dhcp.OptTFTPServers},
			VendorInfo: []dhcp.VendorInfo{dhcp.CiscoSmartInstall("imagelist.txt", netip.Addr{})},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mac, _ := net.ParseMAC("00:11:22:33:44:55")
	discover, _ := dhcpv4.NewDiscovery(mac)
	offer := srv.Handle(discover)
	fmt.Println(offer.MessageType(), offer.YourIPAddr, offer.BootFileNameOption())
	// Output: OFFER 10.88.0.100 switch-confg
}
