package director

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers"
	"fieldcon/servers/dhcp"
)

var directorIP = netip.MustParseAddr("10.99.0.1")

type rig struct {
	t     *testing.T
	d     *Director
	root  string
	clock *fakeClock
	log   *eventLog
	next  byte
}

func newRig(t *testing.T, profile string, open bool) *rig {
	t.Helper()
	p := parse(t, profile)
	root := t.TempDir()
	touchImages(t, root, "img-a.tar", "seed.txt", "s1.tar", "s2.tar", "spare.txt")
	r := &rig{t: t, root: root, clock: newFakeClock(at("2024-05-01 12:00")), log: &eventLog{}, next: 50}
	d, err := New(Config{Profiles: p, Root: root, Address: directorIP, Clock: r.clock, Hook: r.log.hook, Open: open})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	r.d = d
	return r
}

// exchange runs a DISCOVER through Decide as the DHCP server would have
// answered it, and returns the OFFER.
func (r *rig) exchange(mac string, udis ...string) *dhcpv4.DHCPv4 {
	r.t.Helper()
	hw, _ := net.ParseMAC(mac)
	mods := []dhcpv4.Modifier{}
	if len(udis) > 0 {
		v, err := EncodeVendorClass(udis)
		if err != nil {
			r.t.Fatal(err)
		}
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(optVIClass), v)))
	}
	req, err := dhcpv4.NewDiscovery(hw, mods...)
	if err != nil {
		r.t.Fatal(err)
	}
	resp, _ := dhcpv4.NewReplyFromRequest(req)
	resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeOffer))
	ip := r.ipOf(MACFrom(hw))
	resp.YourIPAddr = net.IP(ip.AsSlice())
	out, stop := r.d.Decide(req, resp)
	if out == nil || stop {
		r.t.Fatalf("Decide() = %v, %v; want the reply and the chain going on", out, stop)
	}
	return out
}

func (r *rig) ipOf(mac MAC) netip.Addr {
	if c, ok := r.d.DB().Get(mac); ok && c.IP.IsValid() {
		return c.IP
	}
	r.next++
	return netip.AddrFrom4([4]byte{10, 99, 0, r.next})
}

type offer struct {
	tftp, boot, imageList string
	director              netip.Addr
	has125                bool
	hostname              string
}

func readOffer(t *testing.T, m *dhcpv4.DHCPv4) offer {
	t.Helper()
	var o offer
	if v := m.Options.Get(dhcpv4.GenericOptionCode(optTFTPServers)); len(v) == 4 {
		o.tftp = netip.AddrFrom4([4]byte(v)).String()
	}
	o.boot = string(m.Options.Get(dhcpv4.GenericOptionCode(optBootFile)))
	o.hostname = string(m.Options.Get(dhcpv4.GenericOptionCode(optHostname)))
	if v := m.Options.Get(dhcpv4.GenericOptionCode(optVIVendor)); v != nil {
		o.has125 = true
		blocks, err := dhcp.DecodeVendorInfo(v) // the DHCP package's decoder, not ours
		if err != nil || len(blocks) != 1 || blocks[0].Enterprise != 9 {
			t.Fatalf("option 125 = %x: %v %+v", v, err, blocks)
		}
		for _, s := range blocks[0].SubOptions {
			switch s.Code {
			case subImageList:
				o.imageList = string(s.Data)
			case subDirectorIP:
				o.director = netip.AddrFrom4([4]byte(s.Data))
			}
		}
	}
	return o
}

// transfer feeds the director the TFTP events of one completed (or failed)
// download by the client with this MAC.
func (r *rig) transfer(mac MAC, name string, kind servers.Kind) {
	r.t.Helper()
	c, _ := r.d.DB().Get(mac)
	peer := netip.AddrPortFrom(c.IP, 40000).String()
	if _, err := r.d.Read(netip.MustParseAddrPort(peer), name); err != nil {
		r.t.Fatalf("Read(%s, %s) = %v", peer, name, err)
	}
	dl := map[string]string{"direction": "download"}
	r.d.TFTPEvent(servers.Event{Server: "tftp", Kind: servers.TransferStart, Peer: peer, Subject: name, Attrs: dl})
	r.d.TFTPEvent(servers.Event{Server: "tftp", Kind: kind, Peer: peer, Subject: name, Detail: "the device gave up", Attrs: dl})
	r.d.drain()
}

