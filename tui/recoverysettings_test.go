package tui

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"fieldcon/recovery"
	"fieldcon/serialcon"
)

// TestPlaybookSetupsMatchCatalog checks the pane's idea of each built-in
// playbook against what the playbook really reads: a new playbook needs
// an entry, and a setting the pane offers must reach the playbook.
func TestPlaybookSetupsMatchCatalog(t *testing.T) {
	full := recovery.Params{Image: "/images/c3560-ipbasek9-mz.122-55.SE.bin", Iface: "ifx0", Laptop: "10.1.2.3", Listen: "0.0.0.0:6969", Password: "pw-marker", Fast: true}
	for _, e := range recovery.Playbooks() {
		t.Run(e.Name, func(t *testing.T) {
			s, known := playbookSetupFor(e.Name)
			if !known {
				t.Fatalf("playbookSetupFor(%q) does not know it: say which settings the Recovery pane asks for", e.Name)
			}
			has := map[string]bool{}
			for _, in := range s.inputs {
				has[in.key] = true
			}
			_, vars, err := e.Build(full, recovery.Tools{})
			if err != nil {
				t.Fatalf("Build(all settings) = %v", err)
			}
			if got, want := vars["iface"] == "ifx0", has["iface"]; got != want {
				t.Errorf("playbook reads the interface = %v, pane asks for it = %v", got, want)
			}
			if got, want := vars["laptop"] == "10.1.2.3", has["laptop"]; got != want {
				t.Errorf("playbook reads the laptop IP = %v, pane asks for it = %v", got, want)
			}
			if got, want := vars["listen"] == "0.0.0.0:6969", has["listen"]; got != want {
				t.Errorf("playbook reads the TFTP listen address = %v, pane asks for it = %v", got, want)
			}
			if got, want := vars["password"] == "pw-marker", has["new-secret"] || has["enable"]; got != want {
				t.Errorf("playbook reads a password = %v, pane asks for one = %v", got, want)
			}
			noImage := full
			noImage.Image = ""
			if _, _, err := e.Build(noImage, recovery.Tools{}); (err != nil) != s.image {
				t.Errorf("Build without an image: error %v, pane thinks it needs one = %v", err, s.image)
			}
			slow := full
			slow.Fast = false
			pbFast, varsFast, _ := e.Build(full, recovery.Tools{})
			pbSlow, varsSlow, err := e.Build(slow, recovery.Tools{})
			if err != nil {
				t.Fatalf("Build(not fast) = %v", err)
			}
			// Fast adds the speed steps (Catalyst) or a variable the
			// transfer step reads (ROMMON).
			if got := len(pbFast.Steps) != len(pbSlow.Steps) || !cmp.Equal(varsFast, varsSlow); got != s.fast {
				t.Errorf("fast transfer changes the steps = %v, pane offers it = %v", got, s.fast)
			}
			for _, in := range s.inputs {
				if in.required && in.blank != "" {
					t.Errorf("%s is needed yet says what blank means (%q)", in.label, in.blank)
				}
			}
		})
	}
}

func TestPlaybookSetupValidate(t *testing.T) {
	rommon, _ := playbookSetupFor("rommon-tftp")
	pw, _ := playbookSetupFor("router-password")
	tests := []struct {
		setup     playbookSetup
		values    map[string]string
		wantField int
		wantErr   string
	}{
		{rommon, map[string]string{}, -1, ""},
		{rommon, map[string]string{"iface": "eth1", "laptop": "10.0.0.2", "listen": "0.0.0.0:6969", "device-ip": "10.0.0.9", "gateway": "10.0.0.1"}, -1, ""},
		{rommon, map[string]string{"listen": ":69"}, -1, ""},
		{rommon, map[string]string{"laptop": "10.0.0"}, 1, `laptop IP: "10.0.0" is not an IPv4 address such as 10.0.0.2`},
		{rommon, map[string]string{"laptop": "fe80::1"}, 1, `laptop IP: "fe80::1" is not an IPv4 address`},
		{rommon, map[string]string{"listen": "0.0.0.0"}, 2, `TFTP listen: "0.0.0.0" is not an address and port`},
		{rommon, map[string]string{"listen": "0.0.0.0:99999"}, 2, `TFTP listen: "0.0.0.0:99999" is not an address and port`},
		{rommon, map[string]string{"iface": "eth 1"}, 0, "interface: must not contain spaces"},
		{rommon, map[string]string{"gateway": "router"}, 4, `gateway: "router" is not an IPv4 address`},
		{pw, map[string]string{}, 0, "new enable secret is needed"},
		{pw, map[string]string{"new-secret": "s3cret"}, -1, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.values), func(t *testing.T) {
			field, err := tt.setup.validate(tt.values)
			if field != tt.wantField || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("validate(%v) = %d, %v, want %d, %q", tt.values, field, err, tt.wantField, tt.wantErr)
			}
		})
	}
}

