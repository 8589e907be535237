package tftp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// TFTP opcodes (RFC 1350, RFC 2347). Every packet starts with one:
//
//	 2 bytes
//	+--------+---~~---+
//	| opcode |  rest  |
//	+--------+---~~---+
type opcode uint16

const (
	opRRQ   opcode = 1 // read request
	opWRQ   opcode = 2 // write request
	opDATA  opcode = 3 // data block
	opACK   opcode = 4 // acknowledgement
	opERROR opcode = 5 // error
	opOACK  opcode = 6 // option acknowledgement
)

// packetOpcode returns the opcode of p, or 0 when p is too short to have one.
func packetOpcode(p []byte) opcode {
	if len(p) < 2 {
		return 0
	}
	return opcode(binary.BigEndian.Uint16(p))
}

// packetBlock returns the block number of a DATA or ACK packet.
//
//	 2 bytes    2 bytes    n bytes (DATA only)
//	+--------+----------+---~~---+
//	| opcode |  block # |  data  |
//	+--------+----------+---~~---+
func packetBlock(p []byte) uint16 {
	return binary.BigEndian.Uint16(p[2:4])
}

// Limits of the protocol and of what this server accepts in a request.
const (
	minBlockSize     = 8     // RFC 2348
	defaultBlockSize = 512   // RFC 1350
	maxBlockSize     = 65464 // RFC 2348
	maxTimeoutOption = 255   // RFC 2349, seconds
	maxOptions       = 16    // more than any real client sends
)

// Mode is the transfer mode of a request, lower-cased.
const (
	modeOctet    = "octet"
	modeNetascii = "netascii"
)

// request is a parsed read or write request:
//
//	 2 bytes    string   1 byte   string   1 byte  string  1 byte  string  1 byte
//	+--------+---~~---+--------+---~~---+-------+---~~---+-------+---~~---+-------+
//	| opcode |filename|   0    |  mode  |   0   |  opt1  |   0   | value1 |   0   | ...
//	+--------+---~~---+--------+---~~---+-------+---~~---+-------+---~~---+-------+
type request struct {
	Op   opcode
	Name string // as sent, not yet checked
	Mode string // lower-cased
	// Options in the order sent, names lower-cased; a repeated name keeps
	// its first value.
	Options []option
}

type option struct{ Name, Value string }

// Option returns the value of the named option and whether it was sent.
func (r request) Option(name string) (string, bool) {
	for _, o := range r.Options {
		if o.Name == name {
			return o.Value, true
		}
	}
	return "", false
}

// Errors from parseRequest.
var (
	ErrNotRequest = errors.New("not a read or write request")
	ErrMalformed  = errors.New("malformed request")
)

// parseRequest decodes an RRQ or WRQ. It is lenient where real clients are
// sloppy (NUL padding after the last field, an unterminated trailing option,
// upper-case mode and option names) and strict where it matters (the name and
// the mode must each be terminated).
func parseRequest(p []byte) (request, error) {
	op := packetOpcode(p)
	if op != opRRQ && op != opWRQ {
		return request{}, ErrNotRequest
	}
	rest := p[2:]
	name, rest, ok := cutField(rest)
	if !ok {
		return request{}, ErrMalformed
	}
	mode, rest, ok := cutField(rest)
	if !ok || mode == "" {
		return request{}, ErrMalformed
	}
	r := request{Op: op, Name: name, Mode: strings.ToLower(mode)}
	for len(r.Options) < maxOptions {
		var n, v string
		if n, rest, ok = cutField(rest); !ok || n == "" {
			break // end of packet, or NUL padding
		}
		if v, rest, ok = cutField(rest); !ok {
			break
		}
		n = strings.ToLower(n)
		if _, dup := r.Option(n); !dup {
			r.Options = append(r.Options, option{n, v})
		}
	}
	return r, nil
}

// cutField splits a NUL-terminated string off the front of b.
func cutField(b []byte) (field string, rest []byte, ok bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", nil, false
	}
	return string(b[:i]), b[i+1:], true
}

