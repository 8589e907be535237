//go:build linux || darwin || freebsd

// Command link measures the simulated serial link of internal/devsim: the
// byte rate each way at a given speed, against the line rate (10 bits per
// byte at 8N1). It prints one line per direction; run.sh drives it.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"fieldcon/internal/devsim"

	"go.bug.st/serial"
)

func main() {
	baud := flag.Int("baud", 9600, "line speed")
	seconds := flag.Float64("seconds", 5, "line time per direction")
	flag.Parse()
	log.SetFlags(0)

	l, err := devsim.NewLink(devsim.LinkConfig{Baud: *baud})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	host, err := serial.Open(l.HostPath(), &serial.Mode{BaudRate: *baud})
	if err != nil {
		log.Fatal(err)
	}
	defer host.Close()
	dev, err := os.OpenFile(l.DevicePath(), os.O_RDWR, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Close()

	lineRate := float64(*baud) / 10
	n := int(lineRate * *seconds)
	data := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	for _, d := range []struct {
		name string
		w    io.Writer
		r    io.Reader
	}{
		{"host->device", host, dev},
		{"device->host", dev, host},
	} {
		rate, err := measure(d.w, d.r, data)
		if err != nil {
			log.Fatalf("%s: %v", d.name, err)
		}
		fmt.Printf("%6d baud  %-13s %8d bytes  %9.1f B/s  line rate %7.1f B/s  %6.2f%%\n",
			*baud, d.name, n, rate, lineRate, 100*rate/lineRate)
	}
}

// measure writes data and times its arrival: from the first byte written to
// the last byte read.
func measure(w io.Writer, r io.Reader, data []byte) (float64, error) {
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := w.Write(data)
		errc <- err
	}()
	got := 0
	buf := make([]byte, 4096)
	for got < len(data) {
		k, err := r.Read(buf)
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(buf[:k], data[got:got+k]) {
			return 0, fmt.Errorf("data changed in transit at byte %d", got)
		}
		got += k
	}
	elapsed := time.Since(start)
	if err := <-errc; err != nil {
		return 0, err
	}
	return float64(len(data)) / elapsed.Seconds(), nil
}
