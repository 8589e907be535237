package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"fieldcon/images"
	"fieldcon/recovery"
	"fieldcon/recovery/recoverytest"
	"fieldcon/serialcon"
	"fieldcon/xmodem"
)

// checkBin passes .bin files and refuses anything else, as the images
// package does for booting from the switch loader.
func checkBin(ctx context.Context, path, use string, dev recovery.DeviceFacts) (recovery.ImageVerdict, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return recovery.ImageVerdict{}, err
	}
	if !strings.HasSuffix(path, ".bin") {
		return recovery.ImageVerdict{Level: recovery.VerdictFail, Size: fi.Size(), Reason: "a .tar bundle is not bootable.", Fix: "Use the .bin inside it."}, nil
	}
	return recovery.ImageVerdict{Size: fi.Size()}, nil
}

// testPlaybooks is a fixed list, so the goldens do not change when
// playbooks are added to the build: the Catalyst playbook, one that starts
// elsewhere, and two whose settings the pane asks for (ROMMON TFTP, router
// password), built by fakes that record what they were given.
func testPlaybooks() []recovery.Entry { return (&buildLog{}).playbooks() }

// buildLog records what the fake playbooks were built and run with.
type buildLog struct {
	mu     sync.Mutex
	params []recovery.Params
	vars   []recovery.Vars // as the playbook's first step saw them
}

func (b *buildLog) playbooks() []recovery.Entry {
	cat, ok := recovery.Lookup("catalyst-xmodem")
	if !ok {
		panic("no catalyst-xmodem playbook")
	}
	return []recovery.Entry{
		{Name: "ap-manual-tftp", Title: "Aironet: tar -xtract over TFTP at ap:", Summary: "address the ap: loader, tar -xtract the bundle from the laptop, boot it", StartsAt: []string{"ap-loader"},
			Build: func(recovery.Params, recovery.Tools) (*recovery.Playbook, recovery.Vars, error) {
				return nil, nil, errors.New("not in this test")
			}},
		cat,
		{Name: "rommon-tftp", Title: "Router ROMMON: image over TFTP (tftpdnld)", Summary: "from rommon >: serve the .bin from the laptop (--iface), set IP_ADDRESS and the rest, tftpdnld, reset", StartsAt: []string{"rommon"},
			Build: b.build},
		{Name: "router-password", Title: "Router: password recovery (confreg 0x2142)", Summary: "from rommon >: confreg 0x2142, reset, enable secret --password, config-register 0x2102, save", StartsAt: []string{"rommon"},
			Build: b.build},
	}
}

// build is a playbook of one step that records its variables.
func (b *buildLog) build(p recovery.Params, _ recovery.Tools) (*recovery.Playbook, recovery.Vars, error) {
	b.mu.Lock()
	b.params = append(b.params, p)
	b.mu.Unlock()
	record := func(_ context.Context, r *recovery.Run) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.vars = append(b.vars, maps.Clone(r.Vars))
		return nil
	}
	pb := &recovery.Playbook{Name: "fake", Title: "Fake playbook", Steps: []recovery.Step{
		{Name: "record", Action: recovery.Func{What: "record the settings", F: record}},
	}}
	return pb, recovery.Vars{"image": p.Image}, nil
}

func (b *buildLog) get() ([]recovery.Params, []recovery.Vars) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.params), slices.Clone(b.vars)
}

// loaderDevice is a Catalyst booting into a broken IOS: it does not answer
// at first (the playbook asks for the MODE button); once it prints
// switch: it receives XMODEM into flash and boots. gate, when set, holds
// the XMODEM receiver after 4 KiB until it is closed.
type loaderDevice struct {
	*recoverytest.Console
	mu    sync.Mutex
	flash map[string][]byte
	gate  chan struct{}
	fail  bool // answer the transfer with xmodem:: I/O error
	// badBoot makes the copied image fail to decompress when booted.
	badBoot bool
}

