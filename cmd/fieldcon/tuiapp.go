package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	bolt "go.etcd.io/bbolt"

	"fieldcon/images"
	"fieldcon/internal/devsim"
	"fieldcon/internal/workspace"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
	"fieldcon/serialcon"
	"fieldcon/servers"
	"fieldcon/servers/dhcp"
	"fieldcon/servers/tftp"
	"fieldcon/tui"
)

// tuiOptions is how `console` and `sim` start the TUI.
type tuiOptions struct {
	// Port is opened at once; "" shows the port picker.
	Port string
	// Baud is "" (9600), "auto" or a speed.
	Baud string
	// Simulated names the simulated device on Port, for the log ("" for a
	// real port).
	Simulated string
	// NoLog keeps no session log (console --log=false).
	NoLog bool
}

// parseBaud reads --baud: "" is Cisco's 9600, "auto" is 0.
func parseBaud(s string) (int, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return 9600, nil
	case "auto":
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 50 || n > 4000000 {
		return 0, fmt.Errorf("--baud %q: give a speed such as 9600 or 115200, or auto", s)
	}
	return n, nil
}

// runTUI runs the full-screen console until the technician quits, then
// closes the port; Bubble Tea restores the terminal.
func runTUI(ctx context.Context, e *Env, opts tuiOptions) error {
	baud, err := parseBaud(opts.Baud)
	if err != nil {
		return usageErr("console", "%s", err)
	}
	ws, err := e.Workspace()
	if err != nil {
		return err
	}
	defer ws.Close()
	logger, closeLog := tuiLogger(ws)
	defer closeLog()

	logDir := ws.Path(workspace.Logs)
	if opts.NoLog {
		logDir = ""
	}
	open := func(ctx context.Context, c tui.PortChoice) (tui.Console, error) {
		b := c.Baud
		if b == 0 {
			b = 9600 // auto: open somewhere, then detect
		}
		con, err := serialcon.OpenConsole(ctx, serialcon.Config{
			Path:     c.Port,
			Settings: serialcon.DefaultSettings(b),
			LogDir:   logDir,
			Logger:   logger.With("component", "serialcon"),
		})
		if err != nil {
			return nil, err
		}
		return con, nil
	}
	prefsPath := ws.Path(tui.PrefsFile)
	prefs, err := tui.LoadPrefs(prefsPath)
	if err != nil {
		logger.Warn("forgetting the last port choice", "err", err)
	}
	o := tui.Options{
		Ctx:       ctx,
		Open:      open,
		StartSim:  startSimulator(open),
		PrefsPath: prefsPath,
		Prefs:     prefs,
		Logger:    logger,
		XMODEMDir: ws.Path(workspace.Images),
		Recovery: &tui.RecoveryDeps{
			Adapt: adaptForRecovery,
			Tools: recovery.Tools{CheckImage: live.CheckImage, Files: &live.TFTP{}},
		},
	}
	// The store holds the images catalog and the DHCP leases; another
	// fieldcon holding it leaves those out rather than the whole screen.
	db, err := ws.Store()
	if err != nil {
		logger.Warn("no state store: the Images tab and DHCP leases are off", "err", err)
		db = nil
	}
	var cat *images.Catalog
	if db != nil {
		if cat, err = images.NewCatalog(ws.Path(workspace.Images), db); err != nil {
			logger.Warn("no images catalog", "err", err)
			cat = nil
		} else {
			o.Images = cat
		}
	}
	hook, serverEvents, _ := servers.Channel(1024)
	srvs := &tuiServers{ws: ws, db: db, cat: cat, hook: hook, running: map[string]*runningServer{}}
	defer srvs.Close()
	dir := newTUIDirector(ws, db, hook)
	defer dir.shutdown()
	o.Servers, o.ServerEvents = tuiControl{srvs, dir}, serverEvents
	if opts.Port != "" {
		con, err := open(ctx, tui.PortChoice{Port: opts.Port, Baud: baud})
		if err != nil {
			return err
		}
		o.Console, o.Port, o.AutoBaud = con, opts.Port, baud == 0
		logger.Info("console opened", "port", opts.Port, "baud", baud, "simulated", opts.Simulated)
	}

	if err := o.Validate(); err != nil {
		return err
	}
	app := tui.New(o)
	p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithInput(e.Stdin), tea.WithOutput(e.Stdout))
	_, runErr := p.Run()
	closeErr := app.Close()
	if errors.Is(runErr, tea.ErrProgramKilled) && ctx.Err() != nil {
		runErr = ctx.Err()
	}
	if runErr != nil {
		return fmt.Errorf("console screen: %w", runErr)
	}
	if closeErr != nil {
		return fmt.Errorf("closing the port: %w", closeErr)
	}
	return nil
}