const scenario1 = `
director: {advertise-director: true}
default: {image: img-a.tar, config: seed.txt}
`

// Scenario 1: zero touch with the default profile.
func TestScenario1ZeroTouch(t *testing.T) {
	r := newRig(t, scenario1, true)
	const mac = "00:11:22:33:44:55"
	o := readOffer(t, r.exchange(mac, "PID:WS-C2960X-24TS-L,VID:V01,SN:FOC1234X0AB"))
	want := offer{tftp: "10.99.0.1", boot: "images/seed.txt", imageList: "imagelists/default-imagelist.txt", director: directorIP, has125: true}
	if o != want {
		t.Fatalf("offer = %+v, want %+v", o, want)
	}
	if got := readList(t, r.root, o.imageList); got != "images/img-a.tar\n" {
		t.Errorf("image list = %q", got)
	}
	m := MAC("0011.2233.4455")
	r.transfer(m, o.imageList, servers.TransferDone)
	r.transfer(m, "images/img-a.tar", servers.TransferDone)
	r.transfer(m, "images/seed.txt", servers.TransferDone)
	r.d.Syslog(netip.MustParseAddr("10.99.0.51"), mustSyslog(t, "<190>12: *Mar  1 00:01:02: %SMI-6-UPGRD_SUCCESS: Device (IP address: 10.99.0.51) image has upgraded successfully"))
	r.d.drain()
	c, _ := r.d.DB().Get(m)
	if got := c.Status(r.clock.Now(), r.d.DB().Keepalive()); got != "S A a I C" {
		t.Errorf("status = %q, want %q", got, "S A a I C")
	}
	if c.PID != "WS-C2960X-24TS-L" || c.Serial != "FOC1234X0AB" || c.Group != "default" {
		t.Errorf("client = %+v", c)
	}
	var successes int
	for _, e := range r.log.ev {
		if e.Server == "director" && e.Kind == KindUpgradeSuccess {
			successes++
		}
	}
	if _, ok := r.log.find(KindSwitchAdd); !ok || successes != 2 {
		t.Errorf("events %v, want SWITCH_ADD and two UPGRD_SUCCESS", r.log.kinds())
	}
	if got := RenderDownloadStatus(r.d.DB().List()); !strings.Contains(got, "zero-touch    UPGRADED      UPGRADED       **") {
		t.Errorf("download status:\n%s", got)
	}
}

// Scenario 2: a closed window gives a plain lease; allowing the client by
// hand gives it the options on the next exchange.
func TestScenario2ClosedWindow(t *testing.T) {
	r := newRig(t, scenario1, false)
	o := readOffer(t, r.exchange("00:11:22:33:44:66"))
	if o.has125 || o.tftp != "" {
		t.Fatalf("closed window offer = %+v, want no Smart Install options", o)
	}
	c, _ := r.d.DB().Get("0011.2233.4466")
	if c.Join != JoinDenied {
		t.Errorf("join = %c, want d", c.Join)
	}
	if e, ok := r.log.find(KindPlainLease); !ok || !strings.Contains(e.Detail, "join window is closed") {
		t.Errorf("plain-lease event = %+v, want the reason", e)
	}
	if err := r.d.DB().SetJoin(c.MAC, JoinAllowed); err != nil {
		t.Fatal(err)
	}
	if o := readOffer(t, r.exchange("00:11:22:33:44:66")); !o.has125 || o.imageList == "" {
		t.Errorf("after allowing: %+v, want option 125", o)
	}
}

