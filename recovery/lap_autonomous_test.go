package recovery_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"fieldcon/images/imagestest"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/recovery/recoverytest"
)

// runMessages keeps a run's progress messages and states.
type runMessages struct {
	mu     sync.Mutex
	lines  []string
	states []recovery.State
}

func (m *runMessages) add(p recovery.Progress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.Message != "" {
		m.lines = append(m.lines, p.Message)
	}
	m.states = append(m.states, p.State)
}

func (m *runMessages) said(sub string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range m.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func (m *runMessages) last() recovery.State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.states[len(m.states)-1]
}

// apLoaderFlash is the ap: loader's dir flash: for a flash of total bytes,
// 2048 of them used.
func apLoaderFlash(total int) string {
	return fmt.Sprintf("Directory of flash:/\r\n\r\n2    -rwx  316       <date>               env_vars\r\n\r\n%d bytes available (2048 bytes used)\r\nap: ", total-2048)
}

// modeLAP is a fake AP for the MODE-button path: the MODE-recovery AP of
// the Aironet tests, at state (loader, or "" for an AP that answers
// nothing), whose new IOS answers show version.
func modeLAP(fs *recoverytest.FileServer, flash *fakeAPFlash, state string, flashTotal int, image string) (*recoverytest.Console, func()) {
	c, power := modeAP(fs, flash, "c1200")
	c.SetState(state)
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^dir flash:$`), When: "loader", Reply: apLoaderFlash(flashTotal)})
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^show version$`), When: "ios",
		Reply: "Cisco IOS Software, C1200 Software (C1200-K9W7-M), Version 12.3(8)JA, RELEASE SOFTWARE (fc2)\r\n" +
			"System image file is \"" + image + "\"\r\n\r\nap>"})
	return c, power
}

func TestLightweightToAutonomousPlaybook(t *testing.T) {
	b := apBundle("c1200", "k9w7")
	image := "flash:/" + b.ImagePath()
	archive := "archive download-sw /overwrite /reload tftp://10.0.0.2/" + b.FileName()
	tests := []struct {
		name      string
		start     string // "loader", "silent", "lightweight", "busy"
		path      string // preset {path}
		wantSent  []string
		wantPath  string
		wantAsked string // the name the AP fetched
		questions int
	}{
		{name: "MODE button from ap:", start: "loader", wantPath: recovery.APPathModeButton,
			wantSent: []string{"", "dir flash:", "", "", "show version"}, wantAsked: "c1200-k9w7-tar.default", questions: 1},
		{name: "MODE button from a silent AP", start: "silent", wantPath: recovery.APPathModeButton,
			wantSent: []string{"", "", "", "", "", "show version"}, wantAsked: "c1200-k9w7-tar.default", questions: 1},
		{name: "archive download-sw from lightweight IOS", start: "lightweight", wantPath: recovery.APPathArchive,
			wantSent:  []string{"", "", "enable", "Cisco", "debug capwap console cli", "dir flash:", archive, "", "show version"},
			wantAsked: b.FileName()},
		{name: "archive download-sw after FailureCode:7", start: "busy", wantPath: recovery.APPathArchive,
			wantSent:  []string{"", "", "enable", "Cisco", "debug capwap console cli", "dir flash:", archive, archive, "", "show version"},
			wantAsked: b.FileName(), questions: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				img := writeBundle(t, b, 0)
				fs := laptopOn("10.0.0.2/24")
				flash := &fakeAPFlash{}
				var c *recoverytest.Console
				asker := &recoverytest.Asker{}
				switch tt.start {
				case "loader", "silent":
					state := map[string]string{"loader": "loader", "silent": ""}[tt.start]
					var power func()
					c, power = modeLAP(fs, flash, state, 7741440, image)
					asker.Answers = []string{"Done"}
					asker.Before = func(int, recovery.Question) { power() }
				default:
					busy := map[string]int{"lightweight": 0, "busy": 1}[tt.start]
					c = fakeLAPReloading(fs, flash, busy, lapReload{host: "ap", feature: "K9W7", image: image})
					asker.Answers = []string{"Wait and retry"}
				}
				var log runMessages
				pb, vars, err := recovery.LightweightToAutonomous(recovery.Params{Image: img}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
				if err != nil {
					t.Fatal(err)
				}
				if err := (&recovery.Runner{Console: c, Asker: asker, Yes: true, Progress: log.add}).Run(context.Background(), pb, vars); err != nil {
					t.Fatalf("Run() = %v\nmessages: %q", err, log.lines)
				}
				if diff := cmp.Diff(tt.wantSent, c.Sent()); diff != "" {
					t.Errorf("lines sent (-want +got):\n%s", diff)
				}
				if len(asker.Questions) != tt.questions {
					t.Errorf("asked %d questions, want %d", len(asker.Questions), tt.questions)
				}
				if vars["path"] != tt.wantPath || vars["hostname"] != "ap" || vars["boot"] != image {
					t.Errorf("vars path=%q hostname=%q boot=%q, want %s, ap, %s", vars["path"], vars["hostname"], vars["boot"], tt.wantPath, image)
				}
				if diff := cmp.Diff([]string{tt.wantAsked}, fs.Fetched()); diff != "" {
					t.Errorf("fetched (-want +got):\n%s", diff)
				}
				if _, ok := flash.files[b.ImagePath()]; !ok {
					t.Errorf("image %s not extracted", b.ImagePath())
				}
				if fs.Running() {
					t.Error("TFTP server still running")
				}
				for _, say := range []string{"runs autonomous IOS " + image + " at the ap> prompt", "user name Cisco, password Cisco", "interface BVI1", "changed none"} {
					if !log.said(say) {
						t.Errorf("the run never said %q: %q", say, log.lines)
					}
				}
				if got := log.last(); got != recovery.StateSucceeded {
					t.Errorf("final state %s, want succeeded", got)
				}
			})
		})
	}
}

