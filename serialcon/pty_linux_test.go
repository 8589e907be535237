//go:build linux

package serialcon

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// These tests run the console over real pseudo-terminals with the real
// go.bug.st/serial Open: the test plays the device on the pty master.

// newPty returns a pty master for the device side and the slave's path.
func newPty(t *testing.T) (*os.File, string) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("pty.Open: %v", err)
	}
	path := s.Name()
	s.Close() // the console opens it by name
	t.Cleanup(func() { m.Close() })
	return m, path
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // hang guard only
	t.Cleanup(cancel)
	return ctx
}

// readUntil reads the device side until want has arrived.
func readUntil(t *testing.T, r io.Reader, want string) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 256)
	for !bytes.Contains(got, []byte(want)) {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatalf("device read: %v (got %q, want %q)", err, got, want)
		}
		got = append(got, buf[:n]...)
	}
	return string(got)
}

func TestPtyConsole(t *testing.T) {
	ctx := testCtx(t)
	m, path := newPty(t)
	c, err := OpenConsole(ctx, Config{Path: path, Settings: DefaultSettings(9600), LogDir: t.TempDir()})
	if err != nil {
		t.Fatalf("OpenConsole(%s) = %v", path, err)
	}
	defer c.Close()
	if _, err := m.WriteString("\r\nInitializing Flash...\r\nswitch: "); err != nil {
		t.Fatal(err)
	}
	mt, err := c.Expect(ctx, Prompt(PromptSwitchLoader))
	if err != nil || mt.Text != "switch:" {
		t.Fatalf("Expect(switch prompt) = %+v, %v", mt, err)
	}
	if err := c.SendLine("flash_init"); err != nil {
		t.Fatal(err)
	}
	readUntil(t, m, "flash_init\r")
	if err := c.SetBaud(115200); err != nil {
		t.Fatalf("SetBaud(115200) on a pty = %v", err)
	}
	// The host side's termios now says 115200: that is what the simulator
	// (and a real UART) goes by.
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if speed := tio.Cflag & unix.CBAUD; speed != unix.B115200 {
		t.Errorf("pty speed after SetBaud(115200) = %#o, want B115200", speed)
	}
	// A break on a pty returns nil and reaches nobody, but is logged.
	if err := c.SendBreak(10 * time.Millisecond); err != nil {
		t.Errorf("SendBreak on a pty = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Run("no such port", func(t *testing.T) {
		_, err := Open("/dev/ttyUSB99", DefaultSettings(9600))
		if !errors.Is(err, ErrNoSuchPort) {
			t.Fatalf("Open(/dev/ttyUSB99) = %v, want ErrNoSuchPort", err)
		}
		if !strings.HasPrefix(err.Error(), "no such port /dev/ttyUSB99; ") || !strings.Contains(err.Error(), "adapters") {
			t.Errorf("Open(/dev/ttyUSB99) message %q does not name the port and the adapters", err)
		}
		var pe *PortError
		if !errors.As(err, &pe) || pe.Path != "/dev/ttyUSB99" {
			t.Errorf("Open error %T is not a *PortError for the path", err)
		}
	})
	t.Run("not a serial port", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "notatty")
		os.WriteFile(f, nil, 0o644)
		if _, err := Open(f, DefaultSettings(9600)); !errors.Is(err, ErrNotSerial) {
			t.Fatalf("Open(regular file) = %v, want ErrNotSerial", err)
		}
	})
	t.Run("bad settings", func(t *testing.T) {
		_, path := newPty(t)
		if _, err := Open(path, Settings{Baud: 9600, DataBits: 9}); !errors.Is(err, ErrBadSettings) {
			t.Fatalf("Open(9 data bits) = %v, want ErrBadSettings", err)
		}
	})
	t.Run("permission", func(t *testing.T) {
		g, err := user.LookupGroup("dialout")
		if err != nil {
			g, err = user.LookupGroup("tty")
		}
		if err != nil {
			t.Fatalf("this machine has neither a dialout nor a tty group: %v", err)
		}
		f := filepath.Join(t.TempDir(), "ttyUSB0")
		os.WriteFile(f, nil, 0o660)
		gid, _ := strconv.Atoi(g.Gid)
		if err := os.Chown(f, 0, gid); err != nil {
			t.Skipf("cannot chown a file to group %s (needs root): %v", g.Name, err)
		}
		err = openError(f, DefaultSettings(9600), syscall.EACCES)
		if !errors.Is(err, ErrPermission) {
			t.Fatalf("openError(EACCES) = %v, want ErrPermission", err)
		}
		want := "permission denied on " + f + ": add yourself to the " + g.Name + " group (sudo usermod -aG " + g.Name + " $USER, then log in again), or run: sudo chmod a+rw " + f
		if err.Error() != want {
			t.Errorf("permission message\n got %q\nwant %q", err, want)
		}
	})
	t.Run("busy", func(t *testing.T) {
		_, path := newPty(t)
		tty, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer tty.Close()
		cmd := exec.Command("sleep", "60")
		cmd.Stdin = tty
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		err = openError(path, DefaultSettings(9600), syscall.EBUSY)
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("openError(EBUSY) = %v, want ErrBusy", err)
		}
		want := "sleep (pid " + strconv.Itoa(cmd.Process.Pid) + ")"
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "close that program") {
			t.Errorf("busy message %q does not name %s and say what to do", err, want)
		}
	})
}

