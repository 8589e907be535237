//go:build linux

package netnstest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// Names of this package's own namespaces.
const testPrefix = "fcnst-"

var seq atomic.Int32

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to create network namespaces (ip netns add); run go test as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: needs the ip command (iproute2)")
	}
}

func addNetns(t *testing.T, name string) {
	t.Helper()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
}

func netnsExists(name string) bool {
	_, err := os.Stat("/var/run/netns/" + name)
	return err == nil
}

func interfaceNames() ([]string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, ifi := range ifs {
		names = append(names, ifi.Name)
	}
	return names, nil
}

func TestEnter(t *testing.T) {
	requireRoot(t)
	// Names unique to this run of the test (go test -count=N reruns it in
	// the same process).
	n := seq.Add(1)
	name := fmt.Sprintf("%senter-%d-%d", testPrefix, os.Getpid(), n)
	addNetns(t, name)
	// A veth end moved into the namespace is seen there and not here.
	ifName := fmt.Sprintf("fcnst%de%d", os.Getpid()%100000, n)
	peer := ifName + "p"
	if out, err := exec.Command("ip", "link", "add", ifName, "type", "veth", "peer", "name", peer).CombinedOutput(); err != nil {
		t.Fatalf("ip link add: %v: %s", err, out)
	}
	// Deleting the end that stays here removes both at once; the one in
	// the namespace would otherwise linger until the kernel frees it.
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", peer).Run() })
	if out, err := exec.Command("ip", "link", "set", ifName, "netns", name).CombinedOutput(); err != nil {
		t.Fatalf("ip link set netns: %v: %s", err, out)
	}

	th := Enter(t, name)
	var inside []string
	if err := th.Run(func() (err error) { inside, err = interfaceNames(); return err }); err != nil {
		t.Fatalf("interfaces inside: %v", err)
	}
	if !strings.Contains(" "+strings.Join(inside, " ")+" ", " "+ifName+" ") {
		t.Errorf("interfaces inside %s = %v, want %s among them", name, inside, ifName)
	}
	outside, err := interfaceNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outside {
		if o == ifName {
			t.Errorf("interfaces outside = %v, want no %s (it was moved into %s)", outside, ifName, name)
		}
	}

	want := errors.New("from inside")
	if got := th.Run(func() error { return want }); got != want {
		t.Errorf("Run() = %v, want %v", got, want)
	}
}

func TestSweepStale(t *testing.T) {
	requireRoot(t)
	// Pids stay below pid_max, so no process ever runs under pid_max itself.
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	dead := strings.TrimSpace(string(b))
	n := seq.Add(1)
	stale := fmt.Sprintf("%ssweep-%s-%d", testPrefix, dead, n)
	mine := fmt.Sprintf("%ssweep-%d-%d", testPrefix, os.Getpid(), n)
	other := fmt.Sprintf("fcnsx-sweep-%s-%d", dead, n) // another package's prefix
	for _, n := range []string{stale, mine, other} {
		addNetns(t, n)
	}

	SweepStale(testPrefix)

	for _, tt := range []struct {
		name string
		want bool
	}{{stale, false}, {mine, true}, {other, true}} {
		if got := netnsExists(tt.name); got != tt.want {
			t.Errorf("after SweepStale(%q): namespace %s exists = %v, want %v", testPrefix, tt.name, got, tt.want)
		}
	}
}
