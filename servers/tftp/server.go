package tftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fieldcon/servers"
)

// Server is a TFTP server. Create it with New and run it with Serve.
type Server struct {
	cfg    Config
	hook   servers.Hook
	listen TransferListener
	policy RequestPolicy // nil: every well-formed request is considered

	serving atomic.Bool

	// Set by Serve.
	root    *os.Root
	uploads *os.Root // nil when uploads are off

	mu        sync.Mutex
	transfers map[netip.AddrPort]*transfer // by peer IP and port
	perClient map[netip.Addr]int
	nextID    uint64
	wg        sync.WaitGroup
}

// TransferListener opens the socket a transfer talks from (its TID) for
// network "udp4" or "udp6". The default binds the wildcard address on a
// random port, limited to Config.Interface.
type TransferListener func(ctx context.Context, network string) (net.PacketConn, error)

// Option changes how a Server is built.
type Option func(*Server)

// WithHook sends the server's events to h.
func WithHook(h servers.Hook) Option { return func(s *Server) { s.hook = h } }

// WithTransferListener replaces how transfer sockets are opened (tests open
// them inside a network namespace).
func WithTransferListener(l TransferListener) Option {
	return func(s *Server) { s.listen = l }
}

// Errors from New and Serve.
var (
	ErrServing = errors.New("tftp server is already serving")
	ErrFolder  = errors.New("tftp folder")
)

// New checks cfg (after filling in defaults) and returns a server.
func New(cfg Config, opts ...Option) (*Server, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		transfers: make(map[netip.AddrPort]*transfer),
		perClient: make(map[netip.Addr]int),
	}
	for _, o := range opts {
		o(s)
	}
	if s.listen == nil {
		s.listen = func(ctx context.Context, network string) (net.PacketConn, error) {
			return listenUDP(ctx, network, wildcard(network), cfg.Interface)
		}
	}
	return s, nil
}

func wildcard(network string) string {
	if network == "udp6" {
		return "[::]:0"
	}
	return "0.0.0.0:0"
}

// Serve answers requests arriving on conn (normally the wildcard address,
// port 69, from Listen) until ctx is cancelled, then stops every transfer
// and returns nil. It does not close conn. A Server serves once.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	if !s.serving.CompareAndSwap(false, true) {
		return ErrServing
	}
	root, err := os.OpenRoot(s.cfg.Root)
	if err != nil {
		return fmt.Errorf("%w %s cannot be opened; create it or choose another: %w", ErrFolder, s.cfg.Root, err)
	}
	defer root.Close()
	s.root = root
	if s.cfg.Uploads != "" {
		up, err := os.OpenRoot(s.cfg.Uploads)
		if err != nil {
			return fmt.Errorf("%w %s for uploads cannot be opened; create it or choose another: %w", ErrFolder, s.cfg.Uploads, err)
		}
		defer up.Close()
		s.uploads = up
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Wake the read below when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	detail := fmt.Sprintf("serving %s on %s", s.cfg.Root, conn.LocalAddr())
	if s.cfg.Interface != "" {
		detail += " (" + s.cfg.Interface + ")"
	}
	if s.uploads != nil {
		detail += ", uploads to " + s.cfg.Uploads
	} else {
		detail += ", read-only"
	}
	s.emit(servers.Event{Kind: servers.Started, Subject: conn.LocalAddr().String(), Detail: detail})
	if s.cfg.Interface != "" && !interfaceBinding {
		s.emit(servers.Event{Kind: servers.Warning, Subject: s.cfg.Interface,
			Detail: "this system cannot limit the server to one interface; it answers on every interface"})
	}

	buf := make([]byte, 65536)
	var serveErr error
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, net.ErrClosed) {
				serveErr = fmt.Errorf("tftp: the listening socket was closed: %w", err)
				break
			}
			continue // a deadline someone else set, or an ICMP report (Windows)
		}
		s.handle(ctx, conn, from, buf[:n])
	}
	cancel()
	s.wg.Wait()
	_ = conn.SetReadDeadline(time.Time{})
	s.emit(servers.Event{Kind: servers.Stopped, Subject: conn.LocalAddr().String(), Detail: "stopped"})
	return serveErr
}

