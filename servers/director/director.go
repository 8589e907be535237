package director

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	bolt "go.etcd.io/bbolt"

	"fieldcon/servers"
)

// DHCP option codes the director sets or reads.
const (
	optHostname    = 12
	optVendorClass = 60
	optClientID    = 61
	optBootFile    = 67
	optVIClass     = 124
	optVIVendor    = 125
	optTFTPServers = 150
	subImageList   = 5
	subDirectorIP  = 16
)

// Config is what a Director needs.
type Config struct {
	Profiles *Profiles
	// Root is the workspace folder: the TFTP root, with images/,
	// imagelists/, backups/ and uploads/director/ under it.
	Root string
	// Store is the workspace state store; nil keeps the database in memory.
	Store *bolt.DB
	// Address is fieldcon's address on the switch VLAN: option 150, 125/16
	// and the host of every URL.
	Address netip.Addr
	Clock   Clock
	Hook    servers.Hook
	// Open opens the join window at start; otherwise it starts closed.
	Open bool
}

// Director is the Smart Install policy between the DHCP and TFTP servers:
// Decide is a DHCP decision, TFTPPolicy the TFTP request policy, TFTPEvent
// and Syslog the way it learns what clients did.
type Director struct {
	cfg     Config
	profMu  sync.Mutex
	prof    *Profiles // replaced by SetProfiles
	db      *DB
	window  *JoinWindow
	lists   *ImageLists
	backups *Backups
	hook    servers.Hook
	work    chan func()
	svc     *service

	mu       sync.Mutex
	lastPlan map[MAC]Plan
}

// Plan is what a client was last told by DHCP.
type Plan struct {
	Profile   string
	ImageList string // TFTP name, empty when withheld or none
	Config    string // TFTP name
	Script    string
	Images    []string // TFTP names
	Reason    string   // why it got a plain lease, when it did
}

// New builds a director; the join window starts closed unless cfg.Open.
func New(cfg Config) (*Director, error) {
	if cfg.Profiles == nil {
		return nil, fmt.Errorf("director: %w: no profile loaded", ErrProfile)
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if !cfg.Address.Is4() {
		if a, err := netip.ParseAddr(cfg.Profiles.Director.Address); err == nil {
			cfg.Address = a
		}
	}
	if !cfg.Address.Is4() {
		return nil, errors.New("director: no IPv4 address for fieldcon on the switch VLAN; give the interface one, or set director: address: in director.yaml")
	}
	d := &Director{cfg: cfg, prof: cfg.Profiles, hook: cfg.Hook, work: make(chan func(), 4096), svc: newService(), lastPlan: map[MAC]Plan{}}
	if err := d.lintScripts(cfg.Profiles); err != nil {
		return nil, err
	}
	var err error
	if d.db, err = OpenDB(cfg.Store, cfg.Clock, cfg.Profiles.KeepalivePeriod(), cfg.Hook); err != nil {
		return nil, err
	}
	now := cfg.Clock.Now()
	if d.window, err = NewJoinWindow(cfg.Profiles.Window, now); err != nil {
		return nil, err
	}
	if d.lists, err = NewImageLists(cfg.Root, cfg.Clock, cfg.Hook); err != nil {
		return nil, err
	}
	if d.backups, err = NewBackups(cfg.Root, d.db, cfg.Hook); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.Root, ImagesDir), 0o755); err != nil {
		return nil, fmt.Errorf("director: %w", err)
	}
	_, errs := d.lists.GenerateAll(cfg.Profiles)
	for _, e := range errs {
		d.hook.Emit(ev(servers.Warning, "", "", "%v", e))
	}
	if cfg.Open {
		d.emitTransitions(d.window.Open(now))
	}
	return d, nil
}

// DB is the client database.
func (d *Director) DB() *DB { return d.db }

// Window is the join window.
func (d *Director) Window() *JoinWindow { return d.window }

// Backups is the backup repository.
func (d *Director) Backups() *Backups { return d.backups }

// Profiles is the profile file in effect.
func (d *Director) Profiles() *Profiles {
	d.profMu.Lock()
	defer d.profMu.Unlock()
	return d.prof
}

// lintScripts checks the post-install scripts p names: errors refuse the
// profiles, warnings become events.
func (d *Director) lintScripts(p *Profiles) error {
	warnings, err := p.LintScripts(d.cfg.Root)
	for _, w := range warnings {
		d.hook.Emit(ev(servers.Warning, "", p.File(), "%s", w))
	}
	if err != nil {
		return fmt.Errorf("director: post-install scripts: %w", err)
	}
	return nil
}

