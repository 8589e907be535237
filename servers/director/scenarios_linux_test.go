package director_test

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/servers"
	"fieldcon/servers/dhcp"
	"fieldcon/servers/director"
	"fieldcon/servers/smi"
)

// The acceptance scenarios of the Smart Install digest (§15) that fit a
// laptop director, each with simulated switches in network namespaces.

const defaultProfile = "director: {advertise-director: true}\ndefault: {image: img-a.tar, config: seed.txt}\n"

const switchPID = "WS-C2960X-24TS-L"

func yes(string) bool { return true }

// smartInstallLease checks the options of a lease that carries Smart
// Install: 150 and 125/16 name fieldcon, 67 the config, 125/5 the list.
func smartInstallLease(t *testing.T, what string, l devsim.SMILease, list, config string) {
	t.Helper()
	if l.TFTPServer != fcIP || l.Director != fcIP || l.ImageList != list || l.ConfigFile != config {
		t.Errorf("%s = option 150 %v, 125/16 %v, 125/5 %q, 67 %q; want 150 and 125/16 %v, 125/5 %q, 67 %q",
			what, l.TFTPServer, l.Director, l.ImageList, l.ConfigFile, fcIP, list, config)
	}
}

// Scenario 1: a new switch joins with zero touch and reports success.
func TestScenarioZeroTouchNewSwitch(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{})
	sw := l.newSwitch(switchPID)
	res, err := sw.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() = %v", err)
	}
	const list = "imagelists/default-imagelist.txt"
	smartInstallLease(t, "the OFFER", sw.Offer(), list, "images/seed.txt")
	smartInstallLease(t, "the ACK", res.Lease, list, "images/seed.txt")
	if want := []string{list, "images/img-a.tar", "images/seed.txt"}; !slices.Equal(sw.Reads(), want) {
		t.Errorf("the switch read %v, want %v", sw.Reads(), want)
	}
	c := l.waitClient(sw, "S A a I C", func(c director.Client) bool { return l.status(sw) == "S A a I C" })
	if c.Group != "default" || c.IP != res.Lease.Addr.Addr() || c.PID != switchPID {
		t.Errorf("client = group %q IP %v PID %q, want default, %v, %s", c.Group, c.IP, c.PID, res.Lease.Addr.Addr(), switchPID)
	}
	if got := director.RenderDownloadStatus([]director.Client{c}); !strings.Contains(strings.Join(strings.Fields(got), " "), "zero-touch UPGRADED UPGRADED **") {
		t.Errorf("download status:\n%s\nwant zero-touch UPGRADED UPGRADED **", got)
	}
	if n := l.count(kind(director.KindSwitchAdd, "director")); n != 1 {
		t.Errorf("%d SMI-6-SWITCH_ADD events, want 1", n)
	}
	// fieldcon's own success events, one for the image and one for the
	// config, and the switch's, heard over syslog and put on the client.
	l.waitEvent("two UPGRD_SUCCESS of fieldcon's", func(servers.Event) bool {
		return l.count(kind(director.KindUpgradeSuccess, "director")) == 2
	})
	mine := func(e servers.Event) bool {
		return e.Server == "syslog" && e.Kind == "SMI-6-UPGRD_SUCCESS" && e.Attrs["mac"] == string(c.MAC)
	}
	l.waitEvent("two UPGRD_SUCCESS from the switch", func(servers.Event) bool { return l.count(mine) == 2 })
}

// Scenario 2: with the window closed a new switch gets a plain lease; once
// the technician allows it, the next DHCP exchange carries the options.
func TestScenarioWindowClosedGivesPlainLease(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{closed: true})
	sw := l.newSwitch(switchPID)
	if _, err := sw.ZeroTouch(l.ctx); !errors.Is(err, devsim.ErrNoSmartInstall) {
		t.Fatalf("ZeroTouch() with the window closed = %v, want %v", err, devsim.ErrNoSmartInstall)
	}
	lease := sw.Lease()
	if lease.HasSmartInstall() || lease.ConfigFile != "" || !lease.Addr.IsValid() {
		t.Errorf("lease with the window closed = %+v, want an address and no Smart Install options", lease)
	}
	if len(sw.Reads()) != 0 {
		t.Errorf("the switch read %v, want nothing", sw.Reads())
	}
	c, _ := l.client(sw)
	if c.Join != director.JoinDenied {
		t.Errorf("join state = %c, want d", c.Join)
	}
	if e, ok := l.ev.find(kind(director.KindPlainLease, "director")); !ok || !strings.Contains(e.Detail, "closed") {
		t.Errorf("plain-lease event = %+v, want one saying the window is closed", e)
	}
	if err := l.d.DB().SetJoin(c.MAC, director.JoinAllowed); err != nil {
		t.Fatal(err)
	}
	res, err := sw.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() once allowed = %v", err)
	}
	smartInstallLease(t, "the lease once allowed", res.Lease, "imagelists/default-imagelist.txt", "images/seed.txt")
}

