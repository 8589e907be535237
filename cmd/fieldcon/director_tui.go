package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"fieldcon/internal/workspace"
	"fieldcon/servers"
	"fieldcon/servers/dhcp"
	"fieldcon/servers/director"
	"fieldcon/servers/smi"
	"fieldcon/tui"
)

// tuiControl is the TUI's server control with the director in it: the
// Servers tab starts TFTP and DHCP through tuiServers, the SMI tab finds
// the director through tuiDirector.
type tuiControl struct {
	*tuiServers
	*tuiDirector
}

var (
	_ tui.ServerControl   = tuiControl{}
	_ tui.DirectorControl = tuiControl{}
)

// tuiDirector runs a Smart Install director for the TUI's SMI tab, the way
// `fieldcon director serve` does, and answers the tab's questions about it.
type tuiDirector struct {
	ws   *workspace.Workspace
	db   *bolt.DB // nil: the database lives in memory only
	hook servers.Hook
	smi  *smi.Client

	mu     sync.Mutex
	d      *director.Director
	iface  string
	cancel context.CancelFunc
	done   chan struct{}
}

func newTUIDirector(ws *workspace.Workspace, db *bolt.DB, hook servers.Hook) *tuiDirector {
	return &tuiDirector{ws: ws, db: db, hook: hook, smi: smi.NewClient(nil, smi.WithHook(hook))}
}

func (t *tuiDirector) DirectorSetting() (string, string) {
	iface, _, _ := strings.Cut(suggestDHCP(), " ")
	return "Director on interface [FIRST-LAST] (it first listens 5 s for another DHCP server): ", iface
}

