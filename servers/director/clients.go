package director

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"fieldcon/servers"
)

// DeviceType is the first status letter: S (Smart Install capable), N (not)
// or P (pending: not known yet).
type DeviceType byte

const (
	TypePending  DeviceType = 'P'
	TypeSmart    DeviceType = 'S'
	TypeNonSmart DeviceType = 'N'
)

// JoinState is the join-window letter: a (allowed), h (on hold), d (denied).
type JoinState byte

const (
	JoinAllowed JoinState = 'a'
	JoinHeld    JoinState = 'h'
	JoinDenied  JoinState = 'd'
)

// Progress is the state of one kind of upgrade on a client.
type Progress int

const (
	NotStarted Progress = iota
	InProgress
	Done
	Failed
)

// Word is the download-status word.
func (p Progress) Word() string {
	return [...]string{"NOT STARTED", "UPGRADING", "UPGRADED", "FAILED"}[p]
}

// Artifact is one upgrade of a client: the image(s), the configuration or
// the post-install script, as `show vstack download-status` lists it.
type Artifact struct {
	Files    []string  `json:"files,omitempty"`
	State    Progress  `json:"state"`
	Fail     string    `json:"failReason,omitempty"`
	Finished time.Time `json:"finished,omitzero"`
	// Got lists files fully transferred.
	Got []string `json:"got,omitempty"`
	// Delivered: every file reached the client by TFTP and fieldcon said
	// so (its own UPGRD_SUCCESS), whatever the client reported before.
	Delivered bool `json:"delivered,omitempty"`
	// Backup: the configuration served was the client's REV2 backup.
	Backup  bool      `json:"backup,omitempty"`
	Started time.Time `json:"started,omitzero"`
}

// Backup is what the director holds of a client's configuration.
type Backup struct {
	Done   bool      `json:"done"`
	File   string    `json:"file,omitempty"` // workspace-relative: backups/sw1-0011.2233.4455.REV2
	Client string    `json:"client,omitempty"`
	MD5    string    `json:"md5,omitempty"` // 32 upper-case hex digits
	Time   time.Time `json:"time,omitzero"`
}

// Client is one database entry. Field names follow the
// CISCO-SMART-INSTALL-MIB where it has one.
type Client struct {
	Index    int           `json:"deviceNum"`
	MAC      MAC           `json:"macAddress"`
	IP       netip.Addr    `json:"address,omitzero"`
	Hostname string        `json:"name,omitempty"`
	PID      string        `json:"platform,omitempty"`
	Serial   string        `json:"serialNum,omitempty"`
	Version  string        `json:"imageVersion,omitempty"`
	Members  []StackMember `json:"members,omitempty"`
	Upstream Attachment    `json:"upstream,omitzero"`
	Type     DeviceType    `json:"type"`
	Join     JoinState     `json:"join"`
	// JoinByHand: the technician set Join; the window no longer decides.
	JoinByHand bool `json:"joinByHand,omitempty"`
	// HoldRemoved: taken off the hold list; installing it is refused.
	HoldRemoved bool      `json:"holdRemoved,omitempty"`
	Group       string    `json:"profileGroupName,omitempty"`
	Method      string    `json:"method,omitempty"` // zero-touch, image-upgrade, config-upgrade
	Image       Artifact  `json:"image"`
	Config      Artifact  `json:"config"`
	Script      Artifact  `json:"script"`
	Backup      Backup    `json:"backup"`
	Replaced    MAC       `json:"replaced,omitempty"` // the client this one replaces
	FirstSeen   time.Time `json:"firstSeen"`
	LastSeen    time.Time `json:"lastSeen"`
	Sources     []string  `json:"sources,omitempty"`
}

// Active reports the health letter's meaning: heard from within three
// keepalive periods.
func (c Client) Active(now time.Time, keepalive time.Duration) bool {
	return now.Sub(c.LastSeen) < 3*keepalive
}

