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

	"fieldcon/internal/devsim"
)

// waitScreen polls the screen until ok says it is the one wanted. The
// deadline only stops a hung run; it is not a performance assertion.
func (p *tmuxPane) waitScreen(what string, guard time.Duration, ok func(screen string) bool) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s := p.screen()
		if ok(s) {
			return s
		}
		select {
		case <-ctx.Done():
			p.t.Fatalf("screen never showed %s; last screen:\n%s", what, s)
		case <-tick.C:
		}
	}
}

// selectedLine is the line of the Recovery list under the cursor.
func selectedLine(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "▸ ") {
			return l
		}
	}
	return ""
}

// TestTUIRecoveryCatalystInTmux runs the real binary in tmux against a
// simulated Catalyst whose BOOT names an image that is gone (`fieldcon sim
// --device catalyst --boot-missing`): the technician picks the image in the
// Images tab, starts the Catalyst XMODEM playbook from the Recovery tab (at
// 9600, and with the speed raised for the transfer), the checklist ends
// done, the console shows the switch at Switch>, and quitting gives the
// terminal back as it was.
func TestTUIRecoveryCatalystInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; the smoke test needs it (scripts/install-test-deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("smoke test builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "fieldcon")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name string
		fast bool
	}{
		{"9600", false},
		{"fast", true},
	} {
		t.Run(tc.name, func(t *testing.T) { recoverInTmux(t, bin, tc.fast) })
	}
}

func recoverInTmux(t *testing.T, bin string, fast bool) {
	const image = "c2960-lanbasek9-mz.150-2.SE11.bin"
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(filepath.Join(ws, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	// 3000 bytes cross a 9600-baud line in a few seconds.
	if err := os.WriteFile(filepath.Join(ws, "images", image), devsim.FakeIOSImage(3000), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &tmuxPane{t: t, sock: filepath.Join(dir, "tmux.sock")}
	p.tmux("new-session", "-d", "-s", "smoke", "-x", "100", "-y", "30", "-e", "PS1=$ ", "sh")
	t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })

	before := filepath.Join(dir, "stty.before")
	p.text("stty -g > " + before + "; " + bin + " --workspace " + ws + " sim --device catalyst --boot-missing; echo FIELDCON-EXIT=$?")
	p.keys("Enter")
	p.wait(`Error loading "flash:`+image+`"`, 60*time.Second)
	p.wait("switch:", 60*time.Second)

	// Images tab: the scan finds the file; u chooses it for recovery.
	p.keys("C-t", "3")
	p.wait(image, 60*time.Second)
	p.keys("u")
	p.wait("is the image for recovery", 30*time.Second)

	// Recovery tab: walk the list down to the Catalyst XMODEM playbook.
	p.keys("C-t", "2")
	screen := p.wait("Playbooks for the switch-loader prompt", 30*time.Second)
	if !strings.Contains(screen, "image ★ "+image) {
		t.Errorf("Recovery header does not name the chosen image:\n%s", screen)
	}
	for i := 0; !strings.Contains(selectedLine(screen), "catalyst-xmodem"); i++ {
		if i > 20 {
			t.Fatalf("catalyst-xmodem is not in the Recovery list:\n%s", screen)
		}
		was := selectedLine(screen)
		p.keys("Down")
		screen = p.waitScreen("the cursor on the next playbook", 30*time.Second, func(s string) bool { return selectedLine(s) != was })
	}
	if fast {
		p.keys("f")
		p.wait("Fast transfer: on", 30*time.Second)
	}
	p.keys("Enter")
	screen = p.waitScreen("the run's end", 3*time.Minute, func(s string) bool {
		return strings.Contains(s, "✓ Done") || strings.Contains(s, "✗") || strings.Contains(s, "Aborted.")
	})
	if !strings.Contains(screen, "✓ Done: the device is verified recovered.") {
		t.Fatalf("the playbook did not end in success:\n%s", screen)
	}
	for _, step := range []string{"✓ transfer", "✓ set BOOT", "✓ reach IOS"} {
		if !strings.Contains(screen, step) {
			t.Errorf("checklist lacks %q:\n%s", step, screen)
		}
	}
	if fast {
		for _, step := range []string{"✓ raise speed", "✓ restore speed"} {
			if !strings.Contains(screen, step) {
				t.Errorf("checklist lacks %q:\n%s", step, screen)
			}
		}
	}
	if !strings.Contains(screen, "9600 8N1") {
		t.Errorf("the console is not back at 9600 after the run:\n%s", screen)
	}

	// The console shows the recovered switch at its IOS prompt.
	p.keys("C-t", "1")
	screen = p.wait("Press RETURN to get started", 30*time.Second)
	if last := lastTextLine(screen); last != "Switch>" {
		t.Errorf("console ends with %q, want the IOS prompt Switch>:\n%s", last, screen)
	}

	p.keys("C-t", "q")
	p.wait("FIELDCON-EXIT=0", 30*time.Second)
	flags := strings.TrimSpace(p.tmux("display-message", "-p", "-t", "smoke", "#{alternate_on} #{cursor_flag} #{mouse_any_flag} #{mouse_sgr_flag}"))
	if flags != "0 1 0 0" {
		t.Errorf("after quitting, tmux pane flags (alternate, cursor, mouse, sgr mouse) = %q, want \"0 1 0 0\"", flags)
	}
	p.text("stty -g | cmp -s - " + before + " && echo TTY-$((20+1))-SAME")
	p.keys("Enter")
	p.wait("TTY-21-SAME", 30*time.Second)
}

// lastTextLine is the console's last line with text above the status bar.
func lastTextLine(screen string) string {
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) > 0 {
		lines = lines[:len(lines)-1] // the status bar
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}