// Scenario 3 (the part a switch sees): outside the scheduled window a
// switch gets a plain lease; when the test clock reaches the window it
// joins; when the window ends the next switch gets a plain lease again.
func TestScenarioOutsideScheduleGivesPlainLease(t *testing.T) {
	const prof = defaultProfile + `join-window:
  schedule: {start: "2009-07-07 10:00", duration: "04:00", end: "2009-07-10", recurring: true}
`
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	l := newLab(t, prof, labOptions{closed: true, start: at("2009-07-08 09:59")})
	if err := l.d.FollowSchedule(); err != nil {
		t.Fatal(err)
	}
	early := l.newSwitch(switchPID)
	if _, err := early.ZeroTouch(l.ctx); !errors.Is(err, devsim.ErrNoSmartInstall) {
		t.Fatalf("ZeroTouch() at 09:59 = %v, want %v", err, devsim.ErrNoSmartInstall)
	}
	if s := l.status(early); s != "P A d" {
		t.Errorf("status at 09:59 = %q, want P A d", s)
	}

	l.clock.Set(at("2009-07-08 10:00"))
	start := l.waitEvent("the window to open", func(e servers.Event) bool { return e.Kind == director.KindJoinWindow && e.Subject == "Start" })
	if !start.Time.Equal(at("2009-07-08 10:00")) {
		t.Errorf("window Start event at %v, want 10:00", start.Time)
	}
	if _, err := early.ZeroTouch(l.ctx); err != nil {
		t.Fatalf("ZeroTouch() at 10:00 = %v, want the join", err)
	}
	l.waitClient(early, "S A a I C", func(director.Client) bool { return l.status(early) == "S A a I C" })

	l.clock.Set(at("2009-07-08 14:00"))
	l.waitEvent("the window to close", func(e servers.Event) bool { return e.Kind == director.KindJoinWindow && e.Subject == "End" })
	late := l.newSwitch(switchPID)
	if _, err := late.ZeroTouch(l.ctx); !errors.Is(err, devsim.ErrNoSmartInstall) {
		t.Fatalf("ZeroTouch() at 14:00 = %v, want %v", err, devsim.ErrNoSmartInstall)
	}
	if s := l.status(late); s != "P A d" {
		t.Errorf("status of a switch joining at 14:00 = %q, want P A d", s)
	}
}

// Scenario 4: in manual mode a joining switch waits on the hold list (no
// options, no backup) until the technician approves it; a switch removed
// from the hold list cannot be approved.
func TestScenarioManualModeHoldList(t *testing.T) {
	l := newLab(t, "join-window: {mode: manual}\n"+defaultProfile, labOptions{})
	x, y := l.newSwitch(switchPID), l.newSwitch(switchPID)
	for _, sw := range []*devsim.SMIClient{x, y} {
		if _, err := sw.ZeroTouch(l.ctx); !errors.Is(err, devsim.ErrNoSmartInstall) {
			t.Fatalf("ZeroTouch() of a held switch = %v, want %v", err, devsim.ErrNoSmartInstall)
		}
	}
	if held := l.d.DB().HoldList(); len(held) != 2 {
		t.Fatalf("hold list = %v, want both switches", held)
	}
	if s := l.status(x); s != "P A h" {
		t.Errorf("held status = %q, want P A h", s)
	}
	cx, _ := l.client(x)
	if err := l.put(cx.IP, director.UploadName(cx), []byte("hostname held\n")); err == nil || !strings.Contains(err.Error(), "access violation") {
		t.Errorf("backup write of a held switch = %v, want access violation", err)
	}

	if err := l.d.DB().Approve(cx.MAC); err != nil {
		t.Fatal(err)
	}
	res, err := x.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() once approved = %v", err)
	}
	smartInstallLease(t, "the lease once approved", res.Lease, "imagelists/default-imagelist.txt", "images/seed.txt")
	l.waitClient(x, "S A a I C", func(director.Client) bool { return l.status(x) == "S A a I C" })

	cy, _ := l.client(y)
	if err := l.d.DB().RemoveFromHold(cy.MAC); err != nil {
		t.Fatal(err)
	}
	if err := l.d.DB().Approve(cy.MAC); !errors.Is(err, director.ErrRefused) || !strings.Contains(err.Error(), "removed from the hold list") {
		t.Errorf("Approve() after removal = %v, want a refusal that explains", err)
	}
	if _, err := y.ZeroTouch(l.ctx); !errors.Is(err, devsim.ErrNoSmartInstall) {
		t.Errorf("ZeroTouch() of a removed switch = %v, want a plain lease", err)
	}
}

