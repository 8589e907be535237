package smi_test

import (
	"fmt"
	"net/netip"

	"fieldcon/servers/smi"
)

func Example() {
	laptop := netip.MustParseAddr("192.0.2.10")
	msg, err := smi.EncodeConfig(smi.ConfigRequest{
		URL:    smi.TFTPURL{Server: laptop, Path: "conf/192.0.2.20.conf"},
		Reload: smi.ReloadTime{Hours: 0, Minutes: 1},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, _ := smi.DecodeHeader(msg)
	fmt.Println(len(msg), "bytes, type", h.Type)

	back, _ := smi.DecodeConfig(msg)
	fmt.Println(back.URL, "reload", back.Reload)

	// What a switch answered to a probe decides whether anything else is sent.
	fmt.Println(smi.ClassifyProbeReply(smi.ClientReply()))
	fmt.Println(smi.ClassifyProbeReply(nil))
	// Output:
	// 312 bytes, type 3 (configuration URL)
	// tftp://192.0.2.10/conf/192.0.2.20.conf reload 00:01
	// Smart Install client
	// Smart Install director, or a switch refusing Smart Install
}
