// Package servers holds what fieldcon's network servers share: the Event they
// report and the hook that carries it.
//
// It does not start, bind or supervise anything: each server has its own
// New(cfg, opts...) and a blocking Serve(ctx, conn) on a socket the caller
// bound, and the caller owns the goroutine.
package servers

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// Kind says what happened.
type Kind string

// Kinds every server uses. Servers may add their own (the DHCP server reports
// message types, the director SMI mnemonics) as long as they read as a word a
// technician understands.
const (
	Started          Kind = "started"
	Stopped          Kind = "stopped"
	TransferStart    Kind = "transfer-start"
	TransferProgress Kind = "transfer-progress"
	TransferDone     Kind = "transfer-done"
	TransferFailed   Kind = "transfer-failed"
	Refused          Kind = "refused"
	Warning          Kind = "warning"
	Info             Kind = "info"
)

// Event is one thing a server did or saw. Fields a kind does not use stay zero.
type Event struct {
	Time   time.Time
	Server string // "tftp", "dhcp", "director", "syslog", "smi"
	Kind   Kind
	Peer   string // the client: "10.0.0.1:1234", an IP, or a MAC
	// Subject is what the event is about: a file name, an address, a MAC.
	Subject string
	// Detail is one line for a technician ("asked for c1240-k9w7-tar.default,
	// served images/c1240-k9w7-tar.124-25d.JA1.tar").
	Detail string
	Bytes  int64   // bytes moved so far
	Total  int64   // expected size, 0 when unknown
	Rate   float64 // bytes per second
	// Attrs carries anything else worth logging (options, lease time, MAC).
	Attrs map[string]string
}

// String renders the event as one log line.
func (e Event) String() string {
	var b strings.Builder
	if !e.Time.IsZero() {
		b.WriteString(e.Time.Format("15:04:05.000 "))
	}
	fmt.Fprintf(&b, "%s %s", e.Server, e.Kind)
	if e.Peer != "" {
		fmt.Fprintf(&b, " peer=%s", e.Peer)
	}
	if e.Subject != "" {
		fmt.Fprintf(&b, " %q", e.Subject)
	}
	if e.Total > 0 {
		fmt.Fprintf(&b, " %d/%d bytes", e.Bytes, e.Total)
	} else if e.Bytes > 0 {
		fmt.Fprintf(&b, " %d bytes", e.Bytes)
	}
	if e.Rate > 0 {
		fmt.Fprintf(&b, " %.0f B/s", e.Rate)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Hook receives events. A hook must not block: a server calls it from its
// transfer or request path.
type Hook func(Event)

// Emit calls h with e, stamping the time if it is unset. A nil hook drops the
// event, so servers need no nil checks.
func (h Hook) Emit(e Event) {
	if h == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	h(e)
}

// Channel returns a hook that delivers events to a buffered channel of the
// given size and drops them (counting them) when the reader falls behind, so a
// slow UI never stalls a transfer.
func Channel(size int) (hook Hook, events <-chan Event, dropped func() int64) {
	ch := make(chan Event, size)
	var n atomic.Int64
	hook = func(e Event) {
		select {
		case ch <- e:
		default:
			n.Add(1)
		}
	}
	return hook, ch, n.Load
}
