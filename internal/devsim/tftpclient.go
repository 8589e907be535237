package devsim

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// TFTPClient is a test TFTP client that talks the way broken boot loaders do:
// it sends its request wherever Server says (255.255.255.255 for an Aironet
// in MODE-button recovery) and its ACKs (or, uploading, its DATA) wherever
// AckTo says, and it can pretend to lose DATA packets. It locks onto the
// server's transfer address from the first reply, like any client.
type TFTPClient struct {
	// Conn is the client's socket, bound by the caller (broadcast sends
	// need a route or an interface for 255.255.255.255).
	Conn net.PacketConn
	// Server is where the request goes: a unicast or broadcast address,
	// normally port 69.
	Server netip.AddrPort
	// AckTo is where ACKs (downloads) or DATA (uploads) go.
	AckTo TFTPTarget

	Mode      string // "octet" (default) or "netascii"
	BlockSize int    // blksize option; 0 sends none
	Tsize     bool   // send the tsize option
	Timeout   int    // timeout option in seconds; 0 sends none

	// Retransmit is how long to wait for the server before sending the last
	// packet again (default 500ms); Retries how often (default 10).
	Retransmit time.Duration
	Retries    int
	// DropData is the fraction (0..1) of DATA packets ignored as if lost
	// on the wire, chosen with Rand (seeded 1 if nil).
	DropData float64
	Rand     *rand.Rand
}

// TFTPTarget says where a client sends its ACKs or DATA. The zero value is
// the normal behaviour: the address and port the server replied from.
type TFTPTarget struct {
	IP   netip.Addr // zero: the server's address
	Port uint16     // zero: the server's transfer port (TID)
}

// TFTPResult says how a transfer went.
type TFTPResult struct {
	ServerTID   netip.AddrPort    // where the server's packets came from
	Options     map[string]string // from the OACK, nil without one
	Bytes       int64
	Blocks      int // DATA blocks taken (downloads) or sent (uploads)
	Dropped     int // DATA packets ignored on purpose
	Retransmits int // packets this client sent again
}

// ErrTFTPServer wraps an ERROR packet received from the server.
var ErrTFTPServer = errors.New("tftp server error")

// ErrTFTPTimeout means the server stopped answering.
var ErrTFTPTimeout = errors.New("tftp server does not answer")

// TFTP opcodes.
const (
	tftpRRQ   = 1
	tftpWRQ   = 2
	tftpDATA  = 3
	tftpACK   = 4
	tftpERROR = 5
	tftpOACK  = 6
)

func (c *TFTPClient) defaults() (time.Duration, int, string) {
	rt, retries, mode := c.Retransmit, c.Retries, c.Mode
	if rt <= 0 {
		rt = 500 * time.Millisecond
	}
	if retries <= 0 {
		retries = 10
	}
	if mode == "" {
		mode = "octet"
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(1, 1))
	}
	return rt, retries, mode
}

// TFTPRequest builds a read or write request packet.
func TFTPRequest(write bool, name, mode string, opts ...string) []byte {
	op := uint16(tftpRRQ)
	if write {
		op = tftpWRQ
	}
	p := binary.BigEndian.AppendUint16(nil, op)
	for _, s := range append([]string{name, mode}, opts...) {
		p = append(p, s...)
		p = append(p, 0)
	}
	return p
}

// tftpSession is the state both directions share.
type tftpSession struct {
	c       *TFTPClient
	res     TFTPResult
	locked  bool
	buf     []byte
	last    []byte         // last packet sent, for retransmission
	lastTo  netip.AddrPort // and where it went
	rt      time.Duration
	retries int
}

func (s *tftpSession) target() netip.AddrPort {
	ip, port := s.c.AckTo.IP, s.c.AckTo.Port
	if !ip.IsValid() {
		ip = s.res.ServerTID.Addr()
	}
	if port == 0 {
		port = s.res.ServerTID.Port()
	}
	return netip.AddrPortFrom(ip, port)
}

func (s *tftpSession) send(p []byte, to netip.AddrPort) error {
	s.last, s.lastTo = append(s.last[:0], p...), to
	_, err := s.c.Conn.WriteTo(p, net.UDPAddrFromAddrPort(to))
	return err
}

// receive waits for the next packet from the server, sending the last
// packet again on each timeout. Before the server is known, any reply that
// is not from the request's own address is taken as the server.
func (s *tftpSession) receive(ctx context.Context) ([]byte, error) {
	tries := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(s.rt)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = s.c.Conn.SetReadDeadline(deadline)
		n, from, err := s.c.Conn.ReadFrom(s.buf)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return nil, err
			}
			if tries++; tries > s.retries {
				return nil, ErrTFTPTimeout
			}
			s.res.Retransmits++
			if _, err := s.c.Conn.WriteTo(s.last, net.UDPAddrFromAddrPort(s.lastTo)); err != nil {
				return nil, err
			}
			continue
		}
		src := tftpAddrPort(from)
		if n < 4 {
			continue
		}
		if !s.locked {
			s.res.ServerTID, s.locked = src, true
		} else if src != s.res.ServerTID {
			continue // another server or a stray packet
		}
		p := s.buf[:n]
		if binary.BigEndian.Uint16(p) == tftpERROR {
			msg, _, _ := bytes.Cut(p[4:], []byte{0})
			return nil, fmt.Errorf("%w %d: %s", ErrTFTPServer, binary.BigEndian.Uint16(p[2:]), msg)
		}
		return p, nil
	}
}

