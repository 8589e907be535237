package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"

	"fieldcon/servers"
	"fieldcon/servers/dhcp"
)

func dhcpCommand() *command {
	return &command{
		Name:    "dhcp",
		Summary: "DHCP server with the options Cisco devices need: fieldcon dhcp serve",
		Usage: `fieldcon dhcp serve --iface IF --range A-B [flags]

Hands out addresses on IF with TFTP (66/150), boot file (67), Smart Install
(125) and PnP (43) options, and prints one line per DHCP message until Ctrl-C.
Before serving it refuses the interface that carries the default route and
listens for another DHCP server (5 s); --force overrides both.

Flags:
  --iface IF              interface cabled to the device (required)
  --range A-B             addresses to hand out, e.g. 10.88.0.100-10.88.0.199 (required)
  --router IP             default router (option 3)
  --dns IP                DNS server (option 6), repeatable
  --domain NAME           domain name (option 15)
  --lease DUR             lease time (default 1h)
  --tftp-server IP        TFTP server (option 150, first also siaddr), repeatable
  --tftp-name NAME        TFTP server name (option 66)
  --bootfile F            file to load: config or image (option 67)
  --imagelist F           Smart Install image list file (option 125, Cisco sub-option 5)
  --director IP           Smart Install director (option 125, Cisco sub-option 16)
  --pnp HOST[:PORT]       Cisco PnP server as option 43 "5A1N;B2;K4;I<host>;J<port>"
  --hostname-prefix P     name clients P-xx.xxxx after their MAC (option 12)
  --option N=HEX          any option as hex, repeatable (43=f1080a7e7e02... for WLCs)
  --always-send LIST      options to send even when not asked for, e.g. 66,67,150,125 or "all"
  --reserve KEY=IP[,NAME] fixed address for a MAC or an IOS client id
                          (cisco-0011.2233.4455-Vl1), repeatable
  --force                 serve even on the default-route interface or next to another server
  --probe-timeout DUR     how long to listen for another server first (default 5s)
  --listen ADDR:PORT      socket to serve on (default 0.0.0.0:67 on IF; for tests)
  --no-store              keep leases in memory only (default: the workspace store)

Ports 67 and 68 need root, or once: sudo setcap 'cap_net_bind_service,cap_net_raw+ep' <fieldcon>
`,
		Run: runDHCP,
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runDHCP(ctx context.Context, e *Env, args []string) error {
	if len(args) == 0 || args[0] != "serve" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			printUsage(e.Stdout, "dhcp")
			return nil
		}
		return usageErr("dhcp", "say what to do: fieldcon dhcp serve ...")
	}
	fs := newFlags("dhcp")
	iface := fs.String("iface", "", "")
	rng := fs.String("range", "", "")
	router := fs.String("router", "", "")
	domain := fs.String("domain", "", "")
	lease := fs.Duration("lease", dhcp.DefaultLeaseTime, "")
	tftpName := fs.String("tftp-name", "", "")
	bootfile := fs.String("bootfile", "", "")
	imagelist := fs.String("imagelist", "", "")
	director := fs.String("director", "", "")
	pnp := fs.String("pnp", "", "")
	prefix := fs.String("hostname-prefix", "", "")
	always := fs.String("always-send", "", "")
	force := fs.Bool("force", false, "")
	probeTimeout := fs.Duration("probe-timeout", dhcp.DefaultProbeTimeout, "")
	listen := fs.String("listen", "", "")
	noStore := fs.Bool("no-store", false, "")
	var dns, tftp, options, reserves multiFlag
	fs.Var(&dns, "dns", "")
	fs.Var(&tftp, "tftp-server", "")
	fs.Var(&options, "option", "")
	fs.Var(&reserves, "reserve", "")
	if err := parseFlags(e, "dhcp", fs, args[1:]); err != nil {
		return err
	}
	if *iface == "" || *rng == "" {
		return usageErr("dhcp", "--iface and --range are required")
	}
	start, end, err := parseRange(*rng)
	if err != nil {
		return usageErr("dhcp", "%v", err)
	}
	network, self, err := interfaceNetwork(*iface, start)
	if err != nil {
		return err
	}
	pool := dhcp.Pool{Network: network, Start: start, End: end, Domain: *domain, LeaseTime: *lease,
		TFTPServerName: *tftpName, BootFile: *bootfile, HostnamePrefix: *prefix, Extra: map[uint8][]byte{}}
	addrFlag := func(name, v string) (netip.Addr, error) {
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() {
			return netip.Addr{}, usageErr("dhcp", "--%s %q is not an IPv4 address", name, v)
		}
		return a, nil
	}
	if *router != "" {
		a, err := addrFlag("router", *router)
		if err != nil {
			return err
		}
		pool.Routers = []netip.Addr{a}
	}
	for _, v := range dns {
		a, err := addrFlag("dns", v)
		if err != nil {
			return err
		}
		pool.DNS = append(pool.DNS, a)
	}
	for _, v := range tftp {
		a, err := addrFlag("tftp-server", v)
		if err != nil {
			return err
		}
		pool.TFTPServers = append(pool.TFTPServers, a)
	}
	if *imagelist != "" || *director != "" {
		var dir netip.Addr
		if *director != "" {
			if dir, err = addrFlag("director", *director); err != nil {
				return err
			}
		}
		pool.VendorInfo = []dhcp.VendorInfo{dhcp.CiscoSmartInstall(*imagelist, dir)}
	}
	if *pnp != "" {
		host, port := *pnp, 80
		if h, p, err := net.SplitHostPort(*pnp); err == nil {
			host = h
			if port, err = strconv.Atoi(p); err != nil {
				return usageErr("dhcp", "--pnp %q: bad port", *pnp)
			}
		}
		pool.VendorSpecific = dhcp.PnPVendorSpecific(host, port)
	}
	for _, o := range options {
		code, val, err := dhcp.ParseRawOption(o)
		if err != nil {
			return usageErr("dhcp", "--option: %v", err)
		}
		pool.Extra[code] = val
	}
	if pool.AlwaysSend, err = parseAlways(*always); err != nil {
		return usageErr("dhcp", "--always-send: %v", err)
	}
	for _, r := range reserves {
		res, err := parseReservation(r)
		if err != nil {
			return usageErr("dhcp", "--reserve: %v", err)
		}
		pool.Reservations = append(pool.Reservations, res)
	}
	cfg := dhcp.Config{Interface: *iface, ServerIP: self, Pools: []dhcp.Pool{pool}}
	if err := cfg.Validate(); err != nil {
		return err
	}

	// One line per event on stdout. The hook never blocks the server: when
	// the terminal falls behind, lines are dropped.
	events := make(chan servers.Event, 1024)
	hook := servers.Hook(func(ev servers.Event) {
		select {
		case events <- ev:
		default:
		}
	})
	var printing sync.WaitGroup
	printing.Add(1)
	go func() {
		defer printing.Done()
		for ev := range events {
			fmt.Fprintln(e.Stdout, ev.String())
		}
	}()
	var producers sync.WaitGroup // Serve's and Monitor's goroutines
	defer func() {
		producers.Wait()
		close(events)
		printing.Wait()
	}()

	pre := dhcp.Preflight{Interface: *iface, ProbeTimeout: *probeTimeout, Force: *force, Hook: hook}
	fmt.Fprintf(e.Stderr, "fieldcon: listening %s for another DHCP server on %s before serving...\n", probeTimeout.String(), *iface)
	if err := pre.Check(ctx); err != nil {
		return permissionHint(err)
	}

	var opts []dhcp.Option
	opts = append(opts, dhcp.WithHook(hook))
	if !*noStore {
		ws, err := e.Workspace()
		if err != nil {
			return err
		}
		defer ws.Close()
		db, err := ws.Store()
		if err != nil {
			return err
		}
		st, err := dhcp.NewBoltStore(db)
		if err != nil {
			return err
		}
		opts = append(opts, dhcp.WithStore(st))
	}
	srv, err := dhcp.New(cfg, opts...)
	if err != nil {
		return err
	}
	host, port := "", dhcp.ServerPort
	if *listen != "" {
		h, p, err := net.SplitHostPort(*listen)
		if err != nil {
			return usageErr("dhcp", "--listen %q is not ADDR:PORT", *listen)
		}
		host = h
		if port, err = strconv.Atoi(p); err != nil {
			return usageErr("dhcp", "--listen %q: bad port", *listen)
		}
	}
	conn, err := dhcp.Listen(ctx, *iface, host, port)
	if err != nil {
		return permissionHint(err)
	}
	// The monitor ends with Serve, also when Serve fails: otherwise the
	// deferred wait above would hold the command until Ctrl-C.
	monCtx, stopMonitor := context.WithCancel(ctx)
	defer stopMonitor()
	if mon, err := dhcp.Listen(ctx, *iface, "", dhcp.ClientPort); err == nil {
		producers.Add(1)
		go func() {
			defer producers.Done()
			defer mon.Close()
			_ = dhcp.Monitor(monCtx, mon, self, hook)
		}()
	} else {
		fmt.Fprintf(e.Stderr, "fieldcon: cannot watch for other DHCP servers while serving (port 68 busy: %v)\n", err)
	}
	return srv.Serve(ctx, conn)
}