// TFTP error codes (RFC 1350, RFC 2347).
const (
	codeNotDefined    uint16 = 0
	codeFileNotFound  uint16 = 1
	codeAccess        uint16 = 2
	codeDiskFull      uint16 = 3
	codeIllegal       uint16 = 4
	codeUnknownTID    uint16 = 5
	codeFileExists    uint16 = 6
	codeOptionRefused uint16 = 8
)

// tftpError is what an ERROR packet says. The texts are fixed and short:
// a device prints them on its console, and they must never carry Go error
// strings, paths on the laptop or internal addresses.
type tftpError struct {
	Code uint16
	Text string
}

// The only ERROR packets this server sends.
var (
	errFileNotFound = tftpError{codeFileNotFound, "file not found"}
	errNameRefused  = tftpError{codeAccess, "file name not allowed"}
	errAccess       = tftpError{codeAccess, "access violation"}
	errUploadsOff   = tftpError{codeAccess, "uploads are disabled"}
	errTooBig       = tftpError{codeDiskFull, "file too large"}
	errDiskFull     = tftpError{codeDiskFull, "disk full or allocation exceeded"}
	errIllegal      = tftpError{codeIllegal, "illegal TFTP operation"}
	errBadMode      = tftpError{codeIllegal, "transfer mode not supported"}
	errBusy         = tftpError{codeNotDefined, "server busy, try again later"}
	errShutdown     = tftpError{codeNotDefined, "server shutting down"}
	errFailed       = tftpError{codeNotDefined, "transfer failed"}
	errServer       = tftpError{codeNotDefined, "server error"}
)

// encodeError builds an ERROR packet:
//
//	 2 bytes   2 bytes    string   1 byte
//	+--------+----------+---~~---+------+
//	|   5    | err code | message|  0   |
//	+--------+----------+---~~---+------+
func encodeError(e tftpError) []byte {
	p := make([]byte, 4, 5+len(e.Text))
	binary.BigEndian.PutUint16(p, uint16(opERROR))
	binary.BigEndian.PutUint16(p[2:], e.Code)
	p = append(p, e.Text...)
	return append(p, 0)
}

// errorMessage returns the text of an ERROR packet from a peer, cut to
// printable ASCII and 64 characters so it can go into a log line.
func errorMessage(p []byte) string {
	if len(p) < 4 {
		return ""
	}
	msg, _, _ := bytes.Cut(p[4:], []byte{0})
	var b strings.Builder
	for _, c := range msg {
		if b.Len() == 64 {
			break
		}
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// encodeOACK builds an option acknowledgement:
//
//	 2 bytes   string  1 byte  string  1 byte
//	+--------+---~~---+------+---~~---+------+---
//	|   6    |  opt1  |  0   | value1 |  0   | ...
//	+--------+---~~---+------+---~~---+------+---
func encodeOACK(opts []option) []byte {
	p := make([]byte, 2, 64)
	binary.BigEndian.PutUint16(p, uint16(opOACK))
	for _, o := range opts {
		p = append(p, o.Name...)
		p = append(p, 0)
		p = append(p, o.Value...)
		p = append(p, 0)
	}
	return p
}

// encodeACK builds an ACK for block n.
func encodeACK(n uint16) []byte {
	p := make([]byte, 4)
	binary.BigEndian.PutUint16(p, uint16(opACK))
	binary.BigEndian.PutUint16(p[2:], n)
	return p
}

// encodeRequest builds an RRQ or WRQ; the server uses it to hand pin/tftp a
// request it has already checked and normalised.
func encodeRequest(r request) []byte {
	p := make([]byte, 2, 64)
	binary.BigEndian.PutUint16(p, uint16(r.Op))
	for _, s := range []string{r.Name, r.Mode} {
		p = append(p, s...)
		p = append(p, 0)
	}
	for _, o := range r.Options {
		p = append(p, o.Name...)
		p = append(p, 0)
		p = append(p, o.Value...)
		p = append(p, 0)
	}
	return p
}

// optionNumber parses a decimal option value within [lo, hi].
func optionNumber(v string, lo, hi int64) (int64, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}
