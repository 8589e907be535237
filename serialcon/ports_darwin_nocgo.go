//go:build darwin && !cgo

package serialcon

import (
	"path/filepath"
	"strings"
)

// listPorts without cgo cannot ask IOKit, so it reads what macOS drivers put
// in the device names: /dev/cu.usbserial-<serial> (FTDI, Prolific),
// cu.SLAB_USBtoUART (CP210x), cu.wchusbserial* (CH340), cu.usbmodem* (CDC-ACM,
// the Cisco USB console port).
func listPorts() ([]PortInfo, error) {
	names, err := filepath.Glob("/dev/cu.*")
	if err != nil {
		return nil, err
	}
	out := make([]PortInfo, 0, len(names))
	for _, n := range names {
		out = append(out, guessFromName(n))
	}
	return out, nil
}

func guessFromName(path string) PortInfo {
	p := PortInfo{Path: path}
	base := strings.TrimPrefix(filepath.Base(path), "cu.")
	switch {
	case strings.HasPrefix(base, "usbserial-"):
		p.Chipset, p.Serial = "FTDI or Prolific", strings.TrimPrefix(base, "usbserial-")
	case strings.HasPrefix(base, "SLAB_USBtoUART"):
		p.Chipset = "Silicon Labs CP210x"
	case strings.HasPrefix(base, "wchusbserial"):
		p.Chipset = "WCH CH340"
	case strings.HasPrefix(base, "usbmodem"):
		p.Chipset = "USB CDC-ACM (Cisco USB console port or similar)"
	default:
		return p
	}
	// USB stays false: without VID:PID the identity is the path.
	p.LikelyConsole = true
	return p
}
