//go:build !(linux || darwin || freebsd)

// Command link measures the simulated serial link; it needs pseudo-terminals.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "the link benchmark needs a Unix-like OS (Linux or macOS): the simulator runs on pseudo-terminals")
	os.Exit(1)
}