// handle dispatches one datagram that arrived on the listening socket: to
// the transfer of its peer if there is one (a device that sends its ACKs to
// port 69), else as a new request. Anything else is dropped.
func (s *Server) handle(ctx context.Context, conn net.PacketConn, from net.Addr, p []byte) {
	peer := addrPort(from)
	if !peer.IsValid() || peer.Port() == 0 {
		return
	}
	s.mu.Lock()
	t := s.transfers[peer]
	s.mu.Unlock()
	if t != nil {
		t.deliver(p) // a repeated request is dropped there too
		return
	}
	if op := packetOpcode(p); op != opRRQ && op != opWRQ {
		return
	}
	req, err := parseRequest(p)
	if err != nil {
		s.refuse(conn, from, peer, "", packetOpcode(p) == opWRQ, errIllegal, "sent a request that cannot be read")
		return
	}
	s.start(ctx, conn, from, peer, req)
}

// start checks a request and starts its transfer, or refuses it.
func (s *Server) start(ctx context.Context, conn net.PacketConn, from net.Addr, peer netip.AddrPort, req request) {
	write := req.Op == opWRQ
	refuse := func(e tftpError, why string) { s.refuse(conn, from, peer, req.Name, write, e, why) }

	verb := "asked for"
	if write {
		verb = "tried to upload"
	}
	if req.Mode != modeOctet && req.Mode != modeNetascii {
		refuse(errBadMode, fmt.Sprintf("%s %q in mode %q; only octet and netascii are served", verb, req.Name, req.Mode))
		return
	}
	name, err := cleanName(req.Name, s.cfg.MaxNameLen)
	if err != nil {
		refuse(errNameRefused, fmt.Sprintf("%s %q: %v", verb, req.Name, err))
		return
	}
	if s.policy != nil {
		as, err := s.policy(peer, name, write)
		if err != nil {
			refuse(policyRefusal(err), fmt.Sprintf("%s %s, refused: %v", verb, name, err))
			return
		}
		if name, err = cleanName(as, s.cfg.MaxNameLen); err != nil {
			refuse(errServer, fmt.Sprintf("%s %s, but the request policy chose the name %q: %v", verb, req.Name, as, err))
			return
		}
	}
	if write && s.uploads == nil {
		refuse(errUploadsOff, fmt.Sprintf("tried to upload %s, but uploads are off", name))
		return
	}
	if why := s.reserve(peer.Addr()); why != "" {
		refuse(errBusy, fmt.Sprintf("%s %s, but %s", verb, name, why))
		return
	}
	t := &transfer{
		s:         s,
		peer:      peer,
		udp:       net.UDPAddrFromAddrPort(peer),
		write:     write,
		requested: req.Name,
		size:      -1,
		blksize:   defaultBlockSize,
		timeout:   s.cfg.Timeout,
		inbox:     make(chan []byte, 4),
		kill:      make(chan struct{}),
		pinDone:   make(chan error, 1),
	}
	release := func() {
		s.release(peer.Addr())
		t.closeFiles()
	}

	if write {
		if e, why, ok := s.openUpload(t, name, req); !ok {
			release()
			refuse(e, why)
			return
		}
	} else {
		if e, why, ok := s.openDownload(t, name); !ok {
			release()
			refuse(e, why)
			return
		}
	}
	if e, why, ok := t.negotiate(req, s.cfg); !ok {
		release()
		refuse(e, why)
		return
	}

	network := "udp4"
	if !peer.Addr().Is4() {
		network = "udp6"
	}
	sock, err := s.listen(ctx, network)
	if err != nil {
		release()
		s.emit(servers.Event{Kind: servers.Warning, Peer: peer.String(), Subject: req.Name,
			Detail: "cannot open a socket for the transfer: " + err.Error()})
		refuse(errServer, fmt.Sprintf("%s %s, but the server could not open a socket for it", verb, name))
		return
	}
	t.sock = sock
	t.started = time.Now()

	s.mu.Lock()
	s.nextID++
	t.id = s.nextID
	s.transfers[peer] = t
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t.run(ctx)
	}()
}

// openDownload resolves the name (through the aliases) inside the root and
// opens the file.
func (s *Server) openDownload(t *transfer, name string) (tftpError, string, bool) {
	served, alias := resolveAlias(s.cfg.Aliases, name)
	t.served, t.alias = served, alias
	what := name
	if alias != nil {
		what = fmt.Sprintf("%s (alias %s → %s)", name, alias.Pattern, served)
	}
	f, err := s.root.Open(filepath.FromSlash(served))
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return errFileNotFound, fmt.Sprintf("asked for %s, which is not in %s", what, s.cfg.Root), false
		case errors.Is(err, fs.ErrPermission):
			return errAccess, fmt.Sprintf("asked for %s, which fieldcon may not read", what), false
		default:
			// os.Root refuses names that lead out of it (symlinks).
			return errNameRefused, fmt.Sprintf("asked for %s, which leads out of %s", what, s.cfg.Root), false
		}
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return errFileNotFound, fmt.Sprintf("asked for %s, which is not a file", what), false
	}
	t.file = f
	t.size = st.Size()
	return tftpError{}, "", true
}