// Scenario 4: manual mode holds clients; held clients cannot back up.
func TestScenario4HoldList(t *testing.T) {
	r := newRig(t, "join-window: {mode: manual}\n"+scenario1, true)
	x, y := MAC("0011.2233.4477"), MAC("0011.2233.4488")
	if o := readOffer(t, r.exchange("00:11:22:33:44:77")); o.has125 {
		t.Fatalf("held client got option 125: %+v", o)
	}
	readOffer(t, r.exchange("00:11:22:33:44:88"))
	cy, _ := r.d.DB().Get(y)
	if _, err := r.d.Write(netip.AddrPortFrom(cy.IP, 1000), UploadName(cy)); err == nil {
		t.Error("a held client's backup write was admitted")
	}
	if err := r.d.DB().Approve(x); err != nil {
		t.Fatal(err)
	}
	if o := readOffer(t, r.exchange("00:11:22:33:44:77")); !o.has125 {
		t.Errorf("approved client offer = %+v, want option 125", o)
	}
	if err := r.d.DB().RemoveFromHold(y); err != nil {
		t.Fatal(err)
	}
	if err := r.d.DB().Approve(y); !errors.Is(err, ErrRefused) {
		t.Errorf("Approve after remove = %v, want refused", err)
	}
}

// Scenario 7: a stack gets one image per member, in member order; a missing
// image withholds option 125 sub-option 5.
func TestScenario7StackImageList(t *testing.T) {
	const prof = `
groups:
  - name: S
    stack:
      - {member: 1, family: "3750", ports: 24poe, image: s1.tar}
      - {member: 2, family: "3750", ports: 24poe, image: s2.tar}
    config: seed.txt
`
	r := newRig(t, prof, true)
	udis := []string{"PID:WS-C3750-24PS-S,VID:V01,SN:A,SW:2", "PID:WS-C3750-24PS-S,VID:V01,SN:B,SW:1"}
	o := readOffer(t, r.exchange("00:11:22:33:55:01", udis...))
	if o.imageList != "imagelists/s-m12-imagelist.txt" {
		t.Fatalf("stack offer = %+v", o)
	}
	if got := readList(t, r.root, o.imageList); got != "images/s1.tar\nimages/s2.tar\n" {
		t.Errorf("stack image list = %q, want two lines in member order", got)
	}
	os.Remove(filepath.Join(r.root, ImagesDir, "s2.tar"))
	o = readOffer(t, r.exchange("00:11:22:33:55:01", udis...))
	if o.imageList != "" || o.boot != "images/seed.txt" {
		t.Errorf("with s2.tar missing: %+v, want no image list and the config", o)
	}
	if _, ok := r.log.find(KindNotConfigured); !ok {
		t.Errorf("events %v, want IMG_CFG_NOT_CONFIGURED", r.log.kinds())
	}
}

// Scenario 8: backups rotate REV1/REV2 with MD5; wrong names and unknown
// senders are refused.
func TestScenario8BackupRotation(t *testing.T) {
	r := newRig(t, scenario1, true)
	r.exchange("00:11:22:33:44:55")
	m := MAC("0011.2233.4455")
	if _, err := r.d.DB().Update(m, func(c *Client) { c.Hostname = "sw1" }); err != nil {
		t.Fatal(err)
	}
	c, _ := r.d.DB().Get(m)
	peer := netip.AddrPortFrom(c.IP, 1234)
	for _, content := range []string{"A", "B", "C"} {
		staged, err := r.d.Write(peer, "backups/sw1-0011.2233.4455")
		if err != nil {
			t.Fatalf("Write(own name) = %v", err)
		}
		if err := os.WriteFile(filepath.Join(r.root, filepath.FromSlash(StagingDir), staged), []byte("hostname sw1\n"+content), 0o644); err != nil {
			t.Fatal(err)
		}
		r.d.TFTPEvent(servers.Event{Server: "tftp", Kind: servers.TransferDone, Peer: peer.String(), Subject: "backups/sw1-0011.2233.4455", Attrs: map[string]string{"direction": "upload", "stored": staged}})
		r.d.drain()
	}
	dir := filepath.Join(r.root, BackupsDir)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"sw1-0011.2233.4455.REV1", "sw1-0011.2233.4455.REV2"}; !slices.Equal(names, want) {
		t.Fatalf("backups/ = %v, want %v", names, want)
	}
	for name, want := range map[string]string{"sw1-0011.2233.4455.REV1": "B", "sw1-0011.2233.4455.REV2": "C"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if string(b) != "hostname sw1\n"+want {
			t.Errorf("%s = %q, want content %s", name, b, want)
		}
	}
	sum := md5.Sum([]byte("hostname sw1\nC"))
	c, _ = r.d.DB().Get(m)
	if !c.Backup.Done || c.Backup.File != "backups/sw1-0011.2233.4455.REV2" || c.Backup.MD5 != strings.ToUpper(hex.EncodeToString(sum[:])) {
		t.Errorf("backup record = %+v", c.Backup)
	}
	if got := RenderDetail(c, r.clock.Now(), time.Minute); !regexp.MustCompile(`Backup done\s+: Yes`).MatchString(got) || !strings.Contains(got, c.Backup.MD5) {
		t.Errorf("detail view:\n%s", got)
	}
	if _, err := r.d.Write(peer, "backups/other-0011.2233.4455"); err == nil {
		t.Error("a write under another name was admitted")
	}
	if _, err := r.d.Write(netip.MustParseAddrPort("10.99.0.200:1234"), "backups/sw1-0011.2233.4455"); err == nil {
		t.Error("a write from an unknown address was admitted")
	}
	if e, ok := r.log.find(KindBackupFailure); !ok || !strings.Contains(e.Detail, "reason:") {
		t.Errorf("BACKUP_FAILURE event = %+v", e)
	}
}

