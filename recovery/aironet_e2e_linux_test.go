//go:build linux

package recovery_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/internal/netnstest"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/recovery/recoverytest"
	"fieldcon/serialcon"
)

// End-to-end runs: the playbook drives the real serialcon console over a
// pseudo-terminal link to a simulated AP (internal/devsim), and serves the
// image with the real TFTP server (servers/tftp through recovery/live); the
// AP fetches it with devsim's TFTP client.

func e2eCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute) // hang guard only
	t.Cleanup(cancel)
	return ctx
}

func startAP(t *testing.T, ctx context.Context, o devsim.APOptions) *devsim.AP {
	t.Helper()
	ap, err := devsim.StartAP(ctx, o)
	if err != nil {
		t.Fatalf("devsim.StartAP() = %v", err)
	}
	t.Cleanup(func() { ap.Close() })
	return ap
}

func openConsole(t *testing.T, ctx context.Context, path string) (*serialcon.Console, *live.Console) {
	t.Helper()
	con, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: path, Settings: serialcon.DefaultSettings(9600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			tr := con.Transcript()
			t.Logf("console transcript (tail):\n%s\n%q", tr[max(0, len(tr)-3000):], tr[max(0, len(tr)-400):])
		}
		con.Close()
	})
	lc := live.New(con)
	t.Cleanup(lc.Close)
	return con, lc
}

// freeUDPPort finds a loopback port for the TFTP server, so the test never
// needs port 69 on the host.
func freeUDPPort(t *testing.T) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

func loopbackListen(ctx context.Context) (net.PacketConn, error) {
	var lc net.ListenConfig
	return lc.ListenPacket(ctx, "udp4", "127.0.0.1:0")
}

// progressRecorder keeps what a run reported.
type progressRecorder struct {
	mu       sync.Mutex
	messages []string
	states   []recovery.State
	onXfer   func(p recovery.Progress)
}

func (p *progressRecorder) add(pr recovery.Progress) {
	p.mu.Lock()
	if pr.Message != "" {
		p.messages = append(p.messages, pr.Message)
	}
	p.states = append(p.states, pr.State)
	f := p.onXfer
	p.mu.Unlock()
	if pr.Transfer != nil && f != nil {
		f(pr)
	}
}

func (p *progressRecorder) saw(s recovery.State) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, x := range p.states {
		if x == s {
			return true
		}
	}
	return false
}