// Scenario 5: a MAC group beats a product-ID group, which beats a built-in
// group; the reasoning names the losers, and deleting the winning group
// from director.yaml hands the switch to the next one at its next join.
func TestScenarioGroupPrecedence(t *testing.T) {
	const x = "0011.2233.44aa"
	const builtIn = `
built-in:
  - {family: 2960x, ports: "24", image: s3.tar, config: builtin.txt}
`
	const pidGroup = `
  - name: x-by-pid
    product-id: [WS-C2960X-24TS-L]
    image: s2.tar
    config: pid.txt
`
	const macGroup = `
  - name: x-by-mac
    mac: [` + x + `]
    image: s1.tar
    config: mac.txt
`
	const head = "director: {advertise-director: true}\n"
	l := newLab(t, head+builtIn+"groups:"+macGroup+pidGroup, labOptions{})
	for _, name := range []string{"mac.txt", "pid.txt", "builtin.txt"} {
		l.writeImage(name, "hostname from-"+name+"\nend\n")
	}
	sw := l.newSwitch(switchPID)
	sw.MAC = director.MAC(x).HardwareAddr()

	steps := []struct {
		name    string
		profile string // put into effect before the join; "" keeps the one running
		group   string
		kind    director.GroupKind
		list    string
		image   string
		config  string
		beaten  []string
	}{
		{"all three groups", "", "x-by-mac", director.KindMAC,
			"imagelists/x-by-mac-imagelist.txt", "images/s1.tar", "images/mac.txt", []string{"x-by-pid", "built-in 2960x 24"}},
		{"MAC group deleted", head + builtIn + "groups:" + pidGroup, "x-by-pid", director.KindProductID,
			"imagelists/x-by-pid-imagelist.txt", "images/s2.tar", "images/pid.txt", []string{"built-in 2960x 24"}},
		{"product-ID group deleted too", head + builtIn, "built-in 2960x 24", director.KindBuiltIn,
			"imagelists/built-in-2960x-24-imagelist.txt", "images/s3.tar", "images/builtin.txt", nil},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.profile != "" {
				l.setProfile(st.profile)
			}
			res, err := sw.ZeroTouch(l.ctx)
			if err != nil {
				t.Fatalf("ZeroTouch() = %v", err)
			}
			smartInstallLease(t, "the lease", res.Lease, st.list, st.config)
			if want := []string{st.image}; !slices.Equal(res.Images, want) {
				t.Errorf("image list = %v, want %v", res.Images, want)
			}
			// fieldcon's own UPGRD_SUCCESS for the image and the config of
			// each join so far.
			l.waitEvent("the join of "+st.name, func(servers.Event) bool {
				return l.count(kind(director.KindUpgradeSuccess, "director")) == 2*(i+1)
			})
			c := l.waitClient(sw, "S A a I C", func(director.Client) bool { return l.status(sw) == "S A a I C" })
			if c.Group != st.group || !slices.Equal(c.Image.Files, []string{st.image}) || !slices.Equal(c.Config.Files, []string{st.config}) {
				t.Errorf("client = group %q, image %v, config %v; want %s, %s, %s", c.Group, c.Image.Files, c.Config.Files, st.group, st.image, st.config)
			}
			// The "why" view: the detail pane and the CLI render this.
			why := l.d.Profiles().Resolve(c.Facts())
			if why.Name != st.group || why.Kind != st.kind {
				t.Fatalf("Resolve() = %s (%s), want %s (%s)\n%s", why.Name, why.Kind, st.group, st.kind, why.Explain())
			}
			var beaten []string
			for _, cand := range why.Candidates {
				if cand.Match && !cand.Won {
					beaten = append(beaten, cand.Name)
					if want := "loses to " + st.kind.String() + " group " + st.group; !strings.Contains(cand.Why, want) {
						t.Errorf("why %s lost = %q, want it to say %q", cand.Name, cand.Why, want)
					}
				}
			}
			if !slices.Equal(beaten, st.beaten) {
				t.Errorf("beaten groups = %v, want %v\n%s", beaten, st.beaten, why.Explain())
			}
			explain := why.Explain()
			for _, name := range append([]string{st.group}, st.beaten...) {
				if !strings.Contains(explain, name) {
					t.Errorf("the why view does not name %s:\n%s", name, explain)
				}
			}
		})
	}
}

