// Command matrix scores a TFTP server on ARCHITECTURE.md's 12-cell matrix:
// a client that sends its read request to 255.255.255.255, the subnet
// broadcast or the server, and its ACKs to the server's transfer port at the
// server's address, 255.255.255.255 or the subnet broadcast, or to port 69.
// It runs in the client's network namespace (bench/tftp/run.sh starts it
// with ip netns exec) and prints one line per cell and the score.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"fieldcon/internal/devsim"
)

func main() {
	server := flag.String("server", "", "server address")
	bcast := flag.String("bcast", "", "subnet broadcast address")
	file := flag.String("file", "", "file to fetch")
	want := flag.String("want", "", "local copy of the file, to check what arrives")
	retransmit := flag.Duration("retransmit", 250*time.Millisecond, "client retransmit interval")
	retries := flag.Int("retries", 8, "client retries")
	flag.Parse()
	if err := run(*server, *bcast, *file, *want, *retransmit, *retries); err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		os.Exit(1)
	}
}

func run(server, bcast, file, want string, retransmit time.Duration, retries int) error {
	srv, err := netip.ParseAddr(server)
	if err != nil {
		return fmt.Errorf("-server: %w", err)
	}
	bc, err := netip.ParseAddr(bcast)
	if err != nil {
		return fmt.Errorf("-bcast: %w", err)
	}
	data, err := os.ReadFile(want)
	if err != nil {
		return err
	}
	all := netip.MustParseAddr("255.255.255.255")
	rrqs := []struct {
		name string
		to   netip.AddrPort
	}{
		{"255.255.255.255:69", netip.AddrPortFrom(all, 69)},
		{"subnet-bcast:69", netip.AddrPortFrom(bc, 69)},
		{"unicast:69", netip.AddrPortFrom(srv, 69)},
	}
	acks := []struct {
		name string
		to   devsim.TFTPTarget
	}{
		{"server TID", devsim.TFTPTarget{}},
		{"255.255.255.255:TID", devsim.TFTPTarget{IP: all}},
		{"subnet-bcast:TID", devsim.TFTPTarget{IP: bc}},
		{"server:69", devsim.TFTPTarget{Port: 69}},
	}
	score := 0
	for _, rrq := range rrqs {
		for _, ack := range acks {
			ok, why := cell(rrq.to, ack.to, file, data, retransmit, retries)
			mark := "FAIL"
			if ok {
				mark, score = "ok", score+1
			}
			fmt.Printf("  RRQ to %-19s ACKs to %-20s %-4s %s\n", rrq.name, ack.name, mark, why)
		}
	}
	fmt.Printf("matrix score %d/12\n", score)
	return nil
}

func cell(to netip.AddrPort, ack devsim.TFTPTarget, file string, want []byte, retransmit time.Duration, retries int) (bool, string) {
	conn, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		return false, err.Error()
	}
	defer conn.Close()
	c := &devsim.TFTPClient{Conn: conn, Server: to, AckTo: ack, Retransmit: retransmit, Retries: retries}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got bytes.Buffer
	res, err := c.Get(ctx, file, &got)
	switch {
	case err != nil:
		return false, err.Error()
	case !bytes.Equal(got.Bytes(), want):
		return false, fmt.Sprintf("%d bytes arrived, not the file", got.Len())
	}
	return true, fmt.Sprintf("(replies from %s, %d retransmits)", res.ServerTID, res.Retransmits)
}
