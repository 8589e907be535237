package serialcon

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestDetectPromptTranscripts(t *testing.T) {
	tests := []struct {
		file     string
		wantKind PromptKind
		wantText string
	}{
		{"catalyst-unbootable.txt", PromptSwitchLoader, "switch:"},
		{"aironet-mode-button.txt", PromptAPLoader, "ap:"},
		{"aironet-version.txt", PromptAPLoader, "ap:"},
		{"aironet-tar-more.txt", PromptMore, " -- MORE --"},
		{"rommon-break.txt", PromptROMMON, "rommon 1 >"},
		{"rommon-tftpdnld.txt", PromptYesNo, "Do you wish to continue? y/n:  [n]:"},
		{"ios-reload.txt", PromptConfirm, "Proceed with reload? [confirm]"},
		{"ios-delete-confirm.txt", PromptConfirm, "Delete flash:c3750-ipbase-mz.122-25.SED1.bin? [confirm]"},
		{"ios-press-return.txt", PromptPressReturn, "Press RETURN to get started!"},
		{"ios-press-return-then-syslog.txt", PromptNone, ""},
		{"ios-user-amid-syslog.txt", PromptIOSUser, "3750>"},
		{"ios-show-switch.txt", PromptNone, ""},
		{"ios-dir-flash.txt", PromptIOSPrivileged, "3750#"},
		{"ios-config.txt", PromptIOSConfig, "3750-stack(config)#"},
		{"ios-config-vstack-group.txt", PromptIOSConfig, "Director(config-vstack-group)#"},
		{"ios-setup-dialog.txt", PromptYesNo, "Would you like to enter the initial configuration dialog? [yes/no]:"},
		{"lap-debug-capwap.txt", PromptIOSPrivileged, "AP84b8.02aa.bbcc#"},
		{"lap-user.txt", PromptIOSUser, "AP84b8.02aa.bbcc>"},
		{"lap-enable-password.txt", PromptPassword, "Password:"},
		{"ios-username.txt", PromptUsername, "Username:"},
		{"ios-more.txt", PromptMore, " --More--"},
		{"ios-more-erased.txt", PromptNone, ""},
		{"uboot-2802.txt", PromptUBoot, "u-boot>>"},
		{"uboot-ap803.txt", PromptUBoot, "ath>"},
		{"archive-download-progress.txt", PromptNone, ""},
		{"xmodem-begin.txt", PromptNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "prompts", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			kind, text := DetectPrompt(b)
			if kind != tt.wantKind || text != tt.wantText {
				t.Errorf("DetectPrompt(%s) = %v %q, want %v %q", tt.file, kind, text, tt.wantKind, tt.wantText)
			}
		})
	}
}

