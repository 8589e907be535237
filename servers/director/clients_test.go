package director

import (
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"fieldcon/servers"
)

type eventLog struct {
	mu sync.Mutex
	ev []servers.Event
}

func (l *eventLog) hook(e servers.Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *eventLog) kinds() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.ev {
		out = append(out, string(e.Kind))
	}
	return out
}

func (l *eventLog) find(k servers.Kind) (servers.Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.ev {
		if e.Kind == k {
			return e, true
		}
	}
	return servers.Event{}, false
}

func openTestStore(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newTestDB(t *testing.T, store *bolt.DB, clock Clock) (*DB, *eventLog) {
	t.Helper()
	log := &eventLog{}
	d, err := OpenDB(store, clock, time.Minute, log.hook)
	if err != nil {
		t.Fatalf("OpenDB() = %v", err)
	}
	return d, log
}

func TestObserveAddsAndPersists(t *testing.T) {
	store := openTestStore(t)
	clock := newFakeClock(at("2024-05-01 12:00"))
	d, log := newTestDB(t, store, clock)
	a, err := d.Observe(Sighting{MAC: "0011.2233.4455", IP: netip.MustParseAddr("10.99.0.50"), PID: "WS-C2960X-24TS-L", Source: "dhcp"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.Observe(Sighting{MAC: "0011.2233.4466", Source: "dhcp"})
	if a.Index != 1 || b.Index != 2 {
		t.Errorf("indices = %d, %d, want 1, 2", a.Index, b.Index)
	}
	e, ok := log.find(KindSwitchAdd)
	if !ok || e.Detail != "New Device detected by Director with mac address: 0011.2233.4455" {
		t.Errorf("SWITCH_ADD event = %+v, want the IOS text", e)
	}
	if got := a.Status(clock.Now(), time.Minute); got != "P A d" {
		t.Errorf("Status() = %q, want %q", got, "P A d")
	}
	// Seen again: no second SWITCH_ADD.
	if _, err := d.Observe(Sighting{MAC: "0011.2233.4455", Hostname: "sw1", Source: "syslog"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(log.kinds(), " "), string(KindSwitchAdd)); n != 2 {
		t.Errorf("%d SWITCH_ADD events, want 2 (one per new MAC)", n)
	}
	if err := d.Clear("0011.2233.4466"); err != nil {
		t.Fatal(err)
	}
	// Reopen from the store: the entry and its fields survive.
	d2, _ := newTestDB(t, store, clock)
	c, ok := d2.Get("0011.2233.4455")
	if !ok || c.Hostname != "sw1" || c.PID != "WS-C2960X-24TS-L" || c.IP.String() != "10.99.0.50" || strings.Join(c.Sources, ",") != "dhcp,syslog" {
		t.Errorf("after reopen Get() = %+v, %v", c, ok)
	}
	if _, ok := d2.Get("0011.2233.4466"); ok {
		t.Error("a cleared client came back after reopen")
	}
	// Index 2 is free again and is reused, the lowest first.
	n, _ := d2.Observe(Sighting{MAC: "0011.2233.4477"})
	if n.Index != 2 {
		t.Errorf("new client after clear got index %d, want 2", n.Index)
	}
}

func TestStatusLetters(t *testing.T) {
	now := at("2024-05-01 12:00")
	tests := []struct {
		c    Client
		want string
	}{
		{Client{Type: TypeSmart, Join: JoinAllowed, LastSeen: now}, "S A a"},
		{Client{Type: TypeSmart, Join: JoinAllowed, LastSeen: now, Image: Artifact{State: Done}, Config: Artifact{State: Done}}, "S A a I C"},
		{Client{Type: TypeSmart, Join: JoinAllowed, LastSeen: now.Add(-3 * time.Minute), Config: Artifact{State: Done}, Script: Artifact{State: Done}}, "S I a C P"},
		{Client{Type: TypeNonSmart, Join: JoinHeld, LastSeen: now.Add(-179 * time.Second), Image: Artifact{State: InProgress}, Config: Artifact{State: Failed}}, "N A h i x"},
		{Client{Join: JoinDenied, LastSeen: now, Image: Artifact{State: Failed}, Script: Artifact{State: InProgress}}, "P A d X p"},
	}
	for _, tt := range tests {
		if got := tt.c.Status(now, time.Minute); got != tt.want {
			t.Errorf("Status(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

// Scenario 9: an inactive client's port taken by a new MAC with the same
// product ID is a replacement; another product ID is a new client.
func TestReplacementScenario9(t *testing.T) {
	clock := newFakeClock(at("2024-05-01 12:00"))
	d, log := newTestDB(t, nil, clock)
	up := Attachment{Host: "10.0.0.2", Interface: "Gi1/0/5"}
	a, _ := d.Observe(Sighting{MAC: "000a.0000.0001", PID: "WS-C2960X-24TS-L", Upstream: up, Source: "cdp"})
	if _, err := d.Update(a.MAC, func(c *Client) {
		c.Backup = Backup{Done: true, File: "backups/sw1-000a.0000.0001.REV2", MD5: "00112233445566778899AABBCCDDEEFF"}
	}); err != nil {
		t.Fatal(err)
	}
	// While A is active, B on the same port is just new.
	clock.Advance(2 * time.Minute)
	if c, _ := d.Observe(Sighting{MAC: "000b.0000.0001", PID: "WS-C2960X-24TS-L", Upstream: Attachment{Host: "10.0.0.2", Interface: "GigabitEthernet1/0/6"}}); c.Replaced != "" {
		t.Fatalf("a client on another port replaced %s", c.Replaced)
	}
	clock.Advance(2 * time.Minute) // A now silent for 4 periods: inactive
	if st := mustGet(t, d, a.MAC).Status(clock.Now(), d.Keepalive()); !strings.HasPrefix(st, "P I") {
		t.Fatalf("A status = %q, want inactive", st)
	}
	c, _ := d.Observe(Sighting{MAC: "000c.0000.0001", PID: "WS-C2960X-24TS-L", Upstream: Attachment{Host: "10.0.0.2", Interface: "GigabitEthernet 1/0/5"}})
	if c.Replaced != a.MAC || c.Index != a.Index || c.Backup.File != "backups/sw1-000a.0000.0001.REV2" {
		t.Errorf("replacement = %+v, want it to take A's index %d and backup", c, a.Index)
	}
	if _, ok := d.Get(a.MAC); ok {
		t.Error("A is still in the database after its replacement")
	}
	e, ok := log.find(KindSwitchReplace)
	if !ok || e.Detail != "Device 000a.0000.0001 is being replaced by 000c.0000.0001 Device" {
		t.Errorf("SWITCH_REPLACE = %+v", e)
	}
	// A different product ID on an inactive client's port is new.
	clock.Advance(5 * time.Minute)
	x, _ := d.Observe(Sighting{MAC: "000d.0000.0001", PID: "WS-C3560-24TS-S", Upstream: up})
	if x.Replaced != "" {
		t.Errorf("a different product ID replaced %s", x.Replaced)
	}
}

func mustGet(t *testing.T, d *DB, mac MAC) Client {
	t.Helper()
	c, ok := d.Get(mac)
	if !ok {
		t.Fatalf("Get(%s): not found", mac)
	}
	return c
}

func TestAdmit(t *testing.T) {
	tests := []struct {
		name string
		open bool
		mode JoinMode
		want JoinState
	}{
		{"closed", false, ModeAuto, JoinDenied},
		{"open auto", true, ModeAuto, JoinAllowed},
		{"open manual", true, ModeManual, JoinHeld},
		{"closed manual", false, ModeManual, JoinDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, log := newTestDB(t, nil, newFakeClock(at("2024-05-01 12:00")))
			d.Observe(Sighting{MAC: "0011.2233.4455"})
			got, why, err := d.Admit("0011.2233.4455", tt.open, tt.mode)
			if err != nil || got != tt.want || why == "" {
				t.Errorf("Admit() = %c, %q, %v, want %c with a reason", got, why, err, tt.want)
			}
			if _, held := log.find(KindHold); held != (tt.want == JoinHeld) {
				t.Errorf("hold event sent = %v, want %v", held, tt.want == JoinHeld)
			}
		})
	}
}

// Scenarios 2 and 4: the technician's hand overrides the window; a removed
// client cannot be installed.
func TestJoinByHand(t *testing.T) {
	d, _ := newTestDB(t, nil, newFakeClock(at("2024-05-01 12:00")))
	x, y := MAC("0011.2233.4455"), MAC("0011.2233.4466")
	d.Observe(Sighting{MAC: x})
	d.Observe(Sighting{MAC: y})

	if s, _, _ := d.Admit(x, false, ModeAuto); s != JoinDenied {
		t.Fatalf("closed window: %c, want d", s)
	}
	if err := d.SetJoin(x, JoinAllowed); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := d.Admit(x, false, ModeAuto); s != JoinAllowed {
		t.Errorf("allowed by hand with the window closed: %c, want a", s)
	}

	if s, _, _ := d.Admit(y, true, ModeManual); s != JoinHeld {
		t.Fatalf("manual mode: %c, want h", s)
	}
	if s, _, _ := d.Admit(y, true, ModeAuto); s != JoinHeld {
		t.Errorf("a held client stays held until approved, got %c", s)
	}
	if got := d.HoldList(); len(got) != 1 || got[0].MAC != y {
		t.Errorf("HoldList() = %v, want [%s]", got, y)
	}
	if err := d.RemoveFromHold(y); err != nil {
		t.Fatal(err)
	}
	if err := d.Approve(y); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "removed from the hold list") {
		t.Errorf("Approve(removed) = %v, want a refusal that says why", err)
	}
	if err := d.Approve("dead.beef.0000"); !errors.Is(err, ErrNoClient) {
		t.Errorf("Approve(unknown) = %v, want ErrNoClient", err)
	}
}
