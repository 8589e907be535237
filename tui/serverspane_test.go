package tui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"fieldcon/servers"
	"fieldcon/servers/dhcp"
)

// fakeServers is a ServerControl that records what the pane asks and
// reports starts and stops through the hook, as the real servers do.
type fakeServers struct {
	hook servers.Hook

	mu      sync.Mutex
	calls   []string
	leases  []dhcp.Lease
	failing error
}

func (f *fakeServers) Setting(name string) (string, string) {
	if name == ServerDHCP {
		return "DHCP on interface and range: ", "eth1 10.0.0.10-10.0.0.50"
	}
	return "TFTP listen address: ", ":69"
}

func (f *fakeServers) Start(ctx context.Context, name, setting string) error {
	f.mu.Lock()
	f.calls = append(f.calls, "start "+name+" "+setting)
	err := f.failing
	f.mu.Unlock()
	if err != nil {
		return err
	}
	f.hook.Emit(servers.Event{Time: testClock, Server: name, Kind: servers.Started, Subject: "0.0.0.0:69"})
	return nil
}

func (f *fakeServers) Stop(ctx context.Context, name string) error {
	f.mu.Lock()
	f.calls = append(f.calls, "stop "+name)
	f.mu.Unlock()
	f.hook.Emit(servers.Event{Time: testClock, Server: name, Kind: servers.Stopped})
	return nil
}

func (f *fakeServers) Leases() []dhcp.Lease {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]dhcp.Lease(nil), f.leases...)
}

func (f *fakeServers) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

var testLeases = []dhcp.Lease{
	{Addr: netip.MustParseAddr("10.0.0.10"), MAC: mac("00:1b:d4:bf:97:c0"), Hostname: "sw-bf.97c0", VendorClass: "ciscopnp", State: dhcp.Bound, Expires: testClock.Add(3600e9)},
	{Addr: netip.MustParseAddr("10.0.0.11"), MAC: mac("00:1e:7a:11:22:33"), Hostname: "ap1240", VendorClass: "Cisco AP c1240", State: dhcp.Offered, Expires: testClock.Add(30e9)},
}

// transferEvents are a TFTP server's reports: one transfer under way, one
// done, one failed.
func transferEvents() []servers.Event {
	e := func(k servers.Kind, peer, subject string, id string, b, total int64, rate float64, detail string, attrs map[string]string) servers.Event {
		a := map[string]string{"transfer": id, "direction": "download"}
		for k, v := range attrs {
			a[k] = v
		}
		return servers.Event{Time: testClock, Server: "tftp", Kind: k, Peer: peer, Subject: subject, Bytes: b, Total: total, Rate: rate, Detail: detail, Attrs: a}
	}
	aliased := map[string]string{"served": "images/c1240-k9w7-tar.124-25d.JA1.tar", "alias": "*-k9w7-tar.default"}
	return []servers.Event{
		{Time: testClock, Server: "tftp", Kind: servers.Started, Subject: "0.0.0.0:69", Detail: "serving images/"},
		e(servers.TransferStart, "10.0.0.1:2071", "c1240-k9w7-tar.default", "1", 0, 6<<20, 0, "10.0.0.1 asked for c1240-k9w7-tar.default, served images/c1240-k9w7-tar.124-25d.JA1.tar", aliased),
		e(servers.TransferProgress, "10.0.0.1:2071", "c1240-k9w7-tar.default", "1", 2831155, 6<<20, 512<<10, "", aliased),
		e(servers.TransferStart, "10.0.0.12:50001", "c3750-ipbasek9-mz.122-25.SEB4.bin", "2", 0, 8<<20, 0, "10.0.0.12 asked for c3750-ipbasek9-mz.122-25.SEB4.bin", nil),
		e(servers.TransferDone, "10.0.0.12:50001", "c3750-ipbasek9-mz.122-25.SEB4.bin", "2", 8<<20, 8<<20, 1<<20, "10.0.0.12 got c3750-ipbasek9-mz.122-25.SEB4.bin in 8s", nil),
		e(servers.TransferStart, "10.0.0.13:50002", "vlan.dat", "3", 0, 0, 0, "", nil),
		e(servers.TransferFailed, "10.0.0.13:50002", "vlan.dat", "3", 1024, 0, 0, "10.0.0.13 vlan.dat: the device gave up: \"timeout\"", nil),
	}
}

func dhcpEvents() []servers.Event {
	return []servers.Event{
		{Time: testClock, Server: "dhcp", Kind: servers.Started, Subject: "eth1 10.0.0.1"},
		{Time: testClock, Server: "dhcp", Kind: dhcp.KindDiscover, Peer: "00:1b:d4:bf:97:c0"},
		{Time: testClock, Server: "dhcp", Kind: dhcp.KindAck, Peer: "00:1b:d4:bf:97:c0", Subject: "10.0.0.10", Detail: "10.0.0.10 to 00:1b:d4:bf:97:c0 (sw-bf.97c0) for 1h0m0s"},
	}
}

