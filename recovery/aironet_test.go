package recovery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"fieldcon/images/imagestest"
	"fieldcon/internal/devsim"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/recovery/recoverytest"
)

// apBundle is a small synthetic Aironet bundle.
func apBundle(platform, feature string) imagestest.Bundle {
	return imagestest.Bundle{Platform: platform, FeatureSet: feature, Runnable: "mx", Version: "123-8.JA", ImageSize: 20000, Header: imagestest.ELF, WebFiles: 12}
}

func writeBundle(t *testing.T, b imagestest.Bundle, cut int) string {
	t.Helper()
	data := b.Bytes()
	if cut > 0 {
		data = data[:cut]
	}
	path := filepath.Join(t.TempDir(), b.FileName())
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// laptopOn is a laptop with eth1 at addr.
func laptopOn(addr string) *recoverytest.FileServer {
	return recoverytest.NewFileServer(
		recovery.NetInterface{Name: "lo", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}},
		recovery.NetInterface{Name: "eth1", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}},
	)
}

// fakeAPFlash records what a fake AP extracted.
type fakeAPFlash struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (f *fakeAPFlash) put(n string, d []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	f.files[n] = d
	return nil
}

// extractText runs devsim's loader extraction on what the fake server
// serves for name, as device output text.
func extractText(fs *recoverytest.FileServer, flash *fakeAPFlash, platform, name, src string, more bool) (string, devsim.ExtractResult) {
	var b strings.Builder
	data, err := fs.Fetch("10.0.0.1:2071", name)
	if err != nil {
		fmt.Fprintf(&b, "examining image...\r\n%%Error opening %s (timed out)\r\nERROR: Failed to open archive file %s\r\n", src, src)
		return b.String(), devsim.ExtractResult{Failure: "%Error opening"}
	}
	x := &devsim.TarExtract{Platform: platform, Source: src, Put: flash.put,
		Print: func(lines ...string) error {
			for _, l := range lines {
				b.WriteString(l + "\r\n")
			}
			return nil
		}}
	if more {
		x.MoreEvery = 5
		x.More = func() error { b.WriteString("-- MORE -- "); return nil }
	}
	res, _ := x.Run(bytes.NewReader(data))
	return b.String(), res
}

const unableToBoot = "The system is unable to boot automatically because there\r\nare no bootable files to boot.\r\n\r\nap: "

// modeAP is a fake Aironet whose power-on with MODE held runs recovery
// against the fake file server.
func modeAP(fs *recoverytest.FileServer, flash *fakeAPFlash, platform string) (*recoverytest.Console, func()) {
	c := recoverytest.New()
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^$`), Reply: "\r\nap>", When: "ios"})
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^$`), Reply: "ap: ", When: "loader"})
	name := platform + "-k9w7-tar.default"
	src := "tftp://255.255.255.255/" + name
	power := func() {
		c.Emit("Xmodem file system is available.\r\nbutton is pressed, wait for button to be released...\r\nbutton pressed for 22 seconds\r\n" +
			"process_config_recovery: set IP address and config to default 10.0.0.1\r\nprocess_config_recovery: image recovery\r\n" +
			"image_recovery: Download default IOS tar image " + src + "\r\n")
		text, res := extractText(fs, flash, platform, name, src, false)
		c.Emit(text)
		if res.OK() {
			c.Emit(`Loading "flash:/` + res.Image + `"...####` + "\r\nexecuting...\r\nPress RETURN to get started!\r\n")
			c.SetState("ios")
		} else {
			c.Emit(unableToBoot)
			c.SetState("loader")
		}
	}
	return c, power
}