func (c *TFTPClient) session() *tftpSession {
	rt, retries, _ := c.defaults()
	return &tftpSession{c: c, rt: rt, retries: retries, buf: make([]byte, 65536)}
}

func tftpACKPacket(block uint16) []byte {
	p := binary.BigEndian.AppendUint16(nil, tftpACK)
	return binary.BigEndian.AppendUint16(p, block)
}

func parseOACK(p []byte) map[string]string {
	opts := map[string]string{}
	fields := bytes.Split(p[2:], []byte{0})
	for i := 0; i+1 < len(fields); i += 2 {
		opts[string(bytes.ToLower(fields[i]))] = string(fields[i+1])
	}
	return opts
}

func (s *tftpSession) blockSize() (int, error) {
	v, ok := s.res.Options["blksize"]
	if !ok {
		return 512, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 8 || n > 65464 || (s.c.BlockSize > 0 && n > s.c.BlockSize) {
		return 0, fmt.Errorf("server answered blksize %q to %d", v, s.c.BlockSize)
	}
	return n, nil
}

// Get downloads name into w.
func (c *TFTPClient) Get(ctx context.Context, name string, w io.Writer) (TFTPResult, error) {
	s := c.session()
	_, _, mode := c.defaults()
	req := appendOptions(TFTPRequest(false, name, mode), c, 0)
	if err := s.send(req, c.Server); err != nil {
		return s.res, fmt.Errorf("send read request: %w", err)
	}
	blksize := 512
	expect := uint16(1)
	for {
		p, err := s.receive(ctx)
		if err != nil {
			return s.res, fmt.Errorf("get %s block %d: %w", name, expect, err)
		}
		switch binary.BigEndian.Uint16(p) {
		case tftpOACK:
			if expect != 1 || s.res.Blocks > 0 {
				continue
			}
			if s.res.Options == nil {
				s.res.Options = parseOACK(p)
				if blksize, err = s.blockSize(); err != nil {
					return s.res, err
				}
			}
			if err := s.send(tftpACKPacket(0), s.target()); err != nil {
				return s.res, err
			}
		case tftpDATA:
			block := binary.BigEndian.Uint16(p[2:])
			switch {
			case block == expect:
				if c.DropData > 0 && c.Rand.Float64() < c.DropData {
					s.res.Dropped++
					continue
				}
				data := p[4:]
				if _, err := w.Write(data); err != nil {
					return s.res, err
				}
				s.res.Bytes += int64(len(data))
				s.res.Blocks++
				if err := s.send(tftpACKPacket(block), s.target()); err != nil {
					return s.res, err
				}
				if len(data) < blksize {
					return s.res, nil
				}
				expect++
			case block == expect-1:
				// Our ACK was lost: say it again.
				if err := s.send(tftpACKPacket(block), s.target()); err != nil {
					return s.res, err
				}
			}
		}
	}
}

// Put uploads r as name, size bytes (used for the tsize option only).
func (c *TFTPClient) Put(ctx context.Context, name string, r io.Reader, size int64) (TFTPResult, error) {
	s := c.session()
	_, _, mode := c.defaults()
	req := appendOptions(TFTPRequest(true, name, mode), c, size)
	if err := s.send(req, c.Server); err != nil {
		return s.res, fmt.Errorf("send write request: %w", err)
	}
	// The server's first answer: ACK 0 or an OACK.
	blksize := 512
	for {
		p, err := s.receive(ctx)
		if err != nil {
			return s.res, fmt.Errorf("put %s: %w", name, err)
		}
		op := binary.BigEndian.Uint16(p)
		if op == tftpACK && binary.BigEndian.Uint16(p[2:]) == 0 {
			break
		}
		if op == tftpOACK {
			s.res.Options = parseOACK(p)
			if blksize, err = s.blockSize(); err != nil {
				return s.res, err
			}
			break
		}
	}
	data := make([]byte, blksize)
	for block := uint16(1); ; block++ {
		n, err := io.ReadFull(r, data)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return s.res, err
		}
		pkt := binary.BigEndian.AppendUint16(nil, tftpDATA)
		pkt = binary.BigEndian.AppendUint16(pkt, block)
		pkt = append(pkt, data[:n]...)
		if err := s.send(pkt, s.target()); err != nil {
			return s.res, err
		}
		for {
			p, err := s.receive(ctx)
			if err != nil {
				return s.res, fmt.Errorf("put %s block %d: %w", name, block, err)
			}
			if binary.BigEndian.Uint16(p) == tftpACK && binary.BigEndian.Uint16(p[2:]) == block {
				break
			}
		}
		s.res.Bytes += int64(n)
		s.res.Blocks++
		if n < blksize {
			return s.res, nil
		}
	}
}

func appendOptions(req []byte, c *TFTPClient, size int64) []byte {
	add := func(k, v string) {
		req = append(req, k...)
		req = append(req, 0)
		req = append(req, v...)
		req = append(req, 0)
	}
	if c.BlockSize > 0 {
		add("blksize", strconv.Itoa(c.BlockSize))
	}
	if c.Tsize {
		add("tsize", strconv.FormatInt(max(size, 0), 10))
	}
	if c.Timeout > 0 {
		add("timeout", strconv.Itoa(c.Timeout))
	}
	return req
}

func tftpAddrPort(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}
