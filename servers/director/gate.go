package director

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"fieldcon/servers"
)

// TFTP opcodes and error codes the gate needs (RFC 1350).
const (
	tftpRRQ   = 1
	tftpWRQ   = 2
	tftpERROR = 5

	tftpErrNotFound = 1
	tftpErrAccess   = 2
)

// ErrTFTPRequest means a datagram is not a well-formed read or write
// request.
var ErrTFTPRequest = errors.New("not a TFTP request")

// TFTPRequest is a read or write request as it arrived.
type TFTPRequest struct {
	Write bool
	Name  string
	Mode  string
	// Options is everything after the mode, as sent (name\0value\0 pairs).
	Options []byte
}

// ParseTFTPRequest reads an RRQ or WRQ datagram.
func ParseTFTPRequest(p []byte) (TFTPRequest, error) {
	if len(p) < 4 {
		return TFTPRequest{}, fmt.Errorf("%w: %d bytes", ErrTFTPRequest, len(p))
	}
	op := binary.BigEndian.Uint16(p)
	if op != tftpRRQ && op != tftpWRQ {
		return TFTPRequest{}, fmt.Errorf("%w: opcode %d", ErrTFTPRequest, op)
	}
	rest := p[2:]
	i := bytes.IndexByte(rest, 0)
	if i <= 0 {
		return TFTPRequest{}, fmt.Errorf("%w: no file name", ErrTFTPRequest)
	}
	name := string(rest[:i])
	rest = rest[i+1:]
	j := bytes.IndexByte(rest, 0)
	if j <= 0 {
		return TFTPRequest{}, fmt.Errorf("%w: no transfer mode", ErrTFTPRequest)
	}
	return TFTPRequest{Write: op == tftpWRQ, Name: name, Mode: string(rest[:j]), Options: rest[j+1:]}, nil
}

// Bytes encodes the request.
func (r TFTPRequest) Bytes() []byte {
	op := uint16(tftpRRQ)
	if r.Write {
		op = tftpWRQ
	}
	b := binary.BigEndian.AppendUint16(nil, op)
	b = append(append(b, r.Name...), 0)
	b = append(append(b, r.Mode...), 0)
	return append(b, r.Options...)
}

func tftpError(code uint16, msg string) []byte {
	b := binary.BigEndian.AppendUint16(nil, tftpERROR)
	b = binary.BigEndian.AppendUint16(b, code)
	return append(append(b, msg...), 0)
}

// Refusal is a TFTP request the director turns away: Code and Msg go into
// the ERROR packet (never internal paths or Go errors), Why into the log.
type Refusal struct {
	Code uint16
	Msg  string
	Why  string
}

func (r *Refusal) Error() string { return r.Why }

// TFTPPolicy decides requests at the TFTP front door. Read may return a
// new name to serve instead; Write returns the name the upload is stored
// under. An error (a *Refusal to choose the packet) refuses the request.
type TFTPPolicy interface {
	Read(peer netip.AddrPort, name string) (string, error)
	Write(peer netip.AddrPort, name string) (string, error)
}

// GateConn wraps the TFTP server's listening socket: every read and write
// request passes the policy before the server sees it, refused ones are
// answered with an ERROR packet here, and admitted ones may be renamed.
// Everything else passes through untouched.
type GateConn struct {
	net.PacketConn
	Policy TFTPPolicy
	Hook   servers.Hook
}

// ReadFrom returns the next datagram the policy admits.
func (g *GateConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := g.PacketConn.ReadFrom(p)
		if err != nil || n < 2 {
			return n, addr, err
		}
		op := binary.BigEndian.Uint16(p)
		if op != tftpRRQ && op != tftpWRQ {
			return n, addr, nil
		}
		peer := peerOf(addr)
		req, perr := ParseTFTPRequest(p[:n])
		if perr != nil || !peer.IsValid() {
			return n, addr, nil // the server refuses it in its own words
		}
		var name string
		if req.Write {
			name, err = g.Policy.Write(peer, req.Name)
		} else {
			name, err = g.Policy.Read(peer, req.Name)
		}
		if err != nil {
			g.refuse(addr, peer, req, err)
			continue
		}
		if name != req.Name {
			req.Name = name
			b := req.Bytes()
			if len(b) > len(p) {
				g.refuse(addr, peer, req, &Refusal{Code: tftpErrAccess, Msg: "name too long", Why: "the renamed request does not fit"})
				continue
			}
			n = copy(p, b)
		}
		return n, addr, nil
	}
}

func (g *GateConn) refuse(addr net.Addr, peer netip.AddrPort, req TFTPRequest, err error) {
	r := &Refusal{Code: tftpErrAccess, Msg: "access violation", Why: err.Error()}
	errors.As(err, &r)
	_, _ = g.PacketConn.WriteTo(tftpError(r.Code, r.Msg), addr)
	verb := "read"
	if req.Write {
		verb = "write"
	}
	g.Hook.Emit(servers.Event{Server: "director", Kind: servers.Refused, Peer: peer.String(), Subject: req.Name,
		Detail: fmt.Sprintf("TFTP %s of %s refused: %s", verb, req.Name, r.Why)})
}

func peerOf(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return ap
}

// cleanRequestName normalises a requested name for policy checks: no
// leading slash, forward slashes. Names the TFTP server would refuse
// anyway (.., NUL) are refused here first.
func cleanRequestName(name string) (string, bool) {
	name = strings.TrimLeft(strings.ReplaceAll(name, "\\", "/"), "/")
	if name == "" || strings.ContainsRune(name, 0) {
		return "", false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return "", false
		}
	}
	return name, true
}
