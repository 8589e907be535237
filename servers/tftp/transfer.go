package tftp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pintftp "github.com/pin/tftp/v3"

	"fieldcon/servers"
)

// A transfer is one read or write request being served.
//
// pin/tftp runs the lock-step loop (DATA/ACK, retransmission, blksize,
// netascii, block-number rollover) in a single-port pin server of its own
// whose socket is a pinConn. Its read loop reads the transfer's socket itself
// (bound to the wildcard address, so ACKs sent to the unicast or any
// broadcast address arrive, and the kernel picks a unicast source for
// replies); packets that arrive on port 69 from the peer are handed over by
// deliver. Either way accept lets through only packets from the peer's IP
// and port that move the transfer forward.
type transfer struct {
	s     *Server
	id    uint64
	peer  netip.AddrPort
	udp   *net.UDPAddr // peer, as pin/tftp wants it
	sock  net.PacketConn
	req   request // as checked and normalised for pin/tftp
	write bool

	requested string // what the device asked for
	served    string // what it gets (reads) or the upload's final name
	alias     *Alias
	file      *os.File // reads
	up        *upload  // writes
	size      int64    // bytes to send, or the announced upload size; -1 unknown
	blksize   int
	timeout   time.Duration
	oack      []byte   // the OACK this server sends; nil when no option was accepted
	options   []option // accepted options, for events

	started  time.Time
	bytes    atomic.Int64
	lastProg atomic.Int64 // unix nanoseconds of the last progress event

	inbox chan []byte   // packets from port 69 for pin/tftp's loop
	kill  chan struct{} // closed to make pin/tftp give up now
	once  sync.Once     // closes kill
	rbuf  []byte        // pin/tftp's loop reads the socket into it
	// pinDone carries pin/tftp's verdict, from its hook.
	pinDone chan error

	mu       sync.Mutex
	armed    bool   // a packet from the peer is awaited …
	expect   uint16 // … with this block number (ACK for reads, DATA for writes)
	lastACK  []byte // writes: the last ACK sent, repeated for a duplicate DATA
	deadline time.Time
	verdict  bool // pin/tftp has finished; nothing more is passed on
	// lastOut: the DATA pin/tftp sent (reads) is the short, last one.
	// final: the packet that ends the transfer (the ACK of the last DATA,
	// or the last DATA of an upload) has been passed to pin/tftp, which
	// then closes its channel for this peer. Nothing more may reach
	// pin/tftp's loop after that: it sends on that channel after dropping
	// its lock, and a send on the closed channel would panic.
	lastOut, final bool
	stopping       bool // its server is shutting down
	peerErr        *string
	failure        *tftpError // what the ERROR packet says when pin/tftp aborts
	reason         string     // why, for the failed event
	entered        bool       // pin/tftp has called the handler

	lastKill time.Time // only pinConn.ReadFrom (pin/tftp's loop) uses it
}

// accept decides what a datagram from the peer means and returns what
// pin/tftp should get, or nil. Only what moves the transfer forward gets
// through: the awaited ACK or DATA, and ERROR. A duplicate ACK is dropped
// (answering it would start the Sorcerer's Apprentice) and a duplicate DATA
// is answered with the last ACK again, also after pin/tftp has finished (the
// final ACK may be lost). Filtering here also keeps pin/tftp from seeing a
// packet larger than its buffers.
func (t *transfer) accept(p []byte) []byte {
	op := packetOpcode(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p) < 4 {
		return nil
	}
	switch {
	case t.final:
		// Late duplicates and errors after the end go nowhere; a
		// duplicate last DATA of an upload still gets its ACK below.
		if t.write && op == opDATA && packetBlock(p) == t.expect-1 && t.lastACK != nil {
			_, _ = t.sock.WriteTo(t.lastACK, t.udp)
		}
		return nil
	case op == opERROR:
		if t.verdict {
			return nil
		}
		msg := errorMessage(p)
		t.peerErr = &msg
		t.armed = false
		// A short, well-formed copy: pin/tftp only needs to know it is an ERROR.
		return encodeError(tftpError{packetBlock(p), "peer"})
	case !t.write && op == opACK:
		if t.armed && packetBlock(p) == t.expect {
			t.armed = false
			t.final = t.lastOut
			return p[:4]
		}
	case t.write && op == opDATA && len(p) <= 4+t.blksize:
		switch b := packetBlock(p); {
		case t.armed && b == t.expect:
			t.armed = false
			t.final = len(p) < 4+t.blksize
			return p
		case b == t.expect-1 && t.lastACK != nil:
			_, _ = t.sock.WriteTo(t.lastACK, t.udp)
		}
	}
	return nil
}

