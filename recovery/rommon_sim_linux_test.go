//go:build linux

package recovery_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/serialcon"
)

// These tests run playbooks end to end against internal/devsim devices over
// a real pseudo-terminal link, through the real console engine
// (serialcon) and its recovery adapter (recovery/live), with real XMODEM
// and a real TFTP server (servers/tftp) on loopback.

// simConsole is the live console with serialcon's auto-baud, recording
// every line a playbook types.
type simConsole struct {
	*live.Console
	con *serialcon.Console

	mu   sync.Mutex
	sent []string
}

func (c *simConsole) SendLine(line string) error {
	c.mu.Lock()
	c.sent = append(c.sent, line)
	c.mu.Unlock()
	return c.Console.SendLine(line)
}

func (c *simConsole) DetectBaud(ctx context.Context, rates ...int) (int, error) {
	return c.con.DetectBaud(ctx, rates...)
}

func (c *simConsole) Sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

// Commands is Sent without the bare returns that wake a prompt: what the
// playbook typed.
func (c *simConsole) Commands() []string {
	var cmds []string
	for _, l := range c.Sent() {
		if l != "" {
			cmds = append(cmds, l)
		}
	}
	return cmds
}

var _ recovery.BaudDetector = (*simConsole)(nil)
var _ recovery.StreamConsole = (*simConsole)(nil)

type simRig struct {
	sim     *devsim.Sim
	con     *simConsole
	files   *simFiles
	started time.Time
}

// startRig powers a simulated device on and opens the console at hostBaud;
// it waits for wait (the device's first prompt) so the device has finished
// its power-on before the test touches its state.
func startRig(t *testing.T, ctx context.Context, o devsim.Options, hostBaud int, wait string) *simRig {
	t.Helper()
	sim, err := devsim.Start(ctx, o)
	if err != nil {
		t.Fatalf("devsim.Start(%+v) = %v", o, err)
	}
	t.Cleanup(func() { sim.Close() })
	// The console's diagnostics (auto-baud scores, reconnects) go with a
	// failure: the transcript alone does not say what the host heard at
	// which speed.
	diag := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(diag, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console diagnostics:\n%s", diag.String())
		}
	})
	con, err := serialcon.OpenConsole(ctx, serialcon.Config{Path: sim.HostPath(), Settings: serialcon.DefaultSettings(hostBaud), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { con.Close() })
	lc := live.New(con)
	t.Cleanup(lc.Close)
	if wait != "" {
		if _, err := con.Expect(ctx, serialcon.Regexp(regexp.MustCompile(wait))); err != nil {
			t.Fatalf("waiting for %q: %v\n%s", wait, err, con.Transcript())
		}
	}
	return &simRig{sim: sim, con: &simConsole{Console: lc, con: con}, files: &simFiles{dev: sim.Device, empty: t.TempDir()}, started: time.Now()}
}

func (g *simRig) transcript() string { return string(g.con.con.Transcript()) }

// lockedBuffer is a bytes.Buffer the console's goroutines may write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runRig runs pb and reports the simulator run time.
func (g *simRig) run(t *testing.T, ctx context.Context, pb *recovery.Playbook, vars recovery.Vars, asker recovery.Asker) ([]recovery.Progress, error) {
	t.Helper()
	var mu sync.Mutex
	var progress []recovery.Progress
	rn := &recovery.Runner{Console: g.con, Asker: asker, Yes: asker == nil, Progress: func(p recovery.Progress) {
		mu.Lock()
		progress = append(progress, p)
		mu.Unlock()
	}}
	start := time.Now()
	err := rn.Run(ctx, pb, vars)
	t.Logf("%s on the simulator: %s (%s)", pb.Name, time.Since(start).Round(10*time.Millisecond), errString(err))
	mu.Lock()
	defer mu.Unlock()
	return progress, err
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func simContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // hang guard only
	t.Cleanup(cancel)
	return ctx
}

// simFiles is recovery/live's TFTP server on loopback; it points the
// simulated device's TFTP client at the port it got and records the names
// the device asked for.
type simFiles struct {
	dev *devsim.Device
	// missing serves from empty instead: the file is not on the server.
	missing bool
	empty   string

	mu    sync.Mutex
	asked []string
}

func (f *simFiles) Interfaces(context.Context) ([]recovery.NetInterface, error) {
	return []recovery.NetInterface{{Name: "lo", Up: true, Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}}}, nil
}

func (f *simFiles) Asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

func (f *simFiles) Serve(ctx context.Context, spec recovery.ServeSpec) (recovery.Serving, error) {
	if f.missing {
		spec.File = filepath.Join(f.empty, filepath.Base(spec.File))
	}
	spec.Listen = "127.0.0.1:0"
	s, err := (&live.TFTP{}).Serve(ctx, spec)
	if err != nil {
		return nil, err
	}
	addr, err := netip.ParseAddrPort(s.Addr())
	if err != nil {
		s.Stop()
		return nil, err
	}
	f.dev.SetTFTPPort(int(addr.Port()))
	rec := &recordedServing{Serving: s, events: make(chan recovery.FileEvent, 1024)}
	go func() {
		defer close(rec.events)
		for fe := range s.Events() {
			if fe.Kind == recovery.FileRequested || fe.Kind == recovery.FileRefused {
				f.mu.Lock()
				f.asked = append(f.asked, fe.Asked)
				f.mu.Unlock()
			}
			select {
			case rec.events <- fe:
			default:
			}
		}
	}()
	return rec, nil
}

// recordedServing passes on the events simFiles has looked at.
type recordedServing struct {
	recovery.Serving
	events chan recovery.FileEvent
}

func (s *recordedServing) Events() <-chan recovery.FileEvent { return s.events }

// routerImage writes a runnable (to the simulator) router image.
func routerImage(t *testing.T, name string, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	data := devsim.FakeIOSImage(size)
	// XMODEM pads the last block with SUB; an image that ends in one
	// would look padded.
	data[len(data)-1] = 0x55
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func hasDiagnosis(progress []recovery.Progress, id string) bool {
	for _, p := range progress {
		if p.Diagnosis != nil && p.Diagnosis.Symptom.ID == id {
			return true
		}
	}
	return false
}

func messages(progress []recovery.Progress) string {
	var b strings.Builder
	for _, p := range progress {
		if p.Message != "" {
			b.WriteString(p.Message)
			b.WriteString("\n")
		}
	}
	return b.String()
}