func TestPlaybookSetupParams(t *testing.T) {
	tests := []struct {
		name       string
		values     map[string]string
		fast       bool
		wantParams recovery.Params
		wantVars   recovery.Vars
	}{
		{"rommon-tftp", map[string]string{"iface": "eth1", "laptop": "10.0.0.2", "listen": "0.0.0.0:6969", "device-ip": "10.0.0.9", "gateway": "10.0.0.1", "new-secret": "unused"}, true,
			recovery.Params{Image: "img.bin", Iface: "eth1", Laptop: "10.0.0.2", Listen: "0.0.0.0:6969"}, recovery.Vars{"ip": "10.0.0.9", "gateway": "10.0.0.1"}},
		{"aironet-tftp", map[string]string{"device-ip": "10.0.0.9", "gateway": "10.0.0.1"}, false,
			recovery.Params{Image: "img.bin"}, recovery.Vars{"apip": "10.0.0.9"}},
		{"catalyst-xmodem", map[string]string{"iface": "eth1"}, true,
			recovery.Params{Image: "img.bin", Fast: true}, recovery.Vars{}},
		{"lap-upgrade", map[string]string{"enable": "Cisco123", "new-secret": "other"}, true,
			recovery.Params{Image: "img.bin", Password: "Cisco123"}, recovery.Vars{}},
		{"catalyst-password", map[string]string{"enable": "old", "new-secret": "s3cret"}, false,
			recovery.Params{Image: "img.bin", Password: "s3cret"}, recovery.Vars{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := playbookSetupFor(tt.name)
			p, vars := s.params(tt.values, "img.bin", tt.fast)
			if diff := cmp.Diff(tt.wantParams, p); diff != "" {
				t.Errorf("params(%v) Params (-want +got):\n%s", tt.values, diff)
			}
			if diff := cmp.Diff(tt.wantVars, vars); diff != "" {
				t.Errorf("params(%v) Vars (-want +got):\n%s", tt.values, diff)
			}
		})
	}
}

