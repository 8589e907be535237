//go:build linux

package serialcon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// listPorts reads sysfs instead of calling go.bug.st/serial's GetPortsList,
// which opens every ttyS* to see whether a UART is behind it (slow, and it
// toggles modem lines on real ports).
func listPorts() ([]PortInfo, error) { return listSysfs("/sys/class/tty", "/dev") }

// listSysfs lists the ttys under classDir that have a device behind them,
// naming them under devDir. Tests point it at a fake tree.
func listSysfs(classDir, devDir string) ([]PortInfo, error) {
	entries, err := os.ReadDir(classDir)
	if err != nil {
		return nil, err
	}
	var out []PortInfo
	for _, e := range entries {
		name := e.Name()
		dir := filepath.Join(classDir, name)
		dev, err := filepath.EvalSymlinks(filepath.Join(dir, "device"))
		if err != nil {
			continue // virtual terminals, ptmx, console: no device behind them
		}
		if strings.HasPrefix(name, "ttyS") && readAttr(filepath.Join(dir, "type")) == "0" {
			continue // an 8250 slot with no UART behind it
		}
		p := PortInfo{Path: filepath.Join(devDir, name)}
		if usb := usbDeviceDir(dev); usb != "" {
			p.USB = true
			p.VID = readAttr(filepath.Join(usb, "idVendor"))
			p.PID = readAttr(filepath.Join(usb, "idProduct"))
			p.Serial = readAttr(filepath.Join(usb, "serial"))
			p.Manufacturer = readAttr(filepath.Join(usb, "manufacturer"))
			p.Product = readAttr(filepath.Join(usb, "product"))
		}
		out = append(out, p)
	}
	return out, nil
}

// usbDeviceDir walks up from a tty's device (a usb-serial port for ttyUSB*,
// a USB interface for ttyACM*) to the USB device that carries idVendor.
func usbDeviceDir(dev string) string {
	for d, i := dev, 0; i < 4 && d != "/" && d != "."; d, i = filepath.Dir(d), i+1 {
		if _, err := os.Stat(filepath.Join(d, "idVendor")); err == nil {
			return d
		}
	}
	return ""
}

func readAttr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}
