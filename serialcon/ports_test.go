package serialcon

import (
	"testing"
)

func TestChipsetName(t *testing.T) {
	tests := []struct {
		vid, pid, want string
	}{
		{"0403", "6001", "FTDI FT232R"},
		{"0403", "6015", "FTDI FT-X (FT230X/FT231X)"},
		{"0403", "ffff", "FTDI"},
		{"067b", "2303", "Prolific PL2303"},
		{"067B", "23A3", "Prolific PL2303GC"},
		{"10c4", "ea60", "Silicon Labs CP210x"},
		{"1a86", "7523", "WCH CH340"},
		{"05a6", "0009", "Cisco USB console"},
		{"05a6", "0010", "Cisco USB console"},
		{"0557", "2008", "ATEN UC232A (Prolific PL2303)"},
		{"046d", "c52b", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := chipsetName(tt.vid, tt.pid); got != tt.want {
			t.Errorf("chipsetName(%q, %q) = %q, want %q", tt.vid, tt.pid, got, tt.want)
		}
	}
}

func TestPortInfoFinish(t *testing.T) {
	tests := []struct {
		in   PortInfo
		want PortInfo
	}{
		{
			PortInfo{Path: "COM3", USB: true, VID: "10C4", PID: "EA60", Serial: "0001"},
			PortInfo{Path: "COM3", USB: true, VID: "10c4", PID: "ea60", Serial: "0001", Chipset: "Silicon Labs CP210x", LikelyConsole: true},
		},
		{
			PortInfo{Path: "/dev/ttyACM0", USB: true, VID: "2341", PID: "0043"},
			PortInfo{Path: "/dev/ttyACM0", USB: true, VID: "2341", PID: "0043"},
		},
		{
			PortInfo{Path: "/dev/ttyS0"},
			PortInfo{Path: "/dev/ttyS0"},
		},
	}
	for _, tt := range tests {
		got := tt.in
		got.finish()
		if got != tt.want {
			t.Errorf("finish(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestNaturalOrder(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"/dev/ttyUSB2", "/dev/ttyUSB10", true},
		{"/dev/ttyUSB10", "/dev/ttyUSB2", false},
		{"COM3", "COM12", true},
		{"/dev/ttyACM0", "/dev/ttyUSB0", true},
	}
	for _, tt := range tests {
		if got := naturalLess(tt.a, tt.b); got != tt.want {
			t.Errorf("naturalLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSameAdapter(t *testing.T) {
	ftdi := PortInfo{Path: "/dev/ttyUSB0", USB: true, VID: "0403", PID: "6001", Serial: "A50285BI"}
	moved := ftdi
	moved.Path = "/dev/ttyUSB1"
	other := ftdi
	other.Serial = "FTY4QKR3"
	tests := []struct {
		name        string
		before, now PortInfo
		wantSame    bool
	}{
		{"same usb adapter, new name", ftdi, moved, true},
		{"another cable of the same make", ftdi, other, false},
		{"usb adapter replaced by a plain port", ftdi, PortInfo{Path: "/dev/ttyUSB0"}, false},
		{"plain port, same path", PortInfo{Path: "/dev/ttyS0"}, PortInfo{Path: "/dev/ttyS0"}, true},
		{"plain port, other path", PortInfo{Path: "/dev/ttyS0"}, PortInfo{Path: "/dev/ttyS1"}, false},
	}
	for _, tt := range tests {
		if got := sameAdapter(tt.before, tt.now); got != tt.wantSame {
			t.Errorf("%s: sameAdapter(%+v, %+v) = %v, want %v", tt.name, tt.before, tt.now, got, tt.wantSame)
		}
	}
}