// openUpload checks the announced size and creates the temporary file.
func (s *Server) openUpload(t *transfer, name string, req request) (tftpError, string, bool) {
	if v, ok := req.Option("tsize"); ok {
		if n, ok := optionNumber(v, 0, math.MaxInt64); ok {
			if n > s.cfg.MaxUpload {
				return errTooBig, fmt.Sprintf("tried to upload %s of %d bytes, more than the limit of %d", name, n, s.cfg.MaxUpload), false
			}
			t.size = n
		}
	}
	up, err := newUpload(s.uploads, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errAccess, fmt.Sprintf("tried to upload %s into a folder that does not exist in %s", name, s.cfg.Uploads), false
		}
		return errAccess, fmt.Sprintf("tried to upload %s, which cannot be created: %v", name, err), false
	}
	t.up = up
	t.served = name
	return tftpError{}, "", true
}

// negotiate decides which options (RFC 2347) to accept and builds the OACK
// and the request pin/tftp gets. pin/tftp itself only knows blksize and
// tsize; this server sets the block size and timeout of each transfer's
// pin/tftp server and writes the OACK itself.
func (t *transfer) negotiate(req request, cfg Config) (tftpError, string, bool) {
	var acc []option
	for _, o := range req.Options {
		switch o.Name {
		case "blksize":
			// pin/tftp cannot send blocks below 512 bytes; ignoring the
			// option makes both sides use 512.
			if n, ok := optionNumber(o.Value, defaultBlockSize, maxBlockSize); ok {
				t.blksize = min(int(n), cfg.BlockSizeMax)
				acc = append(acc, option{"blksize", strconv.Itoa(t.blksize)})
			}
		case "tsize":
			// A netascii transfer's size on the wire is not the file's.
			if req.Mode != modeOctet {
				continue
			}
			if _, ok := optionNumber(o.Value, 0, math.MaxInt64); !ok {
				continue
			}
			if t.size >= 0 {
				acc = append(acc, option{"tsize", strconv.FormatInt(t.size, 10)})
			}
		case "timeout":
			if n, ok := optionNumber(o.Value, 1, maxTimeoutOption); ok {
				t.timeout = time.Duration(n) * time.Second
				acc = append(acc, option{"timeout", strconv.FormatInt(n, 10)})
			}
		}
	}
	t.options = acc
	t.req = request{Op: req.Op, Name: t.served, Mode: req.Mode}
	if len(acc) > 0 {
		t.oack = encodeOACK(acc)
		// Any option makes pin/tftp send an OACK, which WriteTo replaces.
		t.req.Options = []option{{"blksize", strconv.Itoa(t.blksize)}}
	}
	return tftpError{}, "", true
}

// reserve takes a transfer slot for ip, or says why there is none.
func (s *Server) reserve(ip netip.Addr) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for _, n := range s.perClient {
		total += n
	}
	switch {
	case total >= s.cfg.MaxTransfers:
		return fmt.Sprintf("%d transfers are already running (the limit)", total)
	case s.perClient[ip] >= s.cfg.MaxPerClient:
		return fmt.Sprintf("this client already has %d transfers running (the limit)", s.perClient[ip])
	}
	s.perClient[ip]++
	return ""
}

func (s *Server) release(ip netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perClient[ip]--; s.perClient[ip] <= 0 {
		delete(s.perClient, ip)
	}
}

// forget removes a finished transfer.
func (s *Server) forget(t *transfer) {
	s.mu.Lock()
	if s.transfers[t.peer] == t {
		delete(s.transfers, t.peer)
	}
	s.mu.Unlock()
	s.release(t.peer.Addr())
	t.closeFiles()
}

func (t *transfer) closeFiles() {
	if t.file != nil {
		t.file.Close()
	}
	if t.up != nil {
		t.up.discard()
	}
}

// refuse answers a request with an ERROR packet from the listening socket
// and reports why.
func (s *Server) refuse(conn net.PacketConn, to net.Addr, peer netip.AddrPort, subject string, write bool, e tftpError, why string) {
	_, _ = conn.WriteTo(encodeError(e), to)
	s.emit(servers.Event{Kind: servers.Refused, Peer: peer.String(), Subject: subject,
		Detail: fmt.Sprintf("%s %s", peer.Addr(), why), Attrs: map[string]string{"direction": direction(write)}})
}

func direction(write bool) string {
	if write {
		return "upload"
	}
	return "download"
}

func (s *Server) emit(e servers.Event) {
	e.Server = "tftp"
	s.hook.Emit(e)
}
