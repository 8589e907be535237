package recovery

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// FileServer serves a file to a device over TFTP for the length of a
// playbook, and tells the playbook what the laptop's network looks like.
// recovery/live implements it with servers/tftp; tests use a fake.
type FileServer interface {
	// Interfaces lists the laptop's network interfaces and their IPv4
	// addresses.
	Interfaces(ctx context.Context) ([]NetInterface, error)
	// Serve starts a server for spec and returns once it listens. The
	// server runs until Stop or until ctx ends.
	Serve(ctx context.Context, spec ServeSpec) (Serving, error)
}

// NetInterface is one of the laptop's network interfaces.
type NetInterface struct {
	Name  string
	Up    bool
	Addrs []netip.Prefix // IPv4 only
}

// ServeSpec says what to serve and where.
type ServeSpec struct {
	// Iface limits the server to one interface; "" serves on every one.
	Iface string
	// Listen is HOST:PORT; "" means "0.0.0.0:69", the wildcard that also
	// hears requests sent to 255.255.255.255.
	Listen string
	// File is the path of the file served under its own base name.
	File string
	// Aliases are name patterns (path.Match, tried also against the last
	// element of the requested name) answered with File.
	Aliases []string
}

// Serving is a running file server.
type Serving interface {
	// Events delivers what the server does; progress events may be
	// dropped when nobody reads, the others are kept.
	Events() <-chan FileEvent
	// Addr is the address the server listens on.
	Addr() string
	// Stop stops the server and waits for its transfers to end.
	Stop() error
}

// FileEventKind says what a FileEvent is about.
type FileEventKind int

const (
	FileRequested FileEventKind = iota // a device asked for a file and is being served
	FileProgress                       // bytes went out
	FileDone                           // the device got the whole file
	FileFailed                         // a transfer stopped before its end
	FileRefused                        // a request was turned down (no such file, …)
)

var fileEventNames = [...]string{"requested", "progress", "done", "failed", "refused"}

func (k FileEventKind) String() string {
	if int(k) < len(fileEventNames) {
		return fileEventNames[k]
	}
	return fmt.Sprintf("FileEventKind(%d)", int(k))
}

// FileEvent is one thing the file server did.
type FileEvent struct {
	Kind   FileEventKind
	Peer   string // "10.0.0.1:2071"
	Asked  string // the name the device asked for
	Served string // the file that answered it
	Bytes  int64
	Total  int64
	Rate   float64
	Detail string // one line for the technician
}

// ErrNoLaptopAddress means the laptop has no usable address for the device.
var ErrNoLaptopAddress = errors.New("no usable laptop address")

// addressRange is the addresses a device will talk to.
type addressRange struct {
	lo, hi netip.Addr
	// suggest is the address to tell the technician to set.
	suggest netip.Prefix
	why     string
}

// apRecoveryRange is where an Aironet in MODE-button recovery (at
// 10.0.0.1) looks for its TFTP server (field-notes §2(b), Cisco WLC guide).
var apRecoveryRange = addressRange{
	lo:      netip.MustParseAddr("10.0.0.2"),
	hi:      netip.MustParseAddr("10.0.0.30"),
	suggest: netip.MustParsePrefix("10.0.0.2/24"),
	why:     "an AP in MODE-button recovery takes 10.0.0.1 and only looks for its TFTP server at 10.0.0.2-10.0.0.30",
}

func (a addressRange) contains(ip netip.Addr) bool {
	return a.lo.Compare(ip) <= 0 && ip.Compare(a.hi) <= 0
}

// setAddressHowTo is the exact command to give iface the address p on the
// laptop's system, for an error message.
func setAddressHowTo(goos, iface string, p netip.Prefix) string {
	if iface == "" {
		iface = "IFACE"
	}
	mask := prefixMask(p)
	switch goos {
	case "windows":
		return fmt.Sprintf(`netsh interface ipv4 set address name="%s" static %s %s`, iface, p.Addr(), mask)
	case "darwin":
		return fmt.Sprintf("sudo ifconfig %s inet %s netmask %s alias", iface, p.Addr(), mask)
	default:
		return fmt.Sprintf("sudo ip addr add %s dev %s && sudo ip link set %s up", p, iface, iface)
	}
}

