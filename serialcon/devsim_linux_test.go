//go:build linux

package serialcon_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"fieldcon/internal/devsim"
	"fieldcon/serialcon"
)

// These tests drive the console against internal/devsim: simulated Cisco
// devices behind a baud-limited link of two pseudo-terminals, where a speed
// mismatch produces the garbage a real UART would.

func simCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // hang guard only
	t.Cleanup(cancel)
	return ctx
}

func startSim(t *testing.T, ctx context.Context, o devsim.Options) *devsim.Sim {
	t.Helper()
	s, err := devsim.Start(ctx, o)
	if err != nil {
		t.Fatalf("devsim.Start(%+v) = %v", o, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDevsimAutoBaud(t *testing.T) {
	cases := map[string][]int{
		"catalyst": {9600, 19200, 38400, 57600, 115200}, // every rate a loader accepts
		"rommon":   {19200, 115200},                     // a confreg typo, a forgotten XMODEM speed
	}
	for profile, rates := range cases {
		for _, baud := range rates {
			t.Run(profile+"/"+itoa(baud), func(t *testing.T) {
				ctx := simCtx(t)
				sim := startSim(t, ctx, devsim.Options{Profile: profile, Baud: baud})
				c, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: sim.HostPath(), Settings: serialcon.DefaultSettings(9600)})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				got, err := c.DetectBaud(ctx)
				if err != nil || got != baud {
					t.Fatalf("DetectBaud() against a %s at %d = %d, %v\ntranscript: %q", profile, baud, got, err, tail(c.Transcript()))
				}
				// The speed found is usable: a command gets its answer.
				c.MarkRead()
				if err := c.SendLine(""); err != nil {
					t.Fatal(err)
				}
				want := map[string]serialcon.PromptKind{"catalyst": serialcon.PromptSwitchLoader, "rommon": serialcon.PromptROMMON}[profile]
				if m, err := c.Expect(ctx, serialcon.Prompt(want)); err != nil {
					t.Fatalf("Expect(%v) at the detected speed = %+v, %v", want, m, err)
				}
			})
		}
	}
}

func TestDevsimFollowsSetBaud(t *testing.T) {
	// The baud dance: the loader changes speed after the command, the host
	// follows, the prompt must come back readable.
	ctx := simCtx(t)
	sim := startSim(t, ctx, devsim.Options{Profile: "catalyst"})
	c, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: sim.HostPath(), Settings: serialcon.DefaultSettings(9600)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SendLine("")
	if _, err := c.Expect(ctx, serialcon.Prompt(serialcon.PromptSwitchLoader)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendLine("set BAUD 115200"); err != nil {
		t.Fatal(err)
	}
	// The loader echoes what it received: once the echo is back, the
	// command has crossed the line at the old speed and the host may follow.
	if _, err := c.Expect(ctx, serialcon.Contains("set BAUD 115200")); err != nil {
		t.Fatal(err)
	}
	if err := c.SetBaud(115200); err != nil {
		t.Fatal(err)
	}
	deadline, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		c.MarkRead()
		c.SendLine("")
		short, stop := context.WithTimeout(deadline, time.Second)
		_, err := c.Expect(short, serialcon.Prompt(serialcon.PromptSwitchLoader))
		stop()
		if err == nil {
			break
		}
		if deadline.Err() != nil {
			t.Fatalf("no switch: prompt at 115200 after set BAUD 115200: %v\ntranscript: %q", err, tail(c.Transcript()))
		}
	}
}

func TestDevsimReconnect(t *testing.T) {
	ctx := simCtx(t)
	sim := startSim(t, ctx, devsim.Options{Profile: "catalyst"})
	logDir := t.TempDir()
	c, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: sim.HostPath(), Settings: serialcon.DefaultSettings(9600), LogDir: logDir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	events := make(chan serialcon.Event, 16)
	c.Observe(func(ev serialcon.Event) {
		if ev.Kind == serialcon.EventDisconnected || ev.Kind == serialcon.EventReconnected {
			select {
			case events <- ev:
			default:
			}
		}
	})
	c.SendLine("")
	if _, err := c.Expect(ctx, serialcon.Prompt(serialcon.PromptSwitchLoader)); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		if err := sim.Link.Unplug(); err != nil {
			t.Fatal(err)
		}
		if ev := <-events; ev.Kind != serialcon.EventDisconnected {
			t.Fatalf("round %d: event %v, want disconnected", round, ev.Kind)
		}
		if _, err := os.Lstat(sim.HostPath()); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("round %d: %s still there after Unplug: %v", round, sim.HostPath(), err)
		}
		if err := c.SendLine(""); !errors.Is(err, serialcon.ErrDisconnected) {
			t.Errorf("round %d: SendLine while unplugged = %v, want ErrDisconnected", round, err)
		}
		if err := sim.Link.Replug(); err != nil {
			t.Fatal(err)
		}
		if ev := <-events; ev.Kind != serialcon.EventReconnected {
			t.Fatalf("round %d: event %v, want reconnected", round, ev.Kind)
		}
		c.MarkRead()
		if err := c.SendLine("set"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Expect(ctx, serialcon.Contains("MAC_ADDR"), serialcon.Prompt(serialcon.PromptSwitchLoader)); err != nil {
			t.Fatalf("round %d: no answer after replug: %v", round, err)
		}
	}
	path := c.LogPath()
	c.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "fieldcon: reconnected "+sim.HostPath()); got != 2 {
		t.Errorf("session log has %d reconnected markers, want 2:\n%s", got, b)
	}
	if files, _ := os.ReadDir(logDir); len(files) != 1 {
		t.Errorf("log folder has %d files, want the one session log that went on", len(files))
	}
}