// Scenario 6: a connectivity group takes a standalone switch on its port
// (as the upstream neighbour reports it), but not a stack on the same
// port: with no stack group the stack gets SMI-6-INCORRECT_CFG and a plain
// lease; with one, it joins through it.
func TestScenarioConnectivityVersusStack(t *testing.T) {
	const prof = defaultProfile + `groups:
  - name: G
    connectivity:
      - {host: 10.0.0.2, interface: GigabitEthernet1/0/3}
    image: s1.tar
    config: g.txt
`
	l := newLab(t, prof, labOptions{})
	l.writeImage("g.txt", "hostname closet-g\nend\n")
	// The upstream switch 10.0.0.2 reports who sits on its Gi1/0/3 (its
	// CDP neighbour table); the director takes that through Observe.
	onPort := func(sw *devsim.SMIClient, pid string) {
		t.Helper()
		up := director.Attachment{Host: "10.0.0.2", Interface: "Gi1/0/3"}
		if _, err := l.d.DB().Observe(director.Sighting{MAC: director.MACFrom(sw.MAC), PID: pid, Upstream: up, Source: "cdp"}); err != nil {
			t.Fatal(err)
		}
	}

	standalone := l.newSwitch(switchPID)
	onPort(standalone, switchPID)
	res, err := standalone.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() of the standalone switch = %v", err)
	}
	smartInstallLease(t, "the standalone switch's lease", res.Lease, "imagelists/g-imagelist.txt", "images/g.txt")
	c := l.waitClient(standalone, "the standalone switch in G", func(c director.Client) bool { return c.Group == "G" && c.Config.State == director.Done })
	if why := l.d.Profiles().Resolve(c.Facts()); why.Name != "G" || !strings.Contains(why.Explain(), "cabled to 10.0.0.2 GigabitEthernet1/0/3") {
		t.Errorf("the standalone switch's why view:\n%s\nwant G, cabled to 10.0.0.2 GigabitEthernet1/0/3", why.Explain())
	}

	// The standalone switch is unplugged; a 2-member stack takes the port.
	l.clock.Set(l.clock.Now().Add(3*l.d.DB().Keepalive() + time.Second))
	const stackPID = "WS-C3750-24PS-S"
	stack := l.newSwitch(stackPID)
	stack.Stack = []devsim.SMIMember{{PID: stackPID, Serial: "S1"}, {PID: stackPID, Serial: "S2"}}
	onPort(stack, stackPID)
	if _, err := stack.ZeroTouch(l.ctx); !errors.Is(err, devsim.ErrNoSmartInstall) {
		t.Fatalf("ZeroTouch() of the stack with no stack group = %v, want %v", err, devsim.ErrNoSmartInstall)
	}
	if lease := stack.Lease(); lease.HasSmartInstall() || lease.ConfigFile != "" || !lease.Addr.IsValid() {
		t.Errorf("the stack's lease = %+v, want an address and no Smart Install options", lease)
	}
	if len(stack.Reads()) != 0 {
		t.Errorf("the stack read %v, want nothing", stack.Reads())
	}
	cs, _ := l.client(stack)
	if len(cs.Members) != 2 || cs.Group != "" || cs.Replaced != "" {
		t.Errorf("stack entry = %d members, group %q, replacing %q; want 2 members, no group, no replacement", len(cs.Members), cs.Group, cs.Replaced)
	}
	mine := func(k servers.Kind) func(servers.Event) bool {
		return func(e servers.Event) bool { return e.Kind == k && e.Peer == string(cs.MAC) }
	}
	incorrect := l.waitEvent("INCORRECT_CFG", mine(director.KindIncorrectConfig))
	if want := "No image and config configured for this switch-stack " + stackPID; incorrect.Detail != want {
		t.Errorf("INCORRECT_CFG = %q, want %q", incorrect.Detail, want)
	}
	if n := l.count(mine(director.KindIncorrectConfig)); n != 1 {
		t.Errorf("%d INCORRECT_CFG events for one DHCP exchange, want 1", n)
	}
	if e, ok := l.ev.find(mine(director.KindNotConfigured)); !ok || !strings.Contains(e.Detail, "(IP Address :"+cs.IP.String()+")") {
		t.Errorf("IMG_CFG_NOT_CONFIGURED = %+v (found %v), want one naming %s", e, ok, cs.IP)
	}
	if e, ok := l.ev.find(mine(director.KindPlainLease)); !ok || !strings.Contains(e.Detail, "switch-stack") {
		t.Errorf("plain-lease event = %+v (found %v), want the reason", e, ok)
	}
	why := l.d.Profiles().Resolve(cs.Facts())
	if why.Resolved() {
		t.Errorf("the stack resolves to %s, want no profile", why.Name)
	}
	for _, want := range []string{
		"G (line 4): not eligible: connectivity groups apply to standalone switches only",
		"not eligible: stack members never use the default profile",
	} {
		if !strings.Contains(why.Explain(), want) {
			t.Errorf("the stack's why view:\n%s\nwant %q", why.Explain(), want)
		}
	}

	// With a stack group the same stack on the same port joins.
	l.setProfile(prof + `  - name: closet
    stack:
      - {member: 1, family: "3750", ports: 24poe, image: s2.tar}
      - {member: 2, family: "3750", ports: 24poe, image: s3.tar}
    config: seed.txt
`)
	res, err = stack.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() of the stack with a stack group = %v", err)
	}
	smartInstallLease(t, "the stack's lease", res.Lease, "imagelists/closet-m12-imagelist.txt", "images/seed.txt")
	if want := []string{"images/s2.tar", "images/s3.tar"}; !slices.Equal(res.Images, want) {
		t.Errorf("the stack's image list = %v, want %v", res.Images, want)
	}
}