// SetProfiles puts an edited profile file into effect from the next DHCP
// exchange on: a group deleted from director.yaml no longer claims its
// switches, which resolve to the next profile in precedence order. Profiles
// whose post-install scripts have errors are refused and the old ones stay
// in effect. Image
// lists of the new profiles are written as New writes them. The join window
// (its mode and schedule) and the keepalive period keep the values they
// started with; restart the director to change those.
func (d *Director) SetProfiles(p *Profiles) error {
	if p == nil {
		return fmt.Errorf("director: %w: no profile loaded", ErrProfile)
	}
	if err := d.lintScripts(p); err != nil {
		return err
	}
	_, errs := d.lists.GenerateAll(p)
	for _, e := range errs {
		d.hook.Emit(ev(servers.Warning, "", "", "%v", e))
	}
	d.profMu.Lock()
	d.prof = p
	d.profMu.Unlock()
	d.hook.Emit(ev(KindProfiles, "", p.File(), "profiles from %s in effect from the next DHCP exchange", p.File()))
	return nil
}

// Address is fieldcon's address on the switch VLAN.
func (d *Director) Address() netip.Addr { return d.cfg.Address }

// OpenWindow opens the join window by hand.
func (d *Director) OpenWindow() { d.emitTransitions(d.window.Open(d.cfg.Clock.Now())) }

// CloseWindow closes the join window by hand.
func (d *Director) CloseWindow() { d.emitTransitions(d.window.Close(d.cfg.Clock.Now())) }

// FollowSchedule hands the join window back to the profile's schedule.
func (d *Director) FollowSchedule() error {
	ts, err := d.window.FollowSchedule(d.cfg.Clock.Now())
	d.emitTransitions(ts)
	return err
}

// SetMode switches the join mode: auto provisions joining clients, manual
// holds them for approval.
func (d *Director) SetMode(m JoinMode) { d.window.SetMode(m) }

// Now is the director's clock.
func (d *Director) Now() time.Time { return d.cfg.Clock.Now() }

func (d *Director) emitTransitions(ts []Transition) {
	for _, t := range ts {
		word := "End"
		if t.Open {
			word = "Start"
		}
		e := ev(KindJoinWindow, "", word, "SMI Join window %s on IBD(IP address: %s)", word, d.cfg.Address)
		e.Time = t.At
		e.Attrs = map[string]string{"why": t.Why}
		d.hook.Emit(e)
	}
}

// Run reports join window transitions and does the work the event hooks
// hand over (file moves, database writes) until ctx ends. Serve runs it.
func (d *Director) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.window.Run(ctx, d.cfg.Clock, func(t Transition) { d.emitTransitions([]Transition{t}) })
	}()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			d.drain()
			return
		case f := <-d.work:
			f()
		}
	}
}

func (d *Director) drain() {
	for {
		select {
		case f := <-d.work:
			f()
		default:
			return
		}
	}
}

// later queues work for Run; hooks must not block, so a full queue drops
// the work with a warning.
func (d *Director) later(f func()) {
	select {
	case d.work <- f:
	default:
		d.hook.Emit(ev(servers.Warning, "", "", "director is overloaded; an event was dropped"))
	}
}

// sighting reads what a DHCP request says about its sender.
func sighting(req *dhcpv4.DHCPv4) Sighting {
	s := Sighting{MAC: MACFrom(req.ClientHWAddr), Source: "dhcp"}
	var items []string
	if v := req.Options.Get(dhcpv4.GenericOptionCode(optVIClass)); len(v) > 0 {
		items, _ = ParseVendorClass(v)
	}
	if v := req.Options.Get(dhcpv4.GenericOptionCode(optVendorClass)); len(v) > 0 {
		items = append(items, string(v))
	}
	s.PID, s.Serial, s.Members = MembersFromUDIs(items)
	if h := req.HostName(); h != "" {
		s.Hostname = h
	}
	return s
}

