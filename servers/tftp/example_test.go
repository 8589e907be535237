package tftp_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"fieldcon/servers"
	"fieldcon/servers/tftp"
)

// An Aironet in recovery asks for "<platform>-k9w7-tar.default"; the alias
// answers with the image the technician picked, and the start event says so.
func Example() {
	dir, _ := os.MkdirTemp("", "tftp-example")
	defer os.RemoveAll(dir)
	_ = os.Mkdir(filepath.Join(dir, "images"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "images", "c1240-k9w7-tar.124-25d.JA1.tar"), []byte("image"), 0o644)

	hook, events, _ := servers.Channel(16)
	srv, err := tftp.New(tftp.Config{
		Root: dir,
		Aliases: []tftp.Alias{
			{Pattern: "*-k9w7-tar.default", File: "images/c1240-k9w7-tar.124-25d.JA1.tar"},
			{Pattern: "*-k9w8-tar.default", File: "images/c1240-k9w7-tar.124-25d.JA1.tar"},
		},
	}, tftp.WithHook(hook))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// In the field: tftp.Listen(ctx, "0.0.0.0:69", "eth0").
	conn, err := tftp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()

	// The device's read request, by hand.
	dev, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	defer dev.Close()
	_, _ = dev.WriteTo([]byte("\x00\x01c1240-k9w7-tar.default\x00octet\x00"), conn.LocalAddr())
	for e := range events {
		if e.Kind == servers.TransferStart {
			fmt.Println(e.Detail)
			break
		}
	}
	cancel()
	<-done
	// Output:
	// 127.0.0.1 asked for c1240-k9w7-tar.default, served images/c1240-k9w7-tar.124-25d.JA1.tar
}
