package devsim

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// startFakeAP runs an AP on a fakeLine until the test ends.
func startFakeAP(t *testing.T, ctx context.Context, o APOptions) (*fakeLine, *AP) {
	t.Helper()
	a, p, err := newAP(o)
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeLine()
	d, err := newDevice(p, f, 9600, a.o.Flash, a.o.Env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	a.Sim = &Sim{Device: d, cancel: cancel, done: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && err != context.Canceled {
			t.Errorf("AP stopped with %v", err)
		}
	})
	f.waitIdle(t, ctx)
	return f, a
}

func TestAPRunsAutonomousIOSFromK9W7(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // hang guard only
	defer cancel()
	const image = "c1200-k9w7-mx.123-8.JA/c1200-k9w7-mx.123-8.JA"
	f, a := startFakeAP(t, ctx, APOptions{
		Flash: map[string][]byte{image: FakeIOSImage(4096), "env_vars": make([]byte, 316)},
		Env:   map[string]string{"BOOT": "flash:/" + image},
	})
	say := func(line string) string {
		t.Helper()
		before := len(f.output())
		f.send(line)
		f.waitIdle(t, ctx)
		return f.output()[before:]
	}
	if out := say("\r"); !strings.HasSuffix(out, "\r\nap>") {
		t.Errorf("after Return the AP printed %q, want the autonomous prompt ap>", out)
	}
	if out := say("show version\r"); !strings.Contains(out, "(C1200-K9W7-M)") || !strings.Contains(out, `System image file is "flash:/`+image+`"`) {
		t.Errorf("show version = %q, want the K9W7 feature set and the image file", out)
	}
	say("enable\r")
	if out := say("Cisco\r"); !strings.HasSuffix(out, "ap#") {
		t.Errorf("enable with Cisco ended in %q, want ap#", out)
	}
	// An autonomous AP has no hidden CAPWAP CLI to unlock, and archive
	// is an ordinary command there (this AP has no network, so it stops
	// at opening the file).
	if out := say("debug capwap console cli\r"); strings.Contains(out, "debugging is on") || !strings.Contains(out, "% Unrecognized command") {
		t.Errorf("debug capwap console cli on autonomous IOS = %q, want it unknown", out)
	}
	if out := say("archive download-sw /overwrite /reload tftp://10.0.0.2/x.tar\r"); strings.Contains(out, "% Unrecognized command") || !strings.Contains(out, "%Error opening tftp://10.0.0.2/x.tar") {
		t.Errorf("archive download-sw on autonomous IOS = %q, want it tried", out)
	}
	if d := a.Device; d.State("lightweight") != "" || d.Mode() != "priv" {
		t.Errorf("device lightweight=%q in mode %q, want autonomous in priv", d.State("lightweight"), d.Mode())
	}
}

func TestReplaceImage(t *testing.T) {
	const (
		lwap = "c1200-k9w8-mx.123-8.JA"
		auto = "c1200-k9w7-mx.123-8.JA"
	)
	base := map[string]int{
		"env_vars":                   316,
		lwap + "/" + lwap:            4096,
		lwap + "/html/index.html":    100,
		lwap + "/info":               200,
		auto + "/" + auto:            4096,
		auto + "/info":               200,
		"c1200-k9w7-mx.123-7.JA.bin": 300,
	}
	tests := []struct {
		name, old, installed string
		gone                 []string
	}{
		{"lightweight folder replaced", "flash:/" + lwap + "/" + lwap, "flash:/" + auto + "/" + auto,
			[]string{lwap + "/" + lwap, lwap + "/html/index.html", lwap + "/info"}},
		{"same image reinstalled", "flash:/" + auto + "/" + auto, "flash:/" + auto + "/" + auto, nil},
		{"nothing ran before", "", "flash:/" + auto + "/" + auto, nil},
		{"image at the top of flash", "flash:c1200-k9w7-mx.123-7.JA.bin", "flash:/" + auto + "/" + auto, []string{"c1200-k9w7-mx.123-7.JA.bin"}},
		{"old image already missing", "flash:/gone/gone", "flash:/" + auto + "/" + auto, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := NewFlash(7741440)
			for n, size := range base {
				if err := fl.Put(n, make([]byte, size)); err != nil {
					t.Fatal(err)
				}
			}
			if err := replaceImage(fl, tt.old, tt.installed); err != nil {
				t.Fatalf("replaceImage(%q, %q) = %v", tt.old, tt.installed, err)
			}
			var gone []string
			for n := range base {
				if _, ok := fl.Get(n); !ok {
					gone = append(gone, n)
				}
			}
			sort.Strings(gone)
			sort.Strings(tt.gone)
			if diff := cmp.Diff(tt.gone, gone); diff != "" {
				t.Errorf("replaceImage(%q, %q) deleted (-want +got):\n%s", tt.old, tt.installed, diff)
			}
		})
	}
}