func TestLightweightToAutonomousRefusesK9W8(t *testing.T) {
	for _, path := range []string{"", recovery.APPathModeButton, recovery.APPathArchive} {
		t.Run("path="+path, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				img := writeBundle(t, apBundle("c1200", "k9w8"), 0)
				fs := laptopOn("10.0.0.2/24")
				c := fakeLAP(fs, &fakeAPFlash{}, 0, "")
				pb, vars, _ := recovery.LightweightToAutonomous(recovery.Params{Image: img}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
				if path != "" {
					vars["path"] = path
				}
				err := (&recovery.Runner{Console: c, Asker: &recoverytest.Asker{}, Yes: true}).Run(context.Background(), pb, vars)
				if !errors.Is(err, recovery.ErrImageRefused) || !strings.Contains(err.Error(), "k9w8") || !strings.Contains(err.Error(), "autonomous") || !strings.Contains(err.Error(), "k9w7") {
					t.Fatalf("Run() = %v, want ErrImageRefused saying a k9w8 image is not autonomous and to use the k9w7 one", err)
				}
				var se *recovery.StepError
				if !errors.As(err, &se) || se.Step != "check image" {
					t.Errorf("Run() = %v, want the check image step to refuse", err)
				}
				if len(c.Sent()) != 0 || len(fs.Specs()) != 0 {
					t.Errorf("typed %q and served %+v before refusing, want nothing", c.Sent(), fs.Specs())
				}
			})
		})
	}
}