func (p *progressRecorder) said(sub string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.messages {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

func TestAironetTFTPEndToEnd(t *testing.T) {
	ctx := e2eCtx(t)
	b := apBundle("c1200", "k9w7")
	img := writeBundle(t, b, 0)
	port := freeUDPPort(t)
	ap := startAP(t, ctx, devsim.APOptions{Listen: loopbackListen, TFTPPort: port, MoreEvery: 6})
	_, lc := openConsole(t, ctx, ap.HostPath())
	var rec progressRecorder
	pb, vars, err := recovery.AironetTFTP(recovery.Params{Image: img, Iface: "lo", Listen: fmt.Sprintf("127.0.0.1:%d", port)},
		recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := (&recovery.Runner{Console: lc, Yes: true, Progress: rec.add}).Run(ctx, pb, vars); err != nil {
		t.Fatalf("Run() = %v\nmessages: %q", err, rec.messages)
	}
	t.Logf("aironet-tftp on the simulator at 9600: %s", time.Since(start).Round(time.Millisecond))
	d := ap.Device
	if boot, _ := d.Env("BOOT"); boot != "flash:/"+b.ImagePath() {
		t.Errorf("BOOT = %q, want flash:/%s", boot, b.ImagePath())
	}
	if ip, _ := d.Env("IP_ADDR"); ip != "127.0.0.2" {
		t.Errorf("IP_ADDR = %q, want 127.0.0.2", ip)
	}
	if d.Mode() != "user" || d.State("image") != "flash:/"+b.ImagePath() {
		t.Errorf("device in mode %q running %q, want IOS user mode on the new image", d.Mode(), d.State("image"))
	}
	if data, ok := d.Flash().Get(b.ImagePath()); !ok || len(data) != int(b.ImageSize) {
		t.Errorf("flash image %d bytes (present %v), want %d", len(data), ok, b.ImageSize)
	}
	if x := ap.Extractions(); len(x) != 1 || !x[0].OK() {
		t.Errorf("extractions %+v, want one whole", x)
	}
}

// teeFiles passes a FileServer through and tells the test what its server
// reports.
type teeFiles struct {
	recovery.FileServer
	on func(recovery.FileEvent)
}

func (f *teeFiles) Serve(ctx context.Context, spec recovery.ServeSpec) (recovery.Serving, error) {
	s, err := f.FileServer.Serve(ctx, spec)
	if err != nil {
		return nil, err
	}
	t := &teeServing{Serving: s, out: make(chan recovery.FileEvent, 256)}
	go func() {
		defer close(t.out)
		for ev := range s.Events() {
			f.on(ev)
			t.out <- ev
		}
	}()
	return t, nil
}

type teeServing struct {
	recovery.Serving
	out chan recovery.FileEvent
}

func (t *teeServing) Events() <-chan recovery.FileEvent { return t.out }

func TestAironetTFTPCablePulledMidTransfer(t *testing.T) {
	ctx := e2eCtx(t)
	b := apBundle("c1200", "k9w7")
	img := writeBundle(t, b, 0)
	port := freeUDPPort(t)
	ap := startAP(t, ctx, devsim.APOptions{Listen: loopbackListen, TFTPPort: port, MoreEvery: 6, Retransmit: 300 * time.Millisecond, Retries: 3})
	_, lc := openConsole(t, ctx, ap.HostPath())
	var pulled, replugged atomic.Bool
	var rec progressRecorder
	rec.onXfer = func(p recovery.Progress) {
		// Pull the console cable as soon as the first files arrive: the
		// loader stops at its next -- MORE --, nobody answers it.
		if p.StepName == "tar -xtract" && pulled.CompareAndSwap(false, true) {
			if err := ap.Link.Unplug(); err != nil {
				t.Errorf("Unplug() = %v", err)
			}
		}
	}
	files := &teeFiles{FileServer: &live.TFTP{}, on: func(ev recovery.FileEvent) {
		// The stalled download is given up by the server: put the cable
		// back. The loader still waits at -- MORE --.
		if ev.Kind == recovery.FileFailed && pulled.Load() && replugged.CompareAndSwap(false, true) {
			if err := ap.Link.Replug(); err != nil {
				t.Errorf("Replug() = %v", err)
			}
		}
	}}
	pb, vars, _ := recovery.AironetTFTP(recovery.Params{Image: img, Iface: "lo", Listen: fmt.Sprintf("127.0.0.1:%d", port)},
		recovery.Tools{CheckImage: live.CheckImage, Files: files})
	start := time.Now()
	err := (&recovery.Runner{Console: lc, Yes: true, Progress: rec.add}).Run(ctx, pb, vars)
	if err != nil {
		t.Fatalf("Run() = %v\nmessages: %q", err, rec.messages)
	}
	t.Logf("aironet-tftp with the cable pulled mid-transfer: %s", time.Since(start).Round(time.Millisecond))
	if !replugged.Load() || !rec.saw(recovery.StatePaused) {
		t.Fatalf("replugged %v, paused %v: the run never saw the cable go", replugged.Load(), rec.saw(recovery.StatePaused))
	}
	x := ap.Extractions()
	if len(x) != 2 || x[0].Failure != "Premature end of tar file" || !x[1].OK() {
		t.Errorf("extractions %+v, want the stalled one cut short, then a whole one", x)
	}
	if !rec.said("Premature end of tar file") {
		t.Errorf("the run never reported the loader's Premature end of tar file: %q", rec.messages)
	}
	if d := ap.Device; d.Mode() != "user" {
		t.Errorf("device in mode %q, want IOS", d.Mode())
	}
}

func TestAironetTFTPTruncatedEndToEnd(t *testing.T) {
	ctx := e2eCtx(t)
	b := apBundle("c1200", "k9w7")
	img := writeBundle(t, b, 15000)
	port := freeUDPPort(t)
	ap := startAP(t, ctx, devsim.APOptions{Listen: loopbackListen, TFTPPort: port, MoreEvery: 6})
	_, lc := openConsole(t, ctx, ap.HostPath())
	pb, vars, _ := recovery.AironetTFTP(recovery.Params{Image: img, Iface: "lo", Listen: fmt.Sprintf("127.0.0.1:%d", port)},
		recovery.Tools{CheckImage: passCheck, Files: &live.TFTP{}})
	err := (&recovery.Runner{Console: lc, Yes: true}).Run(ctx, pb, vars)
	var se *recovery.StepError
	if !asStepError(err, &se) || se.Diagnosis == nil || se.Diagnosis.Symptom.ID != "premature-end-of-tar" {
		t.Fatalf("Run() = %v, want premature-end-of-tar", err)
	}
	d := ap.Device
	if boot, _ := d.Env("BOOT"); boot != "" || d.Mode() != "loader" {
		t.Errorf("device in mode %q with BOOT %q, want ap: with BOOT unset", d.Mode(), boot)
	}
	// The real image check refuses the same file before anything is typed.
	pb, vars, _ = recovery.AironetTFTP(recovery.Params{Image: img, Iface: "lo"}, recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{}})
	if err := (&recovery.Runner{Console: lc, Yes: true}).Run(ctx, pb, vars); !strings.Contains(fmt.Sprint(err), "cut short") {
		t.Errorf("Run() with the real check = %v, want the file refused as cut short", err)
	}
}

func asStepError(err error, se **recovery.StepError) bool {
	for err != nil {
		if s, ok := err.(*recovery.StepError); ok {
			*se = s
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestLightweightUpgradeEndToEnd(t *testing.T) {
	ctx := e2eCtx(t)
	old := "c1200-k9w8-mx.123-8.JA/c1200-k9w8-mx.123-8.JA"
	b := apBundle("c1200", "k9w8")
	b.Version = "124-25d.JA"
	img := writeBundle(t, b, 0)
	port := freeUDPPort(t)
	ap := startAP(t, ctx, devsim.APOptions{Listen: loopbackListen, TFTPPort: port, CAPWAPBusy: 8 * time.Second,
		Flash: map[string][]byte{old: devsim.FakeIOSImage(4096), "env_vars": make([]byte, 316)},
		Env:   map[string]string{"BOOT": "flash:/" + old}})
	_, lc := openConsole(t, ctx, ap.HostPath())
	asker := &recoverytest.Asker{Answers: []string{"Wait and retry", "Wait and retry", "Wait and retry"}}
	var rec progressRecorder
	pb, vars, _ := recovery.LightweightUpgrade(recovery.Params{Image: img, Iface: "lo", Listen: fmt.Sprintf("127.0.0.1:%d", port), RetryWait: 2 * time.Second},
		recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{}})
	start := time.Now()
	if err := (&recovery.Runner{Console: lc, Asker: asker, Yes: true, Progress: rec.add}).Run(ctx, pb, vars); err != nil {
		t.Fatalf("Run() = %v\nmessages: %q", err, rec.messages)
	}
	t.Logf("lap-upgrade on the simulator at 9600 (with %d FailureCode:7 waits): %s", len(asker.Questions), time.Since(start).Round(time.Millisecond))
	if len(asker.Questions) == 0 {
		t.Errorf("no FailureCode:7 question although the AP was busy for 8 s after boot")
	}
	d := ap.Device
	if want := "flash:/" + b.ImagePath(); d.State("image") != want || d.Mode() != "user" {
		t.Errorf("device runs %q in mode %q, want %s in user mode", d.State("image"), d.Mode(), want)
	}
	if d.State("lightweight") != "yes" {
		t.Errorf("device is not a lightweight AP after the upgrade")
	}
}

// The MODE-button recovery needs the AP's limited broadcast: it runs in two
// network namespaces joined by a veth pair, the laptop at 10.0.0.2 and the
// AP at 10.0.0.1, as on the bench.

const apNetnsPrefix = "fcap-"

var apNetnsSeq atomic.Int32

// apBench makes the namespaces: laptop side (10.0.0.2/24 on lapIf) and AP
// side (10.0.0.1/24, 255.255.255.255 routed out of its veth).
func apBench(t *testing.T) (laptop, apSide *netnstest.Thread, lapIf string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: the MODE-button recovery test needs root to create network namespaces (ip netns add); run go test as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: needs the ip command (iproute2)")
	}
	netnstest.SweepStale(apNetnsPrefix)
	pid, n := os.Getpid(), apNetnsSeq.Add(1)
	lapNS := fmt.Sprintf("%slap-%d-%d", apNetnsPrefix, pid, n)
	apNS := fmt.Sprintf("%sap-%d-%d", apNetnsPrefix, pid, n)
	lapIf = fmt.Sprintf("fcap%dl%d", pid%100000, n)
	apIf := fmt.Sprintf("fcap%da%d", pid%100000, n)
	t.Cleanup(func() {
		for _, ns := range []string{lapNS, apNS} {
			_ = exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	for _, args := range [][]string{
		{"netns", "add", lapNS},
		{"netns", "add", apNS},
		{"link", "add", lapIf, "type", "veth", "peer", "name", apIf},
		{"link", "set", lapIf, "netns", lapNS},
		{"link", "set", apIf, "netns", apNS},
		{"-n", lapNS, "addr", "add", "10.0.0.2/24", "brd", "+", "dev", lapIf},
		{"-n", apNS, "addr", "add", "10.0.0.1/24", "brd", "+", "dev", apIf},
		{"-n", lapNS, "link", "set", "lo", "up"},
		{"-n", apNS, "link", "set", "lo", "up"},
		{"-n", lapNS, "link", "set", lapIf, "up"},
		{"-n", apNS, "link", "set", apIf, "up"},
		{"-n", apNS, "route", "add", "255.255.255.255/32", "dev", apIf},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return netnstest.Enter(t, lapNS), netnstest.Enter(t, apNS), lapIf
}

func TestAironetModeRecoveryEndToEnd(t *testing.T) {
	laptop, apSide, lapIf := apBench(t)
	ctx := e2eCtx(t)
	b := apBundle("c1200", "k9w7")
	img := writeBundle(t, b, 0)
	ap := startAP(t, ctx, devsim.APOptions{Listen: func(ctx context.Context) (net.PacketConn, error) {
		var c net.PacketConn
		var err error
		apSide.Do(func() { c, err = net.ListenPacket("udp4", "0.0.0.0:0") })
		return c, err
	}})
	_, lc := openConsole(t, ctx, ap.HostPath())
	asker := &recoverytest.Asker{Answers: []string{"Done"}, Before: func(int, recovery.Question) { ap.PowerCycle(true) }}
	var rec progressRecorder
	pb, vars, _ := recovery.AironetModeRecovery(recovery.Params{Image: img, Iface: lapIf},
		recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{Do: laptop.Do}})
	start := time.Now()
	if err := (&recovery.Runner{Console: lc, Asker: asker, Progress: rec.add}).Run(ctx, pb, vars); err != nil {
		t.Fatalf("Run() = %v\nmessages: %q", err, rec.messages)
	}
	t.Logf("aironet-mode-recovery on the simulator at 9600: %s", time.Since(start).Round(time.Millisecond))
	if vars["asked"] != "c1200-k9w7-tar.default" || vars["laptop"] != "10.0.0.2" {
		t.Errorf("asked %q from %q, want c1200-k9w7-tar.default from 10.0.0.2", vars["asked"], vars["laptop"])
	}
	if !rec.said("asked for c1200-k9w7-tar.default, serving " + b.FileName()) {
		t.Errorf("the server never reported serving the asked name: %q", rec.messages)
	}
	d := ap.Device
	if want := "flash:/" + b.ImagePath(); d.State("image") != want || d.Mode() != "user" {
		t.Errorf("device runs %q in mode %q, want %s in IOS user mode", d.State("image"), d.Mode(), want)
	}
	if ip, _ := d.Env("IP_ADDR"); ip != "10.0.0.1" {
		t.Errorf("IP_ADDR = %q, want the recovery default 10.0.0.1", ip)
	}
}

func TestAironetModeRecoveryButtonDisabledEndToEnd(t *testing.T) {
	laptop, _, lapIf := apBench(t)
	ctx := e2eCtx(t)
	img := writeBundle(t, apBundle("c1200", "k9w7"), 0)
	ap := startAP(t, ctx, devsim.APOptions{ModeButtonDisabled: true})
	_, lc := openConsole(t, ctx, ap.HostPath())
	asker := &recoverytest.Asker{Answers: []string{"Done"}, Before: func(int, recovery.Question) { ap.PowerCycle(true) }}
	pb, vars, _ := recovery.AironetModeRecovery(recovery.Params{Image: img, Iface: lapIf},
		recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{Do: laptop.Do}})
	err := (&recovery.Runner{Console: lc, Asker: asker}).Run(ctx, pb, vars)
	if !strings.Contains(fmt.Sprint(err), "MODE button may be disabled") {
		t.Fatalf("Run() = %v, want the MODE button reported as possibly disabled", err)
	}
	if ap.Device.Mode() != "loader" {
		t.Errorf("device in mode %q, want ap:", ap.Device.Mode())
	}
}
