package recovery_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/recovery/recoverytest"
)

const lapHost = "AP0016.c716.c453"

// fakeLAP is a lightweight AP at its IOS prompt whose first busy archive
// download-sw attempts fail with FailureCode:7.
func fakeLAP(fs *recoverytest.FileServer, flash *fakeAPFlash, busy int, bootPath string) *recoverytest.Console {
	return fakeLAPReloading(fs, flash, busy, lapReload{host: lapHost, feature: "K9W8", image: bootPath})
}

// lapReload is what a fake lightweight AP runs after archive download-sw
// reloads it.
type lapReload struct {
	host    string // prompt hostname: the lightweight AP0016.c716.c453, or the autonomous ap
	feature string // in show version's first line: K9W8 or K9W7
	image   string // System image file
	// unreachable makes archive download-sw time out as with no TFTP
	// server answering (seed 000, Cisco 3750 troubleshooting note).
	unreachable bool
}

func fakeLAPReloading(fs *recoverytest.FileServer, flash *fakeAPFlash, busy int, after lapReload) *recoverytest.Console {
	c := recoverytest.New()
	c.SetState("user")
	rule := func(when, sent, reply, then string) {
		c.Add(recoverytest.Rule{Sent: regexp.MustCompile(sent), Reply: reply, When: when, Then: then})
	}
	rule("user", `^$`, "\r\n"+lapHost+">", "")
	rule("user", `^enable$`, "Password: ", "password")
	rule("password", `^Cisco$`, "\r\n"+lapHost+"#", "priv")
	rule("password", `.*`, "% Bad secrets\r\n\r\n"+lapHost+">", "user")
	rule("priv", `^debug capwap console cli$`, "This command is meant only for debugging/troubleshooting\r\nAny configuration change may result in different\r\nbehavior from centralized configuration.\r\n\r\nCAPWAP console CLI allow/disallow debugging is on\r\n"+lapHost+"#", "priv")
	rule("priv", `^dir flash:$`, "Directory of flash:/\r\n\r\n    2  -rwx         316   Mar 1 1993 00:02:16 +00:00  env_vars\r\n\r\n15998976 bytes total (9000000 bytes free)\r\n"+lapHost+"#", "")
	for range busy {
		c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^archive download-sw `), When: "priv", Once: true,
			Reply: "*Mar  1 00:01:12.015: %CAPWAP-6-AP_IMG_DWNLD: Required image not found on AP. Downloading image from Controller.\r\nexamining image...\r\nUnable to create temp dir \"flash:/update\"\r\nDownload image failed, notify controller!!! From:12.4(23c)JA to 0.0.0.0, FailureCode:7\r\n" + lapHost + "#"})
	}
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^archive download-sw /overwrite /reload tftp://[\d.]+/\S+$`), When: "priv", Then: "ios", ReplyTo: func(line string) string {
		url := strings.Fields(line)[4]
		if after.unreachable {
			return "examining image...\r\n%Error opening " + url + " (Timed out)\r\n%Error opening flash:update/info (No such file or directory)\r\nERROR: Image is not a valid IOS image archive.\r\n" + lapHost + "#"
		}
		text, res := extractText(fs, flash, "c1200", url[strings.LastIndex(url, "/")+1:], url, false)
		if !res.OK() {
			return text + "Download image failed, notify controller!!! From:12.4(23c)JA to 0.0.0.0, FailureCode:3\r\n" + lapHost + "#"
		}
		return text + "New software image installed in flash:/x\r\nRequested system reload in progress...\r\n%SYS-5-RELOAD: Reload requested by console.\r\nPress RETURN to get started!\r\n"
	}})
	rule("ios", `^$`, "\r\n"+after.host+">", "")
	rule("ios", `^show version$`, "Cisco IOS Software, C1200 Software (C1200-"+after.feature+"-M), Version 12.3(8)JA, RELEASE SOFTWARE (fc2)\r\nSystem image file is \""+after.image+"\"\r\n\r\n"+after.host+">", "")
	return c
}

