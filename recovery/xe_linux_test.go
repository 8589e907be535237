//go:build linux

package recovery_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fieldcon/internal/devsim"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
)

func TestCatalystLoaderTFTPOnSimulator(t *testing.T) {
	ctx := simContext(t)
	g := startRig(t, ctx, devsim.Options{Profile: "c3560x"}, 9600, `switch: $`)
	img := routerImage(t, "c3560e-universalk9-mz.152-4.E10.bin", 96*1024)
	name := filepath.Base(img)
	pb, vars, err := recovery.CatalystLoaderTFTP(recovery.Params{Image: img, Iface: "lo"}, recovery.Tools{CheckImage: live.CheckImage, Files: g.files})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.run(t, ctx, pb, vars, nil); err != nil {
		t.Fatalf("Run() = %v\n%s", err, g.transcript())
	}
	cmds := g.con.Commands()
	want := []string{
		"set IP_ADDR 127.0.0.2/255.0.0.0", "set DEFAULT_ROUTER 127.0.0.1", "dir flash:",
		"copy tftp://127.0.0.1/" + name + " flash:" + name, "dir flash:", "set BOOT flash:" + name, "boot",
	}
	if diff := cmp.Diff(want, cmds); diff != "" {
		t.Errorf("commands sent (-want +got):\n%s", diff)
	}
	orig, _ := os.ReadFile(img)
	if got, _ := g.sim.Device.Flash().Get(name); !bytes.Equal(got, orig) {
		t.Errorf("flash:%s is %d bytes, want the %d-byte image", name, len(got), len(orig))
	}
	if boot, _ := g.sim.Device.Env("BOOT"); boot != "flash:"+name || g.sim.Device.Mode() != "user" {
		t.Errorf("BOOT=%q, mode %q; want BOOT=flash:%s and IOS user mode", boot, g.sim.Device.Mode(), name)
	}
}

func TestEmergencyInstallOnSimulator(t *testing.T) {
	const bundle = "cat3k_caa-universalk9.SPA.03.06.08.E.152-2.E8.bin"
	tests := []struct {
		name    string
		missing bool
	}{
		{name: "installs"},
		{name: "bundle missing on the server", missing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := simContext(t)
			g := startRig(t, ctx, devsim.Options{Profile: "c3850"}, 9600, `switch: $`)
			g.files.missing = tt.missing
			img := routerImage(t, bundle, 64*1024)
			pb, vars, err := recovery.EmergencyInstall(recovery.Params{Image: img, Iface: "lo"}, recovery.Tools{Files: g.files})
			if err != nil {
				t.Fatal(err)
			}
			asker := &askAll{answer: "Yes"}
			_, err = g.run(t, ctx, pb, vars, asker)
			cmds := g.con.Commands()
			want := []string{"set IP_ADDR 127.0.0.2/255.0.0.0", "set DEFAULT_ROUTER 127.0.0.1", "ping 127.0.0.1", "emergency-install tftp://127.0.0.1/" + bundle, "y"}
			if diff := cmp.Diff(want, cmds); diff != "" {
				t.Errorf("commands sent (-want +got):\n%s", diff)
			}
			if len(asker.questions) != 1 {
				t.Errorf("asked %q, want one question before the bootflash is erased", asker.questions)
			}
			if tt.missing {
				var se *recovery.StepError
				if !errors.As(err, &se) || se.Diagnosis == nil || se.Diagnosis.Symptom.ID != "tftp-file-not-found" {
					t.Fatalf("Run() = %v, want a failure diagnosed as tftp-file-not-found", err)
				}
				if _, ok := g.sim.Device.Flash().Get("packages.conf"); !ok {
					t.Errorf("flash was erased although the bundle never arrived")
				}
				return
			}
			if err != nil {
				t.Fatalf("Run() = %v\n%s", err, g.transcript())
			}
			orig, _ := os.ReadFile(img)
			if got, _ := g.sim.Device.Flash().Get(bundle); !bytes.Equal(got, orig) {
				t.Errorf("flash:%s is %d bytes, want the %d-byte bundle", bundle, len(got), len(orig))
			}
			if g.sim.Device.Mode() != "user" {
				t.Errorf("mode %q, want IOS user mode after the install", g.sim.Device.Mode())
			}
		})
	}
}
