package dhcp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// LeaseState says where an address stands.
type LeaseState uint8

const (
	// Offered: set aside for a client that was sent an OFFER; kept in memory
	// only.
	Offered LeaseState = iota + 1
	// Bound: acknowledged to the client until Expires.
	Bound
	// Released: the client gave it back; it still remembers the client so
	// the same client gets it again if nobody else took it.
	Released
	// Declined: a client found the address in use; nobody gets it until
	// Expires.
	Declined
)

func (s LeaseState) String() string {
	switch s {
	case Offered:
		return "offered"
	case Bound:
		return "bound"
	case Released:
		return "released"
	case Declined:
		return "declined"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Lease is one address and who has, had or may not have it.
type Lease struct {
	Addr        netip.Addr
	MAC         net.HardwareAddr
	ClientID    []byte
	Hostname    string // the name the client sent, or the one it was given
	VendorClass string // option 60 as the client last sent it
	State       LeaseState
	Expires     time.Time
	Updated     time.Time
}

// ClientIDString renders the client identifier for a person.
func (l Lease) ClientIDString() string { return clientIDString(l.ClientID) }

// Active reports whether the address is taken at now.
func (l Lease) Active(now time.Time) bool {
	switch l.State {
	case Offered, Bound, Declined:
		return now.Before(l.Expires)
	}
	return false
}

// Store keeps leases across restarts. The server holds the working copy in
// memory and writes every change through Save before it answers, so a Store
// needs no locking against the server and no queries.
type Store interface {
	// Leases returns every lease saved.
	Leases() ([]Lease, error)
	// Save records the leases, replacing any saved for the same address.
	Save(leases []Lease) error
}

// MemStore is a Store in memory, for tests and for running without a
// workspace.
type MemStore struct {
	mu sync.Mutex
	m  map[netip.Addr]Lease
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[netip.Addr]Lease{}} }

// Leases returns the saved leases ordered by address.
func (s *MemStore) Leases() ([]Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Lease, 0, len(s.m))
	for _, l := range s.m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out, nil
}

// Save records leases.
func (s *MemStore) Save(leases []Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range leases {
		s.m[l.Addr] = l
	}
	return nil
}

// leaseBucket is this package's bucket in the workspace store; the version
// suffix lets a later layout live next to this one.
var leaseBucket = []byte("dhcp.leases.v1")

// BoltStore is a Store in the workspace's bbolt database, one key per
// address in its own bucket.
type BoltStore struct{ db *bolt.DB }

// NewBoltStore keeps leases in db (from workspace.Store()), creating the
// bucket if needed.
func NewBoltStore(db *bolt.DB) (*BoltStore, error) {
	if db == nil {
		return nil, errors.New("dhcp lease store: no database")
	}
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(leaseBucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dhcp lease store: create bucket: %w", err)
	}
	return &BoltStore{db: db}, nil
}

// storedLease is the JSON layout of a saved lease; it names its fields so
// that the layout survives reordering the Lease struct.
type storedLease struct {
	Addr        string    `json:"addr"`
	MAC         string    `json:"mac,omitempty"`
	ClientID    []byte    `json:"client_id,omitempty"`
	Hostname    string    `json:"hostname,omitempty"`
	VendorClass string    `json:"vendor_class,omitempty"`
	State       string    `json:"state"`
	Expires     time.Time `json:"expires"`
	Updated     time.Time `json:"updated"`
}

var stateNames = map[string]LeaseState{"offered": Offered, "bound": Bound, "released": Released, "declined": Declined}

// Leases reads every saved lease; records it cannot read are skipped, since
// a damaged record must not stop the server from starting.
func (s *BoltStore) Leases() ([]Lease, error) {
	var out []Lease
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(leaseBucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var sl storedLease
			if json.Unmarshal(v, &sl) != nil {
				return nil
			}
			addr, err := netip.ParseAddr(sl.Addr)
			if err != nil || !addr.Is4() {
				return nil
			}
			l := Lease{Addr: addr, ClientID: sl.ClientID, Hostname: sl.Hostname, VendorClass: sl.VendorClass,
				State: stateNames[sl.State], Expires: sl.Expires, Updated: sl.Updated}
			if sl.MAC != "" {
				if mac, err := net.ParseMAC(sl.MAC); err == nil {
					l.MAC = mac
				}
			}
			if l.State == 0 {
				return nil
			}
			out = append(out, l)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("dhcp lease store: read: %w", err)
	}
	return out, nil
}

// Save writes leases in one transaction.
func (s *BoltStore) Save(leases []Lease) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(leaseBucket)
		if err != nil {
			return err
		}
		for _, l := range leases {
			sl := storedLease{Addr: l.Addr.String(), ClientID: l.ClientID, Hostname: l.Hostname,
				VendorClass: l.VendorClass, State: l.State.String(), Expires: l.Expires.UTC(), Updated: l.Updated.UTC()}
			if len(l.MAC) > 0 {
				sl.MAC = l.MAC.String()
			}
			v, err := json.Marshal(sl)
			if err != nil {
				return err
			}
			k := l.Addr.As4()
			if err := b.Put(k[:], v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dhcp lease store: save: %w", err)
	}
	return nil
}
