//go:build linux

package netnstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Thread runs functions on an OS thread that has entered a network
// namespace, so the sockets they open live there.
type Thread struct{ calls chan func() }

// Enter starts a thread inside the namespace name (as made by ip netns add)
// and stops it when t ends. It fails t when the namespace cannot be entered.
func Enter(t testing.TB, name string) *Thread {
	t.Helper()
	n := &Thread{calls: make(chan func())}
	ready := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine instead of
		// going back to the pool in the wrong namespace.
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/var/run/netns", name))
		if err == nil {
			err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
			f.Close()
		}
		ready <- err
		if err != nil {
			return
		}
		for fn := range n.calls {
			fn()
		}
	}()
	if err := <-ready; err != nil {
		t.Fatalf("enter network namespace %s: %v", name, err)
	}
	t.Cleanup(func() { close(n.calls) })
	return n
}

// Do calls fn on the namespace's thread and returns when it has.
func (n *Thread) Do(fn func()) {
	done := make(chan struct{})
	n.calls <- func() { fn(); close(done) }
	<-done
}

// Run calls fn on the namespace's thread and returns its error.
func (n *Thread) Run(fn func() error) error {
	var err error
	n.Do(func() { err = fn() })
	return err
}

// SweepStale deletes the namespaces named prefix+ROLE-PID-N whose test
// process PID no longer runs: leftovers of a run that was killed before its
// cleanup. Namespaces of running processes, this one included, stay.
func SweepStale(prefix string) {
	entries, _ := os.ReadDir("/var/run/netns")
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		parts := strings.Split(name, "-") // ROLE-PID-N
		if len(parts) != 3 {
			continue
		}
		pid, err := strconv.Atoi(parts[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", parts[1])); err == nil {
			continue // its process still runs
		}
		_ = exec.Command("ip", "netns", "del", e.Name()).Run()
	}
}
