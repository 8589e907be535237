package dhcp

import (
	"net/netip"
	"sync"
)

// committer writes changed leases to the Store before the server answers,
// folding the changes of concurrent exchanges into one Store.Save (one disk
// sync for bbolt) instead of one each. The first caller to find no write in
// progress does the writing; callers that arrive meanwhile wait for the next
// batch.
type committer struct {
	// snapshot copies the current leases for addrs (under the server's lock)
	// and save hands them to the store.
	snapshot func(addrs []netip.Addr) []Lease
	save     func([]Lease) error

	mu       sync.Mutex
	pending  map[netip.Addr]struct{}
	waiters  []chan error
	flushing bool
}

// commit returns once the current state of a is saved.
func (c *committer) commit(a netip.Addr) error {
	done := make(chan error, 1)
	c.mu.Lock()
	if c.pending == nil {
		c.pending = map[netip.Addr]struct{}{}
	}
	c.pending[a] = struct{}{}
	c.waiters = append(c.waiters, done)
	lead := !c.flushing
	c.flushing = true
	c.mu.Unlock()
	if lead {
		c.flush()
	}
	return <-done
}

// flush writes one batch, then hands any batch that queued meanwhile to a
// new goroutine so that this caller can answer its client.
func (c *committer) flush() {
	c.mu.Lock()
	addrs := make([]netip.Addr, 0, len(c.pending))
	for a := range c.pending {
		addrs = append(addrs, a)
	}
	waiters := c.waiters
	c.pending, c.waiters = nil, nil
	c.mu.Unlock()

	err := c.save(c.snapshot(addrs))
	for _, w := range waiters {
		w <- err
	}

	c.mu.Lock()
	more := len(c.waiters) > 0
	if !more {
		c.flushing = false
	}
	c.mu.Unlock()
	if more {
		go c.flush()
	}
}