func newLoaderDevice() *loaderDevice {
	d := &loaderDevice{Console: recoverytest.New(), flash: map[string][]byte{}}
	c := d.Console
	c.On(`^flash_init$`, "Initializing Flash...\r\n...done Initializing Flash.\r\nswitch: ")
	c.On(`^load_helper$`, "switch: ")
	c.On(`^set BOOT flash:`, "switch: ")
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^boot$`), Then: "ios", ReplyFunc: func() string {
		if d.badBoot {
			return "Loading \"flash:c3560.bin\"...@@@@@@@@\r\nError_Bad_Mzip\r\nswitch: "
		}
		return "Loading \"flash:c3560.bin\"...@@@@@@@@\r\nPress RETURN to get started!\r\n"
	}})
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^$`), Reply: "\r\nSwitch>", When: "ios"})
	c.On(`^copy xmodem: flash:(\S+)$`, "Begin the Xmodem or Xmodem-1K transfer now...\r\n")
	c.AddFunc(regexp.MustCompile(`^dir flash:$`), func() string {
		d.mu.Lock()
		defer d.mu.Unlock()
		var b strings.Builder
		b.WriteString("Directory of flash:/\r\n\r\n")
		used := 0
		for name, data := range d.flash {
			fmt.Fprintf(&b, "    2  -rwx  %d  <date>  %s\r\n", len(data), name)
			used += len(data)
		}
		fmt.Fprintf(&b, "\r\n%d bytes available (%d bytes used)\r\nswitch: ", 32514048-used, used)
		return b.String()
	})
	c.Receive = func(dev net.Conn) string {
		if d.fail {
			// The loader gives up: CAN CAN, then its error once the
			// sender has let go of the line.
			dev.Write([]byte{0x18, 0x18})
			io.Copy(io.Discard, dev)
			return "xmodem:: I/O error\r\nswitch: "
		}
		var in io.Reader = dev
		if d.gate != nil {
			in = &gatedReader{r: dev, after: 4200, gate: d.gate}
		}
		var got bytes.Buffer
		if _, err := xmodem.Receive(context.Background(), readWriteConn{Reader: in, Conn: dev}, &got, xmodem.Options{Mode: xmodem.ModeCRC}); err != nil {
			return "xmodem:: I/O error\r\nswitch: "
		}
		d.mu.Lock()
		d.flash["c3560.bin"] = bytes.TrimRight(got.Bytes(), "\x1a")
		d.mu.Unlock()
		fmt.Fprintf(dev, "\r\nFile \"xmodem:\" successfully copied to \"flash:c3560.bin\"\r\n")
		return "switch: "
	}
	return d
}

func (d *loaderDevice) flashSize(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.flash[name])
}

// gatedReader passes after bytes through, then waits for gate.
type gatedReader struct {
	r     io.Reader
	after int
	n     int
	gate  chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.n >= g.after {
		<-g.gate
	} else if len(p) > g.after-g.n {
		p = p[:g.after-g.n]
	}
	n, err := g.r.Read(p)
	g.n += n
	return n, err
}

// readWriteConn reads from Reader and writes and sets deadlines on Conn.
type readWriteConn struct {
	io.Reader
	net.Conn
}

func (c readWriteConn) Read(p []byte) (int, error) { return c.Reader.Read(p) }

// recoveryOptions runs playbooks on dev with the recovery image img chosen
// in a fake catalog.
func recoveryOptions(t *testing.T, dev *loaderDevice) Options {
	// A relative folder keeps the paths on screen the same in every run.
	cat := &fakeCatalog{dir: "testdata/recovery", files: map[string][]byte{"c3560.bin": nil}}
	cat.Select("c3560.bin", images.UseLoaderBoot)
	return Options{
		Images:     cat,
		ImagesPoll: -1,
		Recovery: &RecoveryDeps{
			Adapt:     func(Console) (recovery.Console, func(), error) { return dev, func() {}, nil },
			Tools:     recovery.Tools{CheckImage: checkBin},
			Playbooks: testPlaybooks,
		},
	}
}

// advance lets the bubble's fake clock run for d: every goroutine of the
// test program is blocked on a timer or a channel meanwhile.
func (h *harness) advance(d time.Duration) {
	time.Sleep(d)
	h.settle()
}

// startCatalyst opens the Recovery tab at the switch: prompt and starts
// the Catalyst playbook, up to its question about the MODE button.
func startCatalyst(h *harness) {
	h.press("ctrl+t", "2")
	h.event(serialcon.Event{Kind: serialcon.EventPrompt, Prompt: serialcon.PromptSwitchLoader})
	h.press("enter")
	h.advance(4 * time.Second) // the loader prompt does not answer
}

