//go:build linux

// Command loadgen runs N full DHCP exchanges (DISCOVER, OFFER, REQUEST, ACK)
// with distinct MACs against whatever server answers on an interface, and
// prints leases per second and the median and 99th-percentile time of one
// exchange. bench/dhcp/run.sh runs it against fieldcon and dnsmasq.
//
// It binds UDP port 68 on the interface and sets the broadcast flag, so
// every server broadcasts its replies and no raw socket is needed.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/sys/unix"
)

func main() {
	iface := flag.String("iface", "", "interface to send on (required)")
	n := flag.Int("n", 1000, "number of clients, each one full exchange")
	conc := flag.Int("c", 16, "exchanges in flight at once")
	timeout := flag.Duration("timeout", time.Second, "wait per message before resending")
	tries := flag.Int("tries", 4, "sends per message before giving up")
	label := flag.String("label", "server", "name printed on the result line")
	seed := flag.Int("mac-seed", 0, "second byte of every MAC, to keep runs apart")
	flag.Parse()
	if *iface == "" {
		fmt.Fprintln(os.Stderr, "loadgen: --iface is required")
		os.Exit(2)
	}
	if err := run(*iface, *n, *conc, *timeout, *tries, *label, byte(*seed)); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// demux hands each reply to the exchange waiting for its transaction ID.
type demux struct {
	mu      sync.Mutex
	waiting map[dhcpv4.TransactionID]chan *dhcpv4.DHCPv4
}

func (d *demux) wait(x dhcpv4.TransactionID) chan *dhcpv4.DHCPv4 {
	ch := make(chan *dhcpv4.DHCPv4, 4)
	d.mu.Lock()
	d.waiting[x] = ch
	d.mu.Unlock()
	return ch
}

func (d *demux) done(x dhcpv4.TransactionID) {
	d.mu.Lock()
	delete(d.waiting, x)
	d.mu.Unlock()
}

func (d *demux) read(conn net.PacketConn) {
	buf := make([]byte, 2048)
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		m, err := dhcpv4.FromBytes(buf[:n])
		if err != nil || m.OpCode != dhcpv4.OpcodeBootReply {
			continue
		}
		d.mu.Lock()
		ch := d.waiting[m.TransactionID]
		d.mu.Unlock()
		if ch != nil {
			select {
			case ch <- m:
			default:
			}
		}
	}
}

func listen(iface string) (net.PacketConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1); serr != nil {
				return
			}
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); serr != nil {
				return
			}
			serr = unix.BindToDevice(int(fd), iface)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return lc.ListenPacket(context.Background(), "udp4", ":68")
}

func run(iface string, n, conc int, timeout time.Duration, tries int, label string, seed byte) error {
	conn, err := listen(iface)
	if err != nil {
		return fmt.Errorf("listen on %s port 68: %w", iface, err)
	}
	defer conn.Close()
	d := &demux{waiting: map[dhcpv4.TransactionID]chan *dhcpv4.DHCPv4{}}
	go d.read(conn)
	dst := &net.UDPAddr{IP: net.IPv4bcast, Port: 67}

	// exchange sends p until a reply of type want arrives.
	exchange := func(p *dhcpv4.DHCPv4, want dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
		ch := d.wait(p.TransactionID)
		defer d.done(p.TransactionID)
		b := p.ToBytes()
		for range tries {
			if _, err := conn.WriteTo(b, dst); err != nil {
				return nil, err
			}
			deadline := time.NewTimer(timeout)
		wait:
			for {
				select {
				case r := <-ch:
					if r.MessageType() == want {
						deadline.Stop()
						return r, nil
					}
					if r.MessageType() == dhcpv4.MessageTypeNak {
						deadline.Stop()
						return nil, fmt.Errorf("NAK: %s", r.Message())
					}
				case <-deadline.C:
					break wait
				}
			}
		}
		return nil, errors.New("no answer")
	}

	durations := make([]time.Duration, n)
	failures := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				mac := net.HardwareAddr{0x02, seed, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
				var xid dhcpv4.TransactionID
				rand.Read(xid[:])
				t0 := time.Now()
				disc, _ := dhcpv4.NewDiscovery(mac, dhcpv4.WithBroadcast(true), dhcpv4.WithTransactionID(xid))
				offer, err := exchange(disc, dhcpv4.MessageTypeOffer)
				if err != nil {
					failures[i] = fmt.Errorf("DISCOVER: %w", err)
					continue
				}
				req, _ := dhcpv4.NewRequestFromOffer(offer, dhcpv4.WithBroadcast(true))
				if _, err := exchange(req, dhcpv4.MessageTypeAck); err != nil {
					failures[i] = fmt.Errorf("REQUEST: %w", err)
					continue
				}
				durations[i] = time.Since(t0)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)

	var ok []time.Duration
	failed := 0
	var firstErr error
	for i, dur := range durations {
		if failures[i] != nil {
			failed++
			if firstErr == nil {
				firstErr = failures[i]
			}
			continue
		}
		ok = append(ok, dur)
	}
	if len(ok) == 0 {
		return fmt.Errorf("no lease at all (first error: %v)", firstErr)
	}
	slices.Sort(ok)
	pct := func(p float64) time.Duration { return ok[min(len(ok)-1, int(p*float64(len(ok))))] }
	rate := float64(len(ok)) / elapsed.Seconds()
	// One machine-readable line for run.sh.
	fmt.Printf("RESULT label=%s leases=%d failed=%d elapsed=%.3fs rate=%.1f median_ms=%.3f p99_ms=%.3f\n",
		label, len(ok), failed, elapsed.Seconds(), rate,
		float64(pct(0.5).Microseconds())/1000, float64(pct(0.99).Microseconds())/1000)
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %d exchanges failed, first: %v\n", failed, firstErr)
	}
	return nil
}