// Scenario 8: backups over Smart Install type 8 rotate into REV1 and REV2
// with the MD5 of the newest.
func TestScenarioBackupOverType8RotatesREV1REV2(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{})
	sw := l.newSwitch(switchPID)
	if _, err := sw.ZeroTouch(l.ctx); err != nil {
		t.Fatal(err)
	}
	c := l.waitClient(sw, "S A a I C", func(director.Client) bool { return l.status(sw) == "S A a I C" })
	l.listen(sw)
	client, _ := l.smiClient()
	var last string
	for i, content := range []string{"A", "B", "C"} {
		last = "hostname sw1\n! revision " + content + "\nend\n"
		sw.SetRunningConfig([]byte(last))
		if _, err := l.d.Operate(l.ctx, client, director.Request{Op: director.OpBackup, Target: c.IP}, yes); err != nil {
			t.Fatalf("backup %s: %v", content, err)
		}
		l.waitEvent("backup "+content, func(servers.Event) bool { return l.count(kind(director.KindBackupSuccess, "director")) == i+1 })
	}
	c, _ = l.client(sw)
	if !c.Backup.Done || c.Backup.MD5 != md5Hex(last) {
		t.Errorf("backup record = %+v, want done with the MD5 of revision C (%s)", c.Backup, md5Hex(last))
	}
	base := director.BaseName(c)
	entries, _ := os.ReadDir(filepath.Join(l.root, director.BackupsDir))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{base + ".REV1", base + ".REV2"}; !slices.Equal(names, want) {
		t.Fatalf("backups/ = %v, want %v", names, want)
	}
	for suffix, rev := range map[string]string{".REV1": "B", ".REV2": "C"} {
		b, _ := os.ReadFile(filepath.Join(l.root, director.BackupsDir, base+suffix))
		if !strings.Contains(string(b), "revision "+rev) {
			t.Errorf("%s = %q, want revision %s", base+suffix, b, rev)
		}
	}
	if c.Backup.File != director.BackupsDir+"/"+base+".REV2" {
		t.Errorf("latest backup file = %q, want %s.REV2", c.Backup.File, base)
	}
	staging, _ := os.ReadDir(filepath.Join(l.root, filepath.FromSlash(director.StagingDir)))
	if len(staging) != 0 {
		t.Errorf("staging folder holds %d files after the backups, want none", len(staging))
	}
	if n := l.count(kind(director.KindBackupSuccess, "director")); n != 3 {
		t.Errorf("%d BACKUP_SUCCESS events, want 3", n)
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Scenario 9: a replacement switch (new MAC, same product ID, same
// upstream port as an inactive one) inherits the last backup as its
// configuration and takes the old entry's place.
func TestScenarioReplacementInheritsLastBackup(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{})
	ca, b := l.replacement()
	res, err := b.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Lease.ConfigFile != ca.Backup.File {
		t.Errorf("B's option 67 = %q, want A's latest backup %s", res.Lease.ConfigFile, ca.Backup.File)
	}
	e, ok := l.ev.find(kind(director.KindSwitchReplace, "director"))
	if !ok || e.Subject != string(ca.MAC) || e.Peer != string(director.MACFrom(b.MAC)) {
		t.Errorf("SWITCH_REPLACE event = %+v (found %v), want A replaced by B", e, ok)
	}
	cb := l.waitClient(b, "B configured", func(c director.Client) bool { return c.Config.State == director.Done })
	if _, ok := l.d.DB().Get(ca.MAC); ok {
		t.Error("A's entry is still in the database")
	}
	if cb.Index != ca.Index || cb.Replaced != ca.MAC {
		t.Errorf("B = index %d replacing %q, want A's index %d and A's MAC", cb.Index, cb.Replaced, ca.Index)
	}
	if !slices.Contains(b.Reads(), ca.Backup.File) {
		t.Errorf("B read %v, want A's backup among them", b.Reads())
	}
}

// replacement sets up scenario 9 up to B's DHCP: switch A joined on
// 10.0.0.2 Gi1/0/5, was backed up over type 8 and has been silent for three
// keepalive periods; switch B, same product ID, has been seen by CDP on the
// same port. It returns A's last entry and B.
func (l *lab) replacement() (director.Client, *devsim.SMIClient) {
	l.t.Helper()
	up := director.Attachment{Host: "10.0.0.2", Interface: "GigabitEthernet1/0/5"}
	a := l.newSwitch(switchPID)
	// What CDP on the uplink said about A (the director takes neighbours
	// through Observe).
	if _, err := l.d.DB().Observe(director.Sighting{MAC: director.MACFrom(a.MAC), PID: switchPID, Upstream: up, Source: "cdp"}); err != nil {
		l.t.Fatal(err)
	}
	if _, err := a.ZeroTouch(l.ctx); err != nil {
		l.t.Fatal(err)
	}
	ca := l.waitClient(a, "A joined", func(director.Client) bool { return l.status(a) == "S A a I C" })
	l.listen(a)
	const running = "hostname sw1\n! A's own configuration\nend\n"
	a.SetRunningConfig([]byte(running))
	client, _ := l.smiClient()
	if _, err := l.d.Operate(l.ctx, client, director.Request{Op: director.OpBackup, Target: ca.IP}, yes); err != nil {
		l.t.Fatal(err)
	}
	ca = l.waitClient(a, "A's backup", func(c director.Client) bool { return c.Backup.Done })

	// A falls silent for three keepalive periods; B appears on its port.
	l.clock.Set(l.clock.Now().Add(3*l.d.DB().Keepalive() + time.Second))
	if s := l.status(a); !strings.HasPrefix(s, "S I") {
		l.t.Fatalf("A after three silent keepalive periods = %q, want inactive", s)
	}
	b := l.newSwitch(switchPID)
	if _, err := l.d.DB().Observe(director.Sighting{MAC: director.MACFrom(b.MAC), PID: switchPID, Upstream: director.Attachment{Host: "10.0.0.2", Interface: "Gi1/0/5"}, Source: "cdp"}); err != nil {
		l.t.Fatal(err)
	}
	return ca, b
}

// Scenario 10: the backup B inherits disappears between B's lease and its
// read. The read fails, B's config status says why, fieldcon reports
// SMI-3-UPGRD_FAILED for the config, and B's next DHCP exchange names the
// seed configuration, which B then installs.
func TestScenarioMissingREV2FallsBackToSeed(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{})
	ca, b := l.replacement()
	lease, err := b.DHCP(l.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lease.ConfigFile != ca.Backup.File {
		t.Fatalf("B's option 67 = %q, want A's latest backup %s", lease.ConfigFile, ca.Backup.File)
	}
	if err := os.Remove(filepath.Join(l.root, filepath.FromSlash(ca.Backup.File))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Install(l.ctx, lease); err == nil || !strings.Contains(err.Error(), ca.Backup.File) {
		t.Fatalf("Install() with the backup gone = %v, want the read of %s to fail", err, ca.Backup.File)
	}
	failed := func(e servers.Event) bool {
		return e.Server == "director" && e.Kind == director.KindUpgradeFailed && e.Subject == "config"
	}
	e := l.waitEvent("fieldcon's UPGRD_FAILED for the config", failed)
	if want := fmt.Sprintf("Device (IP address: %s) config upgrade failed", lease.Addr.Addr()); e.Detail != want {
		t.Errorf("UPGRD_FAILED detail = %q, want %q", e.Detail, want)
	}
	// The switch reports the failure too; what fieldcon saw stays the reason.
	l.waitEvent("the switch's UPGRD_FAILED", func(e servers.Event) bool {
		return e.Server == "syslog" && e.Kind == "SMI-3-UPGRD_FAILED" && e.Attrs["mac"] == string(director.MACFrom(b.MAC))
	})
	cb := l.waitClient(b, "S A a I x", func(director.Client) bool { return l.status(b) == "S A a I x" })
	if !strings.Contains(cb.Config.Fail, ca.Backup.File) || !strings.Contains(cb.Config.Fail, "seed") {
		t.Errorf("config fail reason = %q, want one naming %s and the fallback to the seed configuration", cb.Config.Fail, ca.Backup.File)
	}
	if got := director.RenderDownloadDetail([]director.Client{cb}); !strings.Contains(got, "config-fail-reason: "+cb.Config.Fail) {
		t.Errorf("download status detail:\n%s\nwant the config fail reason", got)
	}
	if n := l.count(failed); n != 1 {
		t.Errorf("%d UPGRD_FAILED events of fieldcon's for the config, want 1", n)
	}

	res, err := b.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() after the failure = %v", err)
	}
	if res.Lease.ConfigFile != "images/seed.txt" {
		t.Errorf("B's next option 67 = %q, want the seed configuration images/seed.txt", res.Lease.ConfigFile)
	}
	cb = l.waitClient(b, "S A a I C", func(director.Client) bool { return l.status(b) == "S A a I C" })
	if cb.Config.Backup || cb.Config.Fail != "" || !slices.Equal(cb.Config.Files, []string{"images/seed.txt"}) {
		t.Errorf("config after the second join = %+v, want the seed delivered and no failure", cb.Config)
	}
}

// Scenario 7 with three members: a stack gets one image per member in
// member order and reports each.
func TestScenarioStackOfThreeMembers(t *testing.T) {
	const prof = defaultProfile + `groups:
  - name: closet-stack
    stack:
      - {member: 1, family: "3750", ports: 24poe, image: s1.tar}
      - {member: 2, family: "3750", ports: 24poe, image: s2.tar}
      - {member: 3, family: "3750", ports: 24poe, image: s3.tar}
    config: seed.txt
`
	l := newLab(t, prof, labOptions{})
	sw := l.newSwitch("WS-C3750-24PS-S")
	sw.Stack = []devsim.SMIMember{{PID: "WS-C3750-24PS-S", Serial: "S1"}, {PID: "WS-C3750-24PS-S", Serial: "S2"}, {PID: "WS-C3750-24PS-S", Serial: "S3"}}
	res, err := sw.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() = %v", err)
	}
	const list = "imagelists/closet-stack-m123-imagelist.txt"
	smartInstallLease(t, "the stack's lease", res.Lease, list, "images/seed.txt")
	if want := []string{"images/s1.tar", "images/s2.tar", "images/s3.tar"}; !slices.Equal(res.Images, want) {
		t.Errorf("image list = %v, want %v", res.Images, want)
	}
	c := l.waitClient(sw, "S A a I C", func(director.Client) bool { return l.status(sw) == "S A a I C" })
	if len(c.Members) != 3 || c.Group != "closet-stack" {
		t.Errorf("stack entry = %d members, group %q; want 3 members of closet-stack", len(c.Members), c.Group)
	}
	if got := director.RenderStatus(fcIP, []director.Client{c}, l.clock.Now(), l.d.DB().Keepalive()); strings.Count(got, "WS-C3750-24PS-S") != 3 {
		t.Errorf("status lists the stack as:\n%s\nwant one row per member", got)
	}
}

