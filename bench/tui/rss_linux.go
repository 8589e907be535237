//go:build linux

package main

import "syscall"

// maxRSSKiB is the peak resident set; Linux reports it in KiB.
func maxRSSKiB(ru syscall.Rusage) int64 { return ru.Maxrss }
