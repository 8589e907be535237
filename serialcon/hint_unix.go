//go:build unix

package serialcon

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
)

// permissionHint names the group that owns the device (dialout on Debian and
// Ubuntu, uucp on Arch) and the two ways in.
func permissionHint(path string) string {
	chmod := "sudo chmod a+rw " + path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		chmod = "sudo chmod a+rw " + real
	}
	group := ""
	if fi, err := os.Stat(path); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Gid != 0 {
			if g, err := user.LookupGroupId(strconv.FormatUint(uint64(st.Gid), 10)); err == nil {
				group = g.Name
			}
		}
	}
	if group == "" || runtime.GOOS != "linux" {
		return "run: " + chmod + " (it lasts until the adapter is unplugged)"
	}
	return fmt.Sprintf("add yourself to the %s group (sudo usermod -aG %s $USER, then log in again), or run: %s", group, group, chmod)
}