// Status renders the letters of `show vstack status`: type, health, join,
// then image, config and script letters for upgrades that happened.
func (c Client) Status(now time.Time, keepalive time.Duration) string {
	t := c.Type
	if t == 0 {
		t = TypePending
	}
	health := "I"
	if c.Active(now, keepalive) {
		health = "A"
	}
	j := c.Join
	if j == 0 {
		j = JoinDenied
	}
	parts := []string{string(t), health, string(j)}
	for _, a := range []struct {
		p       Progress
		letters string // in progress, done, failed
	}{{c.Image.State, "iIX"}, {c.Config.State, "cCx"}, {c.Script.State, "pPF"}} {
		if a.p != NotStarted {
			parts = append(parts, string(a.letters[a.p-1]))
		}
	}
	return strings.Join(parts, " ")
}

func (c *Client) addSource(s string) {
	if s != "" && !slices.Contains(c.Sources, s) {
		c.Sources = append(c.Sources, s)
	}
}

// Facts are the client's facts for profile resolution.
func (c Client) Facts() Facts {
	return Facts{MAC: c.MAC, PID: c.PID, Members: c.Members, Upstream: c.Upstream}
}

var bucketClients = []byte("director-clients")

// Errors of the database.
var (
	ErrNoClient = errors.New("no such client in the director database")
	ErrFull     = errors.New("the director database is full (255 clients); clear inactive entries")
	ErrRefused  = errors.New("refused")
)

// DB is the director's client database, kept in the workspace store.
type DB struct {
	db        *bolt.DB
	clock     Clock
	keepalive time.Duration
	hook      servers.Hook

	mu      sync.Mutex
	clients map[MAC]*Client
	changed chan struct{} // closed and replaced at every change
	stale   Staleness
	isStale bool
}

// Staleness says since when and why the database no longer follows the
// network: while the director is disabled it hears no DHCP and sees no
// transfers, so health, addresses and download states may be out of date.
type Staleness struct {
	Since time.Time
	Why   string
}

// MarkStale records that the database stopped following the network.
func (d *DB) MarkStale(why string) {
	d.mu.Lock()
	d.stale, d.isStale = Staleness{Since: d.clock.Now(), Why: why}, true
	d.mu.Unlock()
	d.notify()
}

// MarkCurrent records that the database follows the network again.
func (d *DB) MarkCurrent() {
	d.mu.Lock()
	d.stale, d.isStale = Staleness{}, false
	d.mu.Unlock()
	d.notify()
}

// Stale reports since when and why the database is stale; ok is false
// while it is current.
func (d *DB) Stale() (s Staleness, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stale, d.isStale
}

// Watch returns a channel that is closed at the next change of the
// database; views take a new one each time they redraw.
func (d *DB) Watch() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

func (d *DB) notify() {
	d.mu.Lock()
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// OpenDB loads the client database from the store (creating its bucket).
// A nil store keeps it in memory only.
func OpenDB(store *bolt.DB, clock Clock, keepalive time.Duration, hook servers.Hook) (*DB, error) {
	if keepalive <= 0 {
		keepalive = DefaultKeepalive
	}
	d := &DB{db: store, clock: clock, keepalive: keepalive, hook: hook, clients: map[MAC]*Client{}, changed: make(chan struct{})}
	if store == nil {
		return d, nil
	}
	err := store.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketClients)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var c Client
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("client %s: %w", k, err)
			}
			d.clients[c.MAC] = &c
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("director database: %w", err)
	}
	return d, nil
}

// Keepalive is the health period.
func (d *DB) Keepalive() time.Duration { return d.keepalive }

func (d *DB) save(cs ...*Client) error {
	if d.db == nil {
		return nil
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketClients)
		for _, c := range cs {
			v, err := json.Marshal(c)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(c.MAC), v); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *DB) delete(mac MAC) error {
	if d.db == nil {
		return nil
	}
	return d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketClients).Delete([]byte(mac)) })
}

// Get returns a copy of the client with this MAC.
func (d *DB) Get(mac MAC) (Client, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.clients[mac]
	if !ok {
		return Client{}, false
	}
	return *c, true
}

// ByIP returns the client that has this address.
func (d *DB) ByIP(ip netip.Addr) (Client, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.byIPLocked(ip.Unmap())
	if c == nil {
		return Client{}, false
	}
	return *c, true
}

func (d *DB) byIPLocked(ip netip.Addr) *Client {
	var best *Client
	for _, c := range d.clients {
		if c.IP == ip && (best == nil || c.LastSeen.After(best.LastSeen)) {
			best = c
		}
	}
	return best
}