// simConsole is a console on the simulator that stops it when closed.
type simConsole struct {
	*serialcon.Console
	sim *devsim.Sim
}

func (s simConsole) Close() error {
	return errors.Join(s.Console.Close(), s.sim.Close())
}

// startSimulator offers the simulated Catalyst when no cable is plugged in.
func startSimulator(open tui.Opener) tui.SimStarter {
	return func(ctx context.Context) (tui.Console, string, error) {
		// The simulator lives until the console on it is closed, not just
		// for the command that starts it.
		sim, err := devsim.Start(context.WithoutCancel(ctx), devsim.Options{Profile: "catalyst"})
		if err != nil {
			return nil, "", err
		}
		con, err := open(ctx, tui.PortChoice{Port: sim.HostPath(), Baud: 9600})
		if err != nil {
			sim.Close()
			return nil, "", err
		}
		return simConsole{Console: con.(*serialcon.Console), sim: sim}, sim.HostPath(), nil
	}
}

// tuiLogger logs to logs/tui.log in the workspace: the TUI owns the
// terminal, so diagnostics go to a file (the device transcript is the
// session log, separate).
func tuiLogger(ws *workspace.Workspace) (*slog.Logger, func()) {
	f, err := os.OpenFile(filepath.Join(ws.Path(workspace.Logs), "tui.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return slog.New(slog.DiscardHandler), func() {}
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }
}

// adaptForRecovery lets a playbook drive the console the TUI has open.
func adaptForRecovery(c tui.Console) (recovery.Console, func(), error) {
	var sc *serialcon.Console
	switch v := c.(type) {
	case *serialcon.Console:
		sc = v
	case simConsole:
		sc = v.Console
	default:
		return nil, nil, fmt.Errorf("this console (%T) cannot run playbooks", c)
	}
	lc := live.New(sc)
	return lc, lc.Close, nil
}

// tuiServers starts and stops the TFTP and DHCP servers for the TUI's
// Servers tab; they report through hook, which the tab reads.
type tuiServers struct {
	ws   *workspace.Workspace
	db   *bolt.DB        // nil: leases are kept in memory only
	cat  *images.Catalog // nil: no recovery image to alias
	hook servers.Hook

	mu      sync.Mutex
	running map[string]*runningServer
	dhcp    *dhcp.Server
}

type runningServer struct {
	cancel context.CancelFunc
	done   chan struct{}
}

var _ tui.ServerControl = (*tuiServers)(nil)

func (s *tuiServers) Setting(name string) (prompt, suggested string) {
	if name == tui.ServerDHCP {
		return "DHCP interface and range (fieldcon first listens 5 s for another DHCP server): ", suggestDHCP()
	}
	return "TFTP listen address [interface]: ", "0.0.0.0:69"
}

func (s *tuiServers) Start(ctx context.Context, name, setting string) error {
	s.mu.Lock()
	_, busy := s.running[name]
	s.mu.Unlock()
	if busy {
		return fmt.Errorf("%s is already running", name)
	}
	switch name {
	case tui.ServerTFTP:
		return s.startTFTP(ctx, setting)
	case tui.ServerDHCP:
		return s.startDHCP(ctx, setting)
	}
	return fmt.Errorf("no server called %q", name)
}

// startTFTP serves the workspace (images/ and the rest) read-only but for
// uploads into uploads/; with an access point image chosen for recovery,
// whatever "*-k9w7-tar.default" an AP in MODE-button recovery asks for is
// answered with it.
func (s *tuiServers) startTFTP(ctx context.Context, setting string) error {
	f := strings.Fields(setting)
	addr, iface := "0.0.0.0:69", ""
	if len(f) > 0 {
		addr = f[0]
	}
	if len(f) > 1 {
		iface = f[1]
	}
	if len(f) > 2 {
		return fmt.Errorf("write the listen address and optionally an interface, for example 0.0.0.0:69 eth0")
	}
	cfg := tftp.Config{Root: s.ws.Dir, Uploads: s.ws.Path(workspace.Uploads), Interface: iface}
	if s.cat != nil {
		if sel, err := s.cat.Selection(); err == nil {
			file := workspace.Images + "/" + sel.Name
			switch {
			case strings.Contains(sel.Name, "-k9w7-"):
				cfg.Aliases = append(cfg.Aliases, tftp.Alias{Pattern: "*-k9w7-tar.default", File: file})
			case strings.Contains(sel.Name, "-k9w8-"):
				cfg.Aliases = append(cfg.Aliases, tftp.Alias{Pattern: "*-k9w8-tar.default", File: file})
			}
		}
	}
	srv, err := tftp.New(cfg, tftp.WithHook(s.hook))
	if err != nil {
		return err
	}
	conn, err := tftp.Listen(ctx, addr, iface)
	if err != nil {
		if errors.Is(err, tftp.ErrPrivilege) {
			return fmt.Errorf("%w. %s, or listen on a high port such as 0.0.0.0:6969", err, tftp.GrantHint)
		}
		return err
	}
	s.run(ctx, tui.ServerTFTP, func(ctx context.Context) {
		defer conn.Close()
		_ = srv.Serve(ctx, conn) // its Stopped event says it ended
	})
	return nil
}

// startDHCP serves "IFACE FIRST-LAST" from fieldcon's address on IFACE,
// naming fieldcon as the TFTP server, after the same checks as
// `fieldcon dhcp serve`: never on the default-route interface, never next
// to another DHCP server.
func (s *tuiServers) startDHCP(ctx context.Context, setting string) error {
	f := strings.Fields(setting)
	if len(f) != 2 {
		return fmt.Errorf("write the interface and the range, for example eth1 10.0.0.10-10.0.0.50")
	}
	iface := f[0]
	a, b, ok := strings.Cut(f[1], "-")
	start, err1 := netip.ParseAddr(a)
	end, err2 := netip.ParseAddr(b)
	if !ok || err1 != nil || err2 != nil || !start.Is4() || !end.Is4() {
		return fmt.Errorf("%q is not a range of IPv4 addresses such as 10.0.0.10-10.0.0.50", f[1])
	}
	network, self, err := interfaceNetwork(iface, start)
	if err != nil {
		return err
	}
	if err := (dhcp.Preflight{Interface: iface, Hook: s.hook}).Check(ctx); err != nil {
		return permissionHint(err)
	}
	cfg := dhcp.Config{Interface: iface, ServerIP: self, Pools: []dhcp.Pool{{
		Network: network, Start: start, End: end, TFTPServers: []netip.Addr{self},
	}}}
	opts := []dhcp.Option{dhcp.WithHook(s.hook)}
	if s.db != nil {
		st, err := dhcp.NewBoltStore(s.db)
		if err != nil {
			return err
		}
		opts = append(opts, dhcp.WithStore(st))
	}
	srv, err := dhcp.New(cfg, opts...)
	if err != nil {
		return err
	}
	conn, err := dhcp.Listen(ctx, iface, "", dhcp.ServerPort)
	if err != nil {
		return permissionHint(err)
	}
	mon, monErr := dhcp.Listen(ctx, iface, "", dhcp.ClientPort)
	s.mu.Lock()
	s.dhcp = srv
	s.mu.Unlock()
	s.run(ctx, tui.ServerDHCP, func(ctx context.Context) {
		defer conn.Close()
		var wg sync.WaitGroup
		if monErr == nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer mon.Close()
				_ = dhcp.Monitor(ctx, mon, self, s.hook)
			}()
		}
		_ = srv.Serve(ctx, conn)
		wg.Wait()
	})
	return nil
}

