package recovery_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"fieldcon/recovery"
	"fieldcon/recovery/recoverytest"
)

func TestCheckROMMONVariables(t *testing.T) {
	good := func() []recovery.ROMMONVariable {
		return []recovery.ROMMONVariable{
			{"IP_ADDRESS", "10.0.0.5"}, {"IP_SUBNET_MASK", "255.255.255.0"}, {"DEFAULT_GATEWAY", "10.0.0.2"},
			{"TFTP_SERVER", "10.0.0.2"}, {"TFTP_FILE", "c2800nm-ipbase-mz.124-24.T8.bin"},
		}
	}
	tests := []struct {
		name string
		edit func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable
		want string // "" for valid
	}{
		{"valid", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable { return v }, ""},
		{"lower-case name", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable { v[0].Name = "ip_address"; return v }, "must be written IP_ADDRESS"},
		{"mixed-case name", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable { v[4].Name = "Tftp_File"; return v }, "must be written TFTP_FILE"},
		{"file name case", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable {
			v[4].Value = "C2800NM-IPBASE-MZ.124-24.T8.BIN"
			return v
		}, "only in case"},
		{"gateway is the router", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable { v[2].Value = "10.0.0.5"; return v }, "must not be the router's own"},
		{"bad mask", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable { v[1].Value = "255.0.255.0"; return v }, "not a subnet mask"},
		{"not an address", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable { v[3].Value = "tftp.local"; return v }, "not an IPv4 address"},
		{"missing", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable { return v[1:] }, "IP_ADDRESS is missing"},
		{"unknown name", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable {
			return append(v, recovery.ROMMONVariable{"TFTP_SRV", "x"})
		}, "not a variable tftpdnld reads"},
		{"server elsewhere", func(v []recovery.ROMMONVariable) []recovery.ROMMONVariable {
			v[2].Value, v[3].Value = "192.168.1.1", "192.168.1.2"
			return v
		}, "neither TFTP_SERVER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := recovery.CheckROMMONVariables(tt.edit(good()), "c2800nm-ipbase-mz.124-24.T8.bin")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckROMMONVariables() = %v, want nil", err)
			case tt.want != "" && (!errors.Is(err, recovery.ErrROMMONVariable) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckROMMONVariables() = %v, want ErrROMMONVariable saying %q", err, tt.want)
			}
		})
	}
}

func TestCheckConfreg(t *testing.T) {
	tests := []struct {
		value, purpose string
		baud           int
		want           string // "" for accepted
	}{
		{"0x2142", "password", 9600, ""},
		{"0x2102", "normal", 9600, ""},
		{"0x2124", "password", 19200, "19200 baud"}, // the classic typo
		{"0x2124", "password", 19200, "does not skip the startup configuration"},
		{"0x2142", "normal", 9600, "skips the startup configuration"},
		{"0x3922", "normal", 115200, "115200 baud"},
		{"0x2100", "normal", 9600, "does not boot IOS"},
		{"2142", "password", 0, "hexadecimal"},
		{"0x12345", "password", 0, "16-bit"},
	}
	for _, tt := range tests {
		t.Run(tt.value+"/"+tt.purpose, func(t *testing.T) {
			c, err := recovery.CheckConfreg(tt.value, tt.purpose)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckConfreg(%s, %s) = %v, want nil", tt.value, tt.purpose, err)
				}
			} else if !errors.Is(err, recovery.ErrConfreg) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckConfreg(%s, %s) = %v, want ErrConfreg saying %q", tt.value, tt.purpose, err, tt.want)
			}
			if tt.baud != 0 && c.ConsoleBaud != tt.baud {
				t.Errorf("CheckConfreg(%s).ConsoleBaud = %d, want %d", tt.value, c.ConsoleBaud, tt.baud)
			}
		})
	}
}

// rommon is a fake router ROMMON at 9600 that answers variables, with a
// tftpdnld usage that lists TFTP_BLKSIZE when blksize is true. Tests add
// their own set listing.
func rommon(blksize bool) *recoverytest.Console {
	c := recoverytest.New()
	c.SetDeviceBaud(9600)
	c.On(`^$`, "rommon 1 > ")
	c.On(`^[A-Za-z_]+=`, "rommon 2 > ")
	usage := "usage: tftpdnld [-hr]\r\n            IP_ADDRESS: The IP address for this unit\r\n"
	if blksize {
		usage += "          TFTP_BLKSIZE: TFTP block size, 512-8192 (default=512)\r\n"
	}
	c.On(`^tftpdnld -h$`, usage+"rommon 4 > ")
	return c
}

// typedEnv is what the fake's set shows: the variables the playbook types
// for a laptop at 10.0.0.2/24. (A rule's reply cannot read the console it
// runs under, so the listing is the expected one, not an echo.)
func typedEnv(file string, blksize bool) map[string]string {
	env := map[string]string{"IP_ADDRESS": "10.0.0.3", "IP_SUBNET_MASK": "255.255.255.0", "DEFAULT_GATEWAY": "10.0.0.2", "TFTP_SERVER": "10.0.0.2", "TFTP_FILE": file}
	if blksize {
		env["TFTP_BLKSIZE"] = "8192"
	}
	return env
}

