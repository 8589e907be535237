package serialcon

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// PortInfo describes one serial port candidate. VID and PID are four lower-case
// hex digits ("0403"); empty when the port is not USB or the OS does not say.
type PortInfo struct {
	Path          string `json:"path"`
	VID           string `json:"vid,omitempty"`
	PID           string `json:"pid,omitempty"`
	Serial        string `json:"serial,omitempty"`
	Manufacturer  string `json:"manufacturer,omitempty"`
	Product       string `json:"product,omitempty"`
	Chipset       string `json:"chipset,omitempty"` // friendly name: "FTDI FT232R", "Cisco USB console"
	USB           bool   `json:"usb"`
	LikelyConsole bool   `json:"likely_console"` // a USB-serial chipset console cables use
}

// describe is the short parenthesis after a path in messages.
func (p PortInfo) describe() string {
	var parts []string
	if p.Chipset != "" {
		parts = append(parts, p.Chipset)
	} else if p.Product != "" {
		parts = append(parts, p.Product)
	}
	if p.VID != "" {
		parts = append(parts, p.VID+":"+p.PID)
	}
	if p.Serial != "" {
		parts = append(parts, "serial "+p.Serial)
	}
	return strings.Join(parts, ", ")
}

// chipset is one row of the table of USB-serial bridges found in console cables.
type chipset struct {
	vid, pid string // pid "" matches any product of the vendor
	name     string
}

// chipsets names the bridges in console cables. Sources: the Linux drivers'
// id tables (ftdi_sio, pl2303, cp210x, ch341, cdc-acm); Cisco's own USB
// console port (mini-USB/USB-C on the switch) enumerates as CDC-ACM 05a6:0009.
var chipsets = []chipset{
	{"05a6", "0009", "Cisco USB console"},
	{"05a6", "", "Cisco USB console"},
	{"0403", "6001", "FTDI FT232R"},
	{"0403", "6010", "FTDI FT2232"},
	{"0403", "6011", "FTDI FT4232"},
	{"0403", "6014", "FTDI FT232H"},
	{"0403", "6015", "FTDI FT-X (FT230X/FT231X)"},
	{"0403", "", "FTDI"},
	{"067b", "2303", "Prolific PL2303"},
	{"067b", "23a3", "Prolific PL2303GC"},
	{"067b", "23c3", "Prolific PL2303GT"},
	{"067b", "23d3", "Prolific PL2303GL"},
	{"067b", "", "Prolific"},
	{"0557", "2008", "ATEN UC232A (Prolific PL2303)"},
	{"10c4", "ea60", "Silicon Labs CP210x"},
	{"10c4", "ea70", "Silicon Labs CP2105"},
	{"10c4", "ea71", "Silicon Labs CP2108"},
	{"10c4", "", "Silicon Labs"},
	{"1a86", "7523", "WCH CH340"},
	{"1a86", "5523", "WCH CH341"},
	{"1a86", "55d3", "WCH CH343"},
	{"1a86", "55d4", "WCH CH9102"},
	{"1a86", "", "WCH"},
}

// chipsetName looks a VID:PID up in the table; "" if unknown.
func chipsetName(vid, pid string) string {
	vid, pid = strings.ToLower(vid), strings.ToLower(pid)
	for _, c := range chipsets {
		if c.vid == vid && (c.pid == "" || c.pid == pid) {
			return c.name
		}
	}
	return ""
}

// knownConsoleVID reports whether a vendor is in the table; the Windows and
// macOS enumerators read product strings only from these (active probing can
// upset other devices).
func knownConsoleVID(vid, _ string) bool {
	vid = strings.ToLower(vid)
	for _, c := range chipsets {
		if c.vid == vid {
			return true
		}
	}
	return false
}

// finish normalises what an enumerator found and fills in Chipset and
// LikelyConsole.
func (p *PortInfo) finish() {
	p.VID, p.PID = strings.ToLower(p.VID), strings.ToLower(p.PID)
	if p.USB && p.Chipset == "" {
		p.Chipset = chipsetName(p.VID, p.PID)
	}
	// The name-only macOS fallback decides LikelyConsole from the device name.
	p.LikelyConsole = p.LikelyConsole || (p.USB && p.Chipset != "")
}

// Ports lists the serial ports on this machine, USB adapters with their
// identity. It does not open any port.
func Ports() ([]PortInfo, error) {
	ps, err := listPorts()
	if err != nil {
		return nil, err
	}
	for i := range ps {
		ps[i].finish()
	}
	sort.Slice(ps, func(i, j int) bool { return naturalLess(ps[i].Path, ps[j].Path) })
	return ps, nil
}

// naturalLess orders ttyUSB2 before ttyUSB10 and COM3 before COM12.
func naturalLess(a, b string) bool {
	ta, na := splitNumber(a)
	tb, nb := splitNumber(b)
	if ta != tb {
		return ta < tb
	}
	if len(na) != len(nb) {
		return len(na) < len(nb)
	}
	return na < nb
}

func splitNumber(s string) (string, string) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	return s[:i], strings.TrimLeft(s[i:], "0")
}

// sameAdapter reports whether now is the adapter that was seen before: same
// VID:PID and serial number for USB, the same path otherwise.
func sameAdapter(before, now PortInfo) bool {
	if !before.USB {
		return samePath(before.Path, now.Path)
	}
	return now.USB && before.VID == now.VID && before.PID == now.PID && before.Serial == now.Serial
}

func samePath(a, b string) bool {
	if a == b {
		return true
	}
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ra == rb
}

// defaultIdentity finds what is at path now: the Ports entry for it (through
// symlinks such as /dev/serial/by-id/…), or, for ports Ports does not list
// (pseudo-terminals, the simulator's link), a path-only identity while the
// path exists.
func defaultIdentity(path string) (PortInfo, bool) {
	if ps, err := Ports(); err == nil {
		for _, p := range ps {
			if samePath(p.Path, path) {
				return p, true
			}
		}
	}
	if _, err := os.Stat(path); err != nil {
		return PortInfo{}, false
	}
	return PortInfo{Path: path}, true
}

// findAdapter looks for a USB adapter among the listed ports, wherever it has
// reappeared (ttyUSB0 may come back as ttyUSB1).
func findAdapter(want PortInfo) (string, bool) {
	if !want.USB {
		return "", false
	}
	ps, err := Ports()
	if err != nil {
		return "", false
	}
	for _, p := range ps {
		if sameAdapter(want, p) {
			return p.Path, true
		}
	}
	return "", false
}
