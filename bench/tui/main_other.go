//go:build !unix

// Command tuibench needs pseudo-terminals for its simulated line, so it
// runs on Linux and macOS only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "tuibench: the simulated serial line needs pseudo-terminals (Linux or macOS)")
	os.Exit(1)
}
