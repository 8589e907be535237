//go:build !linux

package serialcon

func busyHint(path string) string {
	return "another program has it open (screen, minicom, PuTTY, Tera Term, a second fieldcon); close it and try again"
}
