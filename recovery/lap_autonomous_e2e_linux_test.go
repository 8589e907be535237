//go:build linux

package recovery_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/recovery/recoverytest"
)

// lightweightAP is a simulated AP running a lightweight (k9w8) image from
// flash, as it comes off a controller.
func lightweightAP(o devsim.APOptions) (devsim.APOptions, string) {
	old := "c1200-k9w8-mx.123-8.JA/c1200-k9w8-mx.123-8.JA"
	o.Flash = map[string][]byte{old: devsim.FakeIOSImage(4096), "env_vars": make([]byte, 316)}
	o.Env = map[string]string{"BOOT": "flash:/" + old}
	return o, old
}

// checkAutonomous checks the simulated AP ended in autonomous IOS on the
// bundle's image, with the lightweight image gone from flash.
func checkAutonomous(t *testing.T, ap *devsim.AP, image, old string) {
	t.Helper()
	d := ap.Device
	if want := "flash:/" + image; d.State("image") != want || d.Mode() != "user" || d.State("hostname") != "ap" {
		t.Errorf("device runs %q in mode %q as %q, want %s in user mode as ap", d.State("image"), d.Mode(), d.State("hostname"), want)
	}
	if d.State("lightweight") != "" {
		t.Error("device is still a lightweight AP")
	}
	if boot, _ := d.Env("BOOT"); boot != "flash:/"+image {
		t.Errorf("BOOT = %q, want flash:/%s", boot, image)
	}
	if _, ok := d.Flash().Get(old); ok {
		t.Errorf("the lightweight image %s is still in flash", old)
	}
}

func TestLightweightToAutonomousArchiveEndToEnd(t *testing.T) {
	ctx := e2eCtx(t)
	b := apBundle("c1200", "k9w7")
	img := writeBundle(t, b, 0)
	port := freeUDPPort(t)
	o, old := lightweightAP(devsim.APOptions{Listen: loopbackListen, TFTPPort: port, CAPWAPBusy: 4 * time.Second})
	ap := startAP(t, ctx, o)
	_, lc := openConsole(t, ctx, ap.HostPath())
	asker := &recoverytest.Asker{Answers: []string{"Wait and retry", "Wait and retry", "Wait and retry"}}
	var rec progressRecorder
	pb, vars, _ := recovery.LightweightToAutonomous(recovery.Params{Image: img, Iface: "lo", Listen: fmt.Sprintf("127.0.0.1:%d", port), RetryWait: 2 * time.Second},
		recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{}})
	start := time.Now()
	if err := (&recovery.Runner{Console: lc, Asker: asker, Yes: true, Progress: rec.add}).Run(ctx, pb, vars); err != nil {
		t.Fatalf("Run() = %v\nmessages: %q", err, rec.messages)
	}
	t.Logf("lap-to-autonomous, archive path, on the simulator at 9600 (with %d FailureCode:7 waits): %s", len(asker.Questions), time.Since(start).Round(time.Millisecond))
	if vars["path"] != recovery.APPathArchive {
		t.Errorf("path %q, want %s from the lightweight IOS prompt", vars["path"], recovery.APPathArchive)
	}
	checkAutonomous(t, ap, b.ImagePath(), old)
	for _, say := range []string{"runs autonomous IOS flash:/" + b.ImagePath() + " at the ap> prompt", "user name Cisco, password Cisco", "interface BVI1"} {
		if !rec.said(say) {
			t.Errorf("the run never said %q: %q", say, rec.messages)
		}
	}
}

func TestLightweightToAutonomousModeButtonEndToEnd(t *testing.T) {
	laptop, apSide, lapIf := apBench(t)
	ctx := e2eCtx(t)
	b := apBundle("c1200", "k9w7")
	img := writeBundle(t, b, 0)
	o, old := lightweightAP(devsim.APOptions{Listen: func(ctx context.Context) (net.PacketConn, error) {
		var c net.PacketConn
		var err error
		apSide.Do(func() { c, err = net.ListenPacket("udp4", "0.0.0.0:0") })
		return c, err
	}})
	ap := startAP(t, ctx, o)
	_, lc := openConsole(t, ctx, ap.HostPath())
	asker := &recoverytest.Asker{Answers: []string{"Done"}, Before: func(int, recovery.Question) { ap.PowerCycle(true) }}
	var rec progressRecorder
	pb, vars, _ := recovery.LightweightToAutonomous(recovery.Params{Image: img, Iface: lapIf},
		recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{Do: laptop.Do}})
	// The AP runs lightweight IOS, where fieldcon would take archive
	// download-sw: the technician chose the MODE button instead.
	vars["path"] = recovery.APPathModeButton
	start := time.Now()
	if err := (&recovery.Runner{Console: lc, Asker: asker, Progress: rec.add}).Run(ctx, pb, vars); err != nil {
		t.Fatalf("Run() = %v\nmessages: %q", err, rec.messages)
	}
	t.Logf("lap-to-autonomous, MODE-button path, on the simulator at 9600: %s", time.Since(start).Round(time.Millisecond))
	if vars["asked"] != "c1200-k9w7-tar.default" || vars["laptop"] != "10.0.0.2" {
		t.Errorf("asked %q from %q, want c1200-k9w7-tar.default from 10.0.0.2", vars["asked"], vars["laptop"])
	}
	if !rec.said("flash: ") {
		t.Errorf("flash was not checked from the IOS prompt: %q", rec.messages)
	}
	checkAutonomous(t, ap, b.ImagePath(), old)
	if x := ap.Extractions(); len(x) != 1 || !x[0].OK() {
		t.Errorf("extractions %+v, want one whole", x)
	}
	if !strings.Contains(strings.Join(rec.messages, "\n"), "interface BVI1") {
		t.Errorf("the run never told the BVI1 step: %q", rec.messages)
	}
}
