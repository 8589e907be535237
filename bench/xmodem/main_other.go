//go:build !(linux || darwin || freebsd)

// Command xmodem compares fieldcon's XMODEM-1K sender with lrzsz; it needs
// pseudo-terminals.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "the XMODEM benchmark needs a Unix-like OS (Linux or macOS): the simulated line runs on pseudo-terminals")
	os.Exit(1)
}
