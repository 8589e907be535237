//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// watchedBuffer is an output stream a test can wait on.
type watchedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func newWatchedBuffer() *watchedBuffer { return &watchedBuffer{changed: make(chan struct{})} }

func (w *watchedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.changed)
	w.changed = make(chan struct{})
	return w.b.Write(p)
}

func (w *watchedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// waitFor waits until the text written after offset contains s and
// returns the offset just past it.
func (w *watchedBuffer) waitFor(ctx context.Context, t *testing.T, offset int, s string) int {
	t.Helper()
	for {
		w.mu.Lock()
		text, changed := w.b.String(), w.changed
		w.mu.Unlock()
		if i := strings.Index(text[offset:], s); i >= 0 {
			return offset + i + len(s)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %q (timed out, or the command ended); output after offset %d:\n%s", s, offset, text[offset:])
		}
	}
}

// `fieldcon director serve` reads director.yaml again on SIGHUP: a good
// edit is put into effect and listed, a broken one is refused with its line
// and leaves the profiles in effect as they were.
func TestDirectorServeReloadsProfilesOnHangup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: director serve binds its TFTP socket to lo, which needs root; run go test as root")
	}
	ws := t.TempDir()
	for _, name := range []string{"img-a.tar", "img-b.tar", "seed.txt"} {
		p := filepath.Join(ws, "images", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("file "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(ws, "director.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("default: {image: img-a.tar, config: seed.txt}\n")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	defer cancel()
	// Waiting ends too when serve does, which then failed.
	wctx, serveEnded := context.WithCancel(ctx)
	stdout, stderr := newWatchedBuffer(), newWatchedBuffer()
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"--workspace", ws, "director", "serve", "--iface", "lo",
			"--listen-dhcp", "127.0.0.1:0", "--listen-tftp", "127.0.0.1:0", "--listen-syslog", "127.0.0.1:0"},
			strings.NewReader(""), stdout, stderr)
		serveEnded()
	}()
	// The banner is printed once serve handles SIGHUP.
	stdout.waitFor(wctx, t, 0, "director 127.0.0.1 on lo")
	hangup := func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	write("default: {image: img-b.tar, config: seed.txt}\ngroups:\n  - name: spares\n    mac: [\"0011.2233.4455\"]\n    config: seed.txt\n")
	hangup()
	at := stdout.waitFor(wctx, t, 0, "reloaded "+file+":\n")
	at = stdout.waitFor(wctx, t, at, "  default: image img-a.tar -> img-b.tar\n")
	stdout.waitFor(wctx, t, at, "  group spares added: mac 0011.2233.4455; config seed.txt\n")

	write("default: {image: img-b.tar, config: seed.txt}\ngroups:\n  - name: spares\n    mac: [not-a-mac]\n    config: seed.txt\n")
	hangup()
	errAt := stderr.waitFor(wctx, t, 0, "director.yaml not reloaded; the profiles in effect stay")
	stderr.waitFor(wctx, t, errAt, file+":4:")

	// Against the profiles in effect, only the new group shows: the broken
	// file changed nothing.
	outAt := len(stdout.String())
	write("default: {image: img-b.tar, config: seed.txt}\ngroups:\n  - name: spares\n    mac: [\"0011.2233.4455\"]\n    config: seed.txt\n  - name: lab\n    product-id: [WS-C2960X-24TS-L]\n    image: img-a.tar\n")
	hangup()
	at = stdout.waitFor(wctx, t, outAt, "reloaded "+file+":\n")
	end := stdout.waitFor(wctx, t, at, "  group lab added: product-id WS-C2960X-24TS-L; image img-a.tar\n")
	if rest := stdout.String()[at:end]; strings.Count(rest, "\n  ") != 0 || strings.Contains(rest, "spares") {
		t.Errorf("second reload listed more than the new group:\n%s", rest)
	}

	cancel()
	if err := <-served; err != nil && ctx.Err() == nil {
		t.Errorf("director serve = %v after cancel", err)
	}
}
