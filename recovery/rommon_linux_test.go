//go:build linux

package recovery_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fieldcon/internal/devsim"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
)

const rommonPromptRE = `rommon \d+ > $`

// onlyReturns reports whether every line is empty (the carriage returns a
// playbook sends to wake a prompt).
func onlyReturns(lines []string) bool {
	for _, l := range lines {
		if l != "" {
			return false
		}
	}
	return true
}

// checkSentThenReturns fails t unless the lines sent are want followed by
// nothing but carriage returns (which wake the prompt while it reboots).
func checkSentThenReturns(t *testing.T, sent, want []string) {
	t.Helper()
	if len(sent) < len(want) || !onlyReturns(sent[len(want):]) {
		t.Fatalf("lines sent = %q, want %q then carriage returns", sent, want)
	}
	if diff := cmp.Diff(want, sent[:len(want)]); diff != "" {
		t.Errorf("lines sent (-want +got):\n%s", diff)
	}
}

func TestRommonTFTPOnSimulator(t *testing.T) {
	ctx := simContext(t)
	g := startRig(t, ctx, devsim.Options{Profile: "rommon"}, 9600, rommonPromptRE)
	// A technician tried by hand before, in lower case: stored by ROMMON,
	// never read by tftpdnld.
	if err := g.con.Console.SendLine("tftp_file=C2800NM.BIN"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.con.Expect(ctx, regexp.MustCompile(`C2800NM\.BIN\r\n`+rommonPromptRE)); err != nil {
		t.Fatal(err)
	}
	img := routerImage(t, "c2800nm-advipservicesk9-mz.151-4.M12a.bin", 40*1024)
	pb, vars, err := recovery.RommonTFTP(recovery.Params{Image: img, Iface: "lo"}, recovery.Tools{CheckImage: live.CheckImage, Files: g.files})
	if err != nil {
		t.Fatal(err)
	}
	progress, err := g.run(t, ctx, pb, vars, nil)
	if err != nil {
		t.Fatalf("Run() = %v\n%s", err, g.transcript())
	}
	name := filepath.Base(img)
	want := []string{
		"",
		"IP_ADDRESS=127.0.0.2", "IP_SUBNET_MASK=255.0.0.0", "DEFAULT_GATEWAY=127.0.0.1", "TFTP_SERVER=127.0.0.1", "TFTP_FILE=" + name,
		"set", "tftpdnld", "y", "reset",
	}
	checkSentThenReturns(t, g.con.Sent(), want)
	orig, _ := os.ReadFile(img)
	files, _ := g.sim.Device.Flash().List("")
	if len(files) != 1 || files[0].Name != name {
		t.Errorf("flash after tftpdnld = %+v, want only %s (tftpdnld erases the rest)", files, name)
	}
	if got, _ := g.sim.Device.Flash().Get(name); !bytes.Equal(got, orig) {
		t.Errorf("flash:%s is %d bytes, want the %d-byte image", name, len(got), len(orig))
	}
	if diff := cmp.Diff([]string{name}, g.files.Asked()); diff != "" {
		t.Errorf("files asked of the TFTP server (-want +got):\n%s", diff)
	}
	if m := g.sim.Device.Mode(); m != "user" || vars["hostname"] != "Branch-R1" {
		t.Errorf("device mode %q, hostname %q; want IOS user mode on Branch-R1", m, vars["hostname"])
	}
	if msgs := messages(progress); !bytes.Contains([]byte(msgs), []byte("tftp_file is also set")) {
		t.Errorf("no note about the lower-case tftp_file the technician left; messages:\n%s", msgs)
	}
}

func TestRommonTFTPFileMissingOnSimulator(t *testing.T) {
	ctx := simContext(t)
	g := startRig(t, ctx, devsim.Options{Profile: "rommon"}, 9600, rommonPromptRE)
	g.files.missing = true
	img := routerImage(t, "c2800nm-advipservicesk9-mz.151-4.M12a.bin", 4096)
	pb, vars, _ := recovery.RommonTFTP(recovery.Params{Image: img, Iface: "lo"}, recovery.Tools{CheckImage: live.CheckImage, Files: g.files})
	_, err := g.run(t, ctx, pb, vars, nil)
	var se *recovery.StepError
	if !errors.As(err, &se) || se.Step != "erase and download" || !errors.Is(err, recovery.ErrFailure) {
		t.Fatalf("Run() = %v, want the download step to fail on the device's TFTP error", err)
	}
	if se.Diagnosis == nil || se.Diagnosis.Symptom.ID != "tftp-file-not-found" {
		t.Fatalf("diagnosis = %+v, want tftp-file-not-found", se.Diagnosis)
	}
	if _, ok := g.sim.Device.Flash().Get("c2800nm-advipservicesk9-mz.124-24.T.bin"); !ok {
		t.Errorf("the old image is gone after a failed download; tftpdnld erases only after the file arrived")
	}
}

func TestRommonXMODEMOnSimulator(t *testing.T) {
	tests := []struct {
		name      string
		flags     string // the monitor's xmodem options; "" all
		stay      bool   // the monitor stays at the -s speed
		fast      bool
		size      int
		wantCmd   string
		wantBaud  int
		wantSpeed bool // a console-speed diagnosis is expected
	}{
		{name: "ymodem at 115200", fast: true, size: 24 * 1024, wantCmd: "xmodem -y -s 115200 ", wantBaud: 9600},
		{name: "crc, no ymodem, no speed option", flags: "crx", fast: true, size: 3 * 1024, wantCmd: "xmodem -c ", wantBaud: 9600},
		{name: "checksum only", flags: "rx", size: 2 * 1024, wantCmd: "xmodem ", wantBaud: 9600},
		{name: "monitor stays at 115200", fast: true, stay: true, size: 16 * 1024, wantCmd: "xmodem -y -s 115200 ", wantBaud: 115200, wantSpeed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := simContext(t)
			g := startRig(t, ctx, devsim.Options{Profile: "rommon"}, 9600, rommonPromptRE)
			if tt.flags != "" {
				g.sim.Device.SetState("xmodem.flags", tt.flags)
			}
			if tt.stay {
				g.sim.Device.SetState("xmodem.stay", "yes")
			}
			img := routerImage(t, "c2800nm-ipbase-mz.124-24.T8.bin", tt.size)
			name := filepath.Base(img)
			pb, vars, _ := recovery.RommonXMODEM(recovery.Params{Image: img, Fast: tt.fast}, recovery.Tools{CheckImage: live.CheckImage})
			progress, err := g.run(t, ctx, pb, vars, nil)
			if err != nil {
				t.Fatalf("Run() = %v\n%s", err, g.transcript())
			}
			want := []string{"", "xmodem -?", tt.wantCmd + name, "y"}
			checkSentThenReturns(t, g.con.Sent(), want)
			orig, _ := os.ReadFile(img)
			if got, _ := g.sim.Device.Flash().Get(name); !bytes.Equal(got, orig) {
				t.Errorf("flash:%s is %d bytes, want the %d-byte image", name, len(got), len(orig))
			}
			if got := g.sim.Device.Baud(); got != tt.wantBaud || g.con.Baud() != got {
				t.Errorf("ended with device at %d, host at %d; want both at %d", got, g.con.Baud(), tt.wantBaud)
			}
			if m := g.sim.Device.Mode(); m != "user" {
				t.Errorf("device mode %q, want IOS user mode", m)
			}
			if got := hasDiagnosis(progress, "console-speed-changed"); got != tt.wantSpeed {
				t.Errorf("console-speed-changed diagnosis reported = %v, want %v; messages:\n%s", got, tt.wantSpeed, messages(progress))
			}
		})
	}
}
