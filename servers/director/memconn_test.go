package director

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// memConn is a net.PacketConn made of channels, for tests inside a
// testing/synctest bubble: a goroutine reading it is durably blocked, which
// a real socket read is not, and its deadlines run on the bubble's clock.
type memConn struct {
	local *net.UDPAddr
	in    chan datagram // what ReadFrom returns
	out   chan datagram // what WriteTo sent

	mu      sync.Mutex
	wake    chan struct{} // closed while the read deadline has passed
	expired bool
	timer   *time.Timer

	closeOnce sync.Once
	closed    chan struct{}
}

type datagram struct {
	data []byte
	addr *net.UDPAddr
}

func newMemConn(local string) *memConn {
	return &memConn{
		local:  net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local)),
		in:     make(chan datagram, 16),
		out:    make(chan datagram, 64),
		wake:   make(chan struct{}),
		closed: make(chan struct{}),
	}
}

// deliver queues a datagram from "from" for the reader.
func (c *memConn) deliver(from string, p []byte) {
	c.in <- datagram{append([]byte(nil), p...), net.UDPAddrFromAddrPort(netip.MustParseAddrPort(from))}
}

// sent returns what was written so far, without waiting.
func (c *memConn) sent() []datagram {
	var out []datagram
	for {
		select {
		case d := <-c.out:
			out = append(out, d)
		default:
			return out
		}
	}
}

func (c *memConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

func (c *memConn) ReadFrom(p []byte) (int, net.Addr, error) {
	c.mu.Lock()
	wake := c.wake
	c.mu.Unlock()
	select {
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-wake:
		return 0, nil, os.ErrDeadlineExceeded
	default:
	}
	select {
	case d := <-c.in:
		return copy(p, d.data), d.addr, nil
	case <-wake:
		return 0, nil, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *memConn) WriteTo(p []byte, to net.Addr) (int, error) {
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	ua, _ := to.(*net.UDPAddr)
	select {
	case c.out <- datagram{append([]byte(nil), p...), ua}:
		return len(p), nil
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *memConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *memConn) LocalAddr() net.Addr { return c.local }

func (c *memConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

func (c *memConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if c.expired {
		c.wake, c.expired = make(chan struct{}), false
	}
	switch {
	case t.IsZero():
	case !t.After(time.Now()):
		close(c.wake)
		c.expired = true
	default:
		wake := c.wake
		c.timer = time.AfterFunc(time.Until(t), func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.wake == wake && !c.expired {
				close(c.wake)
				c.expired = true
			}
		})
	}
	return nil
}