// TestRecoveryPaneSettings types a TFTP playbook's settings: letters that
// are keys elsewhere go into the field, a wrong address is refused with
// the field named, and the playbook gets the interface, addresses and the
// device's address as variables.
func TestRecoveryPaneSettings(t *testing.T) {
	run(t, func(t *testing.T) {
		d := newLoaderDevice()
		o := recoveryOptions(t, d)
		log := &buildLog{}
		o.Recovery.Playbooks = log.playbooks
		h := newHarness(t, 80, 24, o)
		atPrompt(h, serialcon.PromptROMMON)
		if s := h.screen(); !strings.Contains(s, "enter settings, then run") || !strings.Contains(s, "settings: interface auto") {
			t.Fatalf("the list does not say rommon-tftp has settings:\n%s", s)
		}
		h.press("enter")
		h.typ("qkj0") // q quits and j/k move elsewhere, but not while typing
		v := h.app.View()
		if v.Cursor == nil {
			t.Fatal("no cursor while typing a setting")
		}
		rows := strings.Split(ansi.Strip(v.Content), "\n")
		if y := v.Cursor.Y; y >= len(rows) || !strings.HasSuffix(string([]rune(rows[y])[:min(v.Cursor.X, len([]rune(rows[y])))]), "▸ interface    qkj0") {
			t.Errorf("cursor at %d,%d, want after the typed interface:\n%s", v.Cursor.X, v.Cursor.Y, ansi.Strip(v.Content))
		}
		h.press("tab")
		h.typ("10.0.0")
		h.press("enter")
		if s := h.screen(); !strings.Contains(s, `✗ laptop IP: "10.0.0" is not an IPv4 address`) || !strings.Contains(s, "▸ laptop IP") {
			t.Fatalf("a wrong laptop address was not refused on its field:\n%s", s)
		}
		if p, _ := log.get(); len(p) != 0 {
			t.Fatalf("built with a wrong address: %+v", p)
		}
		h.typ(".2")
		h.press("down", "down")
		h.typ("10.0.0.9")
		h.press("enter")
		if h.quit {
			t.Fatal("typing q in a setting quit fieldcon")
		}
		if s := h.screen(); !strings.Contains(s, "✓ Done") {
			t.Fatalf("the playbook did not run:\n%s", s)
		}
		params, vars := log.get()
		want := recovery.Params{Image: "testdata/recovery/c3560.bin", Iface: "qkj0", Laptop: "10.0.0.2"}
		if len(params) != 1 || !cmp.Equal(params[0], want) {
			t.Errorf("built with %+v, want once with %+v", params, want)
		}
		if len(vars) != 1 || vars[0]["ip"] != "10.0.0.9" || vars[0]["gateway"] != "" {
			t.Errorf("ran with vars %v, want ip 10.0.0.9 and no gateway", vars)
		}
		// Back in the list, the settings are remembered.
		h.press("enter")
		if s := h.screen(); !strings.Contains(s, "interface qkj0 · laptop IP 10.0.0.2") {
			t.Errorf("the list forgot the settings:\n%s", s)
		}
	})
}

// TestRecoveryPanePassword types a new enable secret: it is needed, shows
// as dots, reaches the playbook, and is never on screen or in the log. A
// password playbook needs no image.
func TestRecoveryPanePassword(t *testing.T) {
	run(t, func(t *testing.T) {
		d := newLoaderDevice()
		o := recoveryOptions(t, d)
		o.Images.ClearSelection()
		log := &buildLog{}
		o.Recovery.Playbooks = log.playbooks
		var logged bytes.Buffer
		o.Logger = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
		h := newHarness(t, 80, 24, o)
		var screens []string
		look := func() string {
			s := ansi.Strip(h.app.Render())
			screens = append(screens, s)
			return s
		}
		atPrompt(h, serialcon.PromptROMMON)
		h.press("down")
		if s := look(); !strings.Contains(s, "new enable secret not set") {
			t.Errorf("the list does not say the secret is missing:\n%s", s)
		}
		h.press("enter", "enter")
		if s := look(); !strings.Contains(s, "✗ new enable secret is needed") {
			t.Errorf("an empty secret was not refused:\n%s", s)
		}
		h.typ("s3cret!")
		if s := look(); !strings.Contains(s, "new enable secret  •••••••") {
			t.Errorf("the secret is not drawn as dots:\n%s", s)
		}
		h.press("enter")
		if s := look(); !strings.Contains(s, "✓ Done") {
			t.Errorf("the playbook did not run:\n%s", s)
		}
		h.press("enter", "down") // back to the list, whose cursor is at the top
		if s := look(); !strings.Contains(s, "new enable secret set") {
			t.Errorf("the list does not say the secret is set:\n%s", s)
		}
		params, _ := log.get()
		if len(params) != 1 || params[0].Password != "s3cret!" || params[0].Image != "" {
			t.Errorf("built with %+v, want the password and no image", params)
		}
		for _, s := range screens {
			if strings.Contains(s, "s3cret") {
				t.Errorf("the secret shows on screen:\n%s", s)
			}
		}
		if strings.Contains(logged.String(), "s3cret") {
			t.Errorf("the secret is in the log:\n%s", logged.String())
		}
	})
}