func TestAironetModeRecoveryPlaybook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := apBundle("c1200", "k9w7")
		img := writeBundle(t, b, 0)
		fs := laptopOn("10.0.0.2/24")
		flash := &fakeAPFlash{}
		c, power := modeAP(fs, flash, "c1200")
		c.Emit(unableToBoot)
		asker := &recoverytest.Asker{Answers: []string{"Done"}, Before: func(int, recovery.Question) { power() }}
		var log progressLog
		var transfers []recovery.TransferProgress
		var mu sync.Mutex
		rn := &recovery.Runner{Console: c, Asker: asker, Progress: func(p recovery.Progress) {
			log.add(p)
			if p.Transfer != nil {
				mu.Lock()
				transfers = append(transfers, *p.Transfer)
				mu.Unlock()
			}
		}}
		pb, vars, err := recovery.AironetModeRecovery(recovery.Params{Image: img}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := rn.Run(context.Background(), pb, vars); err != nil {
			t.Fatalf("Run() = %v", err)
		}
		t.Logf("simulated time: %s", time.Since(start))
		// Nothing typed but a Return to settle the console before the
		// power cycle and one to wake the new IOS.
		if diff := cmp.Diff([]string{"", ""}, c.Sent()); diff != "" {
			t.Errorf("lines sent (-want +got):\n%s", diff)
		}
		specs := fs.Specs()
		if len(specs) != 1 || specs[0].Iface != "eth1" || specs[0].File != img || !slicesHave(specs[0].Aliases, "*-k9w7-tar.default") {
			t.Errorf("served %+v, want %s on eth1 with the *-k9w7-tar.default alias", specs, img)
		}
		if diff := cmp.Diff([]string{"c1200-k9w7-tar.default"}, fs.Fetched()); diff != "" {
			t.Errorf("fetched (-want +got):\n%s", diff)
		}
		if fs.Running() {
			t.Error("TFTP server still running after the playbook")
		}
		if vars["asked"] != "c1200-k9w7-tar.default" || vars["laptop"] != "10.0.0.2" || vars["hostname"] != "ap" {
			t.Errorf("vars asked=%q laptop=%q hostname=%q", vars["asked"], vars["laptop"], vars["hostname"])
		}
		if _, ok := flash.files[b.ImagePath()]; !ok {
			t.Errorf("image %s not extracted", b.ImagePath())
		}
		mu.Lock()
		defer mu.Unlock()
		if len(transfers) < 10 {
			t.Fatalf("%d transfer reports, want one per extracted file", len(transfers))
		}
		last := transfers[len(transfers)-1]
		if last.Total == 0 || last.Bytes < last.Total*9/10 {
			t.Errorf("last progress %d/%d, want the extraction near the image size", last.Bytes, last.Total)
		}
		if states := log.get(); states[len(states)-1] != "succeeded" {
			t.Errorf("final state %q, want succeeded", states[len(states)-1])
		}
	})
}

func slicesHave(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestAironetModeRecoveryFailures(t *testing.T) {
	good := apBundle("c1200", "k9w7")
	tests := []struct {
		name    string
		bundle  imagestest.Bundle
		cut     int
		check   recovery.ImageCheck
		laptop  string
		power   string // "recover", "normal", "silent"
		wantErr error
		wantID  string // doctor symptom
		wantMsg string
		fetched bool
	}{
		{name: "truncated image", bundle: good, cut: 12000, check: passCheck, laptop: "10.0.0.2/24", power: "recover", wantErr: recovery.ErrFailure, wantID: "premature-end-of-tar", fetched: true},
		{name: "wrong platform", bundle: apBundle("c1240", "k9w7"), check: live.CheckImage, laptop: "10.0.0.5/24", power: "recover", wantErr: recovery.ErrFailure, wantID: "not-valid-archive", fetched: true},
		{name: "button disabled", bundle: good, check: live.CheckImage, laptop: "10.0.0.2/24", power: "normal", wantErr: recovery.ErrModeButton, wantMsg: "booted normally"},
		{name: "no button message in 40 s", bundle: good, check: live.CheckImage, laptop: "10.0.0.2/24", power: "silent", wantErr: recovery.ErrModeButton, wantMsg: "may be disabled"},
		{name: "laptop outside 10.0.0.2-30", bundle: good, check: live.CheckImage, laptop: "192.168.1.10/24", power: "recover", wantErr: recovery.ErrNoLaptopAddress, wantMsg: "10.0.0.2-10.0.0.30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				img := writeBundle(t, tt.bundle, tt.cut)
				fs := laptopOn(tt.laptop)
				flash := &fakeAPFlash{}
				c, power := modeAP(fs, flash, "c1200")
				c.Emit(unableToBoot)
				asker := &recoverytest.Asker{Answers: []string{"Done"}, Before: func(int, recovery.Question) {
					switch tt.power {
					case "recover":
						power()
					case "normal":
						c.Emit("Xmodem file system is available.\r\n" + unableToBoot)
					}
				}}
				pb, vars, _ := recovery.AironetModeRecovery(recovery.Params{Image: img}, recovery.Tools{CheckImage: tt.check, Files: fs})
				start := time.Now()
				err := (&recovery.Runner{Console: c, Asker: asker}).Run(context.Background(), pb, vars)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Run() = %v, want %v", err, tt.wantErr)
				}
				if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("Run() = %v, want it to say %q", err, tt.wantMsg)
				}
				if tt.power == "silent" && time.Since(start) < recovery.ButtonWait {
					t.Errorf("gave up on the button after %s, want %s", time.Since(start), recovery.ButtonWait)
				}
				var se *recovery.StepError
				if tt.wantID != "" && (!errors.As(err, &se) || se.Diagnosis == nil || se.Diagnosis.Symptom.ID != tt.wantID) {
					t.Errorf("Run() = %v, want diagnosis %s", err, tt.wantID)
				}
				if got := len(fs.Fetched()) > 0; got != tt.fetched {
					t.Errorf("AP fetched = %v, want %v", got, tt.fetched)
				}
				if fs.Running() {
					t.Error("TFTP server left running after the failure")
				}
				if tt.laptop == "192.168.1.10/24" && len(fs.Specs()) != 0 {
					t.Errorf("started a server with no usable address: %+v", fs.Specs())
				}
			})
		})
	}
}