// ByIndex returns the client with this DevNo.
func (d *DB) ByIndex(n int) (Client, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.clients {
		if c.Index == n {
			return *c, true
		}
	}
	return Client{}, false
}

// List returns every client by index.
func (d *DB) List() []Client {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Client, 0, len(d.clients))
	for _, c := range d.clients {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Client) int { return a.Index - b.Index })
	return out
}

func (d *DB) freeIndexLocked() (int, error) {
	used := map[int]bool{}
	for _, c := range d.clients {
		used[c.Index] = true
	}
	for i := 1; i <= 255; i++ {
		if !used[i] {
			return i, nil
		}
	}
	return 0, ErrFull
}

// Sighting is what one packet or message told the director about a client.
// Zero fields add nothing.
type Sighting struct {
	MAC      MAC
	IP       netip.Addr
	Hostname string
	PID      string
	Serial   string
	Version  string
	Members  []StackMember
	Upstream Attachment
	Type     DeviceType
	Source   string // "dhcp", "syslog", "smi", "cdp", "relay"
}

// Observe records a sighting: a new MAC becomes a pending client
// (SMI-6-SWITCH_ADD), or, when an inactive client with the same product ID
// sat on the same upstream port, its replacement (SMI-6-SWITCH_REPLACE).
func (d *DB) Observe(s Sighting) (Client, error) {
	if s.MAC == "" {
		return Client{}, fmt.Errorf("%w: a sighting without a MAC", ErrNoClient)
	}
	now := d.clock.Now()
	var events []servers.Event
	d.mu.Lock()
	c, ok := d.clients[s.MAC]
	if !ok {
		idx, err := d.freeIndexLocked()
		if err != nil {
			d.mu.Unlock()
			return Client{}, err
		}
		c = &Client{Index: idx, MAC: s.MAC, Type: TypePending, Join: JoinDenied, FirstSeen: now}
		d.clients[s.MAC] = c
		events = append(events, evSwitchAdd(s.MAC))
	}
	c.LastSeen = now
	c.addSource(s.Source)
	if s.IP.IsValid() {
		c.IP = s.IP.Unmap()
	}
	for dst, v := range map[*string]string{&c.Hostname: s.Hostname, &c.PID: s.PID, &c.Serial: s.Serial, &c.Version: s.Version} {
		if v != "" {
			*dst = v
		}
	}
	if len(s.Members) > 0 {
		c.Members = slices.Clone(s.Members)
		if c.PID == "" {
			c.PID = s.Members[0].PID
		}
	}
	if s.Upstream.Valid() {
		c.Upstream = Attachment{Host: s.Upstream.Host, Interface: NormalizeInterface(s.Upstream.Interface)}
	}
	if s.Type == TypeSmart || (s.Type == TypeNonSmart && c.Type != TypeSmart) {
		c.Type = s.Type
	}
	changed := []*Client{c}
	if old := d.replaceeLocked(c, now); old != nil {
		events = append(events, evSwitchReplace(old.MAC, c.MAC), evSwitchRemove(old.MAC))
		c.Index = old.Index
		c.Replaced = old.MAC
		c.Backup = old.Backup
		c.Group = old.Group
		c.Join, c.JoinByHand = old.Join, old.JoinByHand
		delete(d.clients, old.MAC)
		if err := d.delete(old.MAC); err != nil {
			d.mu.Unlock()
			return Client{}, fmt.Errorf("director database: %w", err)
		}
	}
	out := *c
	err := d.save(changed...)
	d.mu.Unlock()
	d.notify()
	for _, e := range events {
		d.hook.Emit(e)
	}
	if err != nil {
		return out, fmt.Errorf("director database: %w", err)
	}
	return out, nil
}

// replaceeLocked finds the inactive client c replaces: same product ID,
// same upstream neighbour and port. Only a client that has not been
// provisioned yet can be a replacement.
func (d *DB) replaceeLocked(c *Client, now time.Time) *Client {
	if c.Replaced != "" || c.PID == "" || !c.Upstream.Valid() || c.Config.State != NotStarted || c.Image.State != NotStarted {
		return nil
	}
	var found *Client
	for _, o := range d.clients {
		if o == c || o.Active(now, d.keepalive) || !strings.EqualFold(o.PID, c.PID) || o.Upstream.Key() != c.Upstream.Key() {
			continue
		}
		if found == nil || o.LastSeen.After(found.LastSeen) {
			found = o
		}
	}
	return found
}