// serversHarness is a harness with the Servers pane's event channel and
// control; it must be built inside the synctest bubble.
func serversHarness(t *testing.T, w, h int, leases []dhcp.Lease) (*harness, *fakeServers) {
	hook, ch, _ := servers.Channel(256)
	ctl := &fakeServers{hook: hook, leases: leases}
	hs := newHarness(t, w, h, Options{Servers: ctl, ServerEvents: ch})
	hs.press("ctrl+t", "4")
	return hs, ctl
}

func (h *harness) serverEvents(ctl *fakeServers, evs []servers.Event) {
	for _, e := range evs {
		ctl.hook.Emit(e)
	}
	h.settle()
}

func TestServersPaneGolden(t *testing.T) {
	tests := []struct {
		name   string
		leases []dhcp.Lease
		do     func(h *harness, ctl *fakeServers)
	}{
		{"idle", nil, func(h *harness, ctl *fakeServers) {}},
		{"transfers_and_leases", testLeases, func(h *harness, ctl *fakeServers) {
			h.serverEvents(ctl, transferEvents())
			h.serverEvents(ctl, dhcpEvents())
		}},
		{"start_dialog", nil, func(h *harness, ctl *fakeServers) { h.press("d") }},
		{"start_failed", nil, func(h *harness, ctl *fakeServers) {
			ctl.failing = errors.New("no permission to use the TFTP port. Grant it once with: sudo setcap cap_net_bind_service=+ep $(command -v fieldcon)")
			h.press("t", "enter")
		}},
	}
	for _, tt := range tests {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, sz.w, sz.h), func(t *testing.T) {
				run(t, func(t *testing.T) {
					h, ctl := serversHarness(t, sz.w, sz.h, tt.leases)
					tt.do(h, ctl)
					view := ansi.Strip(h.app.Render())
					checkScreen(t, view, sz.w, sz.h)
					golden.RequireEqual(t, view)
				})
			})
		}
	}
}

func TestServersPaneStartStop(t *testing.T) {
	run(t, func(t *testing.T) {
		h, ctl := serversHarness(t, 80, 24, nil)
		h.press("t")
		if s := h.screen(); !strings.Contains(s, "TFTP listen address: :69") {
			t.Fatalf("no setting asked before starting TFTP:\n%s", s)
		}
		h.press("backspace", "backspace")
		h.typ("6969")
		h.press("enter")
		h.press("t")
		h.press("d", "esc") // asked, then not started
		want := []string{"start tftp :6969", "stop tftp"}
		if got := ctl.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("calls = %q, want %q", got, want)
		}
		if s := h.screen(); !strings.Contains(s, "TFTP server stopped.") || !strings.Contains(s, "○ TFTP  stopped") {
			t.Errorf("screen after stopping:\n%s", s)
		}
	})
}

func TestServersPaneTransferRows(t *testing.T) {
	run(t, func(t *testing.T) {
		h, ctl := serversHarness(t, 120, 40, nil)
		h.serverEvents(ctl, transferEvents())
		s := h.screen()
		for _, want := range []string{
			"10.0.0.1:2071    c1240-k9w7-tar.default → images/c1240-k9w7-tar.124-25d.JA1.tar",
			"░ 44% 2.7 MiB/6.0 MiB 512.0 KiB/s 6.6s left",
			"done 8.0 MiB at 1.0 MiB/s",
			"failed at 1.0 KiB",
			"tftp on │ 1 transfer(s)",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("screen lacks %q:\n%s", want, s)
			}
		}
		h.press("l") // clear finished transfers
		s = h.screen()
		if strings.Contains(s, "done 8.0 MiB") || !strings.Contains(s, "44%") {
			t.Errorf("l should drop finished transfers only:\n%s", s)
		}
	})
}

// TestProgramServers feeds a running program the events of a TFTP
// transfer and a DHCP exchange and watches the progress bar and the
// leases table.
func TestProgramServers(t *testing.T) {
	hook, ch, _ := servers.Channel(256)
	ctl := &fakeServers{hook: hook}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := New(Options{Ctx: ctx, Console: newFakeConsole(), Port: "/dev/ttyUSB0", Servers: ctl, ServerEvents: ch})
	tm := startProgram(t, app, 120, 40)
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("4"))
	waitScreen(t, tm, "○ TFTP  stopped")
	tm.Send(keyPress("t"))
	waitScreen(t, tm, "TFTP listen address: :69")
	tm.Send(keyPress("enter"))
	waitScreen(t, tm, "● TFTP  running on 0.0.0.0:69")
	evs := transferEvents()
	for _, e := range evs[1:3] {
		hook.Emit(e)
	}
	waitScreen(t, tm, "44% 2.7 MiB/6.0 MiB 512.0 KiB/s")
	progress := evs[2]
	progress.Bytes = 6 << 20
	progress.Kind = servers.TransferDone
	hook.Emit(progress)
	waitScreen(t, tm, "done 6.0 MiB")
	ctl.mu.Lock()
	ctl.leases = testLeases
	ctl.mu.Unlock()
	for _, e := range dhcpEvents() {
		hook.Emit(e)
	}
	waitScreen(t, tm, "sw-bf.97c0")
	waitScreen(t, tm, "ap1240")
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitGuard))
}
