//go:build linux

package xmodem_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/xmodem"
)

// These tests run lrzsz on the device side of devsim's baud-limited link
// and fieldcon on the host side, with and without bits flipped on the line.

const linkGuard = 2 * time.Minute

func linkData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// newLink starts a link at baud and opens its host side like a serial port.
func newLink(t *testing.T, baud int) (*devsim.Link, *os.File) {
	t.Helper()
	if _, err := exec.LookPath("rx"); err != nil {
		t.Skipf("lrzsz not installed (scripts/install-test-deps.sh installs it): %v", err)
	}
	l, err := devsim.NewLink(devsim.LinkConfig{Baud: baud, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("devsim.NewLink() error = %v", err)
	}
	t.Cleanup(func() { l.Close() })
	host, err := os.OpenFile(l.HostPath(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open host side: %v", err)
	}
	t.Cleanup(func() { host.Close() })
	return l, host
}

// runOnDevice starts an lrzsz program on the link's device side.
func runOnDevice(t *testing.T, l *devsim.Link, dir string, args ...string) (done chan error, stderr *bytes.Buffer) {
	t.Helper()
	dev, err := os.OpenFile(l.DevicePath(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open device side: %v", err)
	}
	stderr = &bytes.Buffer{}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, dev, dev, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", args, err)
	}
	dev.Close()
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	return done, stderr
}

func waitPeer(t *testing.T, done chan error, stderr *bytes.Buffer) error {
	t.Helper()
	select {
	case err := <-done:
		done <- err
		return err
	case <-time.After(linkGuard):
		t.Fatalf("lrzsz did not exit: %s", stderr)
		return nil
	}
}

func TestLinkSendToRx(t *testing.T) {
	tests := []struct {
		name    string
		mode    xmodem.Mode
		rxArgs  []string
		corrupt int
	}{
		{"1K clean", xmodem.Mode1K, []string{"-X", "-c"}, 0},
		{"1K corrupt every 3001 bytes", xmodem.Mode1K, []string{"-X", "-c"}, 3001},
		{"CRC corrupt every 2003 bytes", xmodem.ModeCRC, []string{"-X", "-c"}, 2003},
		{"checksum corrupt every 2003 bytes", xmodem.ModeAuto, []string{"-X"}, 2003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), linkGuard)
			defer cancel()
			l, host := newLink(t, 115200)
			l.CorruptEvery(tt.corrupt)
			dir := t.TempDir()
			data := linkData(20000+33, 7)
			done, stderr := runOnDevice(t, l, dir, append([]string{"rx"}, append(tt.rxArgs, "out.bin")...)...)
			st, err := xmodem.Send(ctx, host, bytes.NewReader(data), xmodem.Options{Mode: tt.mode, Timeout: 2 * time.Second})
			// rx flushes its terminal when it exits; if devsim's pump has
			// not read the final ACK by then, it is lost (see
			// TestLrzszRxReceivesSend).
			if err != nil && !errors.Is(err, xmodem.ErrEOTNotAcknowledged) {
				t.Fatalf("Send() error = %v; rx said: %s", err, stderr)
			}
			if werr := waitPeer(t, done, stderr); werr != nil {
				t.Fatalf("rx exited with %v: %s", werr, stderr)
			}
			ls := l.Stats()
			t.Logf("Send() = %+v, err %v; link: %+v", st, err, ls)
			got, rerr := os.ReadFile(filepath.Join(dir, "out.bin"))
			if rerr != nil {
				t.Fatal(rerr)
			}
			if want := padTo(data, tt.mode); !bytes.Equal(got, want) {
				t.Errorf("rx stored %d bytes, want %d", len(got), len(want))
			}
			if tt.corrupt > 0 && (ls.Corrupted == 0 || st.Retries == 0) {
				t.Errorf("link corrupted %d bytes, Send counted %d retries; want both > 0", ls.Corrupted, st.Retries)
			}
		})
	}
}

func TestLinkSxToReceive(t *testing.T) {
	tests := []struct {
		name    string
		sxArgs  []string
		corrupt int
	}{
		{"sx -X -k clean", []string{"-X", "-k"}, 0},
		{"sx -X -k corrupt every 3001 bytes", []string{"-X", "-k"}, 3001},
		{"sx -X corrupt every 1499 bytes", []string{"-X"}, 1499},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), linkGuard)
			defer cancel()
			l, host := newLink(t, 115200)
			l.CorruptEvery(tt.corrupt)
			dir := t.TempDir()
			data := linkData(20000+33, 8)
			if err := os.WriteFile(filepath.Join(dir, "in.bin"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			done, stderr := runOnDevice(t, l, dir, append([]string{"sx"}, append(tt.sxArgs, "in.bin")...)...)
			var out bytes.Buffer
			st, err := xmodem.Receive(ctx, host, &out, xmodem.Options{Size: int64(len(data)), Timeout: 2 * time.Second, EOTTimeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatalf("Receive() error = %v; sx said: %s", err, stderr)
			}
			if werr := waitPeer(t, done, stderr); werr != nil {
				t.Errorf("sx exited with %v: %s", werr, stderr)
			}
			ls := l.Stats()
			t.Logf("Receive() = %+v; link: %+v", st, ls)
			if !bytes.Equal(out.Bytes(), data) {
				t.Errorf("received %d bytes, want exactly %d", out.Len(), len(data))
			}
			if tt.corrupt > 0 && (ls.Corrupted == 0 || st.Retries == 0) {
				t.Errorf("link corrupted %d bytes, Receive counted %d retries; want both > 0", ls.Corrupted, st.Retries)
			}
		})
	}
}

// padTo is what rx stores: the data, SUB-padded to its last block (a 1K
// sender puts a tail of 128 bytes or less in a 128-byte block).
func padTo(data []byte, mode xmodem.Mode) []byte {
	size := 128
	if mode == xmodem.Mode1K {
		size = 1024
	}
	out := append([]byte(nil), data...)
	tail := len(data) % size
	switch {
	case tail == 0:
	case tail <= 128:
		out = append(out, bytes.Repeat([]byte{0x1a}, 128-tail)...)
	default:
		out = append(out, bytes.Repeat([]byte{0x1a}, size-tail)...)
	}
	return out
}
