package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fieldcon/internal/workspace"
	"fieldcon/servers"
	"fieldcon/servers/dhcp"
	"fieldcon/servers/director"
	"fieldcon/servers/tftp"
)

func directorCommand() *command {
	return &command{
		Name:    "director",
		Summary: "Smart Install director for a branch: fieldcon director init|serve|status",
		Usage: `fieldcon director init [--image FILE] [--config FILE] [--force]
fieldcon director serve --iface IF [--config director.yaml] [--open] [flags]
fieldcon director status [--json]

init writes a commented starter director.yaml in the workspace with a default
profile (FILE names are in the workspace images/ folder).

serve is the DHCP server, TFTP server and syslog receiver of a Smart Install
director on IF: switches the profiles admit get options 150, 67 and 125 and
fetch their image list, image and configuration; backups land in backups/.
On Linux and macOS, SIGHUP (kill -HUP PID) reads the profile file again:
serve prints what changed, or the line that is wrong (the profiles in effect
then stay). The join window starts CLOSED unless --open is given. While IF has no link
or lacks the address the director started with, it answers no DHCP and
serves no TFTP ("Director is Disabled") until the address is back.

Flags of serve:
  --config FILE          profile file (default: director.yaml in the workspace)
  --iface IF             interface cabled to the switches (required)
  --open                 open the join window at start
  --range A-B            addresses to hand out (default: the upper half of IF's subnet)
  --listen-dhcp ADDR     DHCP socket (default 0.0.0.0:67 on IF)
  --listen-tftp ADDR     TFTP socket (default 0.0.0.0:69 on IF)
  --listen-syslog ADDR   syslog socket (default 0.0.0.0:514)
  --force                serve even on the default-route interface or next to another DHCP server

status prints the director database like "show vstack status" and the
download status, then for each switch the profile it gets, the groups it
beat and why (--json: the database as JSON). While serve runs, status reads
the snapshot serve keeps in logs/director-status.json.
`,
		Run: runDirector,
	}
}

func runDirector(ctx context.Context, e *Env, args []string) error {
	if len(args) == 0 {
		return usageErr("director", "say init, serve or status")
	}
	switch args[0] {
	case "init":
		return directorInit(e, args[1:])
	case "serve":
		return directorServe(ctx, e, args[1:])
	case "status":
		return directorStatus(e, args[1:])
	}
	return usageErr("director", "unknown director command %q; say init, serve or status", args[0])
}

func directorInit(e *Env, args []string) error {
	fs := newFlags("director")
	image := fs.String("image", "", "")
	config := fs.String("config", "", "")
	force := fs.Bool("force", false, "")
	if err := parseFlags(e, "director", fs, args); err != nil {
		return err
	}
	ws, err := e.Workspace()
	if err != nil {
		return err
	}
	file := ws.Path(director.ProfileFile)
	if _, err := os.Stat(file); err == nil && !*force {
		return fmt.Errorf("%s exists; edit it, or use --force to replace it with a starter", file)
	}
	for _, f := range []string{*image, *config} {
		if f != "" {
			if _, err := os.Stat(ws.Path(director.ImagesDir, f)); err != nil {
				fmt.Fprintf(e.Stderr, "note: %s is not in %s yet; copy it there before serving\n", f, ws.Path(director.ImagesDir))
			}
		}
	}
	text := director.Starter(*image, *config)
	if _, err := director.Parse(file, []byte(text)); err != nil {
		return err
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "wrote %s\n", file)
	return nil
}

const statusSnapshot = "director-status.json"

type snapshot struct {
	Time      time.Time         `json:"time"`
	Director  string            `json:"director"`
	Keepalive time.Duration     `json:"keepalive"`
	Window    string            `json:"window"`
	Clients   []director.Client `json:"clients"`
	// Why is the "why" view: each client's profile and the ones it beat.
	Why string `json:"why,omitempty"`
	// Disabled says why the director serves nothing now (its address left
	// the interface); empty while it serves.
	Disabled string `json:"disabled,omitempty"`
	// Stale says since when the database no longer follows the network.
	Stale *director.Staleness `json:"stale,omitempty"`
}

