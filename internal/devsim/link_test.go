//go:build linux || darwin || freebsd

package devsim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.bug.st/serial"
)

// hangGuard bounds a test that waits for bytes; it is not a timing
// assertion.
const hangGuard = 60 * time.Second

func newTestLink(t *testing.T, baud int) *Link {
	t.Helper()
	l, err := NewLink(LinkConfig{Baud: baud, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("NewLink: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// openHost opens the host side the way fieldcon does, with go.bug.st/serial.
func openHost(t *testing.T, path string, baud int) serial.Port {
	t.Helper()
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud})
	if err != nil {
		t.Fatalf("serial.Open(%s, %d): %v", path, baud, err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.SetReadTimeout(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	return p
}

// readUntil reads from r until the data read so far satisfies done.
func readUntil(t *testing.T, r io.Reader, done func([]byte) bool) []byte {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	var got []byte
	buf := make([]byte, 4096)
	for !done(got) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v; read %d bytes: %q", hangGuard, len(got), tail(string(got), 200))
		}
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v (after %q)", err, tail(string(got), 200))
		}
	}
	return got
}

// deviceFile is the device side opened by the test itself, with a read
// deadline so a read returns to the loop in readUntil.
type deviceFile struct{ *os.File }

func (d deviceFile) Read(p []byte) (int, error) {
	d.File.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	return d.File.Read(p)
}

func TestLinkReadsHostSpeedFromSerialSettings(t *testing.T) {
	l := newTestLink(t, 9600)
	openHost(t, l.HostPath(), 115200)
	if got := l.Stats().HostBaud; got != 115200 {
		t.Errorf("after serial.Open at 115200, Stats().HostBaud = %d, want 115200", got)
	}
	if got := l.Stats().DeviceBaud; got != 9600 {
		t.Errorf("Stats().DeviceBaud = %d, want 9600", got)
	}
}

func TestLinkPassesDataAtEqualSpeeds(t *testing.T) {
	l := newTestLink(t, 115200)
	host := openHost(t, l.HostPath(), 115200)
	dev := deviceFile{l.devSlave}
	data := make([]byte, 2000)
	rand.New(rand.NewSource(7)).Read(data)

	if _, err := host.Write(data); err != nil {
		t.Fatal(err)
	}
	got := readUntil(t, dev, func(b []byte) bool { return len(b) >= len(data) })
	if !bytes.Equal(got, data) {
		t.Errorf("host→device at 115200/115200 changed the data (%d bytes in, %d out)", len(data), len(got))
	}
	if _, err := dev.Write(data); err != nil {
		t.Fatal(err)
	}
	got = readUntil(t, host, func(b []byte) bool { return len(b) >= len(data) })
	if !bytes.Equal(got, data) {
		t.Errorf("device→host at 115200/115200 changed the data (%d bytes in, %d out)", len(data), len(got))
	}
	s := l.Stats()
	if s.ToDevice != int64(len(data)) || s.ToHost != int64(len(data)) || s.FramingErrors != 0 {
		t.Errorf("Stats() = %+v, want %d bytes each way and no framing errors", s, len(data))
	}
}

func TestLinkGarblesMismatchedSpeeds(t *testing.T) {
	l := newTestLink(t, 115200)
	host := openHost(t, l.HostPath(), 9600)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	msg := []byte(strings.Repeat("switch: flash_init\r\n", 5))
	if _, err := l.devSlave.Write(msg); err != nil {
		t.Fatal(err)
	}
	// Once the burst has left the line at 115200, switch the device to the
	// host's speed and send a marker that must arrive clean.
	if err := l.waitSentFromDevice(ctx, int64(len(msg))); err != nil {
		t.Fatal(err)
	}
	if err := setPtySpeed(l.devSlave, 9600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.devSlave.Write([]byte("SYNC")); err != nil {
		t.Fatal(err)
	}
	got := readUntil(t, host, func(b []byte) bool { return bytes.HasSuffix(b, []byte("SYNC")) })
	garbage := got[:len(got)-len("SYNC")]
	if bytes.Contains(garbage, []byte("flash_init")) || len(garbage) == 0 {
		t.Errorf("115200 into a 9600 host gave %q, want garbage", garbage)
	}
	if s := l.Stats(); s.ReceivedByHost == s.ToHost {
		t.Errorf("Stats() = %+v: host received as many bytes as were sent at different speeds", s)
	}
}

func TestLinkUnplugReplug(t *testing.T) {
	l := newTestLink(t, 115200)
	first, err := os.Readlink(l.HostPath())
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.OpenFile(l.HostPath(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if err := l.Unplug(); err != nil {
		t.Fatalf("Unplug: %v", err)
	}
	if _, err := os.Lstat(l.HostPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Unplug, Lstat(HostPath) = %v, want not exist", err)
	}
	host.SetReadDeadline(time.Now().Add(hangGuard))
	n, err := host.Read(make([]byte, 16))
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("host Read after Unplug = %d, %v; want a hang-up (EOF or EIO)", n, err)
	}
	if err := l.Unplug(); !errors.Is(err, ErrUnplugged) {
		t.Errorf("second Unplug = %v, want ErrUnplugged", err)
	}
	if s := l.Stats(); s.Plugged {
		t.Errorf("Stats().Plugged = true while unplugged")
	}

	if err := l.Replug(); err != nil {
		t.Fatalf("Replug: %v", err)
	}
	second, err := os.Readlink(l.HostPath())
	if err != nil {
		t.Fatalf("after Replug, Readlink(HostPath): %v", err)
	}
	if second == first {
		t.Errorf("Replug reused %s; a replugged adapter is a new node", first)
	}
	again := openHost(t, l.HostPath(), 115200)
	dev := deviceFile{l.devSlave}
	again.Write([]byte("ping"))
	if got := readUntil(t, dev, func(b []byte) bool { return len(b) >= 4 }); string(got) != "ping" {
		t.Errorf("device got %q after Replug, want ping", got)
	}
	dev.Write([]byte("pong"))
	if got := readUntil(t, again, func(b []byte) bool { return len(b) >= 4 }); string(got) != "pong" {
		t.Errorf("host got %q after Replug, want pong", got)
	}
	if err := l.Replug(); !errors.Is(err, ErrPlugged) {
		t.Errorf("Replug while plugged = %v, want ErrPlugged", err)
	}
}

func TestLinkCorruptEvery(t *testing.T) {
	l := newTestLink(t, 115200)
	host := openHost(t, l.HostPath(), 115200)
	l.CorruptEvery(10)
	data := bytes.Repeat([]byte{0x00}, 100)
	host.Write(data)
	got := readUntil(t, deviceFile{l.devSlave}, func(b []byte) bool { return len(b) >= len(data) })
	var flipped int
	for i, b := range got {
		if b != 0 {
			flipped++
			if (i+1)%10 != 0 {
				t.Errorf("byte %d corrupted, want only every 10th", i)
			}
		}
	}
	if flipped != 10 || l.Stats().Corrupted != 10 {
		t.Errorf("corrupted %d bytes (Stats().Corrupted = %d), want 10", flipped, l.Stats().Corrupted)
	}
}

// TestSimSetBaudOverPseudoTerminal runs the Catalyst loader on a real link:
// the echo of `set BAUD 115200` arrives clean at 9600, then the loader is
// at 115200 and a host following it gets the prompt.
func TestSimSetBaudOverPseudoTerminal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	s, err := Start(ctx, Options{Profile: "catalyst", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	host := openHost(t, s.HostPath(), 9600)
	readUntil(t, host, func(b []byte) bool { return bytes.HasSuffix(b, []byte("switch: ")) })
	host.Write([]byte("set BAUD 115200\r"))
	readUntil(t, host, func(b []byte) bool { return bytes.HasSuffix(b, []byte("set BAUD 115200\r\n")) })
	if err := host.SetMode(&serial.Mode{BaudRate: 115200}); err != nil {
		t.Fatal(err)
	}
	host.Write([]byte("\r"))
	readUntil(t, host, func(b []byte) bool { return bytes.HasSuffix(b, []byte("\r\nswitch: ")) })
	if got := s.Device.Baud(); got != 115200 {
		t.Errorf("Device.Baud() = %d, want 115200", got)
	}
	if got := s.Link.Stats().DeviceBaud; got != 115200 {
		t.Errorf("Stats().DeviceBaud = %d, want 115200", got)
	}
}
