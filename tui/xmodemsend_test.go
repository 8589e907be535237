package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"fieldcon/xmodem"
)

const xmodemImage = "testdata/xmodem/c2960-lanbasek9-mz.150-2.SE11.bin"

// xmodemReceiver is the device side of a transfer: a real XMODEM receiver
// writing into got.
type xmodemReceiver struct {
	mu   sync.Mutex
	got  bytes.Buffer
	err  error
	done chan struct{}
}

func newXMODEMReceiver() *xmodemReceiver { return &xmodemReceiver{done: make(chan struct{})} }

func (r *xmodemReceiver) receive(dev net.Conn) {
	defer close(r.done)
	var buf bytes.Buffer
	_, err := xmodem.Receive(context.Background(), dev, &buf, xmodem.Options{Size: 5000})
	r.mu.Lock()
	r.got, r.err = buf, err
	r.mu.Unlock()
}

// stallingReceiver asks for CRC, acknowledges the first blocks 1K blocks,
// then reads on without answering, as a loader that hung would; it ends
// when the sender cancels (CAN) or the stream closes.
func stallingReceiver(blocks int, canceled chan<- bool) func(dev net.Conn) {
	return func(dev net.Conn) {
		dev.Write([]byte{'C'})
		for i := 0; i < blocks; i++ {
			b := make([]byte, 1029)
			if _, err := io.ReadFull(dev, b); err != nil {
				canceled <- false
				return
			}
			dev.Write([]byte{0x06})
		}
		one := make([]byte, 1)
		for {
			if _, err := dev.Read(one); err != nil {
				canceled <- false
				return
			}
			if one[0] == 0x18 {
				canceled <- true
				io.Copy(io.Discard, dev)
				return
			}
		}
	}
}

// TestXMODEMFromMenu picks the file in the ctrl-t x picker, keeps 1K
// blocks and checks the receiver got the file and the console says so.
func TestXMODEMFromMenu(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{XMODEMDir: "testdata/xmodem"})
		rx := newXMODEMReceiver()
		h.con.receive = rx.receive
		h.press("ctrl+t", "x")
		if s := h.screen(); !strings.Contains(s, "configs/") || !strings.Contains(s, "c2960-lanbasek9") {
			t.Fatalf("picker does not list the folder:\n%s", s)
		}
		h.press("down", "enter")
		if s := h.screen(); !strings.Contains(s, "send c2960-lanbasek9-mz.150-2.SE11.bin as: [1k] crc checksum auto") {
			t.Fatalf("no mode choice after picking the file:\n%s", s)
		}
		h.press("enter")
		<-rx.done
		h.settle()
		want, _ := os.ReadFile(xmodemImage)
		rx.mu.Lock()
		got, err := rx.got.Bytes(), rx.err
		rx.mu.Unlock()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("receiver got %d bytes (err %v), want the %d-byte file", len(got), err, len(want))
		}
		if s := h.screen(); !strings.Contains(s, "sent c2960-lanbasek9-mz.150-2.SE11.bin via XMODEM: 4.9 KiB") {
			t.Errorf("no success banner:\n%s", s)
		}
		if s := h.con.Sent(); s != "" {
			t.Errorf("typed %q at the device during the transfer, want nothing", s)
		}
	})
}

func TestXMODEMPickerFolders(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{XMODEMDir: "testdata/xmodem"})
		h.press("ctrl+t", "x", "enter") // open configs/
		if s := h.screen(); !strings.Contains(s, "in testdata/xmodem/configs") || !strings.Contains(s, "switch.cfg") {
			t.Fatalf("did not open the folder:\n%s", s)
		}
		h.press("backspace")
		if s := h.screen(); !strings.Contains(s, "in testdata/xmodem\n") && !strings.Contains(s, "in testdata/xmodem ") {
			t.Fatalf("backspace did not go up:\n%s", s)
		}
		h.press("esc")
		if s := h.screen(); strings.Contains(s, "Send a file via XMODEM") {
			t.Fatalf("esc left the picker open:\n%s", s)
		}
	})
}

// TestXMODEMCancel stops a transfer the device stopped answering: esc
// sends CAN to the receiver and the console says how far it got.
func TestXMODEMCancel(t *testing.T) {
	run(t, func(t *testing.T) {
		h := newHarness(t, 80, 24, Options{XMODEMDir: "testdata/xmodem"})
		canceled := make(chan bool, 1)
		h.con.receive = stallingReceiver(2, canceled)
		h.press("ctrl+t", "x", "down", "enter", "enter")
		s := h.screen()
		if !strings.Contains(s, "XMODEM c2960-lanbasek9") || !strings.Contains(s, "40% 2.0 KiB/4.9 KiB") {
			t.Fatalf("no progress bar after two blocks:\n%s", s)
		}
		h.press("x") // typing goes nowhere during the transfer
		h.press("esc")
		if !<-canceled {
			t.Error("the receiver never saw CAN")
		}
		h.settle()
		if s := h.screen(); !strings.Contains(s, "XMODEM send of c2960-lanbasek9-mz.150-2.SE11.bin stopped after 2.0 KiB") {
			t.Errorf("no stop banner:\n%s", s)
		}
		if s := h.con.Sent(); s != "" {
			t.Errorf("typed %q at the device during the transfer, want nothing", s)
		}
	})
}

func TestXMODEMGolden(t *testing.T) {
	tests := []struct {
		name string
		do   func(h *harness)
	}{
		{"picker", func(h *harness) { h.press("ctrl+t", "x") }},
		{"mode", func(h *harness) { h.press("ctrl+t", "x", "down", "enter", "right") }},
		{"progress", func(h *harness) {
			h.con.receive = stallingReceiver(3, make(chan bool, 1))
			h.press("ctrl+t", "x", "down", "enter", "enter")
		}},
	}
	for _, tt := range tests {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, sz.w, sz.h), func(t *testing.T) {
				run(t, func(t *testing.T) {
					h := newHarness(t, sz.w, sz.h, Options{XMODEMDir: "testdata/xmodem"})
					tt.do(h)
					view := ansi.Strip(h.app.Render())
					checkScreen(t, view, sz.w, sz.h)
					golden.RequireEqual(t, view)
					h.app.Close()
				})
			})
		}
	}
}

// TestProgramXMODEMSend runs the whole program: ctrl-t x, pick, send to a
// real XMODEM receiver, with the progress bar's rate on screen.
func TestProgramXMODEMSend(t *testing.T) {
	con := newFakeConsole()
	con.device = catalystLoader
	rx := newXMODEMReceiver()
	gate := make(chan struct{})
	con.receive = func(dev net.Conn) {
		// Hold the receiver until the screen has shown the waiting state.
		<-gate
		rx.receive(dev)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := New(Options{Ctx: ctx, Console: con, Port: "/dev/ttyUSB0", XMODEMDir: "testdata/xmodem"})
	tm := startProgram(t, app, 100, 30)
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("x"))
	waitScreen(t, tm, "4.9 KiB") // the listing is in
	tm.Send(keyPress("down"))
	tm.Send(keyPress("enter"))
	waitScreen(t, tm, "as: [1k]")
	tm.Send(keyPress("enter"))
	waitScreen(t, tm, "waiting for the receiver")
	close(gate)
	waitScreen(t, tm, "sent c2960-lanbasek9-mz.150-2.SE11.bin via XMODEM")
	want, _ := os.ReadFile(xmodemImage)
	<-rx.done
	if !bytes.Equal(rx.got.Bytes(), want) {
		t.Errorf("receiver got %d bytes, want the %d-byte file", rx.got.Len(), len(want))
	}
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitGuard))
}