func directorServe(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("director")
	cfgFile := fs.String("config", "", "")
	iface := fs.String("iface", "", "")
	open := fs.Bool("open", false, "")
	rng := fs.String("range", "", "")
	ldhcp := fs.String("listen-dhcp", "", "")
	ltftp := fs.String("listen-tftp", "", "")
	lsys := fs.String("listen-syslog", "", "")
	force := fs.Bool("force", false, "")
	if err := parseFlags(e, "director", fs, args); err != nil {
		return err
	}
	if *iface == "" {
		return usageErr("director", "--iface is required: the interface cabled to the switches")
	}
	ws, err := e.Workspace()
	if err != nil {
		return err
	}
	if *cfgFile == "" {
		*cfgFile = ws.Path(director.ProfileFile)
	}
	prof, err := director.Load(*cfgFile)
	if err != nil {
		return err
	}
	var start, end netip.Addr
	if *rng != "" {
		if start, end, err = parseRange(*rng); err != nil {
			return usageErr("director", "%v", err)
		}
	}
	network, self, err := interfaceNetwork(*iface, start)
	if err != nil && *rng == "" {
		network, self, err = firstIPv4(*iface)
	}
	if err != nil {
		return err
	}
	if *rng == "" {
		start, end = upperHalf(network, self)
	}
	addr := self
	if a, perr := netip.ParseAddr(prof.Director.Address); perr == nil {
		addr = a
	}
	if *ldhcp == "" {
		pf := dhcp.Preflight{Interface: *iface, Force: *force, Hook: printHook(e)}
		if err := pf.Check(ctx); err != nil {
			return err
		}
	}
	store, err := ws.Store()
	if err != nil {
		return err
	}
	defer ws.Close()
	leases, err := dhcp.NewBoltStore(store)
	if err != nil {
		return err
	}
	d, err := director.New(director.Config{Profiles: prof, Root: ws.Dir, Store: store, Address: addr, Hook: printHook(e), Open: *open})
	if err != nil {
		return err
	}
	socks, closeAll, err := directorSockets(ctx, *iface, *ldhcp, *ltftp, *lsys)
	if err != nil {
		return err
	}
	defer closeAll()
	// Registered before the banner, so a SIGHUP sent after it never takes
	// the default action (ending the process).
	hup, stopHup := hangups()
	defer stopHup()
	rctx, stopReload := context.WithCancel(ctx)
	defer stopReload()
	go reloadOnHangup(rctx, e, d, *cfgFile, hup)
	fmt.Fprintf(e.Stdout, "director %s on %s, pool %s-%s; join window %s\n", addr, *iface, start, end, map[bool]string{true: "OPEN", false: "CLOSED (open it with --open)"}[*open])
	go keepSnapshot(ctx, ws, d)
	return d.Serve(ctx, socks, director.Servers{
		DHCP:        dhcp.Config{Interface: *iface, ServerIP: self, Pools: []dhcp.Pool{{Network: network, Start: start, End: end, LeaseTime: 24 * time.Hour}}},
		DHCPOptions: []dhcp.Option{dhcp.WithStore(leases)},
		TFTP:        tftp.Config{Interface: *iface},
	})
}

// reloadOnHangup reads the profile file again at every signal on hup and
// says what changed, or why the file was refused (the profiles in effect
// then stay).
func reloadOnHangup(ctx context.Context, e *Env, d *director.Director, file string, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		changes, err := d.ReloadProfiles(file)
		printMu.Lock()
		switch {
		case err != nil:
			fmt.Fprintf(e.Stderr, "fieldcon: %v\nFix the file and send SIGHUP again (kill -HUP %d).\n", err, os.Getpid())
		case len(changes) == 0:
			fmt.Fprintf(e.Stdout, "reloaded %s: no change\n", file)
		default:
			fmt.Fprintf(e.Stdout, "reloaded %s:\n", file)
			for _, c := range changes {
				fmt.Fprintf(e.Stdout, "  %s\n", c)
			}
		}
		printMu.Unlock()
	}
}

func firstIPv4(name string) (netip.Prefix, netip.Addr, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Prefix{}, netip.Addr{}, fmt.Errorf("no network interface %q (list them with `ip link`): %w", name, err)
	}
	addrs, _ := ifc.Addrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			ip, _ := netip.AddrFromSlice(n.IP.To4())
			ones, _ := n.Mask.Size()
			return netip.PrefixFrom(ip, ones).Masked(), ip, nil
		}
	}
	return netip.Prefix{}, netip.Addr{}, fmt.Errorf("%s has no IPv4 address; give it one first (for example: ip addr add 10.99.0.1/24 dev %s)", name, name)
}

// upperHalf is the default pool: the upper half of the subnet, without the
// broadcast address and fieldcon's own.
func upperHalf(n netip.Prefix, self netip.Addr) (netip.Addr, netip.Addr) {
	base := n.Masked().Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	size := uint32(1) << (32 - n.Bits())
	s, e := v+size/2, v+size-2
	a := func(x uint32) netip.Addr {
		return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
	}
	if sv := self.As4(); uint32(sv[0])<<24|uint32(sv[1])<<16|uint32(sv[2])<<8|uint32(sv[3]) >= s {
		e = uint32(sv[0])<<24 | uint32(sv[1])<<16 | uint32(sv[2])<<8 | uint32(sv[3]) - 1
	}
	return a(s), a(e)
}