// TestRecoveryPaneSettingsEsc leaves the settings without running: the
// values stay for the next time, nothing is built.
func TestRecoveryPaneSettingsEsc(t *testing.T) {
	run(t, func(t *testing.T) {
		d := newLoaderDevice()
		o := recoveryOptions(t, d)
		log := &buildLog{}
		o.Recovery.Playbooks = log.playbooks
		h := newHarness(t, 80, 24, o)
		atPrompt(h, serialcon.PromptROMMON)
		h.press("enter")
		h.typ("eth1")
		h.press("esc")
		if s := h.screen(); !strings.Contains(s, "enter settings, then run") || !strings.Contains(s, "interface eth1") {
			t.Errorf("esc did not go back to the list keeping the interface:\n%s", s)
		}
		h.press("enter")
		if s := h.screen(); !strings.Contains(s, "▸ interface    eth1") {
			t.Errorf("the form does not start with the kept interface:\n%s", s)
		}
		if p, _ := log.get(); len(p) != 0 {
			t.Errorf("built without enter: %+v", p)
		}
		if got := d.Sent(); len(got) != 0 {
			t.Errorf("typed %q at the device, want nothing", got)
		}
	})
}

// TestRecoveryPaneRealCatalog walks the built-in list at each prompt: the
// playbook under the cursor and the keys stay on screen however long the
// list grows, and so does its explanation unless the doctor's box takes
// the room.
func TestRecoveryPaneRealCatalog(t *testing.T) {
	prompts := []serialcon.PromptKind{serialcon.PromptNone, serialcon.PromptSwitchLoader, serialcon.PromptROMMON, serialcon.PromptAPLoader, serialcon.PromptIOSUser}
	for _, sz := range sizes {
		for _, pr := range prompts {
			for _, doctor := range []bool{false, true} {
				name := fmt.Sprintf("%s_%dx%d", pr, sz.w, sz.h)
				if doctor {
					name += "_doctor"
				}
				t.Run(name, func(t *testing.T) {
					run(t, func(t *testing.T) { walkCatalog(t, sz.w, sz.h, pr, doctor) })
				})
			}
		}
	}
}

func walkCatalog(t *testing.T, w, h int, pr serialcon.PromptKind, doctor bool) {
	d := newLoaderDevice()
	o := recoveryOptions(t, d)
	o.Recovery.Playbooks = nil // the build's catalog
	hs := newHarness(t, w, h, o)
	if doctor {
		hs.data("%Tar checksum error in tftp://10.0.0.2/c3560-ipbasek9-mz.122-55.SE.bin\r\n" +
			"%Error opening tftp://10.0.0.2/c3560-ipbasek9-mz.122-55.SE.bin (Image is not a valid IOS image archive.)\r\n")
	}
	atPrompt(hs, pr)
	if doctor && !strings.Contains(hs.screen(), "Doctor: ") {
		t.Fatalf("no doctor's box:\n%s", hs.screen())
	}
	n := len(recovery.Playbooks())
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		if i > 0 {
			hs.press("down")
		}
		view := ansi.Strip(hs.app.Render())
		checkScreen(t, view, w, h)
		sel := ""
		for _, l := range strings.Split(view, "\n") {
			if strings.HasPrefix(l, "▸ ") {
				sel = strings.Fields(l)[1]
			}
		}
		if sel == "" || (!doctor && !strings.Contains(view, "starts at: ")) || !strings.Contains(view, "↑/↓ choose") {
			t.Fatalf("after %d downs the cursor's playbook, its explanation or the keys are off screen:\n%s", i, view)
		}
		seen[sel] = true
	}
	if len(seen) != n {
		t.Errorf("walking the list showed %d playbooks under the cursor, want %d: %v", len(seen), n, seen)
	}
}

// TestRecoveryPaneFastOnlyWhereUsed: f toggles fast transfer for an
// XMODEM playbook and says why not for one without a console transfer.
func TestRecoveryPaneFastOnlyWhereUsed(t *testing.T) {
	run(t, func(t *testing.T) {
		d := newLoaderDevice()
		h := newHarness(t, 80, 24, recoveryOptions(t, d))
		atPrompt(h, serialcon.PromptSwitchLoader)
		h.press("f")
		if s := h.screen(); !strings.Contains(s, "Fast transfer: on") {
			t.Errorf("f did not turn fast transfer on for catalyst-xmodem:\n%s", s)
		}
		h.press("down", "f")
		s := h.screen()
		if strings.Contains(s, "Fast transfer") || !strings.Contains(s, "ap-manual-tftp has no console transfer to speed up") {
			t.Errorf("f on a playbook without a console transfer:\n%s", s)
		}
		h.advance(time.Second)
	})
}
