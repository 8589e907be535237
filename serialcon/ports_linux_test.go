//go:build linux

package serialcon

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeSysfs builds the parts of /sys that listSysfs reads: class/tty entries
// whose device links point into a devices tree, as the kernel lays them out
// for usb-serial (ttyUSB), cdc-acm (ttyACM) and 8250 (ttyS) ports.
func fakeSysfs(t *testing.T) (classDir string) {
	t.Helper()
	root := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
	}
	dev := filepath.Join(root, "devices")
	class := filepath.Join(root, "class", "tty")

	// FTDI cable: usb device 1-1, interface 1-1:1.0, usb-serial port ttyUSB0.
	ftdi := filepath.Join(dev, "pci0000:00", "usb1", "1-1")
	write(filepath.Join(ftdi, "idVendor"), "0403")
	write(filepath.Join(ftdi, "idProduct"), "6001")
	write(filepath.Join(ftdi, "serial"), "A50285BI")
	write(filepath.Join(ftdi, "manufacturer"), "FTDI")
	write(filepath.Join(ftdi, "product"), "FT232R USB UART")
	port := filepath.Join(ftdi, "1-1:1.0", "ttyUSB0")
	write(filepath.Join(port, "uevent"), "")
	link(port, filepath.Join(class, "ttyUSB0", "device"))

	// Cisco USB console port: cdc-acm, device link is the interface.
	cisco := filepath.Join(dev, "pci0000:00", "usb1", "1-2")
	write(filepath.Join(cisco, "idVendor"), "05a6")
	write(filepath.Join(cisco, "idProduct"), "0009")
	write(filepath.Join(cisco, "manufacturer"), "Cisco")
	write(filepath.Join(cisco, "product"), "USB Console")
	iface := filepath.Join(cisco, "1-2:1.0")
	write(filepath.Join(iface, "uevent"), "")
	link(iface, filepath.Join(class, "ttyACM0", "device"))

	// 8250 slots: one with a UART, one without.
	for name, typ := range map[string]string{"ttyS0": "4", "ttyS1": "0"} {
		p := filepath.Join(dev, "platform", "serial8250", name)
		write(filepath.Join(p, "uevent"), "")
		link(p, filepath.Join(class, name, "device"))
		write(filepath.Join(class, name, "type"), typ)
	}
	// Virtual terminal: no device.
	write(filepath.Join(class, "tty0", "dev"), "4:0")
	return class
}

func TestListSysfs(t *testing.T) {
	got, err := listSysfs(fakeSysfs(t), "/dev")
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].finish()
	}
	want := []PortInfo{
		{Path: "/dev/ttyACM0", USB: true, VID: "05a6", PID: "0009", Manufacturer: "Cisco", Product: "USB Console", Chipset: "Cisco USB console", LikelyConsole: true},
		{Path: "/dev/ttyS0"},
		{Path: "/dev/ttyUSB0", USB: true, VID: "0403", PID: "6001", Serial: "A50285BI", Manufacturer: "FTDI", Product: "FT232R USB UART", Chipset: "FTDI FT232R", LikelyConsole: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listSysfs (-want +got):\n%s", diff)
	}
}

func TestPortsOpensNothing(t *testing.T) {
	// Ports must work on this machine and must not open ports to find them:
	// every listed path exists and ttyS slots without a UART are left out.
	ps, err := Ports()
	if err != nil {
		t.Fatalf("Ports() = %v", err)
	}
	for _, p := range ps {
		if _, err := os.Stat(p.Path); err != nil {
			t.Errorf("Ports() lists %s, which does not exist: %v", p.Path, err)
		}
	}
}
