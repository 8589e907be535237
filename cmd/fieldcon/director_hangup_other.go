//go:build !unix

package main

import "os"

// hangups delivers nothing: Windows has no SIGHUP; restart the director to
// read director.yaml again.
func hangups() (sig <-chan os.Signal, stop func()) { return nil, func() {} }