// passCheck lets any file through, as a technician skipping the check
// would, to see what the device makes of it.
func passCheck(ctx context.Context, path, use string, dev recovery.DeviceFacts) (recovery.ImageVerdict, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return recovery.ImageVerdict{}, err
	}
	return recovery.ImageVerdict{Size: fi.Size()}, nil
}

func TestAironetModeRecoveryRefusesBin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		img := filepath.Join(dir, "c1200-k9w7-mx.123-8.JA.bin")
		if err := os.WriteFile(img, imagestest.Runnable(imagestest.ELF, 5000), 0o644); err != nil {
			t.Fatal(err)
		}
		fs := laptopOn("10.0.0.2/24")
		c := recoverytest.New()
		pb, vars, _ := recovery.AironetModeRecovery(recovery.Params{Image: img}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
		err := (&recovery.Runner{Console: c, Asker: &recoverytest.Asker{}}).Run(context.Background(), pb, vars)
		if !errors.Is(err, recovery.ErrImageRefused) || !strings.Contains(err.Error(), ".tar") {
			t.Fatalf("Run() = %v, want ErrImageRefused saying a .tar is needed", err)
		}
		if len(c.Sent()) != 0 || len(fs.Specs()) != 0 {
			t.Errorf("typed %q and served %+v before refusing, want nothing", c.Sent(), fs.Specs())
		}
	})
}

