package xmodem_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"

	"fieldcon/xmodem"
)

// A file goes from Send to Receive over an in-memory connection; on a real
// console the Conn is the port's raw stream and the receiver is the device.
func Example() {
	device, laptop := net.Pipe()
	defer device.Close()
	defer laptop.Close()

	ctx := context.Background()
	image := strings.NewReader("flash image bytes")
	done := make(chan error, 1)
	go func() {
		_, err := xmodem.Send(ctx, laptop, image, xmodem.Options{Mode: xmodem.Mode1K})
		done <- err
	}()

	var flash bytes.Buffer
	st, err := xmodem.Receive(ctx, device, &flash, xmodem.Options{Size: 17})
	if err != nil {
		fmt.Println("receive:", err)
	}
	if err := <-done; err != nil {
		fmt.Println("send:", err)
	}
	fmt.Printf("%q, %d block, %s\n", flash.String(), st.Blocks, st.Mode)
	// Output: "flash image bytes", 1 block, crc
}
