//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxPane drives one pane of a private tmux server.
type tmuxPane struct {
	t    *testing.T
	sock string
}

func (p *tmuxPane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", p.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (p *tmuxPane) keys(keys ...string) {
	p.tmux(append([]string{"send-keys", "-t", "smoke"}, keys...)...)
}
func (p *tmuxPane) text(s string)  { p.tmux("send-keys", "-t", "smoke", "-l", s) }
func (p *tmuxPane) screen() string { return p.tmux("capture-pane", "-p", "-t", "smoke") }

// wait polls the screen until it shows want. The deadline only stops a
// hung run; it is not a performance assertion.
func (p *tmuxPane) wait(want string, guard time.Duration) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s := p.screen()
		if strings.Contains(s, want) {
			return s
		}
		select {
		case <-ctx.Done():
			p.t.Fatalf("screen never showed %q; last screen:\n%s", want, s)
		case <-tick.C:
		}
	}
}

// TestTUISmokeInTmux runs the real binary in tmux against the simulated
// Catalyst at 9600 baud: the loader prompt appears, dir flash: lists the
// files, a break goes out through the prefix menu, and quitting gives the
// shell back with the terminal as it was.
func TestTUISmokeInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; the smoke test needs it (scripts/install-test-deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("smoke test builds the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fieldcon")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	p := &tmuxPane{t: t, sock: filepath.Join(dir, "tmux.sock")}
	p.tmux("new-session", "-d", "-s", "smoke", "-x", "100", "-y", "30", "-e", "PS1=$ ", "sh")
	t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })

	ws := filepath.Join(dir, "ws")
	before := filepath.Join(dir, "stty.before")
	p.text("stty -g > " + before + "; " + bin + " --workspace " + ws + " sim --device catalyst; echo FIELDCON-EXIT=$?")
	p.keys("Enter")

	p.wait("switch:", 60*time.Second)
	p.text("flash_init")
	p.keys("Enter")
	p.wait("done Initializing Flash", 60*time.Second)
	p.text("dir flash:")
	p.keys("Enter")
	p.wait("vlan.dat", 60*time.Second)
	screen := p.wait("bytes available", 60*time.Second)
	if !strings.Contains(screen, "9600 8N1") || !strings.Contains(screen, "connected") {
		t.Errorf("status bar lacks the speed or the connection state:\n%s", screen)
	}

	// The other tabs open on the same session: the Recovery tab suggests
	// the Catalyst playbook for the loader prompt, the Images tab shows
	// the workspace folder, the Servers tab both servers stopped.
	p.keys("C-t", "2")
	p.wait("Playbooks for the switch-loader prompt", 30*time.Second)
	p.keys("C-t", "3")
	p.wait("Images in "+filepath.Join(ws, "images"), 30*time.Second)
	p.keys("C-t", "4")
	p.wait("○ DHCP  stopped", 30*time.Second)
	p.keys("C-t", "1")

	p.keys("C-t", "b")
	p.wait("── break ──", 30*time.Second)

	p.keys("C-t", "q")
	p.wait("FIELDCON-EXIT=0", 30*time.Second)

	// The terminal is back as it was: main screen, cursor shown, no mouse
	// reporting, same line discipline (a raw tty would not run this line).
	flags := strings.TrimSpace(p.tmux("display-message", "-p", "-t", "smoke", "#{alternate_on} #{cursor_flag} #{mouse_any_flag} #{mouse_sgr_flag}"))
	if flags != "0 1 0 0" {
		t.Errorf("after quitting, tmux pane flags (alternate, cursor, mouse, sgr mouse) = %q, want \"0 1 0 0\"", flags)
	}
	p.text("stty -g | cmp -s - " + before + " && echo TTY-$((20+1))-SAME")
	p.keys("Enter")
	p.wait("TTY-21-SAME", 30*time.Second)

	logs, err := os.ReadDir(filepath.Join(ws, "logs"))
	if err != nil || len(logs) == 0 {
		t.Errorf("no session log in the workspace (%v)", err)
	}
}