// frozenCatalog is the built-in catalog's names and texts as of the 11
// playbooks, frozen so the long-list golden changes only with the pane.
func frozenCatalog() []recovery.Entry {
	es := []recovery.Entry{
		{Name: "aironet-mode-recovery", Title: "Aironet AP: MODE-button recovery over TFTP",
			Summary:  "hold MODE at power-on; fieldcon (at 10.0.0.2-30 on --iface) serves the -tar- bundle under the *-k9w7-tar.default name the AP broadcasts for and follows the extraction to the new IOS",
			StartsAt: []string{"ap-loader", "ios-user", "ios-privileged", "press-return"}},
		{Name: "aironet-tftp", Title: "Aironet AP: tar -xtract over TFTP from ap:",
			Summary:  "from the ap: prompt: set IP_ADDR/NETMASK/DEFAULT_ROUTER, ether_init, tftp_init, flash_init, tar -xtract the bundle from the laptop (answering -- MORE --), set BOOT and boot",
			StartsAt: []string{"ap-loader"}},
		{Name: "catalyst-loader-tftp", Title: "Catalyst 3560-X/3750-X: image over TFTP from switch:",
			Summary:  "over the management port: set IP_ADDR, set DEFAULT_ROUTER, copy tftp://laptop/FILE flash:, set BOOT, boot",
			StartsAt: []string{"switch-loader"}},
		{Name: "catalyst-password", Title: "Catalyst switch: password recovery from switch:",
			Summary:  "MODE at power-on, flash_init, rename config.text aside, boot, rename it back, copy it to running-config, enable secret --password, write memory",
			StartsAt: []string{"switch-loader"}},
		{Name: "catalyst-xmodem", Title: "Catalyst switch: image over XMODEM",
			Summary:  "copy an IOS .bin into flash over the console from switch: (with --fast at the highest speed the loader takes), set BOOT and boot it",
			StartsAt: []string{"switch-loader"}},
		{Name: "emergency-install", Title: "Catalyst 3850/3650: emergency-install over TFTP",
			Summary:  "over the management port: set IP_ADDR, set DEFAULT_ROUTER, ping, emergency-install tftp://laptop/BUNDLE.bin (erases bootflash, asks first), wait for IOS-XE",
			StartsAt: []string{"switch-loader"}},
		{Name: "lap-upgrade", Title: "Lightweight AP: manual upgrade with archive download-sw",
			Summary:  "enable (password Cisco), debug capwap console cli, check flash, archive download-sw /overwrite /reload from the laptop; waits and retries when the AP's controller download holds flash:/update",
			StartsAt: []string{"ios-user", "ios-privileged", "press-return"}},
		{Name: "rommon-tftp", Title: "Router ROMMON: image over TFTP (tftpdnld)",
			Summary:  "from rommon >: serve the .bin from the laptop (--iface), set IP_ADDRESS, IP_SUBNET_MASK, DEFAULT_GATEWAY, TFTP_SERVER, TFTP_FILE (checked, read back), tftpdnld (erases flash), reset; refuses images over 65535 512-byte blocks unless the ROMMON takes TFTP_BLKSIZE",
			StartsAt: []string{"rommon"}},
		{Name: "rommon-xmodem", Title: "Router ROMMON: image over XMODEM",
			Summary:  "from rommon >: xmodem -y (YMODEM) or -c where the ROMMON has them, checksum otherwise; with --fast -s 115200 and the host following there and back; waits for IOS",
			StartsAt: []string{"rommon"}},
		{Name: "router-password", Title: "Router: password recovery (confreg 0x2142)",
			Summary:  "from rommon >: confreg 0x2142, reset, copy startup-config running-config, enable secret --password, config-register 0x2102, save; re-detects the console speed a mistyped register (0x2124) changed",
			StartsAt: []string{"rommon"}},
		{Name: "stack-version-mismatch", Title: "Switch stack: member in Version Mismatch",
			Summary:  "show switch, then archive copy-sw /overwrite /destination-system N M and reload slot N (each after confirmation), until member N is Ready",
			StartsAt: []string{"ios-user", "ios-privileged", "press-return"}},
	}
	for i := range es {
		es[i].Build = func(recovery.Params, recovery.Tools) (*recovery.Playbook, recovery.Vars, error) {
			return nil, nil, errors.New("not in this test")
		}
	}
	return es
}

// atPrompt opens the Recovery tab with the device at prompt.
func atPrompt(h *harness, prompt serialcon.PromptKind) {
	h.press("ctrl+t", "2")
	h.event(serialcon.Event{Kind: serialcon.EventPrompt, Prompt: prompt})
}

