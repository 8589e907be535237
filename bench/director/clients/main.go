// Command clients starts N simulated Smart Install switches at once on one
// interface (run it inside the client network namespace) and prints the
// time until every one has its lease, image list, image and configuration.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"sync"
	"time"

	"fieldcon/internal/devsim"
)

func main() {
	iface := flag.String("iface", "", "interface towards the director")
	n := flag.Int("n", 50, "number of switches")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, *n)
	var bytes int64
	var mu sync.Mutex
	for i := range *n {
		conn, err := devsim.ListenDHCPClient(ctx, *iface, 68)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		sw := &devsim.SMIClient{
			MAC: net.HardwareAddr{0x02, 0xbe, 0, 0, byte(i >> 8), byte(i)},
			PID: "WS-C2960X-24TS-L", Serial: fmt.Sprintf("FOC%05d", i),
			Net: devsim.SMINet{DHCPConn: conn, BlockSize: 8192, Bind: func(ctx context.Context, p netip.Prefix) error {
				out, err := exec.CommandContext(ctx, "ip", "addr", "add", netip.PrefixFrom(p.Addr(), 32).String(), "dev", *iface).CombinedOutput()
				if err != nil && len(out) > 0 && string(out) != "RTNETLINK answers: File exists\n" {
					return fmt.Errorf("%v: %s", err, out)
				}
				return nil
			}},
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			res, err := sw.ZeroTouch(ctx)
			if err != nil {
				errs <- fmt.Errorf("%s: %w", sw.MAC, err)
				return
			}
			mu.Lock()
			bytes += res.Bytes
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		failed++
		fmt.Fprintln(os.Stderr, err)
	}
	el := time.Since(start)
	fmt.Printf("clients: %d ok, %d failed, %.1f MB in %s (%.1f MB/s)\n", *n-failed, failed, float64(bytes)/1e6, el.Round(time.Millisecond), float64(bytes)/1e6/el.Seconds())
	if failed > 0 {
		os.Exit(1)
	}
}