func TestDetectPromptLines(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantKind PromptKind
		wantText string
	}{
		{"rommon later counter", "rommon 12 > ", PromptROMMON, "rommon 12 >"},
		{"rommon no space", "rommon 3>", PromptROMMON, "rommon 3>"},
		{"switch loader after echo", "switch: flash_init\r\nInitializing Flash...\r\n...The flash is already initialized.\r\nswitch: ", PromptSwitchLoader, "switch:"},
		{"u-boot default", "\r\n=> ", PromptUBoot, "=>"},
		{"u-boot single", "U-Boot> ", PromptUBoot, "U-Boot>"},
		{"privileged with underscore", "Stack_Switch1#", PromptIOSPrivileged, "Stack_Switch1#"},
		{"config interface", "Switch(config-if)#", PromptIOSConfig, "Switch(config-if)#"},
		{"ap config", "ap(config)#", PromptIOSConfig, "ap(config)#"},
		{"confirm after text", "Delete vlan.dat? [confirm]", PromptConfirm, "Delete vlan.dat? [confirm]"},
		{"3850 y/n", "The bootflash will be erased during install operation, continue (y/n)?", PromptYesNo, "The bootflash will be erased during install operation, continue (y/n)?"},
		{"autoinstall", "Would you like to terminate autoinstall? [yes]: ", PromptYesNo, "Would you like to terminate autoinstall? [yes]:"},
		{"ansi colour around prompt", "\x1b[1;32mSwitch#\x1b[0m", PromptIOSPrivileged, "Switch#"},
		{"NULs before prompt", "\x00\x00switch: ", PromptSwitchLoader, "switch:"},
		{"carriage return redraw", "garbage\rSwitch>", PromptIOSUser, "Switch>"},
		{"asa pager", "<--- More --->", PromptMore, "<--- More --->"},

		// Not prompts: output that merely ends in a prompt character, or a
		// prompt followed by more output.
		{"empty", "", PromptNone, ""},
		{"typed after prompt", "switch: flash_i", PromptNone, ""},
		{"prompt then newline", "switch: \r\n", PromptNone, ""},
		{"arrow in text", "Progress --->", PromptNone, ""},
		{"hash progress bar", "###########", PromptNone, ""},
		{"hostname ending in hyphen", "abc->", PromptNone, ""},
		{"sentence ending in hash", "see note #", PromptNone, ""},
		{"html tag", "</html>", PromptNone, ""},
		{"xmodem receiver", "CCCCCCCCCC", PromptNone, ""},
		{"bang progress", "!!!!!!!!!!!!!!!!", PromptNone, ""},
		{"loader word mid line", "Type switch: to continue", PromptNone, ""},
		{"password mid sentence", "% Bad passwords\r\n", PromptNone, ""},
		{"more in text", "read the --More-- help\r\n", PromptNone, ""},
		{"press return too old", "Press RETURN to get started!\r\n\r\n00:00:57: %SYS-5-RESTART: System restarted --\r\n", PromptNone, ""},
		{"hostname too long", string(bytes.Repeat([]byte("a"), 70)) + "#", PromptNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, text := DetectPrompt([]byte(tt.in))
			if kind != tt.wantKind || text != tt.wantText {
				t.Errorf("DetectPrompt(%q) = %v %q, want %v %q", tt.in, kind, text, tt.wantKind, tt.wantText)
			}
		})
	}
}

// TestDetectPromptOnlyTail checks that a prompt counts only at the very end:
// every prompt in the fixtures stops counting once any line follows it.
func TestDetectPromptOnlyTail(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "prompts", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := append(b, "\r\n00:01:37: %LINK-3-UPDOWN: Interface GigabitEthernet1/0/2, changed state to up\r\n"...)
		if kind, text := DetectPrompt(in); kind != PromptNone {
			t.Errorf("DetectPrompt(%s + log line) = %v %q, want none", filepath.Base(f), kind, text)
		}
	}
}

func TestPromptKindString(t *testing.T) {
	want := []string{"none", "rommon", "switch-loader", "ap-loader", "u-boot", "ios-user", "ios-privileged", "ios-config", "more", "confirm", "yes-no", "username", "password", "press-return"}
	for k := PromptNone; k <= PromptPressReturn; k++ {
		if got := k.String(); got != want[k] {
			t.Errorf("PromptKind(%d).String() = %q, want %q", k, got, want[k])
		}
	}
	if got := PromptKind(99).String(); got != "prompt(99)" {
		t.Errorf("PromptKind(99).String() = %q, want %q", got, "prompt(99)")
	}
}

func FuzzDetectPrompt(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "prompts", "*.txt"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		kind, text := DetectPrompt(in)
		if (kind == PromptNone) != (text == "") {
			t.Fatalf("DetectPrompt(%q) = %v %q: kind and text disagree", in, kind, text)
		}
		if kind < PromptNone || kind > PromptPressReturn {
			t.Fatalf("DetectPrompt(%q) = kind %d out of range", in, kind)
		}
		if len(text) > maxLine {
			t.Fatalf("DetectPrompt(%q) text is %d bytes, longer than a line can be", in, len(text))
		}
		// Whatever the input, output that goes on after it is no prompt.
		more := append(append([]byte(nil), in...), "\r\nzz zz"...)
		if k, txt := DetectPrompt(more); k != PromptNone {
			t.Fatalf("DetectPrompt(%q + a line of text) = %v %q, want none", in, k, txt)
		}
		// Only the tail matters: anything before the last promptWindow
		// bytes cannot change the answer.
		pre := append(bytes.Repeat([]byte("rommon 1 > \n"), promptWindow/8), in...)
		if len(in) >= promptWindow {
			if k2, t2 := DetectPrompt(pre); k2 != kind || t2 != text {
				t.Fatalf("DetectPrompt with a prefix = %v %q, want %v %q", k2, t2, kind, text)
			}
		}
	})
}