// StartDirector serves "IFACE [FIRST-LAST]" with the profiles of
// director.yaml, after the same checks as `fieldcon director serve`.
func (t *tuiDirector) StartDirector(ctx context.Context, setting string) error {
	f := strings.Fields(setting)
	if len(f) < 1 || len(f) > 2 {
		return errors.New("write the interface cabled to the switches, optionally with a range: eth1 10.99.0.100-10.99.0.200")
	}
	t.mu.Lock()
	running := t.d != nil
	t.mu.Unlock()
	if running {
		return errors.New("the director is already running")
	}
	iface := f[0]
	prof, err := director.Load(t.ws.Path(director.ProfileFile))
	if err != nil {
		return fmt.Errorf("%w (fieldcon director init writes a starter)", err)
	}
	var start, end netip.Addr
	if len(f) == 2 {
		if start, end, err = parseRange(f[1]); err != nil {
			return err
		}
	}
	network, self, err := interfaceNetwork(iface, start)
	if err != nil && len(f) == 1 {
		network, self, err = firstIPv4(iface)
	}
	if err != nil {
		return err
	}
	if len(f) == 1 {
		start, end = upperHalf(network, self)
	}
	addr := self
	if a, perr := netip.ParseAddr(prof.Director.Address); perr == nil {
		addr = a
	}
	// Probe before binding: the director's own DHCP socket would hear the
	// probe otherwise.
	if err := (dhcp.Preflight{Interface: iface, Hook: t.hook}).Check(ctx); err != nil {
		return permissionHint(err)
	}
	d, err := director.New(director.Config{Profiles: prof, Root: t.ws.Dir, Store: t.db, Address: addr, Hook: t.hook})
	if err != nil {
		return err
	}
	socks, closeAll, err := directorSockets(ctx, iface, "", "", "")
	if err != nil {
		return permissionHint(err)
	}
	var dopts []dhcp.Option
	if t.db != nil {
		st, err := dhcp.NewBoltStore(t.db)
		if err != nil {
			closeAll()
			return err
		}
		dopts = append(dopts, dhcp.WithStore(st))
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	t.mu.Lock()
	t.d, t.iface, t.cancel, t.done = d, iface, cancel, done
	t.mu.Unlock()
	go func() {
		defer close(done)
		defer closeAll()
		err := d.Serve(sctx, socks, director.Servers{
			DHCP:        dhcp.Config{Interface: iface, ServerIP: self, Pools: []dhcp.Pool{{Network: network, Start: start, End: end, LeaseTime: 24 * time.Hour}}},
			DHCPOptions: dopts,
		})
		if err != nil {
			t.hook.Emit(servers.Event{Server: "director", Kind: servers.Warning, Detail: "the director stopped: " + err.Error()})
		}
		t.mu.Lock()
		if t.d == d {
			t.d = nil
		}
		t.mu.Unlock()
		t.hook.Emit(servers.Event{Server: "director", Kind: servers.Stopped, Subject: iface})
	}()
	return nil
}

func (t *tuiDirector) StopDirector(ctx context.Context) error {
	t.mu.Lock()
	cancel, done := t.cancel, t.done
	t.d, t.cancel, t.done = nil, nil, nil
	t.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shutdown stops the director once the TUI has ended.
func (t *tuiDirector) shutdown() { _ = t.StopDirector(context.Background()) }

func (t *tuiDirector) running() (*director.Director, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.d, t.iface
}

func (t *tuiDirector) Director() (tui.DirectorState, bool) {
	d, iface := t.running()
	if d == nil {
		return tui.DirectorState{}, false
	}
	now := d.Now()
	st := tui.DirectorState{
		Address: d.Address().String(), Interface: iface, Now: now, Keepalive: d.DB().Keepalive(),
		WindowOpen: d.Window().IsOpen(now), Manual: d.Window().Mode() == director.ModeManual,
		Clients: d.DB().List(),
		Reasons: map[director.MAC]director.Resolution{}, Plans: map[director.MAC]director.Plan{},
	}
	for _, line := range strings.Split(d.Window().Describe(now), "\n") {
		if w, ok := strings.CutPrefix(strings.TrimSpace(line), "Window: "); ok {
			st.Window = strings.ToLower(w[:1]) + w[1:]
		}
	}
	for _, c := range st.Clients {
		st.Reasons[c.MAC] = d.Profiles().Resolve(c.Facts())
		if p, ok := d.PlanFor(c.MAC); ok {
			st.Plans[c.MAC] = p
		}
	}
	return st, true
}

func (t *tuiDirector) DirectorChanged() <-chan struct{} {
	d, _ := t.running()
	if d == nil {
		return nil
	}
	return d.DB().Watch()
}

var errNoDirector = errors.New("the director is not running; start it first")

func (t *tuiDirector) SetJoinWindow(open bool) error {
	d, _ := t.running()
	if d == nil {
		return errNoDirector
	}
	if open {
		d.OpenWindow()
	} else {
		d.CloseWindow()
	}
	return nil
}

func (t *tuiDirector) SetJoinMode(manual bool) error {
	d, _ := t.running()
	if d == nil {
		return errNoDirector
	}
	d.SetMode(map[bool]director.JoinMode{true: director.ModeManual, false: director.ModeAuto}[manual])
	return nil
}

func (t *tuiDirector) Approve(mac director.MAC) error {
	d, _ := t.running()
	if d == nil {
		return errNoDirector
	}
	return d.DB().Approve(mac)
}

// request is op on the client with this MAC as the SMI tab sends it: an
// image upgrade reloads as soon as the images are in (the question says
// so), a configuration is fetched without a reload.
func (t *tuiDirector) request(op director.Operation, mac director.MAC) (*director.Director, director.Request, error) {
	d, _ := t.running()
	if d == nil {
		return nil, director.Request{}, errNoDirector
	}
	c, ok := d.DB().Get(mac)
	if !ok || !c.IP.IsValid() {
		return nil, director.Request{}, fmt.Errorf("%s has no address yet; wait until it has a lease", mac)
	}
	return d, director.Request{Op: op, Target: c.IP, Immediate: op == director.OpImage}, nil
}

// Question asks the director for the confirmation it would ask, and says
// no, so nothing is sent: the tab shows exactly what Operate will accept.
func (t *tuiDirector) Question(op director.Operation, mac director.MAC) (string, error) {
	d, r, err := t.request(op, mac)
	if err != nil {
		return "", err
	}
	var q string
	_, err = d.Operate(context.Background(), t.smi, r, func(s string) bool { q = s; return false })
	if !errors.Is(err, director.ErrNotConfirmed) {
		return "", err
	}
	return q, nil
}

func (t *tuiDirector) Operate(ctx context.Context, op director.Operation, mac director.MAC, question string) (string, error) {
	d, r, err := t.request(op, mac)
	if err != nil {
		return "", err
	}
	reply, err := d.Operate(ctx, t.smi, r, func(s string) bool { return s == question })
	if err != nil {
		return "", err
	}
	if op == director.OpProbe {
		return fmt.Sprintf("%s (%s): %s.", mac, r.Target, reply.Result), nil
	}
	return fmt.Sprintf("Sent to %s (%s); its TFTP transfer shows in the Servers tab.", mac, r.Target), nil
}
