// Command fieldcon is a console, XMODEM, TFTP, DHCP and Smart Install toolbox
// for bringing Cisco switches, routers and access points back to life.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr), os.Stderr, stop))
}
