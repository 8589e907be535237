//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/xmodem"
)

func xmodemTestData(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 9))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// TestXmodemUploadToSimulatedLoader runs `fieldcon xmodem upload` against
// devsim's Catalyst boot loader: prompt check, copy xmodem:, the transfer
// and the loader's success line.
func TestXmodemUploadToSimulatedLoader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sim, err := devsim.Start(ctx, devsim.Options{Profile: "catalyst", Baud: 115200, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("devsim.Start: %v", err)
	}
	defer sim.Close()
	image := xmodemTestData(25000)
	image[len(image)-1] = '!'
	file := filepath.Join(t.TempDir(), "c2960-lanbasek9-mz.150-2.SE11.bin")
	if err := os.WriteFile(file, image, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"xmodem", "upload", "--port", sim.HostPath(), "--baud", "115200",
		"--to", "flash:c2960-lanbasek9-mz.150-2.SE11.bin", file}, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("fieldcon xmodem upload: %v\nstderr: %s", err, stderr.String())
	}
	got, ok := sim.Device.Flash().Get("flash:c2960-lanbasek9-mz.150-2.SE11.bin")
	if !ok || !bytes.Equal(got, image) {
		t.Errorf("flash holds %d bytes (present %v), want the %d uploaded", len(got), ok, len(image))
	}
	if !strings.Contains(stdout.String(), "copied to \"flash:c2960-lanbasek9-mz.150-2.SE11.bin\"") {
		t.Errorf("stdout = %q, want the copy reported", stdout.String())
	}
}

func TestXmodemUploadRefusesIOSPrompt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sim, err := devsim.Start(ctx, devsim.Options{Profile: "ios", Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("devsim.Start: %v", err)
	}
	defer sim.Close()
	file := filepath.Join(t.TempDir(), "x.bin")
	os.WriteFile(file, []byte("x"), 0o644)
	var out bytes.Buffer
	err = run(ctx, []string{"xmodem", "upload", "--port", sim.HostPath(), "--to", "flash:x.bin", file}, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "boot loader") {
		t.Errorf("fieldcon xmodem upload at an IOS prompt: error = %v, want one pointing to the boot loader", err)
	}
	if _, ok := sim.Device.Flash().Get("flash:x.bin"); ok {
		t.Errorf("x.bin reached flash through IOS")
	}
}