func TestPtyReconnect(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "ttySIM0") // stable name, like a /dev/serial/by-id link
	m1, p1 := newPty(t)
	if err := os.Symlink(p1, link); err != nil {
		t.Fatal(err)
	}
	logDir := t.TempDir()
	c, err := OpenConsole(ctx, Config{Path: link, Settings: DefaultSettings(9600), LogDir: logDir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	events := make(chan Event, 64)
	c.Observe(func(ev Event) {
		if ev.Kind == EventDisconnected || ev.Kind == EventReconnected {
			events <- ev
		}
	})
	m1.WriteString("Switch>")
	if _, err := c.Expect(ctx, Prompt(PromptIOSUser)); err != nil {
		t.Fatal(err)
	}
	if err := c.SetBaud(57600); err != nil {
		t.Fatal(err)
	}
	// Pull the adapter: the device node goes away and the tty hangs up.
	os.Remove(link)
	m1.Close()
	if ev := <-events; ev.Kind != EventDisconnected {
		t.Fatalf("event %v, want disconnected", ev.Kind)
	}
	if st := c.State(); st != StateDisconnected {
		t.Errorf("State() = %v, want disconnected", st)
	}
	// Plug it back in: a new pty appears under the same name.
	m2, p2 := newPty(t)
	if err := os.Symlink(p2, link); err != nil {
		t.Fatal(err)
	}
	if ev := <-events; ev.Kind != EventReconnected || ev.Settings.Baud != 57600 {
		t.Fatalf("event %v at %s, want reconnected at 57600", ev.Kind, ev.Settings)
	}
	m2.WriteString("\r\nSwitch>")
	if _, err := c.Expect(ctx, Prompt(PromptIOSUser)); err != nil {
		t.Fatalf("Expect after reconnect = %v", err)
	}
	if err := c.SendLine("enable"); err != nil {
		t.Fatal(err)
	}
	readUntil(t, m2, "enable\r")
	path := c.LogPath()
	c.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	for _, want := range []string{"opened " + link, "Switch>", "baud changed to 57600 8N1", "disconnected: ", "reconnected " + link + " at 57600 8N1", "\r\nSwitch>", "closed ---"} {
		if !strings.Contains(log, want) {
			t.Errorf("session log lacks %q:\n%s", want, log)
		}
	}
	if files, _ := os.ReadDir(logDir); len(files) != 1 {
		t.Errorf("log folder has %d files, want one session log that continued", len(files))
	}
}

// hostileNoise writes n bytes of what a console sees when things go wrong:
// random bytes, invalid UTF-8, NUL runs, ANSI escapes (some unterminated),
// prompt look-alikes, and very long lines.
func hostileNoise(w io.Writer, n int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 1))
	pieces := [][]byte{
		[]byte("\xff\xfe\xfd"), []byte("\x80\x80\xc3"), []byte("\xed\xa0\x80"),
		bytes.Repeat([]byte{0}, 512),
		[]byte("\x1b[31;1m"), []byte("\x1b]0;title\x07"), []byte("\x1b["), []byte("\x1b]"),
		[]byte("switch: "), []byte("rommon 1 > "), []byte(" --More-- "), []byte("Password: "),
		bytes.Repeat([]byte("A"), 64<<10),
		[]byte("\r\n"), []byte("\b\b\b\b"),
	}
	buf := make([]byte, 0, 8192)
	for written := 0; written < n; {
		buf = buf[:0]
		for len(buf) < 4096 {
			if r.IntN(3) == 0 {
				buf = append(buf, pieces[r.IntN(len(pieces))]...)
			} else {
				for i := r.IntN(256); i > 0; i-- {
					buf = append(buf, byte(r.Uint32()))
				}
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		written += len(buf)
	}
	return nil
}

func TestPtyBadInput(t *testing.T) {
	ctx := testCtx(t)
	m, path := newPty(t)
	c, err := OpenConsole(ctx, Config{Path: path, Settings: DefaultSettings(115200), LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var prompts atomic.Int64
	c.Observe(func(ev Event) {
		if ev.Kind == EventPrompt {
			prompts.Add(1)
		}
	})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	const budget = 8 << 20 // bytes of noise: a minute of a wrong-speed flood and then some
	res := expectAsync(ctx, c, Contains("END-OF-NOISE"))
	errc := make(chan error, 1)
	go func() {
		err := hostileNoise(m, budget, 42)
		if err == nil {
			_, err = m.WriteString("\r\nEND-OF-NOISE\r\nswitch: ")
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatalf("device write: %v", err)
	}
	r := <-res
	if r.err != nil {
		t.Fatalf("Expect(END-OF-NOISE) after %d bytes of noise = %v", budget, r.err)
	}
	if _, err := c.Expect(ctx, Prompt(PromptSwitchLoader)); err != nil {
		t.Fatalf("Expect(switch prompt) after noise = %v", err)
	}
	if n := len(c.Transcript()); n != DefaultRingSize {
		t.Errorf("Transcript() = %d bytes after %d bytes of noise, want the ring size %d", n, budget, DefaultRingSize)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	// The ring (1 MiB), a read buffer and Expect's window are all the
	// console keeps; allow generous slack for the runtime, far below the
	// 8 MiB that went through.
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("heap grew by %d bytes over %d bytes of noise; the console must stay bounded", grew, budget)
	}
	if fi, err := os.Stat(c.LogPath()); err != nil || fi.Size() < budget {
		t.Errorf("session log holds %v bytes, want all %d bytes of noise: %v", fi.Size(), budget, err)
	}
	t.Logf("%d prompt events during the noise", prompts.Load())
}

func TestPtyNoGoroutineLeak(t *testing.T) {
	ctx := testCtx(t)
	before := runtime.NumGoroutine()
	for i := 0; i < 10; i++ {
		m, path := newPty(t)
		c, err := OpenConsole(ctx, Config{Path: path, Settings: DefaultSettings(9600)})
		if err != nil {
			t.Fatal(err)
		}
		m.WriteString("ap: ")
		if _, err := c.Expect(ctx, Prompt(PromptAPLoader)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			m.Close() // unplugged before Close: the reader is in its reconnect wait
		}
		if err := c.Close(); err != nil && i%2 == 0 {
			t.Errorf("Close() = %v", err)
		}
	}
	for i := 0; i < 1000 && runtime.NumGoroutine() > before; i++ {
		runtime.Gosched()
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