// Decide is the director's DHCP decision: it runs after the DHCP server has
// built an OFFER or ACK and adds the Smart Install options (150, 67, 125,
// 12) for a client the policy admits, or strips option 125 and records why
// the client gets a plain lease. Its signature is that of a
// servers/dhcp decision function.
func (d *Director) Decide(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	if resp == nil {
		return nil, true
	}
	t := resp.MessageType()
	if t != dhcpv4.MessageTypeOffer && t != dhcpv4.MessageTypeAck {
		return resp, false
	}
	resp.Options.Del(dhcpv4.GenericOptionCode(optVIVendor))
	s := sighting(req)
	if s.MAC == "" {
		return resp, false
	}
	if ip, ok := netip.AddrFromSlice(resp.YourIPAddr.To4()); ok && !ip.IsUnspecified() {
		s.IP = ip
	}
	c, err := d.db.Observe(s)
	if err != nil {
		d.hook.Emit(ev(servers.Warning, string(s.MAC), string(s.MAC), "%v", err))
		return resp, false
	}
	plain := func(why string) (*dhcpv4.DHCPv4, bool) {
		d.setPlan(c.MAC, Plan{Reason: why})
		if t == dhcpv4.MessageTypeOffer {
			d.hook.Emit(ev(KindPlainLease, string(c.MAC), c.IP.String(), "%s (%s) gets a lease without Smart Install options: %s", c.MAC, c.IP, why))
		}
		return resp, false
	}
	join, why, err := d.db.Admit(c.MAC, d.window.IsOpen(d.cfg.Clock.Now()), d.window.Mode())
	if err != nil {
		return plain(err.Error())
	}
	if join != JoinAllowed {
		return plain(why)
	}
	c, _ = d.db.Get(c.MAC)
	prof := d.Profiles()
	res := prof.Resolve(c.Facts())
	if !res.Resolved() {
		if t == dhcpv4.MessageTypeOffer {
			kind, model, _ := strings.Cut(res.Failure, " ")
			d.hook.Emit(ev(KindIncorrectConfig, string(c.MAC), c.IP.String(), "No image and config configured for this %s %s", kind, model))
			d.hook.Emit(ev(KindNotConfigured, string(c.MAC), c.IP.String(), "%s (IP Address :%s) : The Director does not have a image list file or a configuration file configured for this Product-ID", c.MAC, c.IP))
		}
		return plain("no profile: No image and config configured for this " + res.Failure)
	}
	plan := Plan{Profile: res.Name}
	if len(res.Images) > 0 {
		var nums []int
		if c.Facts().IsStack() {
			for _, m := range sortedMembers(c.Members) {
				nums = append(nums, m.Number)
			}
		}
		name := ListName(res.Name, nums)
		if err := d.lists.Ensure(name, res.Images); err != nil {
			if t == dhcpv4.MessageTypeOffer {
				d.hook.Emit(ev(KindNotConfigured, string(c.MAC), c.IP.String(), "%s (IP Address :%s) : The Director does not have a image list file or a configuration file configured for this Product-ID (%v)", c.MAC, c.IP, err))
			}
		} else {
			plan.ImageList = name
			for _, img := range res.Images {
				plan.Images = append(plan.Images, ImagesDir+"/"+img)
			}
		}
	}
	if res.Config != "" {
		plan.Config = ImagesDir + "/" + res.Config
	}
	if prof.BackupOn() && !(c.Config.State == Failed && c.Config.Backup) {
		if f, ok := d.backups.Latest(c); ok {
			plan.Config = f
		}
	}
	if res.Script != "" && (plan.ImageList != "" || plan.Config != "") {
		plan.Script = ImagesDir + "/" + res.Script
	}
	if plan.ImageList == "" && plan.Config == "" {
		return plain("profile " + res.Name + " has nothing to hand out (image missing)")
	}
	addr := d.cfg.Address
	resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(optTFTPServers), addr.AsSlice()))
	resp.ServerIPAddr = net.IP(addr.AsSlice())
	if plan.Config != "" {
		resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(optBootFile), []byte(plan.Config)))
		if len(plan.Config) < 128 {
			resp.BootFileName = plan.Config
		}
	} else {
		resp.Options.Del(dhcpv4.GenericOptionCode(optBootFile))
		resp.BootFileName = ""
	}
	if v := vendorInfo(plan.ImageList, addr, prof.Director.AdvertiseDirector); v != nil {
		resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(optVIVendor), v))
	}
	if p := prof.Director.HostnamePrefix; p != "" {
		resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(optHostname), []byte(HostnameFor(p, c.MAC))))
	}
	d.setPlan(c.MAC, plan)
	_, _ = d.db.Update(c.MAC, func(c *Client) {
		c.Group = res.Name
		if c.Method == "" {
			c.Method = "zero-touch"
		}
		c.Image.Files = plan.Images
		c.Config.Files = nonEmpty(plan.Config)
		c.Config.Backup = strings.HasPrefix(plan.Config, BackupsDir+"/")
		c.Script.Files = nonEmpty(plan.Script)
	})
	return resp, false
}

func sortedMembers(ms []StackMember) []StackMember {
	out := append([]StackMember(nil), ms...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Number < out[i].Number {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// vendorInfo encodes option 125: enterprise 9 with sub-option 5 (image
// list) and, when advertised, 16 (director address, 4 bytes).
func vendorInfo(imageList string, director netip.Addr, advertise bool) []byte {
	var data []byte
	if imageList != "" {
		data = append(data, subImageList, byte(len(imageList)))
		data = append(data, imageList...)
	}
	if advertise {
		a := director.As4()
		data = append(data, subDirectorIP, 4)
		data = append(data, a[:]...)
	}
	if len(data) == 0 {
		return nil
	}
	return append([]byte{0, 0, 0, CiscoEnterprise, byte(len(data))}, data...)
}

// HostnameFor names a client "<prefix>-xx.xxxx" after the last three bytes
// of its MAC, the way a Smart Install director does.
func HostnameFor(prefix string, mac MAC) string {
	hex := strings.ReplaceAll(string(mac), ".", "")
	if len(hex) != 12 {
		return prefix
	}
	return prefix + "-" + hex[6:8] + "." + hex[8:12]
}

func (d *Director) setPlan(mac MAC, p Plan) {
	d.mu.Lock()
	d.lastPlan[mac] = p
	d.mu.Unlock()
}

// PlanFor is what the client was last told by DHCP.
func (d *Director) PlanFor(mac MAC) (Plan, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.lastPlan[mac]
	return p, ok
}