func bigSparseImage(t *testing.T, name string, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("\x7fELF")); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func TestRommonTFTPBlockLimit(t *testing.T) {
	for _, blksize := range []bool{false, true} {
		name := map[bool]string{false: "old ROMMON refuses", true: "ROMMON with TFTP_BLKSIZE"}[blksize]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := rommon(blksize)
				c.Emit("rommon 1 > ")
				env := typedEnv("c2900-universalk9-mz.SPA.157-3.M8.bin", true)
				c.AddFunc(regexp.MustCompile(`^set$`), func() string { return listEnv(env) + "rommon 5 > " })
				c.On(`^tftpdnld$`, "WARNING: all existing data in all partitions on flash will be lost!\r\nDo you wish to continue? y/n:  [n]:  ")
				c.On(`^y$`, "Receiving x from 10.0.0.2 !!!!\r\nFile reception completed.\r\nprogram flash location 0x60440000\r\nrommon 6 > ")
				c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^reset$`), Reply: "Press RETURN to get started!\r\n", Then: "ios"})
				c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^$`), Reply: "\r\nRouter>", When: "ios"})
				img := bigSparseImage(t, "c2900-universalk9-mz.SPA.157-3.M8.bin", recovery.ROMMONBlockLimit+1)
				files := recoverytest.NewFileServer(recovery.NetInterface{Name: "eth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}})
				pb, vars, _ := recovery.RommonTFTP(recovery.Params{Image: img, Iface: "eth0"}, recovery.Tools{CheckImage: fakeCheck, Files: files})
				err := (&recovery.Runner{Console: c, Yes: true}).Run(context.Background(), pb, vars)
				if !blksize {
					var se *recovery.StepError
					if !errors.As(err, &se) || se.Step != "block limit" || se.Diagnosis == nil || se.Diagnosis.Symptom.ID != "rommon-tftp-block-limit" {
						t.Fatalf("Run() = %v, want the block-limit step to refuse with the rommon-tftp-block-limit diagnosis", err)
					}
					if diff := cmp.Diff([]string{"", "tftpdnld -h"}, c.Sent()); diff != "" {
						t.Errorf("lines sent before refusing (-want +got):\n%s", diff)
					}
					if files.Running() {
						t.Errorf("the TFTP server is still running after the refusal")
					}
					return
				}
				if err != nil {
					t.Fatalf("Run() = %v", err)
				}
				want := []string{"", "tftpdnld -h",
					"IP_ADDRESS=10.0.0.3", "IP_SUBNET_MASK=255.255.255.0", "DEFAULT_GATEWAY=10.0.0.2", "TFTP_SERVER=10.0.0.2",
					"TFTP_FILE=c2900-universalk9-mz.SPA.157-3.M8.bin", "TFTP_BLKSIZE=8192", "set", "tftpdnld", "y", "reset", ""}
				if diff := cmp.Diff(want, c.Sent()); diff != "" {
					t.Errorf("lines sent (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func listEnv(env map[string]string) string {
	var b strings.Builder
	b.WriteString("PS1=rommon ! > \r\n")
	for k, v := range env {
		b.WriteString(k + "=" + v + "\r\n")
	}
	return b.String()
}

func TestRommonTFTPVariableFailures(t *testing.T) {
	tests := []struct {
		name      string
		params    recovery.Params
		deviceSet func(env map[string]string) // how set differs from what was typed
		tftpdnld  string                      // what tftpdnld answers
		wantStep  string
		wantDiag  string
	}{
		{
			name:     "TFTP_FILE differs from the served file in case",
			params:   recovery.Params{FlashName: "C2800NM-IPBASE-MZ.124-24.T8.BIN"},
			wantStep: "check variables",
			wantDiag: "rommon-variable-case",
		},
		{
			name:      "a variable did not take",
			deviceSet: func(env map[string]string) { delete(env, "IP_ADDRESS") },
			wantStep:  "verify variables",
			wantDiag:  "rommon-variable-case",
		},
		{
			name:     "tftpdnld finds a variable missing",
			tftpdnld: "Missing or illegal ip address for variable IP_ADDRESS\r\nIllegal IP address.\r\n\r\nusage: tftpdnld [-hr]\r\nrommon 6 > ",
			wantStep: "tftpdnld",
			wantDiag: "rommon-variable-case",
		},
		{
			name:     "file not found on the server",
			tftpdnld: "WARNING: all existing data in all partitions on flash will be lost!\r\nDo you wish to continue? y/n:  [n]:  ",
			wantStep: "erase and download",
			wantDiag: "tftp-file-not-found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := rommon(false)
				c.Emit("rommon 1 > ")
				env := typedEnv("c2800nm-ipbase-mz.124-24.T8.bin", false)
				c.AddFunc(regexp.MustCompile(`^set$`), func() string {
					if tt.deviceSet != nil {
						tt.deviceSet(env)
					}
					return listEnv(env) + "rommon 5 > "
				})
				reply := tt.tftpdnld
				if reply == "" {
					reply = "Do you wish to continue? y/n:  [n]:  "
				}
				c.On(`^tftpdnld$`, reply)
				c.On(`^y$`, "Receiving c2800nm-ipbase-mz.124-24.T8.bin from 10.0.0.2 \r\nTFTP: error code 1 received from 10.0.0.2 - file not found\r\ntftpdnld: download failed\r\nrommon 7 > ")
				img := writeImage(t, "c2800nm-ipbase-mz.124-24.T8.bin", 4096)
				p := tt.params
				p.Image, p.Iface = img, "eth0"
				files := recoverytest.NewFileServer(recovery.NetInterface{Name: "eth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}})
				pb, vars, _ := recovery.RommonTFTP(p, recovery.Tools{CheckImage: fakeCheck, Files: files})
				err := (&recovery.Runner{Console: c, Yes: true}).Run(context.Background(), pb, vars)
				var se *recovery.StepError
				if !errors.As(err, &se) || se.Step != tt.wantStep {
					t.Fatalf("Run() = %v, want step %q to fail", err, tt.wantStep)
				}
				if se.Diagnosis == nil || se.Diagnosis.Symptom.ID != tt.wantDiag {
					t.Errorf("diagnosis = %+v, want %s", se.Diagnosis, tt.wantDiag)
				}
				for _, l := range c.Sent() {
					if tt.wantStep == "check variables" && strings.Contains(l, "=") {
						t.Errorf("typed %q although the variables were refused", l)
					}
				}
				if files.Running() {
					t.Errorf("the TFTP server is still running after the failure")
				}
			})
		})
	}
}

func TestRommonTFTPDeclinedEraseAnswersNo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := rommon(false)
		c.Emit("rommon 1 > ")
		env := typedEnv("c2800nm-ipbase-mz.124-24.T8.bin", false)
		c.AddFunc(regexp.MustCompile(`^set$`), func() string { return listEnv(env) + "rommon 5 > " })
		c.On(`^tftpdnld$`, "Do you wish to continue? y/n:  [n]:  ")
		c.On(`^n$`, "\r\nrommon 6 > ")
		img := writeImage(t, "c2800nm-ipbase-mz.124-24.T8.bin", 4096)
		files := recoverytest.NewFileServer(recovery.NetInterface{Name: "eth0", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}})
		pb, vars, _ := recovery.RommonTFTP(recovery.Params{Image: img, Iface: "eth0"}, recovery.Tools{CheckImage: fakeCheck, Files: files})
		asker := &recoverytest.Asker{Answers: []string{"No"}}
		err := (&recovery.Runner{Console: c, Asker: asker}).Run(context.Background(), pb, vars)
		if !errors.Is(err, recovery.ErrDeclined) {
			t.Fatalf("Run() = %v, want ErrDeclined", err)
		}
		sent := c.Sent()
		if sent[len(sent)-1] != "n" || strings.Contains(strings.Join(sent, "|"), "|y|") {
			t.Errorf("lines sent = %q, want tftpdnld answered n (never y) after the technician said no", sent)
		}
		if len(asker.Questions) != 1 || !strings.Contains(asker.Questions[0].Prompt, "erases all of flash") {
			t.Errorf("questions = %+v, want one that says flash is erased", asker.Questions)
		}
	})
}