// apLoader is a fake ap: loader for the manual playbook.
func apLoader(fs *recoverytest.FileServer, flash *fakeAPFlash, platform string, results *[]devsim.ExtractResult) *recoverytest.Console {
	c := recoverytest.New()
	on := func(sent, reply string) {
		c.Add(recoverytest.Rule{Sent: regexp.MustCompile(sent), Reply: reply, When: ""})
	}
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^$`), Reply: "\r\nap>", When: "ios"})
	on(`^$`, "ap: ")
	on(`^set (IP_ADDR|NETMASK|DEFAULT_ROUTER|BOOT) \S+$`, "ap: ")
	on(`^ether_init$`, "Initializing ethernet port 0...\r\nReset ethernet port 0...\r\nReset done!\r\nethernet link up, 100 mbps, full-duplex\r\nEthernet port 0 initialized: link is up\r\nap: ")
	on(`^tftp_init$`, "ap: ")
	on(`^flash_init$`, "Initializing Flash...\r\n...done Initializing Flash.\r\nap: ")
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^tar -xtract tftp://[\d.]+/\S+ flash:$`), ReplyTo: func(line string) string {
		url := strings.Fields(line)[2]
		name := url[strings.LastIndex(url, "/")+1:]
		text, res := extractText(fs, flash, platform, name, url, true)
		*results = append(*results, res)
		return text + "ap: "
	}})
	c.AddFunc(regexp.MustCompile(`^dir flash:/\S+/$`), func() string {
		flash.mu.Lock()
		defer flash.mu.Unlock()
		var names []string
		for n := range flash.files {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		b.WriteString("Directory of flash:/x/\r\n\r\n")
		for i, n := range names {
			if strings.Count(n, "/") == 1 {
				fmt.Fprintf(&b, "%-4d -rwx  %-9d <date>               %s\r\n", i+3, len(flash.files[n]), n[strings.Index(n, "/")+1:])
			}
		}
		b.WriteString("\r\n5000000 bytes available (200000 bytes used)\r\nap: ")
		return b.String()
	})
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^boot$`), Reply: "Loading \"flash:/x\"...###\r\nPress RETURN to get started!\r\n", Then: "ios"})
	return c
}

func TestAironetTFTPPlaybook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := apBundle("c1200", "k9w7")
		img := writeBundle(t, b, 0)
		fs := laptopOn("10.0.0.2/24")
		flash := &fakeAPFlash{}
		var results []devsim.ExtractResult
		c := apLoader(fs, flash, "c1200", &results)
		c.Emit(unableToBoot)
		pb, vars, err := recovery.AironetTFTP(recovery.Params{Image: img}, recovery.Tools{CheckImage: live.CheckImage, Files: fs})
		if err != nil {
			t.Fatal(err)
		}
		if err := (&recovery.Runner{Console: c, Yes: true}).Run(context.Background(), pb, vars); err != nil {
			t.Fatalf("Run() = %v", err)
		}
		want := []string{"", "set IP_ADDR 10.0.0.1", "set NETMASK 255.255.255.0", "set DEFAULT_ROUTER 10.0.0.2",
			"ether_init", "tftp_init", "flash_init", "tar -xtract tftp://10.0.0.2/" + b.FileName() + " flash:"}
		// One space per -- MORE --: extracting lines are info, the web
		// files, the image, its info and info.ver; the pager comes every 5.
		for range (b.WebFiles + 4) / 5 {
			want = append(want, " ")
		}
		want = append(want, "dir flash:/"+b.Dir()+"/", "set BOOT flash:/"+b.ImagePath(), "boot", "")
		if diff := cmp.Diff(want, c.Sent()); diff != "" {
			t.Errorf("lines sent (-want +got):\n%s", diff)
		}
		if len(results) != 1 || !results[0].OK() {
			t.Errorf("extractions %+v, want one that succeeded", results)
		}
		if fs.Running() {
			t.Error("TFTP server still running")
		}
		if vars["hostname"] != "ap" {
			t.Errorf("hostname = %q, want ap", vars["hostname"])
		}
	})
}

func TestAironetTFTPTruncated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := apBundle("c1200", "k9w7")
		img := writeBundle(t, b, 15000)
		fs := laptopOn("10.0.0.2/24")
		var results []devsim.ExtractResult
		c := apLoader(fs, &fakeAPFlash{}, "c1200", &results)
		pb, vars, _ := recovery.AironetTFTP(recovery.Params{Image: img}, recovery.Tools{CheckImage: passCheck, Files: fs})
		err := (&recovery.Runner{Console: c, Yes: true}).Run(context.Background(), pb, vars)
		var se *recovery.StepError
		if !errors.As(err, &se) || se.Diagnosis == nil || se.Diagnosis.Symptom.ID != "premature-end-of-tar" || se.Step != "tar -xtract" {
			t.Fatalf("Run() = %v, want the tar step to fail with premature-end-of-tar", err)
		}
		sent := c.Sent()
		for _, l := range sent {
			if strings.HasPrefix(l, "set BOOT") || l == "boot" {
				t.Errorf("typed %q after a failed extraction", l)
			}
		}
		if fs.Running() {
			t.Error("TFTP server left running")
		}
	})
}