// deliver hands over a datagram from the peer that arrived on port 69.
func (t *transfer) deliver(p []byte) {
	pkt := t.accept(p)
	if pkt == nil {
		return
	}
	select {
	case t.inbox <- append([]byte(nil), pkt...):
		t.interrupt()
	default: // pin/tftp is behind; the peer will send again
	}
}

// interrupt wakes pin/tftp's loop from its read of the socket, to look at
// the inbox, the kill switch and its deadline.
func (t *transfer) interrupt() { _ = t.sock.SetReadDeadline(time.Unix(1, 0)) }

// abort makes pin/tftp give up and the device read e.
func (t *transfer) abort(e tftpError, reason string) {
	t.mu.Lock()
	if t.failure == nil {
		t.failure = &e
		t.reason = reason
	}
	t.mu.Unlock()
	t.once.Do(func() { close(t.kill) })
	t.interrupt()
}

// pinConn is the net.PacketConn handed to the transfer's pin/tftp server.
// Being no *net.UDPConn, pin/tftp uses plain ReadFrom/WriteTo on it.
type pinConn struct{ t *transfer }

var errKilled = errors.New("transfer stopped by the server")

func (c pinConn) ReadFrom(p []byte) (int, net.Addr, error) {
	t := c.t
	for {
		t.mu.Lock()
		dl, verdict, stopping, final := t.deadline, t.verdict, t.stopping, t.final
		t.mu.Unlock()
		if stopping || !dl.IsZero() && !time.Now().Before(dl) {
			return 0, nil, os.ErrDeadlineExceeded
		}
		killed := isClosed(t.kill)
		// pin/tftp's transfer loop only wakes for a packet from the peer or
		// its own timeout; an ERROR "from the peer" stops it now. It is
		// offered again (not in a tight loop) in case pin/tftp's
		// one-packet queue was full.
		if killed && !verdict && !final && time.Since(t.lastKill) >= killRepeat {
			t.lastKill = time.Now()
			return copy(p, encodeError(tftpError{0, "stop"})), t.udp, nil
		}
		// The inbox holds only accepted packets, the final one included.
		if !killed && !verdict {
			select {
			case pkt := <-t.inbox:
				return copy(p, pkt), t.udp, nil
			default:
			}
		}
		n, from, err := t.sock.ReadFrom(t.rbuf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return 0, nil, err
			}
			// An interrupt, a deadline, or an ICMP report (Windows).
			// Rearm the socket's deadline and look again.
			sd := dl
			if killed {
				if k := t.lastKill.Add(killRepeat); sd.IsZero() || k.Before(sd) {
					sd = k
				}
			}
			_ = t.sock.SetReadDeadline(sd)
			continue
		}
		if addrPort(from) != t.peer {
			continue
		}
		// pin/tftp may have finished while the read was blocked: look at
		// its verdict again, not the one read before.
		if pkt := t.accept(t.rbuf[:n]); pkt != nil && !killed && !t.finished() {
			return copy(p, pkt), t.udp, nil
		}
	}
}

// finished says whether pin/tftp has its verdict.
func (t *transfer) finished() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.verdict
}

// killRepeat paces the fake ERROR that stops pin/tftp.
const killRepeat = 20 * time.Millisecond

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// WriteTo sends what pin/tftp sends, from the transfer's socket to the peer,
// whatever address pin/tftp names. It replaces pin/tftp's OACK (which only
// knows blksize and tsize) by the one this server negotiated, and the text
// of its ERROR packets (Go error strings) by a fixed one.
func (c pinConn) WriteTo(p []byte, _ net.Addr) (int, error) {
	t := c.t
	out := p
	t.mu.Lock()
	select {
	case <-t.kill:
		if op := packetOpcode(p); op != opERROR {
			t.mu.Unlock()
			return 0, errKilled // pin/tftp aborts and sends its ERROR
		}
	default:
	}
	switch op := packetOpcode(p); op {
	case opDATA:
		t.armed, t.expect = true, packetBlock(p)
		t.lastOut = len(p) < 4+t.blksize
	case opOACK:
		t.armed, t.expect = true, 0
		if t.write {
			t.expect = 1
		}
		out = t.oack
	case opACK:
		t.armed, t.expect = true, packetBlock(p)+1
		t.lastACK = append(t.lastACK[:0], p...)
	case opERROR:
		if t.peerErr != nil && t.failure == nil {
			// Never answer an ERROR with an ERROR.
			t.mu.Unlock()
			return len(p), nil
		}
		e := errFailed
		if t.failure != nil {
			e = *t.failure
		}
		out = encodeError(e)
	default:
		t.mu.Unlock()
		return len(p), nil
	}
	t.mu.Unlock()
	if _, err := t.sock.WriteTo(out, t.udp); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c pinConn) Close() error { return nil } // the transfer closes its socket itself