func TestRommonXMODEMFallsBackWithoutCRC(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New()
		c.SetDeviceBaud(9600)
		c.Emit("rommon 1 > ")
		c.On(`^$`, "rommon 1 > ")
		// This monitor prints no usage for -? and has no -c.
		c.On(`^xmodem -\?$`, "xmodem: bad option\r\nrommon 2 > ")
		c.On(`^xmodem -c `, "xmodem: illegal option -- c\r\nrommon 3 > ")
		c.On(`^xmodem c2800`, "Do you wish to continue? y/n  [n]:  ")
		c.On(`^n$`, "\r\nrommon 4 > ")
		img := writeImage(t, "c2800nm-ipbase-mz.124-24.T8.bin", 1000)
		pb, vars, _ := recovery.RommonXMODEM(recovery.Params{Image: img}, recovery.Tools{CheckImage: fakeCheck})
		asker := &recoverytest.Asker{Answers: []string{"No"}}
		err := (&recovery.Runner{Console: c, Asker: asker}).Run(context.Background(), pb, vars)
		if !errors.Is(err, recovery.ErrDeclined) {
			t.Fatalf("Run() = %v, want ErrDeclined at the erase question", err)
		}
		want := []string{"", "xmodem -?", "xmodem -c c2800nm-ipbase-mz.124-24.T8.bin", "xmodem c2800nm-ipbase-mz.124-24.T8.bin", "n"}
		if diff := cmp.Diff(want, c.Sent()); diff != "" {
			t.Errorf("lines sent (-want +got):\n%s", diff)
		}
		if vars["protocol"] != "XMODEM (checksum)" {
			t.Errorf("protocol = %q, want the checksum fallback", vars["protocol"])
		}
	})
}