func permissionHint(err error) error {
	if !errors.Is(err, dhcp.ErrPermission) {
		return err
	}
	exe, xerr := os.Executable()
	if xerr != nil {
		exe = "fieldcon"
	}
	return fmt.Errorf("%v\nDHCP needs ports 67 and 68. Run fieldcon as root, or allow it once with:\n  sudo setcap 'cap_net_bind_service,cap_net_raw+ep' %s", err, exe)
}

func parseRange(s string) (netip.Addr, netip.Addr, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("--range %q is not A-B (for example 10.88.0.100-10.88.0.199)", s)
	}
	start, err1 := netip.ParseAddr(strings.TrimSpace(a))
	end, err2 := netip.ParseAddr(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || !start.Is4() || !end.Is4() {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("--range %q: both ends must be IPv4 addresses", s)
	}
	return start, end, nil
}

// interfaceNetwork finds the interface's IPv4 address on the range's
// subnet (or its first IPv4 address).
func interfaceNetwork(name string, inRange netip.Addr) (netip.Prefix, netip.Addr, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Prefix{}, netip.Addr{}, fmt.Errorf("no network interface %q (list them with `ip link`): %w", name, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return netip.Prefix{}, netip.Addr{}, fmt.Errorf("reading the addresses of %s: %w", name, err)
	}
	var first netip.Prefix
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil {
			continue
		}
		ip, _ := netip.AddrFromSlice(n.IP.To4())
		ones, _ := n.Mask.Size()
		p := netip.PrefixFrom(ip, ones)
		if p.Contains(inRange) {
			return p.Masked(), ip, nil
		}
		if !first.IsValid() {
			first = p
		}
	}
	if first.IsValid() {
		return netip.Prefix{}, netip.Addr{}, fmt.Errorf("%s has %s, which does not contain the range start %s; give %s an address in the range's subnet first", name, first, inRange, name)
	}
	return netip.Prefix{}, netip.Addr{}, fmt.Errorf("%s has no IPv4 address; give it one in the range's subnet first (for example: ip addr add 10.88.0.1/24 dev %s)", name, name)
}

func parseAlways(s string) ([]uint8, error) {
	if s == "" {
		return nil, nil
	}
	if s == "all" {
		var out []uint8
		for c := 1; c < 255; c++ {
			out = append(out, uint8(c))
		}
		return out, nil
	}
	var out []uint8
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 254 {
			return nil, fmt.Errorf("%q is not an option code from 1 to 254", f)
		}
		out = append(out, uint8(n))
	}
	return out, nil
}

// parseReservation reads MAC=IP[,NAME] or CLIENTID=IP[,NAME].
func parseReservation(s string) (dhcp.Reservation, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return dhcp.Reservation{}, fmt.Errorf("%q is not MAC=IP or CLIENT-ID=IP", s)
	}
	addr, name, _ := strings.Cut(v, ",")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return dhcp.Reservation{}, fmt.Errorf("%q: %q is not an IPv4 address", s, addr)
	}
	r := dhcp.Reservation{Addr: a, Hostname: name}
	if mac, err := net.ParseMAC(k); err == nil {
		r.MAC = mac
	} else {
		// IOS sends its client identifier as type 0 followed by the text.
		r.ClientID = append([]byte{0}, k...)
	}
	return r, nil
}
