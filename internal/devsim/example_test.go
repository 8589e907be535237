//go:build linux || darwin || freebsd

package devsim_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"fieldcon/internal/devsim"

	"go.bug.st/serial"
)

// A Catalyst switch with no image, at its boot loader, answers flash_init.
func Example() {
	ctx := context.Background()
	sim, err := devsim.Start(ctx, devsim.Options{Profile: "catalyst", Baud: 115200})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	port, err := serial.Open(sim.HostPath(), &serial.Mode{BaudRate: 115200})
	if err != nil {
		log.Fatal(err)
	}
	defer port.Close()
	port.SetReadTimeout(100 * time.Millisecond)
	readPrompt := func() string {
		var got []byte
		buf := make([]byte, 512)
		for deadline := time.Now().Add(time.Minute); !bytes.HasSuffix(got, []byte("switch: ")) && time.Now().Before(deadline); {
			n, _ := port.Read(buf)
			got = append(got, buf[:n]...)
		}
		return string(got)
	}
	readPrompt() // the boot banner
	port.Write([]byte("flash_init\r"))
	fmt.Print(strings.ReplaceAll(readPrompt(), "\r\n", "\n"))
	// Output:
	// flash_init
	// Initializing Flash...
	// flashfs[0]: 3 files, 1 directories
	// flashfs[0]: 0 orphaned files, 0 orphaned directories
	// flashfs[0]: Total bytes: 32514048
	// flashfs[0]: Bytes used: 4096
	// flashfs[0]: Bytes available: 32509952
	// flashfs[0]: flashfs fsck took 10 seconds.
	// ...done Initializing Flash.
	//
	// switch:
}