func prefixMask(p netip.Prefix) string {
	bits := p.Bits()
	var m [4]byte
	for i := range 4 {
		n := min(max(bits-8*i, 0), 8)
		m[i] = byte(0xff << (8 - n))
	}
	return netip.AddrFrom4(m).String()
}

// findLaptop picks the interface and address the device will reach: the one
// named iface (every interface when ""), with an address in want (any IPv4
// address when want is nil). It returns an error saying exactly what to do.
func findLaptop(ifs []NetInterface, iface string, want *addressRange, goos string) (NetInterface, netip.Prefix, error) {
	var candidates []NetInterface
	for _, ni := range ifs {
		if iface == "" || ni.Name == iface {
			candidates = append(candidates, ni)
		}
	}
	if iface != "" && len(candidates) == 0 {
		var names []string
		for _, ni := range ifs {
			names = append(names, ni.Name)
		}
		return NetInterface{}, netip.Prefix{}, fmt.Errorf("%w: the laptop has no interface %q (it has: %s); pick the one on the device's cable with --iface", ErrNoLaptopAddress, iface, strings.Join(names, ", "))
	}
	var found []NetInterface
	var addrs []netip.Prefix
	for _, ni := range candidates {
		for _, p := range ni.Addrs {
			ip := p.Addr()
			if !ip.Is4() || ip.IsLoopback() && iface == "" {
				continue
			}
			if want == nil || want.contains(ip) {
				found, addrs = append(found, ni), append(addrs, p)
				break
			}
		}
	}
	switch {
	case len(found) == 1:
		if !found[0].Up {
			return found[0], addrs[0], fmt.Errorf("%w: interface %s has %s but is down: connect the Ethernet cable to the device and bring it up (%s)", ErrNoLaptopAddress, found[0].Name, addrs[0].Addr(), bringUpHowTo(goos, found[0].Name))
		}
		return found[0], addrs[0], nil
	case len(found) > 1:
		var names []string
		for i, ni := range found {
			names = append(names, ni.Name+" ("+addrs[i].Addr().String()+")")
		}
		return NetInterface{}, netip.Prefix{}, fmt.Errorf("%w: several interfaces could reach the device (%s): name the one on the device's cable with --iface", ErrNoLaptopAddress, strings.Join(names, ", "))
	}
	if want == nil {
		return NetInterface{}, netip.Prefix{}, fmt.Errorf("%w: %s has no IPv4 address; give it one on the device's subnet, e.g.: %s", ErrNoLaptopAddress, orAny(iface), setAddressHowTo(goos, iface, netip.MustParsePrefix("10.0.0.2/24")))
	}
	return NetInterface{}, netip.Prefix{}, fmt.Errorf("%w: %s has no address in %s-%s (%s); set one with: %s", ErrNoLaptopAddress, orAny(iface), want.lo, want.hi, want.why, setAddressHowTo(goos, iface, want.suggest))
}

func orAny(iface string) string {
	if iface == "" {
		return "no interface"
	}
	return "interface " + iface
}

func bringUpHowTo(goos, iface string) string {
	switch goos {
	case "windows":
		return fmt.Sprintf(`netsh interface set interface name="%s" admin=enabled`, iface)
	case "darwin":
		return "sudo ifconfig " + iface + " up"
	default:
		return "sudo ip link set " + iface + " up"
	}
}

// fileService is the file server of one playbook run: the steps that start
// it, follow it and stop it share it.
type fileService struct {
	files FileServer

	mu      sync.Mutex
	serving Serving
	aliases []string
}