// A switch with a release older than Smart Install ignores option 125,
// fetches only its configuration, logs nothing of SMI and refuses TCP
// 4786: the director tracks the configuration and, once probed, marks it
// N (non Smart Install).
func TestScenarioPreSmartInstallClient(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{})
	sw := l.newSwitch("WS-C2960-24TT-L")
	sw.PreSmartInstall = true
	if _, err := sw.ZeroTouch(l.ctx); err != nil {
		t.Fatalf("ZeroTouch() = %v", err)
	}
	if want := []string{"images/seed.txt"}; !slices.Equal(sw.Reads(), want) {
		t.Errorf("the old switch read %v, want only its configuration %v", sw.Reads(), want)
	}
	c := l.waitClient(sw, "the config fetched", func(c director.Client) bool { return c.Config.State == director.Done })
	if s := l.status(sw); s != "P A a C" {
		t.Errorf("status = %q, want P A a C (type unknown until probed)", s)
	}
	if l.count(func(e servers.Event) bool { return e.Server == "syslog" && strings.HasPrefix(string(e.Kind), "SMI-") }) != 0 {
		t.Error("an SMI syslog message arrived from a pre-Smart-Install switch")
	}
	client, dials := l.smiClient()
	if _, err := l.d.Operate(l.ctx, client, director.Request{Op: director.OpProbe, Target: c.IP}, yes); err == nil {
		t.Error("probe of a switch without Smart Install succeeded")
	}
	if dials.Load() != 1 {
		t.Errorf("%d connections tried, want the one probe", dials.Load())
	}
	if s := l.status(sw); s != "N A a C" {
		t.Errorf("status after the probe = %q, want N A a C", s)
	}
}

// Scenario 14(a): another DHCP server (dnsmasq) answers on the segment, so
// the director refuses to start and nothing of fieldcon answers a switch.
func TestScenarioRefusesDHCPNextToAnotherServer(t *testing.T) {
	if _, err := exec.LookPath("dnsmasq"); err != nil {
		t.Skip("skipped: dnsmasq is not installed (scripts/install-test-deps.sh installs it)")
	}
	l := newLab(t, defaultProfile, labOptions{noServe: true})
	startDnsmasq(t, l)
	l.serve(dhcp.Preflight{Interface: l.srvIf}.Check)
	var err error
	select {
	case err = <-l.serveErr:
		l.serveErr = nil
	case <-l.ctx.Done():
		t.Fatal("Serve did not return next to another DHCP server")
	}
	var fe *dhcp.ForeignServerError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "10.99.0.2") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("Serve() = %v, want a refusal naming dnsmasq at 10.99.0.2 and the way out", err)
	}
	if _, ok := l.ev.find(func(e servers.Event) bool { return e.Kind == servers.Started }); ok {
		t.Error("a server started although the director refused")
	}
	if e, ok := l.ev.find(kind(director.KindDirector, "director")); !ok || e.Subject != "Disabled" {
		t.Errorf("director event = %+v, want Director is Disabled", e)
	}
}