func directorSockets(ctx context.Context, iface, ldhcp, ltftp, lsys string) (director.Sockets, func(), error) {
	var s director.Sockets
	var conns []net.PacketConn
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	var err error
	if ldhcp != "" {
		s.DHCP, err = net.ListenPacket("udp4", ldhcp)
	} else {
		s.DHCP, err = dhcp.Listen(ctx, iface, "", dhcp.ServerPort)
	}
	if err != nil {
		return s, closeAll, explainDHCPListen(err)
	}
	conns = append(conns, s.DHCP)
	if ltftp == "" {
		ltftp = "0.0.0.0:69"
	}
	if s.TFTP, err = tftp.Listen(ctx, ltftp, iface); err != nil {
		closeAll()
		return s, func() {}, err
	}
	conns = append(conns, s.TFTP)
	if lsys == "" {
		lsys = "0.0.0.0:514"
	}
	if s.Syslog, err = net.ListenPacket("udp4", lsys); err != nil {
		closeAll()
		return s, func() {}, fmt.Errorf("syslog receiver on %s: %w; another syslog daemon may hold the port, choose one with --listen-syslog", lsys, err)
	}
	conns = append(conns, s.Syslog)
	return s, closeAll, nil
}

func explainDHCPListen(err error) error {
	if errors.Is(err, dhcp.ErrPermission) {
		exe, _ := os.Executable()
		return fmt.Errorf("%v\nThe director needs ports 67, 69 and 514. Run fieldcon as root, or allow it once with:\n  sudo setcap 'cap_net_bind_service,cap_net_raw+ep' %s", err, exe)
	}
	return err
}

var printMu sync.Mutex

func printHook(e *Env) servers.Hook {
	return func(ev servers.Event) {
		if ev.Kind == servers.TransferProgress {
			return
		}
		printMu.Lock()
		fmt.Fprintln(e.Stdout, ev.String())
		printMu.Unlock()
	}
}

// keepSnapshot writes the database for `director status` every two
// seconds while serve runs (the store itself is held by serve).
func keepSnapshot(ctx context.Context, ws *workspace.Workspace, d *director.Director) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		now := time.Now()
		snap := snapshot{Time: now, Director: d.Address().String(), Keepalive: d.DB().Keepalive(), Window: d.Window().Describe(now), Clients: d.DB().List()}
		snap.Why = director.RenderWhy(d.Profiles(), snap.Clients)
		if on, why := d.Serving(); !on {
			snap.Disabled = why
		}
		if st, stale := d.DB().Stale(); stale {
			snap.Stale = &st
		}
		if b, err := json.MarshalIndent(snap, "", "  "); err == nil {
			tmp := ws.Path(workspace.Logs, statusSnapshot+".tmp")
			if os.WriteFile(tmp, b, 0o644) == nil {
				_ = os.Rename(tmp, ws.Path(workspace.Logs, statusSnapshot))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func directorStatus(e *Env, args []string) error {
	fs := newFlags("director")
	asJSON := fs.Bool("json", false, "")
	if err := parseFlags(e, "director", fs, args); err != nil {
		return err
	}
	ws, err := e.Workspace()
	if err != nil {
		return err
	}
	var snap snapshot
	store, err := ws.Store()
	switch {
	case err == nil:
		defer ws.Close()
		db, err := director.OpenDB(store, director.SystemClock{}, 0, nil)
		if err != nil {
			return err
		}
		snap = snapshot{Time: time.Now(), Director: "-", Keepalive: db.Keepalive(), Window: "Join Window: director not running\n", Clients: db.List()}
		if p, perr := director.Load(ws.Path(director.ProfileFile)); perr == nil {
			snap.Keepalive = p.KeepalivePeriod()
			snap.Why = director.RenderWhy(p, snap.Clients)
		}
	case errors.Is(err, workspace.ErrStoreBusy):
		b, rerr := os.ReadFile(ws.Path(workspace.Logs, statusSnapshot))
		if rerr != nil {
			return fmt.Errorf("the director is running but has written no status yet (%v); try again in a few seconds", rerr)
		}
		if err := json.Unmarshal(b, &snap); err != nil {
			return fmt.Errorf("reading %s: %w", filepath.Join(workspace.Logs, statusSnapshot), err)
		}
	default:
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	dir, _ := netip.ParseAddr(snap.Director)
	if snap.Disabled != "" {
		fmt.Fprintf(e.Stdout, "Director is Disabled: %s\n", snap.Disabled)
	}
	if snap.Stale != nil {
		fmt.Fprintf(e.Stdout, "The database is stale since %s: %s\n", snap.Stale.Since.Format("2006-01-02 15:04:05"), snap.Stale.Why)
	}
	fmt.Fprint(e.Stdout, director.RenderStatus(dir, snap.Clients, time.Now(), snap.Keepalive))
	fmt.Fprintln(e.Stdout)
	fmt.Fprint(e.Stdout, director.RenderDownloadStatus(snap.Clients))
	fmt.Fprintln(e.Stdout)
	fmt.Fprint(e.Stdout, snap.Window)
	if snap.Why != "" {
		fmt.Fprintln(e.Stdout)
		fmt.Fprintln(e.Stdout, "Why each switch gets its profile (* won, - matched but lost):")
		fmt.Fprint(e.Stdout, snap.Why)
	}
	return nil
}