func TestRecoveryPaneGolden(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(d *loaderDevice)
		do        func(h *harness, d *loaderDevice)
		playbooks func() []recovery.Entry
	}{
		{name: "no_prompt", do: func(h *harness, d *loaderDevice) { h.press("ctrl+t", "2") }},
		{name: "suggested", do: func(h *harness, d *loaderDevice) {
			h.press("ctrl+t", "2")
			h.event(serialcon.Event{Kind: serialcon.EventPrompt, Prompt: serialcon.PromptSwitchLoader})
			h.press("f")
		}},
		{name: "asks_for_mode_button", do: func(h *harness, d *loaderDevice) { startCatalyst(h) }},
		{name: "transfer", setup: func(d *loaderDevice) { d.gate = make(chan struct{}) }, do: func(h *harness, d *loaderDevice) {
			startCatalyst(h)
			d.Emit("switch: ")
			h.press("enter")
		}},
		{name: "done", do: func(h *harness, d *loaderDevice) {
			startCatalyst(h)
			d.Emit("switch: ")
			h.press("enter")
			h.advance(time.Minute)
		}},
		{name: "transfer_failed", setup: func(d *loaderDevice) { d.fail = true }, do: func(h *harness, d *loaderDevice) {
			startCatalyst(h)
			d.Emit("switch: ")
			h.press("enter")
			h.advance(time.Minute)
		}},
		{name: "failed_with_diagnosis", setup: func(d *loaderDevice) { d.badBoot = true }, do: func(h *harness, d *loaderDevice) {
			startCatalyst(h)
			d.Emit("switch: ")
			h.press("enter")
			h.advance(time.Minute)
		}},
		{name: "doctor_on_console", do: func(h *harness, d *loaderDevice) {
			h.data("switch#archive download-sw /overwrite tftp://10.0.0.2/c3560-ipbasek9-mz.122-55.SE.bin\r\n" +
				"examining image...\r\n%Tar checksum error in tftp://10.0.0.2/c3560-ipbasek9-mz.122-55.SE.bin\r\n" +
				"%Error opening tftp://10.0.0.2/c3560-ipbasek9-mz.122-55.SE.bin (Image is not a valid IOS image archive.)\r\nswitch#")
			h.press("ctrl+t", "2")
		}},
		{name: "settings_form", do: func(h *harness, d *loaderDevice) {
			atPrompt(h, serialcon.PromptROMMON)
			h.press("enter")
			h.typ("eth1")
			h.press("down")
			h.typ("10.0.0.2")
			h.press("down", "down")
			h.typ("10.0.0.9")
		}},
		{name: "settings_error", do: func(h *harness, d *loaderDevice) {
			atPrompt(h, serialcon.PromptROMMON)
			h.press("enter", "down")
			h.typ("10.0.0")
			h.press("enter")
		}},
		{name: "settings_in_list", do: func(h *harness, d *loaderDevice) {
			atPrompt(h, serialcon.PromptROMMON)
			h.press("enter")
			h.typ("eth1")
			h.press("esc")
		}},
		{name: "password_form", do: func(h *harness, d *loaderDevice) {
			atPrompt(h, serialcon.PromptROMMON)
			h.press("down", "enter")
			h.typ("s3cret!")
		}},
		{name: "long_list_top", playbooks: frozenCatalog, do: func(h *harness, d *loaderDevice) {
			atPrompt(h, serialcon.PromptSwitchLoader)
		}},
		{name: "long_list_doctor", playbooks: frozenCatalog, do: func(h *harness, d *loaderDevice) {
			h.data("The system is unable to boot automatically.  The BOOT\r\nenvironment variable needs to be set to a bootable\r\nimage.\r\n\r\nswitch: ")
			atPrompt(h, serialcon.PromptSwitchLoader)
		}},
		{name: "long_list_scrolled", playbooks: frozenCatalog, do: func(h *harness, d *loaderDevice) {
			atPrompt(h, serialcon.PromptSwitchLoader)
			for range 9 {
				h.press("down")
			}
		}},
	}
	for _, tt := range tests {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, sz.w, sz.h), func(t *testing.T) {
				run(t, func(t *testing.T) {
					d := newLoaderDevice()
					if tt.setup != nil {
						tt.setup(d)
					}
					o := recoveryOptions(t, d)
					if tt.playbooks != nil {
						o.Recovery.Playbooks = tt.playbooks
					}
					h := newHarness(t, sz.w, sz.h, o)
					tt.do(h, d)
					view := ansi.Strip(h.app.Render())
					if strings.Contains(view, "s3cret") {
						t.Errorf("the password shows on screen:\n%s", view)
					}
					checkScreen(t, view, sz.w, sz.h)
					golden.RequireEqual(t, view)
					// Let a held transfer go, abort whatever still runs,
					// and give the cleanup its time.
					if d.gate != nil {
						close(d.gate)
					}
					h.press("a")
					h.advance(time.Minute)
				})
			})
		}
	}
}