// Scenarios 9 and 10: a replacement gets the old client's REV2; when that
// file is gone the read fails and the next exchange names the seed.
func TestScenario9And10Replacement(t *testing.T) {
	r := newRig(t, scenario1, true)
	up := Attachment{Host: "10.0.0.2", Interface: "Gi1/0/5"}
	a, _ := r.d.DB().Observe(Sighting{MAC: "000a.0000.0001", PID: "WS-C2960X-24TS-L", Hostname: "sw1", Upstream: up, Source: "cdp"})
	if _, err := r.d.Backups().Store(a.MAC, strings.NewReader("hostname sw1\n")); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(4 * DefaultKeepalive)
	if _, err := r.d.DB().Observe(Sighting{MAC: "000b.0000.0001", PID: "WS-C2960X-24TS-L", Upstream: Attachment{Host: "10.0.0.2", Interface: "GigabitEthernet1/0/5"}, Source: "cdp"}); err != nil {
		t.Fatal(err)
	}
	o := readOffer(t, r.exchange("00:0b:00:00:00:01", "PID:WS-C2960X-24TS-L,VID:V01,SN:X"))
	if o.boot != "backups/sw1-000a.0000.0001.REV2" {
		t.Fatalf("replacement option 67 = %q, want the old client's REV2", o.boot)
	}
	if _, ok := r.log.find(KindSwitchReplace); !ok {
		t.Errorf("events %v, want SWITCH_REPLACE", r.log.kinds())
	}
	os.Remove(filepath.Join(r.root, BackupsDir, "sw1-000a.0000.0001.REV2"))
	r.d.TFTPEvent(servers.Event{Server: "tftp", Kind: servers.Refused, Peer: "10.99.0.51:40000", Subject: o.boot, Detail: "not found"})
	r.d.drain()
	c, _ := r.d.DB().Get("000b.0000.0001")
	if c.Config.State != Failed || c.Config.Fail == "" {
		t.Errorf("config status = %+v, want failed with a reason", c.Config)
	}
	if _, ok := r.log.find(KindUpgradeFailed); !ok {
		t.Errorf("events %v, want UPGRD_FAILED", r.log.kinds())
	}
	if o := readOffer(t, r.exchange("00:0b:00:00:00:01")); o.boot != "images/seed.txt" {
		t.Errorf("next option 67 = %q, want the seed", o.boot)
	}
}

