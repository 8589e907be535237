// Command pinstock serves a folder with github.com/pin/tftp/v3 used the stock
// way (Serve on the *net.UDPConn, each transfer on a socket of its own read
// by the transfer's goroutine). bench/tftp/run.sh runs it next to fieldcon to
// tell the cost of pin/tftp's transfer loop from the cost of fieldcon's
// front end (single-port pin/tftp servers fed through a dispatcher). It
// fails the broadcast matrix, which is why fieldcon does not serve this way.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	pintftp "github.com/pin/tftp/v3"
)

func main() {
	root := flag.String("root", "", "folder to serve")
	listen := flag.String("listen", "0.0.0.0:69", "address to serve on")
	flag.Parse()
	r, err := os.OpenRoot(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pinstock:", err)
		os.Exit(1)
	}
	srv := pintftp.NewServer(func(name string, rf io.ReaderFrom) error {
		f, err := r.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = rf.ReadFrom(f)
		return err
	}, nil)
	srv.SetTimeout(time.Second)
	srv.SetBlockSizeNegotiation(false)
	srv.SetBlockSize(65464)
	a, err := net.ResolveUDPAddr("udp4", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pinstock:", err)
		os.Exit(1)
	}
	conn, err := net.ListenUDP("udp4", a)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pinstock:", err)
		os.Exit(1)
	}
	if err := srv.Serve(conn); err != nil {
		fmt.Fprintln(os.Stderr, "pinstock:", err)
		os.Exit(1)
	}
}