// Update changes a client and saves it.
func (d *DB) Update(mac MAC, fn func(c *Client)) (Client, error) {
	d.mu.Lock()
	c, ok := d.clients[mac]
	if !ok {
		d.mu.Unlock()
		return Client{}, fmt.Errorf("%w: %s", ErrNoClient, mac)
	}
	fn(c)
	out := *c
	err := d.save(c)
	d.mu.Unlock()
	d.notify()
	if err != nil {
		return out, fmt.Errorf("director database: %w", err)
	}
	return out, nil
}

// Clear removes a client (SMI-6-SWITCH_REMOVE); clearing a stack member
// clears the stack, which is one entry here.
func (d *DB) Clear(mac MAC) error {
	d.mu.Lock()
	_, ok := d.clients[mac]
	if ok {
		delete(d.clients, mac)
	}
	d.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoClient, mac)
	}
	d.notify()
	if err := d.delete(mac); err != nil {
		return fmt.Errorf("director database: %w", err)
	}
	d.hook.Emit(evSwitchRemove(mac))
	return nil
}

// Admit decides, for one DHCP exchange, whether the client may have Smart
// Install options, and records its join state:
//
//   - a state the technician set stands (allowed gets options even with
//     the window closed, held and denied do not);
//   - a held client stays held until the technician acts;
//   - otherwise the window decides: closed → denied; open and auto →
//     allowed; open and manual → held.
func (d *DB) Admit(mac MAC, windowOpen bool, mode JoinMode) (JoinState, string, error) {
	var held bool
	var why string
	c, err := d.Update(mac, func(c *Client) {
		switch {
		case c.JoinByHand:
			why = "join state set by the technician"
		case c.Join == JoinHeld:
			why = "on the hold list, waiting for approval"
		case !windowOpen:
			c.Join, why = JoinDenied, "the join window is closed"
		case mode == ModeAuto:
			c.Join, why = JoinAllowed, "the join window is open (auto mode)"
		default:
			c.Join, why = JoinHeld, "the join window is open in manual mode: held for approval"
			held = true
		}
	})
	if err != nil {
		return 0, "", err
	}
	if held {
		d.hook.Emit(ev(KindHold, string(mac), string(mac), "client %s (%s) is on the hold list; approve it to provision it", mac, c.PID))
	}
	return c.Join, why, nil
}

// Approve installs a held (or denied) client: its next DHCP exchange
// carries the Smart Install options. A client taken off the hold list is
// refused.
func (d *DB) Approve(mac MAC) error {
	var refused bool
	_, err := d.Update(mac, func(c *Client) {
		if c.HoldRemoved {
			refused = true
			return
		}
		c.Join, c.JoinByHand = JoinAllowed, true
	})
	if err != nil {
		return err
	}
	if refused {
		return fmt.Errorf("%w: %s was removed from the hold list; restart the switch to have it held again, or allow it with the join state command", ErrRefused, mac)
	}
	return nil
}

// RemoveFromHold takes a client off the hold list; it is denied and a later
// Approve is refused.
func (d *DB) RemoveFromHold(mac MAC) error {
	_, err := d.Update(mac, func(c *Client) { c.Join, c.JoinByHand, c.HoldRemoved = JoinDenied, true, true })
	return err
}

// SetJoin sets a client's join state by hand (`join-window-status index n
// allowed|held`); allowed works from denied and from held.
func (d *DB) SetJoin(mac MAC, s JoinState) error {
	if s != JoinAllowed && s != JoinHeld {
		return fmt.Errorf("join state %q: choose allowed or held", s)
	}
	_, err := d.Update(mac, func(c *Client) { c.Join, c.JoinByHand, c.HoldRemoved = s, true, false })
	return err
}

// HoldList returns the clients on hold.
func (d *DB) HoldList() []Client {
	var out []Client
	for _, c := range d.List() {
		if c.Join == JoinHeld {
			out = append(out, c)
		}
	}
	return out
}