func TestReadPolicy(t *testing.T) {
	r := newRig(t, scenario1, true)
	r.exchange("00:11:22:33:44:55")
	c, _ := r.d.DB().Get("0011.2233.4455")
	known := netip.AddrPortFrom(c.IP, 999)
	tests := []struct {
		peer netip.AddrPort
		name string
		ok   bool
	}{
		{known, "images/img-a.tar", true},
		{known, "/images/img-a.tar", true},
		{known, "imagelists/default-imagelist.txt", true},
		{known, "state.db", false},
		{known, "director.yaml", false},
		{known, "logs/tui.log", false},
		{known, "uploads/director/sw1-0011.2233.4455.1-00000000.upload", false},
		{known, "images", false},
		{known, "backups/", false},
		{known, "../etc/passwd", false},
		{known, "images/../state.db", false},
		{known, "backups/sw9-0011.2233.4499.REV2", false},
		{netip.MustParseAddrPort("10.99.0.250:999"), "images/img-a.tar", false},
	}
	for _, tt := range tests {
		_, err := r.d.Read(tt.peer, tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("Read(%s, %q) = %v, want allowed %v", tt.peer, tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Read(%s, %q) refusal = %v, want one that wraps fs.ErrNotExist (a plain file-not-found packet)", tt.peer, tt.name, err)
		}
	}
}

func TestHostnamePrefix(t *testing.T) {
	r := newRig(t, "director: {hostname-prefix: Cisco}\ndefault: {image: img-a.tar, config: seed.txt}\n", true)
	if o := readOffer(t, r.exchange("00:11:22:bf:97:c0")); o.hostname != "Cisco-bf.97c0" {
		t.Errorf("option 12 = %q, want Cisco-bf.97c0", o.hostname)
	}
}

func mustSyslog(t *testing.T, s string) SyslogMessage {
	t.Helper()
	m, err := ParseSyslog([]byte(s))
	if err != nil {
		t.Fatalf("ParseSyslog(%q) = %v", s, err)
	}
	return m
}

// A switch that joins a second time (a reload, a new attempt) is tracked
// afresh: its downloads move it to in progress and, once all are in, to
// done with fieldcon's own UPGRD_SUCCESS, even when no syslog arrives.
func TestRejoinIsTrackedAgain(t *testing.T) {
	r := newRig(t, scenario1, true)
	const mac = MAC("0011.2233.4455")
	count := func() int {
		n := 0
		for _, k := range r.log.kinds() {
			if k == string(KindUpgradeSuccess) {
				n++
			}
		}
		return n
	}
	for round := 1; round <= 2; round++ {
		r.exchange("00:11:22:33:44:55", "PID:WS-C2960X-24TS-L,VID:V01,SN:X")
		r.transfer(mac, "images/img-a.tar", servers.TransferDone)
		r.transfer(mac, "images/seed.txt", servers.TransferDone)
		c, _ := r.d.DB().Get(mac)
		if c.Image.State != Done || c.Config.State != Done {
			t.Errorf("round %d: image %s, config %s; want both UPGRADED", round, c.Image.State.Word(), c.Config.State.Word())
		}
		if n := count(); n != 2*round {
			t.Errorf("round %d: %d UPGRD_SUCCESS events, want %d", round, n, 2*round)
		}
	}
}

// An edited profile file takes effect at the next DHCP exchange: with the
// MAC group gone, the switch falls to the default profile.
func TestSetProfilesTakesEffectAtNextExchange(t *testing.T) {
	const withGroup = scenario1 + "groups:\n  - {name: lab, mac: [0011.2233.4455], image: s1.tar, config: spare.txt}\n"
	r := newRig(t, withGroup, true)
	udi := "PID:WS-C2960X-24TS-L,VID:V01,SN:X"
	if o := readOffer(t, r.exchange("00:11:22:33:44:55", udi)); o.boot != "images/spare.txt" || o.imageList != "imagelists/lab-imagelist.txt" {
		t.Fatalf("offer with the MAC group = 67 %q, 125/5 %q; want the group's", o.boot, o.imageList)
	}
	if err := r.d.SetProfiles(parse(t, scenario1)); err != nil {
		t.Fatalf("SetProfiles() = %v", err)
	}
	if o := readOffer(t, r.exchange("00:11:22:33:44:55", udi)); o.boot != "images/seed.txt" || o.imageList != "imagelists/default-imagelist.txt" {
		t.Errorf("offer once the group is deleted = 67 %q, 125/5 %q; want the default profile's", o.boot, o.imageList)
	}
	if c, _ := r.d.DB().Get("0011.2233.4455"); c.Group != "default" {
		t.Errorf("group = %q, want default", c.Group)
	}
	if err := r.d.SetProfiles(nil); !errors.Is(err, ErrProfile) {
		t.Errorf("SetProfiles(nil) = %v, want %v", err, ErrProfile)
	}
}
