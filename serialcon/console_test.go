package serialcon

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

type expectResult struct {
	m   Match
	err error
}

func expectAsync(ctx context.Context, c *Console, ms ...Matcher) chan expectResult {
	ch := make(chan expectResult, 1)
	go func() {
		m, err := c.Expect(ctx, ms...)
		ch <- expectResult{m, err}
	}()
	return ch
}

func TestExpectWokenByReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		defer c.Close()
		start := time.Now()
		res := expectAsync(t.Context(), c, Prompt(PromptSwitchLoader))
		synctest.Wait()
		select {
		case r := <-res:
			t.Fatalf("Expect returned %+v before any output", r)
		default:
		}
		w.current().emit("Boot process failed...\r\n\r\nThe system is unable to boot automatically.\r\n")
		synctest.Wait()
		select {
		case r := <-res:
			t.Fatalf("Expect returned %+v before the prompt", r)
		default:
		}
		w.current().emit("swi")
		w.current().emit("tch: ")
		r := <-res
		want := Match{Index: 0, Text: "switch:", Prompt: PromptSwitchLoader}
		if r.err != nil || !cmp.Equal(r.m, want) {
			t.Fatalf("Expect(switch prompt) = %+v, %v, want %+v", r.m, r.err, want)
		}
		// The fake clock only moves when everything waits on time: a wait
		// that polled would have advanced it.
		if d := time.Since(start); d != 0 {
			t.Errorf("Expect took %s of fake time, want 0: it must be woken, not poll", d)
		}
	})
}

func TestExpectConsumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		defer c.Close()
		w.current().emit("switch: ")
		if _, err := c.Expect(t.Context(), Prompt(PromptSwitchLoader)); err != nil {
			t.Fatal(err)
		}
		// The same prompt must not match twice.
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		_, err := c.Expect(ctx, Prompt(PromptSwitchLoader))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("second Expect(switch prompt) error = %v, want DeadlineExceeded", err)
		}
		if !strings.Contains(err.Error(), "prompt switch-loader") {
			t.Errorf("Expect error %q does not say what it waited for", err)
		}
		w.current().emit("flash_init\r\nInitializing Flash...\r\n...The flash is already initialized.\r\nswitch: ")
		m, err := c.Expect(t.Context(), Contains("already initialized"), Prompt(PromptSwitchLoader))
		if err != nil || m.Index != 0 {
			t.Fatalf("Expect(already initialized | prompt) = %+v, %v, want the text first (it comes first)", m, err)
		}
		m, err = c.Expect(t.Context(), Contains("already initialized"), Prompt(PromptSwitchLoader))
		if err != nil || m.Index != 1 || m.Prompt != PromptSwitchLoader {
			t.Fatalf("Expect(already initialized | prompt) = %+v, %v, want the prompt", m, err)
		}
	})
}

func TestExpectRegexpAndMarkRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		defer c.Close()
		w.current().emit("image_recovery: Download default IOS tar image tftp://255.255.255.255/c1200-k9w7-tar.default\r\n")
		re := regexp.MustCompile(`tftp://255\.255\.255\.255/(\S+)`)
		m, err := c.Expect(t.Context(), Regexp(re))
		want := Match{Text: "tftp://255.255.255.255/c1200-k9w7-tar.default", Groups: []string{"tftp://255.255.255.255/c1200-k9w7-tar.default", "c1200-k9w7-tar.default"}}
		if err != nil || !cmp.Equal(m, want) {
			t.Fatalf("Expect(%s) = %+v, %v, want %+v", re, m, err, want)
		}
		w.current().emit("examining image...\r\n")
		synctest.Wait()
		c.MarkRead()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := c.Expect(ctx, Contains("examining")); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Expect after MarkRead saw old output: err = %v", err)
		}
	})
}

func TestExpectMatchAcrossChunksLongWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{RingSize: 64 << 10})
		defer c.Close()
		res := expectAsync(t.Context(), c, Contains(`File "xmodem:" successfully copied`))
		line := "extracting c1200-k9w7-mx.123-8.JEE/html/level/1/appsui.js (557 bytes)\r\n"
		for i := 0; i < 2000; i++ { // far more than MaxMatchLen and the ring
			w.current().emit(line)
			if i%100 == 0 {
				synctest.Wait()
			}
		}
		w.current().emit(`File "xmodem:" success`)
		synctest.Wait()
		w.current().emit(`fully copied to "flash:c3750.bin"` + "\r\nswitch: ")
		r := <-res
		if r.err != nil || r.m.Text != `File "xmodem:" successfully copied` {
			t.Fatalf("Expect across chunks = %+v, %v", r.m, r.err)
		}
	})
}

func TestExpectEndsOnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		res := expectAsync(t.Context(), c, Prompt())
		synctest.Wait()
		c.Close()
		if r := <-res; !errors.Is(r.err, ErrClosed) {
			t.Fatalf("Expect during Close error = %v, want ErrClosed", r.err)
		}
		if _, err := c.Expect(t.Context(), Prompt()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Expect after Close error = %v, want ErrClosed", err)
		}
		if err := c.Send([]byte("x")); !errors.Is(err, ErrClosed) {
			t.Fatalf("Send after Close error = %v, want ErrClosed", err)
		}
	})
}

func TestObserversSeeEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		rec := record(c)
		var second []EventKind
		remove := c.Observe(func(ev Event) { second = append(second, ev.Kind) })
		w.current().emit("rommon 1 > ")
		ev := rec.waitFor(t, EventPrompt)
		if ev.Prompt != PromptROMMON || ev.Text != "rommon 1 >" {
			t.Errorf("prompt event = %v %q, want rommon %q", ev.Prompt, ev.Text, "rommon 1 >")
		}
		if got := c.Prompt(); got != PromptROMMON {
			t.Errorf("Prompt() = %v, want rommon", got)
		}
		remove()
		if err := c.SendLine("confreg 0x2142"); err != nil {
			t.Fatal(err)
		}
		if err := c.SendBreak(100 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := c.SetBaud(19200); err != nil {
			t.Fatal(err)
		}
		w.current().emit("\r\nrommon 2 > ")
		rec.waitFor(t, EventPrompt)
		if got := c.Prompt(); got != PromptROMMON {
			t.Errorf("Prompt() = %v, want rommon", got)
		}
		w.current().emit("\r\nSystem Bootstrap")
		rec.waitFor(t, EventData)
		if got := c.Prompt(); got != PromptNone {
			t.Errorf("Prompt() after more output = %v, want none", got)
		}
		c.Close()
		want := []EventKind{EventData, EventPrompt, EventSent, EventBreak, EventBaudChanged, EventData, EventPrompt, EventData, EventClosed}
		if diff := cmp.Diff(want, rec.kinds()); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]EventKind{EventData, EventPrompt}, second); diff != "" {
			t.Errorf("removed observer saw (-want +got):\n%s", diff)
		}
		if got := string(w.current().writtenBytes()); got != "confreg 0x2142\r" {
			t.Errorf("device received %q, want %q", got, "confreg 0x2142\r")
		}
		if got := w.current().currentSettings(); got != DefaultSettings(19200) {
			t.Errorf("port settings = %s, want 19200 8N1", got)
		}
	})
}

func TestBreakRepeat(t *testing.T) {
	tests := []struct {
		every, total time.Duration
		wantBreaks   int
		wantLen      time.Duration
	}{
		{500 * time.Millisecond, 3 * time.Second, 6, 250 * time.Millisecond},
		{200 * time.Millisecond, time.Second, 5, 100 * time.Millisecond},
		{time.Second, 2500 * time.Millisecond, 3, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.every.String()+"/"+tt.total.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newFakeWorld()
				c := openTestConsole(t, w, Config{})
				defer c.Close()
				start := time.Now()
				if err := c.BreakRepeat(t.Context(), tt.every, tt.total); err != nil {
					t.Fatalf("BreakRepeat(%s, %s) = %v", tt.every, tt.total, err)
				}
				var got []time.Duration
				for _, b := range w.current().breakRecords() {
					if b.d != tt.wantLen {
						t.Errorf("break length %s, want %s", b.d, tt.wantLen)
					}
					got = append(got, b.at.Sub(start))
				}
				var want []time.Duration
				for i := 0; i < tt.wantBreaks; i++ {
					want = append(want, time.Duration(i)*tt.every)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("BreakRepeat(%s, %s) break times (-want +got):\n%s", tt.every, tt.total, diff)
				}
			})
		})
	}
}

func TestBreakRepeatStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		defer c.Close()
		ctx, cancel := context.WithCancel(t.Context())
		// The technician sees the ROMMON prompt and stops the breaks.
		w.onWrite = nil
		go func() {
			if _, err := c.Expect(t.Context(), Prompt(PromptROMMON)); err == nil {
				cancel()
			}
		}()
		time.AfterFunc(1200*time.Millisecond, func() { w.current().emit("monitor: command \"boot\" aborted due to user interrupt\r\nrommon 1 > ") })
		err := c.BreakRepeat(ctx, 500*time.Millisecond, 60*time.Second)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("BreakRepeat error = %v, want Canceled", err)
		}
		if n := len(w.current().breakRecords()); n != 3 {
			t.Errorf("breaks sent = %d, want 3 (at 0, 0.5 and 1 s)", n)
		}
	})
}

func TestSimulatedBreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		w.breakErr = errors.New("inappropriate ioctl for device")
		dir := t.TempDir()
		c := openTestConsole(t, w, Config{LogDir: dir})
		if err := c.SendBreak(250 * time.Millisecond); err != nil {
			t.Fatalf("SendBreak on an adapter without break = %v", err)
		}
		p := w.current()
		want := []string{
			"settings 1200 8N1",
			"write " + strings.Repeat(`\x00`, 30), // 250 ms at 1200 baud, 8.33 ms per NUL
			"settings 9600 8N1",
		}
		p.mu.Lock()
		got := append([]string(nil), p.log...)
		p.mu.Unlock()
		for i := range got {
			got[i] = strings.Trim(got[i], `"`)
			got[i] = strings.Replace(got[i], `write "`, "write ", 1)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("simulated break port calls (-want +got):\n%s", diff)
		}
		path := c.LogPath()
		c.Close()
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), "break sent (250ms, simulated with NUL bytes at 1200 baud") {
			t.Errorf("session log does not record the simulated break:\n%s", b)
		}
	})
}

func TestSessionLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// synctest's clock starts at 2000-01-01 00:00:00 UTC.
		w := newFakeWorld()
		w.info = PortInfo{Path: "/dev/ttyFAKE0", USB: true, VID: "10c4", PID: "ea60", Serial: "0001", Chipset: "Silicon Labs CP210x"}
		dir := t.TempDir()
		c := openTestConsole(t, w, Config{LogDir: dir})
		rec := record(c)
		wantPath := filepath.Join(dir, "20000101T000000Z-ttyFAKE0.log")
		if c.LogPath() != wantPath {
			t.Errorf("LogPath() = %q, want %q", c.LogPath(), wantPath)
		}
		time.Sleep(1500 * time.Millisecond) // fake clock: let time pass between events
		w.current().emit("Initializing Flash...\r\n")
		w.current().emit("switch: ")
		rec.waitFor(t, EventPrompt)
		c.SendBreak(0)
		time.Sleep(time.Second)
		c.SetBaud(115200)
		w.current().emit("\x00\xffgarbage")
		rec.waitFor(t, EventData)
		w.unplug()
		rec.waitFor(t, EventDisconnected)
		w.replug(w.info)
		rec.waitFor(t, EventReconnected)
		w.current().emit("\r\nswitch: ")
		rec.waitFor(t, EventPrompt)
		c.Close()
		b, err := os.ReadFile(wantPath)
		if err != nil {
			t.Fatal(err)
		}
		want := "--- 2000-01-01T00:00:00.000Z fieldcon: opened /dev/ttyFAKE0 at 9600 8N1 (Silicon Labs CP210x, 10c4:ea60, serial 0001) ---\n" +
			"Initializing Flash...\r\nswitch: \n" +
			"--- 2000-01-01T00:00:01.500Z fieldcon: break sent (250ms) ---\n" +
			"--- 2000-01-01T00:00:02.750Z fieldcon: baud changed to 115200 8N1 ---\n" +
			"\x00\xffgarbage\n" +
			"--- 2000-01-01T00:00:02.750Z fieldcon: disconnected: fake: input/output error (adapter unplugged) ---\n" +
			"--- 2000-01-01T00:00:02.850Z fieldcon: reconnected /dev/ttyFAKE0 at 115200 8N1 ---\n" +
			"\r\nswitch: \n" +
			"--- 2000-01-01T00:00:02.850Z fieldcon: closed ---\n"
		if diff := cmp.Diff(want, string(b)); diff != "" {
			t.Errorf("session log (-want +got):\n%s", diff)
		}
		if s := w.current().currentSettings(); s.Baud != 115200 {
			t.Errorf("reopened at %s, want the speed set before the disconnect", s)
		}
	})
}

func TestStartStopLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		defer c.Close()
		if err := c.StartLog(); !errors.Is(err, ErrNoLog) {
			t.Fatalf("StartLog without LogDir = %v, want ErrNoLog", err)
		}
		if c.LogPath() != "" {
			t.Errorf("LogPath() without a log = %q, want empty", c.LogPath())
		}
		dir := t.TempDir()
		c2 := openTestConsole(t, w, Config{LogDir: dir})
		w.current().emit("one\r\n")
		synctest.Wait()
		path := c2.LogPath()
		if err := c2.StopLog(); err != nil {
			t.Fatal(err)
		}
		w.current().emit("two\r\n")
		synctest.Wait()
		if err := c2.StartLog(); err != nil {
			t.Fatal(err)
		}
		if c2.LogPath() == path {
			t.Errorf("StartLog reused %s; a new session log must not overwrite the old one", path)
		}
		c2.Close()
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), "two") || !strings.Contains(string(b), "one") || !strings.Contains(string(b), "log stopped") {
			t.Errorf("first log = %q, want output up to StopLog and a stop marker", b)
		}
	})
}

func TestReconnectBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		rec := record(c)
		w.mu.Lock()
		w.identAt = nil
		w.mu.Unlock()
		start := time.Now()
		w.unplug()
		ev := rec.waitFor(t, EventDisconnected)
		if !errors.Is(ev.Err, errUnplugged) {
			t.Errorf("disconnected event error = %v, want the read error", ev.Err)
		}
		if c.State() != StateDisconnected {
			t.Errorf("State() = %v, want disconnected", c.State())
		}
		if err := c.SendLine(""); !errors.Is(err, ErrDisconnected) {
			t.Errorf("SendLine while disconnected = %v, want ErrDisconnected", err)
		}
		time.Sleep(10 * time.Second) // fake clock: nobody plugs it back in
		w.replug(w.info)
		rec.waitFor(t, EventReconnected)
		w.mu.Lock()
		var got []time.Duration
		for _, at := range w.identAt {
			got = append(got, at.Sub(start))
		}
		w.mu.Unlock()
		ms := time.Millisecond
		want := []time.Duration{100 * ms, 300 * ms, 700 * ms, 1500 * ms, 3100 * ms, 5100 * ms, 7100 * ms, 9100 * ms, 11100 * ms}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("times the console looked for the adapter (-want +got):\n%s", diff)
		}
		if c.State() != StateConnected {
			t.Errorf("State() = %v, want connected", c.State())
		}
		c.Close()
	})
}

func TestReconnectSameUSBAdapterOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		mine := PortInfo{Path: "/dev/ttyFAKE0", USB: true, VID: "0403", PID: "6001", Serial: "A50285BI"}
		w.info = mine
		c := openTestConsole(t, w, Config{})
		defer c.Close()
		rec := record(c)
		w.unplug()
		rec.waitFor(t, EventDisconnected)
		other := mine
		other.Serial = "FTY4QKR3" // another cable of the same make at the same path
		w.replug(other)
		time.Sleep(30 * time.Second) // fake clock
		if n := w.opened(); n != 1 {
			t.Fatalf("console opened another adapter (%d opens); it must wait for its own", n)
		}
		if c.State() != StateDisconnected {
			t.Fatalf("State() = %v, want disconnected", c.State())
		}
		w.unplug()
		w.mu.Lock()
		w.openFails = 2 // udev has not fixed the permissions yet
		w.mu.Unlock()
		w.replug(mine)
		ev := rec.waitFor(t, EventReconnected)
		if ev.Text != "/dev/ttyFAKE0" {
			t.Errorf("reconnected at %q, want /dev/ttyFAKE0", ev.Text)
		}
		w.current().emit("Switch>")
		if m, err := c.Expect(t.Context(), Prompt(PromptIOSUser)); err != nil || m.Text != "Switch>" {
			t.Fatalf("Expect after reconnect = %+v, %v", m, err)
		}
	})
}

func TestCloseWhileDisconnected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		rec := record(c)
		w.unplug()
		rec.waitFor(t, EventDisconnected)
		start := time.Now()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Close while waiting for the adapter took %s, want at once", d)
		}
		if c.State() != StateClosed {
			t.Errorf("State() = %v, want closed", c.State())
		}
		// synctest.Test fails if the reader goroutine is still around.
	})
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		w.current().emit("switch: ")
		if _, err := c.Expect(t.Context(), Prompt()); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			w.unplug() // some close while disconnected
		}
		c.Close()
	}
	// The reader has signalled it is done when Close returns; give the
	// scheduler a chance to retire the exiting goroutines.
	for i := 0; i < 1000 && runtime.NumGoroutine() > before; i++ {
		runtime.Gosched()
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d before, %d after 20 consoles were closed\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func TestStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		dir := t.TempDir()
		c := openTestConsole(t, w, Config{LogDir: dir})
		p := w.current()
		p.emit("switch: copy xmodem: flash:c3750.bin\r\nBegin the Xmodem or Xmodem-1K transfer now...\r\nC")
		if _, err := c.Expect(t.Context(), Contains("transfer now...")); err != nil {
			t.Fatal(err)
		}
		s, err := c.Stream(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Stream(t.Context()); !errors.Is(err, ErrStreamBusy) {
			t.Errorf("second Stream = %v, want ErrStreamBusy", err)
		}
		buf := make([]byte, 64)
		n, err := s.Read(buf)
		if err != nil || string(buf[:n]) != "\r\nC" {
			t.Fatalf("first Stream read = %q, %v, want the unconsumed %q", buf[:n], err, "\r\nC")
		}
		p.emit("\x06")
		n, err = s.Read(buf)
		if err != nil || string(buf[:n]) != "\x06" {
			t.Fatalf("Stream read = %q, %v, want ACK", buf[:n], err)
		}
		block := append([]byte{0x02, 0x01, 0xfe}, bytes.Repeat([]byte{0x1a}, 1024)...)
		if n, err := s.Write(block); err != nil || n != len(block) {
			t.Fatalf("Stream write = %d, %v", n, err)
		}
		if !bytes.Equal(p.writtenBytes(), block) {
			t.Errorf("device got %d bytes, want the block as is", len(p.writtenBytes()))
		}
		start := time.Now()
		s.SetReadDeadline(start.Add(3 * time.Second))
		if _, err := s.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Stream read past deadline error = %v, want os.ErrDeadlineExceeded", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("Stream read gave up after %s, want 3s", d)
		}
		// A deadline moved while a Read waits applies to that Read.
		s.SetReadDeadline(time.Time{})
		go func() {
			time.Sleep(time.Second)
			s.SetReadDeadline(time.Now())
		}()
		if _, err := s.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Stream read with deadline set meanwhile error = %v", err)
		}
		// The loader's success line arrives while the stream is still open.
		p.emit("\x06\r\nFile \"xmodem:\" successfully copied to \"flash:c3750.bin\"\r\n\r\nswitch: ")
		synctest.Wait()
		if bytes.Contains(c.Transcript(), []byte("successfully")) {
			t.Errorf("transcript has stream bytes while the stream is open")
		}
		n, _ = s.Read(buf[:1])
		if n != 1 || buf[0] != 0x06 {
			t.Fatalf("Stream read = %q, want the final ACK", buf[:n])
		}
		s.Close()
		m, err := c.Expect(t.Context(), Contains(`successfully copied`))
		if err != nil {
			t.Fatalf("Expect after Stream.Close = %v: unread stream bytes must return to the console", err)
		}
		if m.Text != "successfully copied" {
			t.Errorf("Expect = %+v", m)
		}
		if _, err := s.Read(buf); !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read on closed stream = %v, want os.ErrClosed", err)
		}
		path := c.LogPath()
		c.Close()
		b, _ := os.ReadFile(path)
		for _, want := range []string{"raw transfer stream opened", "raw transfer stream closed (received 5 bytes, sent 1027 bytes)", "successfully copied"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("session log lacks %q:\n%s", want, b)
			}
		}
		if bytes.Contains(b, bytes.Repeat([]byte{0x1a}, 16)) {
			t.Errorf("session log holds the raw transfer")
		}
	})
}

func TestStreamEndsWithContextAndDisconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		defer c.Close()
		ctx, cancel := context.WithCancel(t.Context())
		s, err := c.Stream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := s.Read(make([]byte, 1)); err == nil {
			t.Fatal("Read on a stream whose context ended succeeded")
		}
		synctest.Wait()
		s2, err := c.Stream(t.Context())
		if err != nil {
			t.Fatalf("Stream after the first one's context ended = %v, want a new stream", err)
		}
		w.unplug()
		if _, err := s2.Read(make([]byte, 1)); !errors.Is(err, ErrDisconnected) {
			t.Fatalf("Stream read after unplug = %v, want ErrDisconnected", err)
		}
		s2.Close()
	})
}

func TestRingBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{RingSize: 1000})
		defer c.Close()
		for i := 0; i < 100; i++ {
			w.current().emit(strings.Repeat(string(rune('a'+i%26)), 37))
		}
		w.current().emit("END")
		if _, err := c.Expect(t.Context(), Contains("END")); err != nil {
			t.Fatal(err)
		}
		tr := c.Transcript()
		if len(tr) != 1000 || !bytes.HasSuffix(tr, []byte("END")) {
			t.Errorf("Transcript() = %d bytes ending %q, want the last 1000 bytes", len(tr), tr[len(tr)-3:])
		}
	})
}

func TestOpenConsoleErrors(t *testing.T) {
	w := newFakeWorld()
	w.plugged = false
	_, err := OpenConsole(t.Context(), Config{Path: "/dev/ttyFAKE0", Settings: DefaultSettings(9600), Open: w.open, Identity: w.identity})
	if !errors.Is(err, ErrNoSuchPort) {
		t.Errorf("OpenConsole(unplugged) = %v, want ErrNoSuchPort", err)
	}
	for _, cfg := range []Config{
		{Settings: DefaultSettings(9600)},
		{Path: "/dev/ttyFAKE0", Settings: DefaultSettings(0)},
		{Path: "/dev/ttyFAKE0", Settings: Settings{Baud: 9600, DataBits: 9}},
		{Path: "/dev/ttyFAKE0", Settings: DefaultSettings(9600), RingSize: -1},
	} {
		if _, err := OpenConsole(t.Context(), cfg); err == nil {
			t.Errorf("OpenConsole(%+v) succeeded, want a validation error", cfg)
		}
	}
}