func (c pinConn) LocalAddr() net.Addr { return c.t.sock.LocalAddr() }

func (c pinConn) SetDeadline(d time.Time) error { return c.SetReadDeadline(d) }

func (c pinConn) SetReadDeadline(d time.Time) error {
	c.t.mu.Lock()
	c.t.deadline = d
	c.t.mu.Unlock()
	c.t.interrupt()
	return nil
}

func (c pinConn) SetWriteDeadline(time.Time) error { return nil }

// pinHook receives pin/tftp's verdict on the transfer.
type pinHook struct{ t *transfer }

func (h pinHook) OnSuccess(pintftp.TransferStats) { h.t.finish(nil) }

func (h pinHook) OnFailure(st pintftp.TransferStats, err error) {
	if st.Filename == "" {
		// About a packet, not the transfer. It matters only if pin/tftp
		// refused the request itself and the transfer never began.
		h.t.mu.Lock()
		entered := h.t.entered
		h.t.mu.Unlock()
		if entered {
			return
		}
	}
	if err == nil {
		err = errKilled
	}
	h.t.finish(err)
}

// finish records pin/tftp's verdict once. pin/tftp calls the hook just before
// it sends its last packet (the final ACK of an upload, or an ERROR), so the
// socket stays open until its server has returned.
func (t *transfer) finish(err error) {
	t.mu.Lock()
	if t.verdict {
		t.mu.Unlock()
		return
	}
	t.verdict = true
	t.armed = false
	if err != nil && t.failure == nil && t.peerErr == nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.failure = &tftpError{codeNotDefined, "timed out"}
			t.reason = fmt.Sprintf("no answer from the device after %d tries, %s apart", t.s.cfg.Retries+1, t.timeout)
		}
	}
	t.mu.Unlock()
	t.pinDone <- err // buffered, written once
}

// run serves the transfer until pin/tftp is done with it or ctx ends.
func (t *transfer) run(ctx context.Context) {
	defer t.s.forget(t)
	defer t.sock.Close()
	t.rbuf = make([]byte, max(datagramMin, 4+t.blksize)+1)

	var rh func(string, io.ReaderFrom) error
	var wh func(string, io.WriterTo) error
	if t.write {
		wh = t.receive
	} else {
		rh = t.send
	}
	srv := pintftp.NewServer(rh, wh)
	srv.SetTimeout(t.timeout)
	srv.SetRetries(t.s.cfg.Retries)
	srv.SetBackoff(func(int) time.Duration { return 0 })
	srv.SetBlockSizeNegotiation(false)
	srv.EnableSinglePort()
	if t.blksize > defaultBlockSize {
		srv.SetBlockSize(t.blksize)
	}
	srv.SetHook(pinHook{t})

	t.inbox <- encodeRequest(t.req)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(pinConn{t}) }()

	start := t.event(servers.TransferStart, t.startDetail())
	start.Attrs["local"] = t.sock.LocalAddr().String()
	t.s.emit(start)

	var err error
	select {
	case err = <-t.pinDone:
	case <-ctx.Done():
		t.abort(errShutdown, "the server is shutting down")
		err = <-t.pinDone
	}
	srv.Shutdown()
	t.mu.Lock()
	t.stopping = true
	t.mu.Unlock()
	t.interrupt()
	<-served

	if err == nil && t.write {
		t.dally(ctx)
	}
	t.report(err)
}

