//go:build !linux && !windows && !darwin

package serialcon

import "go.bug.st/serial"

// listPorts on the BSDs: names only.
func listPorts() ([]PortInfo, error) {
	names, err := serial.GetPortsList()
	if err != nil {
		return nil, err
	}
	out := make([]PortInfo, 0, len(names))
	for _, n := range names {
		out = append(out, PortInfo{Path: n})
	}
	return out, nil
}