// TestRecoveryPaneRun runs the Catalyst playbook from the pane: the
// question about the MODE button is answered with a key, the device gets
// exactly the loader commands, and the image lands in its flash.
func TestRecoveryPaneRun(t *testing.T) {
	run(t, func(t *testing.T) {
		d := newLoaderDevice()
		h := newHarness(t, 120, 40, recoveryOptions(t, d))
		startCatalyst(h)
		s := h.screen()
		if !strings.Contains(s, "hold the MODE button") || !strings.Contains(s, "answer in Recovery") {
			t.Fatalf("no question about the MODE button:\n%s", s)
		}
		d.Emit("switch: ")
		h.press("right", "left", "enter") // choose Cancel, back to Done, answer
		h.advance(time.Minute)            // the XMODEM end-of-file handshake waits on timers
		s = h.screen()
		if !strings.Contains(s, "✓ Done: the device is verified recovered.") {
			t.Fatalf("run did not end in success:\n%s", s)
		}
		want := []string{"", "flash_init", "load_helper", "dir flash:", "copy xmodem: flash:c3560.bin", "dir flash:", "set BOOT flash:c3560.bin", "boot", ""}
		if got := d.Sent(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("lines sent = %q, want %q", got, want)
		}
		if n := d.flashSize("c3560.bin"); n != 20000 {
			t.Errorf("flash holds %d bytes of the image, want 20000", n)
		}
		h.press("enter")
		if s := h.screen(); !strings.Contains(s, "Playbooks for the switch-loader prompt") {
			t.Errorf("enter after the run did not go back to the list:\n%s", s)
		}
	})
}

func TestRecoveryPaneDecline(t *testing.T) {
	run(t, func(t *testing.T) {
		d := newLoaderDevice()
		h := newHarness(t, 80, 24, recoveryOptions(t, d))
		startCatalyst(h)
		h.press("esc")
		if s := h.screen(); !strings.Contains(s, "declined") {
			t.Errorf("answering Cancel should end the run as declined:\n%s", s)
		}
		if got := d.Sent(); len(got) != 1 {
			t.Errorf("lines sent = %q, want only the first Enter", got)
		}
	})
}

func TestRecoveryPaneAbort(t *testing.T) {
	run(t, func(t *testing.T) {
		d := newLoaderDevice()
		h := newHarness(t, 80, 24, recoveryOptions(t, d))
		startCatalyst(h)
		h.press("a")
		s := h.screen()
		if !strings.Contains(s, "Aborted.") || !strings.Contains(s, "aborted") {
			t.Errorf("a should abort the run:\n%s", s)
		}
	})
}

func TestRecoveryPaneNeedsImage(t *testing.T) {
	run(t, func(t *testing.T) {
		d := newLoaderDevice()
		o := recoveryOptions(t, d)
		o.Images.ClearSelection()
		h := newHarness(t, 80, 24, o)
		h.press("ctrl+t", "2", "down", "enter")
		if s := h.screen(); !strings.Contains(s, "catalyst-xmodem needs an image: choose one in the Images tab") {
			t.Errorf("no hint to choose an image:\n%s", s)
		}
		if got := d.Sent(); len(got) != 0 {
			t.Errorf("typed %q without an image, want nothing", got)
		}
	})
}

// TestProgramRecovery runs the Recovery pane in a real program: the
// checklist progresses, the MODE-button question is answered with a key,
// and the run ends with the device at Switch>.
func TestProgramRecovery(t *testing.T) {
	d := newLoaderDevice()
	o := recoveryOptions(t, d)
	con := newFakeConsole()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	o.Ctx, o.Console, o.Port = ctx, con, "/dev/ttyUSB0"
	app := New(o)
	tm := startProgram(t, app, 120, 40)
	con.emit(serialcon.Event{Kind: serialcon.EventPrompt, Prompt: serialcon.PromptSwitchLoader})
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("2"))
	waitScreen(t, tm, "Playbooks for the switch-loader prompt")
	waitScreen(t, tm, "image ★ c3560.bin")
	tm.Send(keyPress("enter"))
	waitScreen(t, tm, "✓ check image")
	waitScreen(t, tm, "hold the MODE button") // after the loader stays silent for 3 s
	d.Emit("switch: ")
	tm.Send(keyPress("enter"))
	waitScreen(t, tm, "✓ flash_init")
	waitScreen(t, tm, "✓ Done: the device is verified recovered.")
	if n := d.flashSize("c3560.bin"); n != 20000 {
		t.Errorf("flash holds %d bytes of the image, want 20000", n)
	}
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitGuard))
}