// run starts serve on its own goroutine until Stop or the session ends.
func (s *tuiServers) run(ctx context.Context, name string, serve func(context.Context)) {
	ctx, cancel := context.WithCancel(ctx)
	rs := &runningServer{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.running[name] = rs
	s.mu.Unlock()
	go func() {
		defer close(rs.done)
		serve(ctx)
	}()
}

func (s *tuiServers) Stop(ctx context.Context, name string) error {
	s.mu.Lock()
	rs := s.running[name]
	delete(s.running, name)
	if name == tui.ServerDHCP {
		s.dhcp = nil
	}
	s.mu.Unlock()
	if rs == nil {
		return nil
	}
	rs.cancel()
	select {
	case <-rs.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *tuiServers) Leases() []dhcp.Lease {
	s.mu.Lock()
	srv := s.dhcp
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Leases()
}

// Close stops every server, once the TUI has ended.
func (s *tuiServers) Close() {
	for _, name := range []string{tui.ServerTFTP, tui.ServerDHCP} {
		_ = s.Stop(context.Background(), name)
	}
}

// suggestDHCP proposes the first interface that has an IPv4 address and
// does not carry the default route, with addresses .100-.150 of its /24.
func suggestDHCP() string {
	avoid := map[string]bool{}
	if names, err := dhcp.DefaultRouteInterfaces(); err == nil {
		for _, n := range names {
			avoid[n] = true
		}
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return "IFACE FIRST-LAST"
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 || ifc.Flags&net.FlagUp == 0 || avoid[ifc.Name] {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.To4() == nil {
				continue
			}
			ip4 := n.IP.To4()
			return fmt.Sprintf("%s %d.%d.%d.100-%d.%d.%d.150", ifc.Name, ip4[0], ip4[1], ip4[2], ip4[0], ip4[1], ip4[2])
		}
	}
	return "IFACE FIRST-LAST"
}