// lrzszOnLink runs an lrzsz program on the device side of a devsim link and
// returns a function that waits for its exit.
func lrzszOnLink(t *testing.T, l *devsim.Link, dir string, args ...string) (wait func() error) {
	t.Helper()
	if _, err := exec.LookPath(args[0]); err != nil {
		t.Skipf("lrzsz not installed (scripts/install-test-deps.sh installs it): %v", err)
	}
	dev, err := os.OpenFile(l.DevicePath(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, dev, dev, &stderr
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s said: %q", args[0], stderr.String())
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dev.Close()
	exited := make(chan struct{})
	var werr error
	go func() { werr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	return func() error {
		select {
		case <-exited:
			return werr
		case <-time.After(time.Minute):
			return errors.New("did not exit within a minute")
		}
	}
}

func TestXmodemSendAndReceiveWithLrzsz(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	data := xmodemTestData(9000)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("send to rx", func(t *testing.T) {
		l, err := devsim.NewLink(devsim.LinkConfig{Baud: 115200, Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out := t.TempDir()
		done := lrzszOnLink(t, l, out, "rx", "-X", "-c", "out.bin")
		var stdout, stderr bytes.Buffer
		err = run(ctx, []string{"xmodem", "send", "--port", l.HostPath(), "--baud", "115200", "--mode", "1k", filepath.Join(dir, "in.bin")}, strings.NewReader(""), &stdout, &stderr)
		// rx flushes its terminal as it exits, which can throw away its
		// final ACK on a pseudo-terminal: send then says so and fails,
		// and the file must still be whole.
		if err != nil && !errors.Is(err, xmodem.ErrEOTNotAcknowledged) {
			t.Fatalf("fieldcon xmodem send: %v\nstderr: %q", err, stderr.String())
		}
		if err := done(); err != nil {
			t.Errorf("rx: %v", err)
		}
		got, _ := os.ReadFile(filepath.Join(out, "out.bin"))
		if !bytes.HasPrefix(got, data) || len(bytes.Trim(got[len(data):], "\x1a")) != 0 {
			t.Errorf("rx stored %d bytes, want the %d sent plus SUB padding", len(got), len(data))
		}
	})
	t.Run("receive from sx", func(t *testing.T) {
		l, err := devsim.NewLink(devsim.LinkConfig{Baud: 115200, Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		done := lrzszOnLink(t, l, dir, "sx", "-X", "-k", "in.bin")
		outFile := filepath.Join(t.TempDir(), "got.bin")
		var stdout, stderr bytes.Buffer
		err = run(ctx, []string{"xmodem", "receive", "--port", l.HostPath(), "--baud", "115200", "--size", "9000", outFile}, strings.NewReader(""), &stdout, &stderr)
		if err != nil {
			t.Fatalf("fieldcon xmodem receive: %v", err)
		}
		if err := done(); err != nil {
			t.Errorf("sx: %v", err)
		}
		got, _ := os.ReadFile(outFile)
		if !bytes.Equal(got, data) {
			t.Errorf("received %d bytes, want exactly the %d sent", len(got), len(data))
		}
	})
}

func TestXmodemUsage(t *testing.T) {
	for _, args := range [][]string{
		{"xmodem"},
		{"xmodem", "fetch", "x"},
		{"xmodem", "send", "--port", "/dev/null"},
		{"xmodem", "send", "--mode", "zmodem", "--port", "/dev/null", "f"},
		{"xmodem", "upload", "--port", "/dev/null", "f"},
		{"xmodem", "upload", "--port", "/dev/null", "--to", "nvram:x", "f"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), args, strings.NewReader(""), &out, &out)
		var u *usageError
		if !errors.As(err, &u) {
			t.Errorf("run(%q) error = %v, want a usage error", args, err)
		}
	}
}

// TestXmodemFileErrors: a local file that cannot be read or written is
// named as the technician gave it, with the cause and what to check, never
// as the temporary file a receive writes first.
func TestXmodemFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-folder", "out.bin")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"receive into a missing folder", []string{"receive", missing},
			"cannot save the received file as " + missing + ": no such file or directory (check the path and that its folder exists)"},
		{"send a missing file", []string{"send", filepath.Join(dir, "nothing.bin")},
			"cannot open " + filepath.Join(dir, "nothing.bin") + " to send it: no such file or directory (check the path and that its folder exists)"},
		{"upload a missing file", []string{"upload", "--to", "flash:x.bin", filepath.Join(dir, "nothing.bin")},
			"cannot open " + filepath.Join(dir, "nothing.bin") + " to upload it: no such file or directory (check the path and that its folder exists)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
			defer cancel()
			l, err := devsim.NewLink(devsim.LinkConfig{Baud: 9600, Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			args := append([]string{"xmodem", tt.args[0], "--port", l.HostPath()}, tt.args[1:]...)
			var out bytes.Buffer
			err = run(ctx, args, strings.NewReader(""), &out, &out)
			if err == nil || err.Error() != tt.want {
				t.Errorf("run(%q) = %v, want %s", args, err, tt.want)
			}
			if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("run(%q) = %v, want an error that is os.ErrNotExist", args, err)
			}
		})
	}
}

func TestXmodemUploadFast(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	defer cancel()
	sim, err := devsim.Start(ctx, devsim.Options{Profile: "catalyst", Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("devsim.Start: %v", err)
	}
	defer sim.Close()
	image := xmodemTestData(40000)
	file := filepath.Join(t.TempDir(), "c2960-lanbasek9-mz.150-2.SE11.bin")
	if err := os.WriteFile(file, image, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"xmodem", "upload", "--port", sim.HostPath(), "--fast",
		"--to", "flash:c2960-lanbasek9-mz.150-2.SE11.bin", file}, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("fieldcon xmodem upload --fast: %v\nstderr: %s", err, stderr.String())
	}
	got, ok := sim.Device.Flash().Get("flash:c2960-lanbasek9-mz.150-2.SE11.bin")
	if !ok || !bytes.Equal(got, image) {
		t.Errorf("flash holds %d bytes (present %v), want the %d uploaded", len(got), ok, len(image))
	}
	for _, want := range []string{"loader answers at 115200 baud", "loader back at 9600 baud, no other BAUD stored"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if b := sim.Device.Baud(); b != 9600 {
		t.Errorf("loader left at %d baud, want 9600", b)
	}
	if v, ok := sim.Device.Env("BAUD"); ok && v != "9600" {
		t.Errorf("loader stores BAUD=%s", v)
	}
}