// startDnsmasq runs dnsmasq as a second DHCP server on the switches' side
// (10.99.0.2, range .50-.60) and returns once it says it serves.
func startDnsmasq(t *testing.T, l *lab) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("ip", "netns", "exec", l.cliNS, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
		"--interface="+l.cliIf, "--bind-interfaces", "--dhcp-range=10.99.0.50,10.99.0.60,255.255.255.0,1h",
		"--dhcp-leasefile="+filepath.Join(dir, "leases"), "--pid-file="+filepath.Join(dir, "pid"), "--log-facility=-")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan error, 1)
	go func() {
		var seen strings.Builder
		buf := make([]byte, 4096)
		said := false
		for {
			n, err := stderr.Read(buf)
			seen.Write(buf[:n])
			if !said && strings.Contains(seen.String(), "DHCP, IP range") {
				said = true
				ready <- nil
			}
			if err != nil {
				if !said {
					ready <- fmt.Errorf("dnsmasq ended: %v\n%s", err, seen.String())
				}
				return
			}
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-l.ctx.Done():
		t.Fatal("dnsmasq did not start")
	}
}

// Scenario 14(b): the service interface carries the default route, so the
// director refuses to start.
func TestScenarioRefusesTheDefaultRouteInterface(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{noServe: true})
	l.ip("-n", l.srvNS, "route", "add", "default", "via", "10.99.0.254", "dev", l.srvIf)
	l.serve(dhcp.Preflight{Interface: l.srvIf, ProbeTimeout: 200 * time.Millisecond}.Check)
	var err error
	select {
	case err = <-l.serveErr:
		l.serveErr = nil
	case <-l.ctx.Done():
		t.Fatal("Serve did not return on the default-route interface")
	}
	if !errors.Is(err, dhcp.ErrDefaultRoute) {
		t.Fatalf("Serve() = %v, want %v", err, dhcp.ErrDefaultRoute)
	}
}

// A backup write from a held switch or from an address the director does
// not know is refused, and nothing is stored.
func TestScenarioBackupFromHeldOrUnknownClientRefused(t *testing.T) {
	l := newLab(t, "join-window: {mode: manual}\n"+defaultProfile, labOptions{})
	held := l.newSwitch(switchPID)
	if _, err := held.ZeroTouch(l.ctx); !errors.Is(err, devsim.ErrNoSmartInstall) {
		t.Fatalf("ZeroTouch() = %v, want a plain lease (held)", err)
	}
	ch, _ := l.client(held)
	stranger := fcIP.Next().Next().Next() // 10.99.0.4: on the segment, not in the database
	l.addAddress(stranger)
	tests := []struct {
		name string
		from string
		file string
	}{
		{"held switch, its own name", ch.IP.String(), director.UploadName(ch)},
		{"unknown address, the held switch's name", stranger.String(), director.UploadName(ch)},
		{"unknown address, any name", stranger.String(), "backups/Switch-0000.0000.0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := ch.IP
			if tt.from != ch.IP.String() {
				from = stranger
			}
			err := l.put(from, tt.file, []byte("hostname intruder\n"))
			if err == nil || !strings.Contains(err.Error(), "access violation") {
				t.Errorf("Put(%s) from %s = %v, want access violation", tt.file, tt.from, err)
			}
		})
	}
	for _, d := range []string{director.BackupsDir, director.StagingDir} {
		if entries, _ := os.ReadDir(filepath.Join(l.root, filepath.FromSlash(d))); len(entries) != 0 {
			t.Errorf("%s holds %d files after refused writes, want none", d, len(entries))
		}
	}
	if n := l.count(kind(director.KindBackupFailure, "director")); n != len(tests) {
		t.Errorf("%d BACKUP_FAILURE events, want %d", n, len(tests))
	}
}

// An on-demand operation without exactly one confirmed target sends
// nothing: no connection reaches the switch's TCP 4786.
func TestScenarioSMIOperationWithoutConfirmedTargetRefused(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{})
	sw := l.newSwitch(switchPID)
	if _, err := sw.ZeroTouch(l.ctx); err != nil {
		t.Fatal(err)
	}
	c := l.waitClient(sw, "joined", func(director.Client) bool { return l.status(sw) == "S A a I C" })
	l.listen(sw)
	client, dials := l.smiClient()
	no := func(string) bool { return false }
	tests := []struct {
		name    string
		req     director.Request
		confirm director.Confirm
		want    error
	}{
		{"no target", director.Request{Op: director.OpBackup}, yes, director.ErrTarget},
		{"broadcast target", director.Request{Op: director.OpProbe, Target: netip.MustParseAddr("255.255.255.255")}, yes, director.ErrTarget},
		{"not a database client", director.Request{Op: director.OpProbe, Target: fcIP.Next()}, yes, director.ErrTarget},
		{"declined", director.Request{Op: director.OpImage, Target: c.IP}, no, director.ErrNotConfirmed},
		{"no one to ask", director.Request{Op: director.OpConfig, Target: c.IP}, nil, director.ErrNotConfirmed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := l.d.Operate(l.ctx, client, tt.req, tt.confirm); !errors.Is(err, tt.want) {
				t.Errorf("Operate(%+v) = %v, want %v", tt.req, err, tt.want)
			}
		})
	}
	for _, target := range []string{"10.99.0.100-10.99.0.200", "10.99.0.0/24", "10.99.0.101,10.99.0.102", "255.255.255.255"} {
		if _, err := director.ParseTarget(target); !errors.Is(err, director.ErrTarget) {
			t.Errorf("ParseTarget(%q) = %v, want %v", target, err, director.ErrTarget)
		}
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d connections to TCP 4786 were tried, want none", n)
	}
	// The same client with a confirmation does reach the switch: the
	// checks above are what stopped it.
	asked := ""
	reply, err := l.d.Operate(l.ctx, client, director.Request{Op: director.OpProbe, Target: c.IP}, func(q string) bool { asked = q; return true })
	if err != nil || reply.Result != smi.ProbeClient {
		t.Fatalf("confirmed probe = %v, %v; want a Smart Install client", reply.Result, err)
	}
	if !strings.Contains(asked, c.IP.String()) || !strings.Contains(asked, string(c.MAC)) {
		t.Errorf("confirmation %q does not name the client (%s, %s)", asked, c.IP, c.MAC)
	}
}