// checkLaptop is the step that finds the laptop's address: in want when
// set. It sets {iface}, {laptop} and {prefix} (the laptop's address with
// its prefix length). An address given as {laptop} is checked to be there.
func (fs *fileService) checkLaptop(want *addressRange) func(ctx context.Context, r *Run) error {
	return func(ctx context.Context, r *Run) error {
		if fs.files == nil {
			return errors.New("this fieldcon has no TFTP server to offer (no file server configured)")
		}
		ifs, err := fs.files.Interfaces(ctx)
		if err != nil {
			return fmt.Errorf("list the laptop's network interfaces: %w", err)
		}
		if laptop := r.Vars["laptop"]; laptop != "" {
			ip, err := netip.ParseAddr(laptop)
			if err != nil || !ip.Is4() {
				return fmt.Errorf("%w: %q is not an IPv4 address", ErrNoLaptopAddress, laptop)
			}
			if want != nil && !want.contains(ip) {
				return fmt.Errorf("%w: %s is outside %s-%s (%s); set one with: %s", ErrNoLaptopAddress, ip, want.lo, want.hi, want.why, setAddressHowTo(runtime.GOOS, r.Vars["iface"], want.suggest))
			}
			want = &addressRange{lo: ip, hi: ip, suggest: netip.PrefixFrom(ip, 24), why: "the address you chose"}
		}
		ni, p, err := findLaptop(ifs, r.Vars["iface"], want, runtime.GOOS)
		if err != nil {
			return err
		}
		r.Vars["iface"] = ni.Name
		r.Vars["laptop"] = p.Addr().String()
		r.Vars["prefix"] = p.String()
		r.Message(fmt.Sprintf("laptop address %s on %s", p, ni.Name))
		return nil
	}
}

// start serves {image} with aliases (which may use {vars}).
func (fs *fileService) start(aliases ...string) func(ctx context.Context, r *Run) error {
	return func(ctx context.Context, r *Run) error {
		if fs.files == nil {
			return errors.New("this fieldcon has no TFTP server to offer (no file server configured)")
		}
		fs.stopServing()
		var as []string
		for _, a := range aliases {
			a = r.Vars.Expand(a)
			if a != "" && !strings.Contains(a, "{") && !matchesAny(as, a) {
				as = append(as, a)
			}
		}
		spec := ServeSpec{Iface: r.Vars["iface"], Listen: r.Vars["listen"], File: r.Vars["image"], Aliases: as}
		// The server outlives this step: it runs until the stop step or
		// the cleanup, not until the step's own deadline.
		srv, err := fs.files.Serve(context.WithoutCancel(ctx), spec)
		if err != nil {
			return fmt.Errorf("start the TFTP server: %w", err)
		}
		fs.mu.Lock()
		fs.serving, fs.aliases = srv, as
		fs.mu.Unlock()
		r.Vars["file"] = filepath.Base(spec.File)
		msg := fmt.Sprintf("TFTP server on %s serving %s", srv.Addr(), r.Vars["file"])
		if spec.Iface != "" {
			msg += " (" + spec.Iface + ")"
		}
		if len(as) > 0 {
			msg += ", also as " + strings.Join(as, ", ")
		}
		r.Message(msg)
		return nil
	}
}

// serves says whether the server answers a request for name.
func (fs *fileService) serves(name, file string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return name == file || matchesAny(fs.aliases, name)
}

// matchesAny is servers/tftp's alias rule: the pattern against the whole
// name, and a pattern without "/" also against its last element.
func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
		if !strings.Contains(p, "/") {
			if ok, _ := path.Match(p, path.Base(name)); ok {
				return true
			}
		}
	}
	return false
}

func (fs *fileService) events() <-chan FileEvent {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.serving == nil {
		return nil
	}
	return fs.serving.Events()
}

func (fs *fileService) stopServing() error {
	fs.mu.Lock()
	srv := fs.serving
	fs.serving = nil
	fs.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Stop()
}

// stop is the step (and cleanup step) that stops the server.
func (fs *fileService) stop(ctx context.Context, r *Run) error {
	if err := fs.stopServing(); err != nil {
		return fmt.Errorf("stop the TFTP server: %w", err)
	}
	return nil
}

// report turns a server event into progress for the technician; transfer
// progress is left to the caller, which knows what the device makes of it.
func reportFileEvent(r *Run, ev FileEvent) {
	switch ev.Kind {
	case FileRequested:
		r.Message(fmt.Sprintf("TFTP: %s asked for %s, serving %s", ev.Peer, ev.Asked, ev.Served))
	case FileDone:
		r.Message(fmt.Sprintf("TFTP: %s got all of %s (%d bytes)", ev.Peer, ev.Served, ev.Bytes))
	case FileFailed, FileRefused:
		r.Message("TFTP: " + ev.Detail)
	}
}
