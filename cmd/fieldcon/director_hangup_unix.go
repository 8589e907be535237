//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// hangups delivers SIGHUP, the Unix way of telling a running service to
// read its configuration again; stop ends the delivery.
func hangups() (sig <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}