// Scenario 15, the part a laptop director has (the console watcher is the
// console engine's): fieldcon's address leaves the service interface while
// a switch is around. The director says "Director is Disabled", answers no
// DHCP and serves no TFTP, and marks the database stale; once the address
// is back it says "Director is Enabled" and the switch joins. (DB-02)
func TestScenarioServiceInterfaceLosesAddress(t *testing.T) {
	l := newLab(t, defaultProfile, labOptions{})
	sw := l.newSwitch(switchPID)
	lease, err := sw.DHCP(l.ctx)
	if err != nil {
		t.Fatalf("DHCP() before the address goes = %v", err)
	}
	mac := director.MACFrom(sw.MAC)
	director15 := func(word string) func(servers.Event) bool {
		return func(e servers.Event) bool {
			return e.Kind == director.KindDirector && e.Detail == "Director is "+word
		}
	}

	l.ip("-n", l.srvNS, "addr", "del", "10.99.0.1/24", "dev", l.srvIf)
	off := l.waitEvent("Director is Disabled", director15("Disabled"))
	if off.Server != "director" || off.Subject != "Disabled" || !strings.Contains(off.Attrs["why"], "10.99.0.1") {
		t.Errorf("disable event = %+v, want SMI-5-DIRECTOR Disabled with a reason naming 10.99.0.1", off)
	}
	l.waitEvent("the TFTP server to stop", kind(servers.Stopped, "tftp"))
	if on, why := l.d.Serving(); on || why == "" {
		t.Errorf("Serving() = %v, %q while the address is gone; want false and a reason", on, why)
	}
	if s, stale := l.d.DB().Stale(); !stale || !strings.Contains(s.Why, "10.99.0.1") {
		t.Errorf("DB().Stale() = %+v, %v; want stale, naming the lost address", s, stale)
	}

	// The switch asks for an address again: the DISCOVER reaches the
	// director, which drops it.
	probe := l.dhcpProbe()
	xid := probe.discover(sw.MAC)
	l.waitEvent("the DISCOVER to be ignored", func(e servers.Event) bool {
		return e.Kind == director.KindIgnored && e.Subject == "dhcp" && e.Peer == string(mac)
	})
	if got := probe.replies(xid); len(got) != 0 {
		t.Errorf("the director answered a DISCOVER while disabled: %v", got)
	}

	// A broadcast read request from the switch's address is dropped too.
	rrq := l.udpFrom(lease.Addr.Addr())
	if _, err := rrq.WriteTo(devsim.TFTPRequest(false, "imagelists/default-imagelist.txt", "octet"), &net.UDPAddr{IP: net.IPv4bcast, Port: 69}); err != nil {
		t.Fatal(err)
	}
	from := rrq.LocalAddr().String()
	l.waitEvent("the read request to be ignored", func(e servers.Event) bool {
		return e.Kind == director.KindIgnored && e.Subject == "tftp" && e.Peer == from
	})
	if got := nothingFor(rrq); got != "" {
		t.Errorf("the director answered a TFTP read while disabled: %q", got)
	}
	if n := l.count(director15("Enabled")); n != 1 {
		t.Errorf("%d Director is Enabled events while the address is gone, want the one at start", n)
	}

	l.ip("-n", l.srvNS, "addr", "add", "10.99.0.1/24", "brd", "+", "dev", l.srvIf)
	l.waitEvent("Director is Enabled again", func(servers.Event) bool { return l.count(director15("Enabled")) == 2 })
	l.waitEvent("the TFTP server to start again", func(servers.Event) bool { return l.count(kind(servers.Started, "tftp")) == 2 })
	if on, why := l.d.Serving(); !on {
		t.Errorf("Serving() = false (%s) with the address back, want true", why)
	}
	if s, stale := l.d.DB().Stale(); stale {
		t.Errorf("DB().Stale() = %+v with the address back, want current", s)
	}
	res, err := sw.ZeroTouch(l.ctx)
	if err != nil {
		t.Fatalf("ZeroTouch() with the address back = %v", err)
	}
	smartInstallLease(t, "the lease with the address back", res.Lease, "imagelists/default-imagelist.txt", "images/seed.txt")
	l.waitClient(sw, "S A a I C", func(director.Client) bool { return l.status(sw) == "S A a I C" })
	if n := l.count(director15("Disabled")); n != 1 {
		t.Errorf("%d Director is Disabled events, want 1", n)
	}
}
