package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"fieldcon/serialcon"
)

// sizes are the screens every view is checked at.
var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// TestViewGolden renders each screen of the TUI, without colours, and
// compares it with testdata/TestViewGolden/<case>_<w>x<h>.golden; run with
// -update to rewrite them after a deliberate change.
func TestViewGolden(t *testing.T) {
	ports := []serialcon.PortInfo{
		{Path: "/dev/ttyS0"},
		{Path: "/dev/ttyUSB0", USB: true, VID: "10c4", PID: "ea60", Serial: "0001", Product: "CP2102 USB to UART Bridge Controller", Chipset: "Silicon Labs CP210x", LikelyConsole: true},
		{Path: "/dev/ttyACM0", USB: true, VID: "05a6", PID: "0009", Chipset: "Cisco USB console", LikelyConsole: true},
	}
	picker := func(ps []serialcon.PortInfo, err error) Options {
		return Options{
			ListPorts: func() ([]serialcon.PortInfo, error) { return ps, err },
			Open:      func(context.Context, PortChoice) (Console, error) { return nil, errors.New("unused") },
			StartSim:  func(context.Context) (Console, string, error) { return nil, "", errors.New("unused") },
			Prefs:     Prefs{Last: PortChoice{Port: "/dev/ttyUSB0", Baud: 9600}},
		}
	}
	boot := "\r\nBoot Sector Filesystem (bs) installed, fsid: 2\r\nBase ethernet MAC Address: 00:11:22:33:44:55\r\nXmodem file system is available.\r\nThe password-recovery mechanism is enabled.\r\n\r\nThe system has been interrupted prior to initializing the\r\nflash filesystem.  The following commands will initialize\r\nthe flash filesystem, and finish loading the operating\r\nsystem software:\r\n\r\n    flash_init\r\n    boot\r\n\r\n"
	tests := []struct {
		name string
		opts func() Options
		do   func(h *harness)
	}{
		{"picker", func() Options { return picker(ports, nil) }, nil},
		{"picker_no_ports", func() Options { return picker(nil, nil) }, nil},
		{"picker_error", func() Options { return picker(nil, errors.New("cannot read /sys/class/tty")) }, nil},
		{"console_boot", func() Options { return Options{} }, func(h *harness) {
			h.data(boot + "switch: ")
			h.event(serialcon.Event{Kind: serialcon.EventPrompt, Prompt: serialcon.PromptSwitchLoader})
		}},
		{"console_dirty_bytes", func() Options { return Options{} }, func(h *harness) {
			h.data("\x1b[1;32mRouter>\x1b[0m en\r\nPassword: \x00\x07\r\nRouter#show ver\r\n --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bCisco IOS Software\r\n\xff\xfe\x80\x81~\x9b\xe3\x83\r\n" + strings.Repeat("long-line-", 30) + "\r\nLoading 10%\rLoading 100%\r\nRouter#")
		}},
		{"console_disconnected", func() Options { return Options{} }, func(h *harness) {
			h.event(serialcon.Event{Kind: serialcon.EventDisconnected, Err: errors.New("read /dev/ttyUSB0: adapter unplugged")})
		}},
		{"console_timestamps_hex", func() Options { return Options{} }, func(h *harness) {
			h.press("ctrl+t", "t")
			h.data("dir\r\n")
			h.press("ctrl+t", "h")
			h.data("Directory of flash:/\r\n")
		}},
		{"console_scrolled_search", func() Options { return Options{} }, func(h *harness) {
			var b strings.Builder
			for i := range 80 {
				fmt.Fprintf(&b, "%4d  -rwx  %8d  Mar 1 1993 00:02:16 +00:00  file%02d.bin\r\n", i, i*1000, i)
			}
			h.data(b.String())
			h.press("ctrl+t", "/")
			h.typ("file20")
			h.press("enter")
		}},
		{"console_speed_dialog", func() Options { return Options{} }, func(h *harness) {
			h.press("ctrl+t", "s", "right")
		}},
		{"console_prefix_pending", func() Options { return Options{} }, func(h *harness) {
			h.press("ctrl+t")
		}},
		{"help", func() Options { return Options{} }, func(h *harness) {
			h.press("ctrl+t", "?")
		}},
		{"help_picker", func() Options { return picker(ports, nil) }, func(h *harness) {
			h.press("?")
		}},
	}
	for _, tt := range tests {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, sz.w, sz.h), func(t *testing.T) {
				run(t, func(t *testing.T) {
					h := newHarness(t, sz.w, sz.h, tt.opts())
					if tt.do != nil {
						tt.do(h)
					}
					view := ansi.Strip(h.app.Render())
					checkScreen(t, view, sz.w, sz.h)
					golden.RequireEqual(t, view)
				})
			})
		}
	}
}

// checkScreen fails if the view is not exactly the screen's size.
func checkScreen(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, n, w, l)
		}
	}
}
