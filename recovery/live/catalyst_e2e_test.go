//go:build linux

package live_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/serialcon"
)

// TestCatalystXMODEMOverPseudoTerminal runs the whole Catalyst XMODEM
// playbook with the real console engine, the real XMODEM code and the image
// check against a simulated switch stuck in its boot loader, through the
// baud-limited link: at 9600, and with the speed dance.
func TestCatalystXMODEMOverPseudoTerminal(t *testing.T) {
	for _, tc := range []struct {
		name string
		fast bool
		size int
	}{
		{"9600", false, 3000},
		{"fast", true, 60000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // hang guard only
			defer cancel()
			sim, err := devsim.Start(ctx, devsim.Options{
				Profile: "catalyst",
				Dir:     t.TempDir(),
				Flash:   map[string][]byte{},
				Env:     map[string]string{"BOOT": "flash:/c3560-ipbasek9-mz.122-55.SE.bin"},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			img := filepath.Join(t.TempDir(), "c3560-ipbasek9-mz.122-55.SE.bin")
			data := devsim.FakeIOSImage(tc.size)
			if err := os.WriteFile(img, data, 0o644); err != nil {
				t.Fatal(err)
			}
			con, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: sim.HostPath(), Settings: serialcon.DefaultSettings(9600)})
			if err != nil {
				t.Fatal(err)
			}
			defer con.Close()
			lc := live.New(con)
			defer lc.Close()

			pb, vars, err := recovery.CatalystXMODEM(recovery.Params{Image: img, Fast: tc.fast}, recovery.Tools{CheckImage: live.CheckImage})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var steps []string
			rn := &recovery.Runner{Console: lc, Progress: func(p recovery.Progress) {
				if p.Status == recovery.StepDone {
					mu.Lock()
					steps = append(steps, p.StepName)
					mu.Unlock()
				}
			}}
			start := time.Now()
			if err := rn.Run(ctx, pb, vars); err != nil {
				t.Fatalf("Run() = %v\ntranscript tail:\n%s", err, tail(con.Transcript(), 2000))
			}
			t.Logf("%s: %d-byte image recovered in %s", tc.name, tc.size, time.Since(start).Round(time.Millisecond))

			got, ok := sim.Device.Flash().Get("c3560-ipbasek9-mz.122-55.SE.bin")
			if !ok || !bytes.Equal(got, data) {
				t.Errorf("flash copy: %d bytes (present %v), want the %d-byte image", len(got), ok, len(data))
			}
			if b := con.Settings().Baud; b != 9600 {
				t.Errorf("console ended at %d baud, want 9600", b)
			}
			if env, ok := sim.Device.Env("BAUD"); ok && env != "9600" {
				t.Errorf("loader still stores BAUD=%s", env)
			}
			if vars["hostname"] == "" {
				t.Errorf("no IOS prompt reached; steps done: %v", steps)
			}
			want := "check image,reach loader,flash_init,load_helper,flash space,copy xmodem,transfer,verify copy,set BOOT,boot,reach IOS"
			if tc.fast {
				want = "check image,reach loader,flash_init,load_helper,flash space,raise speed,copy xmodem,transfer,restore speed,verify copy,set BOOT,boot,reach IOS"
			}
			mu.Lock()
			defer mu.Unlock()
			if strings.Join(steps, ",") != want {
				t.Errorf("steps done:\n %s\nwant\n %s", strings.Join(steps, ","), want)
			}
		})
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
