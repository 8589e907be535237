//go:build linux

package serialcon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// busyHint names the programs holding the device, found through /proc; a
// technician recognises "minicom" or "ModemManager" faster than a pid.
func busyHint(path string) string {
	holders := holdersOf(path)
	if len(holders) == 0 {
		return "another program has it open (screen, minicom, picocom, a second fieldcon, or ModemManager probing the adapter); close it and try again"
	}
	hint := fmt.Sprintf("it is open in %s; close that program and try again", strings.Join(holders, ", "))
	for _, h := range holders {
		if strings.HasPrefix(h, "ModemManager") {
			hint += " (ModemManager probes new adapters: sudo systemctl stop ModemManager)"
			break
		}
	}
	return hint
}

func holdersOf(path string) []string {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range procs {
		pid := p.Name()
		if pid[0] < '0' || pid[0] > '9' || pid == fmt.Sprint(os.Getpid()) {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", pid, "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join("/proc", pid, "fd", fd.Name())); err == nil && l == target {
				comm, _ := os.ReadFile(filepath.Join("/proc", pid, "comm"))
				out = append(out, fmt.Sprintf("%s (pid %s)", strings.TrimSpace(string(comm)), pid))
				break
			}
		}
	}
	return out
}
