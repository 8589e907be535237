//go:build linux || darwin || freebsd

// Command xmodem sends the same file over devsim's baud-limited link to
// lrzsz `rx -X -c`, once with fieldcon's sender (1K blocks) and once with
// `sx -X -k`, and prints for each the payload rate, its share of the line
// rate (10 bits per byte at 8N1) and the ratio fieldcon/lrzsz.
//
// The rate is measured on the line, identically for both senders: from the
// first byte the device side receives to the moment it has received every
// block (the size is a multiple of 1024, so both send the same 1029-byte
// blocks). Start-up and the EOT exchange are left out: they are the same
// handful of bytes for both, and rx waits a second after the EOT.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/xmodem"
)

func main() {
	baud := flag.Int("baud", 115200, "line speed")
	size := flag.Int("size", 1<<20, "file size in bytes (rounded down to whole KiB)")
	turn := flag.Duration("turnaround", 0, "fieldcon: pause between an ACK and the next block")
	flag.Parse()
	log.SetFlags(0)
	n := *size / 1024 * 1024
	if n == 0 {
		log.Fatal("-size must be at least 1024")
	}
	dir, err := os.MkdirTemp("", "xmodem-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	in := filepath.Join(dir, "image.bin")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		log.Fatal(err)
	}

	ours, err := measure(*baud, data, dir, func(host *os.File, link *devsim.Link) error {
		_, err := xmodem.Send(context.Background(), host, bytes.NewReader(data), xmodem.Options{Mode: xmodem.Mode1K, Timeout: xmodem.TimeoutFor(*baud), Turnaround: *turn})
		if errors.Is(err, xmodem.ErrEOTNotAcknowledged) {
			err = nil // rx may flush its last ACK away on exit; the file is checked
		}
		return err
	})
	theirs, err2 := measure(*baud, data, dir, func(host *os.File, _ *devsim.Link) error {
		cmd := exec.Command("sx", "-X", "-k", "-q", in)
		cmd.Stdin, cmd.Stdout = host, host
		return cmd.Run()
	})
	line := float64(*baud) / 10
	report := func(who string, rate float64, err error) string {
		if err != nil {
			return fmt.Sprintf("%s failed (%v)", who, err)
		}
		return fmt.Sprintf("%s %7.0f B/s (%5.1f%% of line rate)", who, rate, 100*rate/line)
	}
	ratio := "n/a"
	if err == nil && err2 == nil {
		ratio = fmt.Sprintf("%.3f", ours/theirs)
	}
	fmt.Printf("%6d baud, %7d bytes: %s  %s  ratio fieldcon/lrzsz %s\n",
		*baud, n, report("fieldcon 1K", ours, err), report("sx -X -k", theirs, err2), ratio)
	// lrzsz rx purges its input right after each ACK; a block that lands
	// before the purge costs either sender seconds, and sx sometimes gives
	// up on it.
	if err != nil || err2 != nil {
		os.Exit(1)
	}
}

// measure runs rx on a fresh link's device side and send on its host side,
// and returns the payload rate seen on the line. It checks the file rx
// stored.
func measure(baud int, data []byte, dir string, send func(host *os.File, l *devsim.Link) error) (float64, error) {
	l, err := devsim.NewLink(devsim.LinkConfig{Baud: baud})
	if err != nil {
		return 0, err
	}
	defer l.Close()
	host, err := os.OpenFile(l.HostPath(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return 0, err
	}
	defer host.Close()
	dev, err := os.OpenFile(l.DevicePath(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return 0, err
	}
	out := filepath.Join(dir, "out.bin")
	os.Remove(out)
	rx := exec.Command("rx", "-X", "-c", "-q", out)
	rx.Stdin, rx.Stdout = dev, dev
	if err := rx.Start(); err != nil {
		return 0, fmt.Errorf("rx: %w", err)
	}
	dev.Close()
	rxDone := make(chan error, 1)
	go func() { rxDone <- rx.Wait() }()

	blocks := int64(len(data) / 1024)
	wire := blocks * 1029
	var t0, t1 time.Time
	watched := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				got := l.Stats().ReceivedByDevice
				if t0.IsZero() && got > 1 {
					t0 = now
				}
				if got >= wire {
					t1 = now
					return
				}
			}
		}
	}()
	serr := send(host, l)
	select {
	case err := <-rxDone:
		if err != nil && serr == nil {
			serr = fmt.Errorf("rx: %w", err)
		}
	case <-time.After(30 * time.Second):
		rx.Process.Kill()
		serr = errors.Join(serr, errors.New("rx did not exit"))
	}
	close(stop)
	<-watched
	if serr != nil {
		return 0, serr
	}
	got, err := os.ReadFile(out)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(got, data) {
		return 0, fmt.Errorf("rx stored %d bytes that differ from the %d sent", len(got), len(data))
	}
	if t1.IsZero() || !t1.After(t0) {
		return 0, errors.New("could not time the transfer on the line")
	}
	// The first block's first byte started the clock, so the payload moved
	// in t1-t0 is all of it.
	return float64(len(data)) / t1.Sub(t0).Seconds(), nil
}