// dally keeps an upload's socket open for one timeout (at most maxDally)
// after the final ACK so that, if that ACK was lost and the device sends its
// last block again, it gets the ACK again instead of an ICMP error.
func (t *transfer) dally(ctx context.Context) {
	stop := context.AfterFunc(ctx, t.interrupt)
	defer stop()
	_ = t.sock.SetReadDeadline(time.Now().Add(min(t.timeout, maxDally)))
	for ctx.Err() == nil {
		n, from, err := t.sock.ReadFrom(t.rbuf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if addrPort(from) == t.peer {
			t.accept(t.rbuf[:n]) // answers a repeated last block
		}
	}
}

// maxDally bounds dally: a client may ask for a timeout of 255 s.
const maxDally = 3 * time.Second

// datagramMin is the receive buffer a 512-byte transfer needs.
const datagramMin = 4 + defaultBlockSize

// send is pin/tftp's read handler: it streams the file.
func (t *transfer) send(_ string, rf io.ReaderFrom) error {
	t.enter()
	r := &progressReader{r: bufio.NewReaderSize(t.file, 64<<10), t: t}
	_, _ = rf.ReadFrom(r) // the outcome arrives through pinHook
	return nil
}

// receive is pin/tftp's write handler: it stores the upload, then commits it
// under a name that does not exist yet.
func (t *transfer) receive(_ string, wt io.WriterTo) error {
	t.enter()
	w := &progressWriter{w: t.up, t: t, limit: t.s.cfg.MaxUpload}
	if _, err := wt.WriteTo(w); err != nil {
		return nil // pin/tftp has aborted and reports through pinHook
	}
	name, err := t.up.commit()
	if err != nil {
		t.abort(errDiskFull, "could not save the upload: "+err.Error())
		return err // pin/tftp sends the ERROR (with our text) and reports failure
	}
	t.mu.Lock()
	t.served = name
	t.mu.Unlock()
	return nil
}

func (t *transfer) enter() {
	t.mu.Lock()
	t.entered = true
	t.mu.Unlock()
}

type progressReader struct {
	r io.Reader
	t *transfer
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.t.progress(int64(n))
	return n, err
}

var errUploadTooBig = errors.New("upload larger than the limit")

type progressWriter struct {
	w     io.Writer
	t     *transfer
	limit int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if p.t.bytes.Load()+int64(len(b)) > p.limit {
		p.t.abort(errTooBig, fmt.Sprintf("the upload is larger than the limit of %d bytes", p.limit))
		return 0, errUploadTooBig
	}
	n, err := p.w.Write(b)
	p.t.progress(int64(n))
	if err != nil {
		p.t.abort(errDiskFull, "could not write the upload: "+err.Error())
	}
	return n, err
}

// progress counts bytes and emits a progress event at most every
// ProgressEvery.
func (t *transfer) progress(n int64) {
	total := t.bytes.Add(n)
	now := time.Now().UnixNano()
	last := t.lastProg.Load()
	if now-last < int64(t.s.cfg.ProgressEvery) || !t.lastProg.CompareAndSwap(last, now) {
		return
	}
	e := t.event(servers.TransferProgress, "")
	e.Bytes = total
	t.s.emit(e)
}

func (t *transfer) report(err error) {
	t.mu.Lock()
	reason, peerErr, served := t.reason, t.peerErr, t.served
	t.mu.Unlock()
	e := t.event(servers.TransferDone, "")
	elapsed := time.Since(t.started)
	switch {
	case err == nil && t.write:
		e.Detail = fmt.Sprintf("%s uploaded %s, saved as %s", t.peer.Addr(), t.requested, served)
	case err == nil:
		e.Detail = fmt.Sprintf("%s got %s in %s", t.peer.Addr(), served, elapsed.Round(time.Millisecond))
	default:
		e.Kind = servers.TransferFailed
		switch {
		case reason != "":
		case peerErr != nil:
			reason = fmt.Sprintf("the device gave up: %q", *peerErr)
		default:
			reason = "pin/tftp stopped the transfer"
		}
		e.Detail = fmt.Sprintf("%s %s: %s", t.peer.Addr(), t.requested, reason)
	}
	t.s.emit(e)
}

// event builds an event about t with the counters filled in.
func (t *transfer) event(k servers.Kind, detail string) servers.Event {
	n := t.bytes.Load()
	e := servers.Event{
		Server:  "tftp",
		Kind:    k,
		Peer:    t.peer.String(),
		Subject: t.requested,
		Detail:  detail,
		Bytes:   n,
		Attrs: map[string]string{
			"transfer": fmt.Sprint(t.id),
			"mode":     t.req.Mode,
		},
	}
	if t.size > 0 {
		e.Total = t.size
	}
	if s := time.Since(t.started).Seconds(); s > 0 && n > 0 {
		e.Rate = float64(n) / s
	}
	e.Attrs["direction"] = direction(t.write)
	if t.write {
		t.mu.Lock()
		e.Attrs["stored"] = t.served
		t.mu.Unlock()
	} else {
		e.Attrs["served"] = t.served
	}
	if t.alias != nil {
		e.Attrs["alias"] = t.alias.Pattern
	}
	if len(t.options) > 0 {
		var b strings.Builder
		for i, o := range t.options {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(o.Name + "=" + o.Value)
		}
		e.Attrs["options"] = b.String()
	}
	return e
}

func (t *transfer) startDetail() string {
	switch {
	case t.write:
		return fmt.Sprintf("%s is uploading %s", t.peer.Addr(), t.requested)
	case t.alias != nil || t.served != t.requested:
		return fmt.Sprintf("%s asked for %s, served %s", t.peer.Addr(), t.requested, t.served)
	default:
		return fmt.Sprintf("%s asked for %s", t.peer.Addr(), t.requested)
	}
}

// addrPort turns a net.Addr from a socket into a comparable key, with
// IPv4-mapped IPv6 addresses unmapped.
func addrPort(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
