//go:build windows || (darwin && cgo)

package serialcon

import "go.bug.st/serial/enumerator"

// listPorts uses go.bug.st/serial's enumerator (SetupAPI on Windows, IOKit on
// macOS, which needs cgo). Product strings are read only from known console
// chipsets: active probing can disturb other USB devices.
func listPorts() ([]PortInfo, error) {
	ds, err := enumerator.GetDetailedPortsList(knownConsoleVID)
	if err != nil {
		return nil, err
	}
	out := make([]PortInfo, 0, len(ds))
	for _, d := range ds {
		out = append(out, PortInfo{
			Path:         d.Name,
			USB:          d.IsUSB,
			VID:          d.VID,
			PID:          d.PID,
			Serial:       d.SerialNumber,
			Manufacturer: d.Manufacturer,
			Product:      d.Product,
		})
	}
	return out, nil
}