func TestLightweightUpgradePlaybook(t *testing.T) {
	for _, busy := range []int{0, 2} {
		t.Run(map[int]string{0: "free", 2: "FailureCode:7 twice"}[busy], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := apBundle("c1200", "k9w8")
				img := writeBundle(t, b, 0)
				fs := laptopOn("10.0.0.2/24")
				c := fakeLAP(fs, &fakeAPFlash{}, busy, "flash:/"+b.ImagePath())
				asker := &recoverytest.Asker{Answers: []string{"Wait and retry", "Wait and retry"}}
				var diags []string
				rn := &recovery.Runner{Console: c, Asker: asker, Yes: true, Progress: func(p recovery.Progress) {
					if p.Diagnosis != nil {
						diags = append(diags, p.Diagnosis.Symptom.ID)
					}
				}}
				pb, vars, err := recovery.LightweightUpgrade(recovery.Params{Image: img}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if err := rn.Run(context.Background(), pb, vars); err != nil {
					t.Fatalf("Run() = %v", err)
				}
				archive := "archive download-sw /overwrite /reload tftp://10.0.0.2/" + b.FileName()
				want := []string{"", "enable", "Cisco", "debug capwap console cli", "dir flash:"}
				for range busy + 1 {
					want = append(want, archive)
				}
				want = append(want, "", "show version")
				if diff := cmp.Diff(want, c.Sent()); diff != "" {
					t.Errorf("lines sent (-want +got):\n%s", diff)
				}
				if len(asker.Questions) != busy {
					t.Errorf("asked %d questions, want one per FailureCode:7 (%d)", len(asker.Questions), busy)
				}
				if busy > 0 {
					if elapsed := time.Since(start); elapsed < time.Duration(busy)*recovery.DefaultRetryWait {
						t.Errorf("retried after %s, want at least %s of quiet per retry", elapsed, recovery.DefaultRetryWait)
					}
					if len(diags) != busy || diags[0] != "update-dir-busy" {
						t.Errorf("diagnoses %q, want update-dir-busy per busy attempt", diags)
					}
				}
				if fs.Running() {
					t.Error("TFTP server still running")
				}
				if vars["hostname"] != lapHost {
					t.Errorf("hostname = %q", vars["hostname"])
				}
			})
		})
	}
}

func TestLightweightUpgradeFailures(t *testing.T) {
	tests := []struct {
		name     string
		busy     int
		answers  []string
		password string
		wantErr  error
		wantID   string
		wantMsg  string
		wantLast string // the last line typed: the device is left there
	}{
		{name: "FailureCode:7, technician stops", busy: 1, answers: []string{"Stop"}, wantErr: recovery.ErrDeclined, wantID: "update-dir-busy", wantLast: "archive download-sw"},
		{name: "FailureCode:7 five times", busy: 5, answers: []string{"Wait and retry", "Wait and retry", "Wait and retry", "Wait and retry"}, wantErr: recovery.ErrFailure, wantID: "update-dir-busy", wantMsg: "after 5 attempts", wantLast: "archive download-sw"},
		{name: "wrong enable password", password: "secret", wantMsg: "global AP credentials", wantLast: "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := apBundle("c1200", "k9w8")
				img := writeBundle(t, b, 0)
				fs := laptopOn("10.0.0.2/24")
				c := fakeLAP(fs, &fakeAPFlash{}, tt.busy, "")
				pb, vars, _ := recovery.LightweightUpgrade(recovery.Params{Image: img, Password: tt.password}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
				err := (&recovery.Runner{Console: c, Asker: &recoverytest.Asker{Answers: tt.answers}, Yes: true}).Run(context.Background(), pb, vars)
				if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("Run() = %v, want %v saying %q", err, tt.wantErr, tt.wantMsg)
				}
				var se *recovery.StepError
				if tt.wantID != "" && (!errors.As(err, &se) || se.Diagnosis == nil || se.Diagnosis.Symptom.ID != tt.wantID) {
					t.Errorf("Run() = %v, want diagnosis %s", err, tt.wantID)
				}
				sent := c.Sent()
				if last := sent[len(sent)-1]; !strings.HasPrefix(last, tt.wantLast) {
					t.Errorf("last line typed %q, want %q (nothing after the failure)", last, tt.wantLast)
				}
				if fs.Running() {
					t.Error("TFTP server left running")
				}
			})
		})
	}
}
