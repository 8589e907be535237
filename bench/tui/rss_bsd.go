//go:build unix && !linux

package main

import "syscall"

// maxRSSKiB is the peak resident set; the BSDs and macOS report bytes.
func maxRSSKiB(ru syscall.Rusage) int64 { return int64(ru.Maxrss) / 1024 }
