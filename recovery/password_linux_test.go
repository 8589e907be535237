//go:build linux

package recovery_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fieldcon/internal/devsim"
	"fieldcon/recovery"
)

func TestRouterPasswordOnSimulator(t *testing.T) {
	tests := []struct {
		name       string
		deviceBaud int // the router's console speed at the start
		wantDiag   bool
	}{
		{name: "router at 9600", deviceBaud: 9600},
		// A previous attempt typed confreg 0x2124: the console is at
		// 19200 and looks dead at 9600.
		{name: "register typo left 19200", deviceBaud: 19200, wantDiag: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := simContext(t)
			wait := rommonPromptRE
			if tt.deviceBaud != 9600 {
				wait = ""
			}
			g := startRig(t, ctx, devsim.Options{Profile: "rommon", Baud: tt.deviceBaud}, 9600, wait)
			pb, vars, err := recovery.RouterPassword(recovery.Params{Password: "N3w-secret"}, recovery.Tools{})
			if err != nil {
				t.Fatal(err)
			}
			progress, err := g.run(t, ctx, pb, vars, nil)
			if err != nil {
				t.Fatalf("Run() = %v\n%s", err, g.transcript())
			}
			sent := g.con.Sent()
			want := []string{
				"confreg 0x2142", "reset",
				"enable", "copy startup-config running-config", "",
				"configure terminal", "enable secret N3w-secret", "config-register 0x2102", "end",
				"copy running-config startup-config", "",
				"show version",
			}
			// Carriage returns wake prompts between the commands; the
			// commands themselves must be exactly these, in this order.
			var cmds []string
			for i, l := range sent {
				if l != "" || (i > 0 && strings.HasPrefix(sent[i-1], "copy ")) {
					cmds = append(cmds, l)
				}
			}
			if diff := cmp.Diff(want, cmds); diff != "" {
				t.Errorf("commands sent (-want +got):\n%s\nall lines: %q", diff, sent)
			}
			host, secret := g.sim.Device.StartupConfig()
			if host != "Branch-R1" || secret != devsim.SimSecret("N3w-secret") {
				t.Errorf("saved configuration: hostname %q, secret %q; want Branch-R1 with the new secret", host, secret)
			}
			if now, next := g.sim.Device.ConfigRegister(); now != "0x2142" || next != "0x2102" {
				t.Errorf("register %s, next %s; want 0x2142 now and 0x2102 at the next reload", now, next)
			}
			if g.sim.Device.Baud() != 9600 || g.con.Baud() != 9600 {
				t.Errorf("ended with device at %d, host at %d; want both at 9600", g.sim.Device.Baud(), g.con.Baud())
			}
			if got := hasDiagnosis(progress, "console-speed-changed"); got != tt.wantDiag {
				t.Errorf("console-speed-changed diagnosis = %v, want %v; messages:\n%s", got, tt.wantDiag, messages(progress))
			}
		})
	}
}

func TestCatalystPasswordOnSimulator(t *testing.T) {
	ctx := simContext(t)
	g := startRig(t, ctx, devsim.Options{Profile: "c3750-mode"}, 9600, `switch: $`)
	pb, vars, err := recovery.CatalystPassword(recovery.Params{Password: "Sw1tch-new"}, recovery.Tools{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.run(t, ctx, pb, vars, nil); err != nil {
		t.Fatalf("Run() = %v\n%s", err, g.transcript())
	}
	cmds := g.con.Commands()
	want := []string{
		"flash_init", "load_helper", "dir flash:", "rename flash:config.text flash:config.old", "boot",
		"enable", "rename flash:config.old flash:config.text", "copy flash:config.text system:running-config",
		"configure terminal", "enable secret Sw1tch-new", "end", "write memory",
	}
	if diff := cmp.Diff(want, cmds); diff != "" {
		t.Errorf("commands sent (-want +got):\n%s", diff)
	}
	cfg, ok := g.sim.Device.Flash().Get("config.text")
	if !ok || !strings.Contains(string(cfg), "hostname 3750-stack") || !strings.Contains(string(cfg), devsim.SimSecret("Sw1tch-new")) {
		t.Errorf("flash:config.text after recovery = %q, want hostname 3750-stack with the new secret", cfg)
	}
	if _, ok := g.sim.Device.Flash().Get("config.old"); ok {
		t.Errorf("flash:config.old is still there; it should have been renamed back")
	}
	if vars["hostname"] != "3750-stack" {
		t.Errorf("hostname = %q, want 3750-stack (the restored configuration)", vars["hostname"])
	}
}