func TestLightweightToAutonomousFailures(t *testing.T) {
	good := apBundle("c1200", "k9w7")
	image := "flash:/" + good.ImagePath()
	tests := []struct {
		name     string
		bundle   imagestest.Bundle
		setup    func(fs *recoverytest.FileServer, flash *fakeAPFlash) (*recoverytest.Console, *recoverytest.Asker)
		path     string
		wantErr  error
		wantStep string
		wantMsg  string
		wantID   string // the doctor's diagnosis, when the device said why
		notSent  string // a line that must not be typed
	}{
		{
			name: "archive path chosen at ap:", bundle: good, path: recovery.APPathArchive,
			setup: func(fs *recoverytest.FileServer, flash *fakeAPFlash) (*recoverytest.Console, *recoverytest.Asker) {
				c, _ := modeLAP(fs, flash, "loader", 7741440, image)
				return c, &recoverytest.Asker{}
			},
			wantStep: "find the AP", wantMsg: "runs from the lightweight IOS prompt", notSent: "enable",
		},
		{
			name: "bundle larger than flash", bundle: good,
			setup: func(fs *recoverytest.FileServer, flash *fakeAPFlash) (*recoverytest.Console, *recoverytest.Asker) {
				c, _ := modeLAP(fs, flash, "loader", 16384, image)
				return c, &recoverytest.Asker{}
			},
			wantStep: "flash space", wantMsg: "larger than the AP's whole flash",
		},
		{
			name: "loader asks for the k9w8 name", bundle: good,
			setup: func(fs *recoverytest.FileServer, flash *fakeAPFlash) (*recoverytest.Console, *recoverytest.Asker) {
				c, _ := modeLAP(fs, flash, "loader", 7741440, image)
				return c, &recoverytest.Asker{Answers: []string{"Done"}, Before: func(int, recovery.Question) {
					c.Emit("button is pressed, wait for button to be released...\r\nbutton pressed for 21 seconds\r\n" +
						"image_recovery: Download default IOS tar image tftp://255.255.255.255/c1200-k9w8-tar.default\r\n")
				}}
			},
			wantStep: "AP asks", wantMsg: "lightweight recovery name",
		},
		{
			name: "still lightweight after the reload", bundle: good,
			setup: func(fs *recoverytest.FileServer, flash *fakeAPFlash) (*recoverytest.Console, *recoverytest.Asker) {
				return fakeLAPReloading(fs, flash, 0, lapReload{host: lapHost, feature: "K9W8", image: "flash:/c1200-k9w8-mx.123-8.JA/c1200-k9w8-mx.123-8.JA"}), &recoverytest.Asker{}
			},
			wantStep: "verify autonomous", wantMsg: "still runs the lightweight image",
		},
		{
			name: "TFTP server unreachable", bundle: good,
			setup: func(fs *recoverytest.FileServer, flash *fakeAPFlash) (*recoverytest.Console, *recoverytest.Asker) {
				return fakeLAPReloading(fs, flash, 0, lapReload{unreachable: true}), &recoverytest.Asker{}
			},
			wantErr: recovery.ErrFailure, wantStep: "archive download-sw", wantMsg: "TFTP server did not answer", wantID: "tftp-timed-out",
		},
		{
			name: "wrong platform", bundle: apBundle("c1240", "k9w7"),
			setup: func(fs *recoverytest.FileServer, flash *fakeAPFlash) (*recoverytest.Console, *recoverytest.Asker) {
				return fakeLAPReloading(fs, flash, 0, lapReload{host: "ap", feature: "K9W7", image: image}), &recoverytest.Asker{}
			},
			wantErr: recovery.ErrFailure, wantStep: "archive download-sw", wantMsg: "Image is not a valid IOS image archive", wantID: "not-valid-archive",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				img := writeBundle(t, tt.bundle, 0)
				fs := laptopOn("10.0.0.2/24")
				c, asker := tt.setup(fs, &fakeAPFlash{})
				pb, vars, _ := recovery.LightweightToAutonomous(recovery.Params{Image: img}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
				if tt.path != "" {
					vars["path"] = tt.path
				}
				err := (&recovery.Runner{Console: c, Asker: asker, Yes: true}).Run(context.Background(), pb, vars)
				var se *recovery.StepError
				if !errors.As(err, &se) || se.Step != tt.wantStep || !strings.Contains(err.Error(), tt.wantMsg) || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("Run() = %v, want step %q to fail saying %q", err, tt.wantStep, tt.wantMsg)
				}
				if tt.wantID != "" && (se.Diagnosis == nil || se.Diagnosis.Symptom.ID != tt.wantID) {
					t.Errorf("Run() = %v, want diagnosis %s", err, tt.wantID)
				}
				for _, l := range c.Sent() {
					if tt.notSent != "" && l == tt.notSent {
						t.Errorf("typed %q after choosing the wrong path", l)
					}
				}
				if fs.Running() {
					t.Error("TFTP server left running")
				}
			})
		})
	}
}

func TestLightweightToAutonomousAsksBeforeArchive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := apBundle("c1200", "k9w7")
		img := writeBundle(t, b, 0)
		fs := laptopOn("10.0.0.2/24")
		c := fakeLAPReloading(fs, &fakeAPFlash{}, 0, lapReload{host: "ap", feature: "K9W7", image: "flash:/" + b.ImagePath()})
		asker := &recoverytest.Asker{Answers: []string{"No"}}
		pb, vars, _ := recovery.LightweightToAutonomous(recovery.Params{Image: img}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
		err := (&recovery.Runner{Console: c, Asker: asker}).Run(context.Background(), pb, vars)
		if !errors.Is(err, recovery.ErrDeclined) {
			t.Fatalf("Run() = %v, want ErrDeclined", err)
		}
		if len(asker.Questions) != 1 || !strings.Contains(asker.Questions[0].Prompt, "archive download-sw") {
			t.Errorf("questions %+v, want one confirmation of archive download-sw (none for the MODE steps skipped)", asker.Questions)
		}
		for _, l := range c.Sent() {
			if strings.HasPrefix(l, "archive") {
				t.Errorf("typed %q after the technician said no", l)
			}
		}
	})
}

func TestDiagnoseTFTPTimedOut(t *testing.T) {
	tests := []struct{ line, want string }{
		{"%Error opening tftp://10.0.0.2/c1200-k9w7-tar.123-8.JA.tar (Timed out)", "tftp-timed-out"},
		{"%Error opening tftp:// (Timed out)", "tftp-timed-out"}, // as in seed 000, the address elided
		{"%Error opening tftp://10.0.0.2/x.tar (timed out)", "tftp-timed-out"},
		{"%Error opening tftp://255.255.255.255/c1200-k9w7-tar.default (Timed out)", "tftp-broadcast-unanswered"},
		{"%Error opening tftp://10.0.0.2/x.tar (No such file or directory)", ""},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range recovery.Diagnose(tt.line) {
			got = append(got, d.Symptom.ID)
		}
		var want []string
		if tt.want != "" {
			want = []string{tt.want}
		}
		if !cmp.Equal(got, want) {
			t.Errorf("Diagnose(%q) = %v, want %v", tt.line, got, want)
		}
	}
}