func TestDevsimBadInput(t *testing.T) {
	ctx := simCtx(t)
	const baud = 3000000 // the link paces at line rate; a fast line keeps the test short
	link, err := devsim.NewLink(devsim.LinkConfig{Baud: baud})
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	const ring = 256 << 10
	c, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: link.HostPath(), Settings: serialcon.DefaultSettings(baud), RingSize: ring})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dev, err := os.OpenFile(link.DevicePath(), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := rawMode(dev); err != nil {
		t.Fatal(err)
	}

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const budget = 1 << 20
	r := rand.New(rand.NewPCG(7, 7))
	junk := [][]byte{[]byte("\xff\xfe\x80\xc0"), make([]byte, 300), []byte("\x1b[2J\x1b[H"), []byte("\x1b]0;"), []byte("Switch#"), []byte("\r\n")}
	go func() {
		buf := make([]byte, 0, 4096)
		for sent := 0; sent < budget; sent += len(buf) {
			buf = buf[:0]
			for len(buf) < 4000 {
				if r.IntN(4) == 0 {
					buf = append(buf, junk[r.IntN(len(junk))]...)
				} else {
					buf = append(buf, byte(r.Uint32()))
				}
			}
			if _, err := dev.Write(buf); err != nil {
				return
			}
		}
		dev.WriteString("\r\nEND-OF-NOISE\r\nap: ")
	}()
	if _, err := c.Expect(ctx, serialcon.Contains("END-OF-NOISE")); err != nil {
		t.Fatalf("Expect after %d bytes of noise through the link = %v", budget, err)
	}
	if _, err := c.Expect(ctx, serialcon.Prompt(serialcon.PromptAPLoader)); err != nil {
		t.Fatalf("Expect(ap:) after the noise = %v", err)
	}
	if n := len(c.Transcript()); n != ring {
		t.Errorf("Transcript() = %d bytes after %d bytes of noise, want the ring size %d", n, budget, ring)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 2<<20 {
		t.Errorf("heap grew by %d bytes over %d bytes of noise", grew, budget)
	}
	if st := link.Stats(); st.ReceivedByHost < budget {
		t.Errorf("link delivered %d bytes to the host, want all %d", st.ReceivedByHost, budget)
	}
}

// rawMode stops the device-side pty from translating or echoing the noise.
func rawMode(f *os.File) error {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	return unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
}

func tail(b []byte) []byte {
	if len(b) > 300 {
		return b[len(b)-300:]
	}
	return b
}

func itoa(i int) string { return strconv.Itoa(i) }
