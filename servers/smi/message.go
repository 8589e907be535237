package smi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Port is the TCP port Smart Install clients listen on.
const Port = 4786

// Header, shared by every message in both directions: four big-endian uint32
// words, then Length bytes of payload. There are no delimiters and no
// checksum, so the length word is the only framing there is.
//
//	 0          4          8          12         16
//	+----------+----------+----------+----------+------------------+
//	|    w0    |    w1    |   type   |  length  | payload (length) |
//	+----------+----------+----------+----------+------------------+
//
// w0 is 1 in every director request this package sends, 2 in the type-5
// request it never sends and 4 in client replies; w1 is 1 in requests and 0
// in replies. Nobody outside Cisco knows what the two words mean; directors
// captured on the wire use these values, so we copy them.
const (
	HeaderSize = 16

	// MaxPayload is the largest payload of any known message (type 8,
	// 0x408 bytes). ReadMessage never allocates more than this, whatever
	// the length word claims.
	MaxPayload = 0x408

	// MaxReplyPayload is the largest payload a client sends back to a
	// probe (the 24-byte reply).
	MaxReplyPayload = 8
)

// Values of the first two header words.
const (
	wordDirector uint32 = 1 // w0 of a director request
	wordRequest  uint32 = 1 // w1 of a director request
	wordClient   uint32 = 4 // w0 of a client reply
	wordReply    uint32 = 0 // w1 of a client reply
)

// Type is the third header word. The same number means different things in
// each direction: a client answers a type-4 probe with a type-3 reply.
//
// The constants name every type seen on the wire so that a decoder can say
// what arrived. Naming a type does not make it sendable: the encoders in this
// package are one function per message and none of them takes a Type, so
// types 5 and 7 cannot be produced.
type Type uint32

const (
	// TypeImageUpgrade (director to client): fetch the image list file
	// at a TFTP URL, install the image it names, reload. 468 bytes.
	TypeImageUpgrade Type = 2
	// TypeConfig (director to client): fetch a configuration from a TFTP
	// URL, optionally reload with it. 312 bytes. From a client, type 3 is
	// the answer to a probe (24 bytes).
	TypeConfig Type = 3
	// TypeProbe (director to client): "are you a Smart Install client?".
	// 24 bytes. From a client, type 4 means it rejected what it got
	// (20 bytes).
	TypeProbe Type = 4
	// TypeExecFile (director to client): fetch a file of IOS commands by
	// TFTP and run them. Recognised so it can be logged and refused;
	// fieldcon never sends it.
	TypeExecFile Type = 5
	// TypeTLV (director to client): the TLV message of the CVE-2018-0171
	// exploit. Recognised so it can be logged and refused; fieldcon never
	// sends it.
	TypeTLV Type = 7
	// TypeCommands (director to client): run up to three IOS commands.
	// fieldcon only ever sends one: copy the running configuration to its
	// own TFTP server. 1048 bytes.
	TypeCommands Type = 8
)

// String names the type as a director request, the way a log reads it.
func (t Type) String() string {
	switch t {
	case TypeImageUpgrade:
		return "2 (image upgrade)"
	case TypeConfig:
		return "3 (configuration URL)"
	case TypeProbe:
		return "4 (probe)"
	case TypeExecFile:
		return "5 (run commands from a file, never sent)"
	case TypeTLV:
		return "7 (TLV, CVE-2018-0171, never sent)"
	case TypeCommands:
		return "8 (run commands)"
	}
	return fmt.Sprintf("%d (unknown)", uint32(t))
}

// Errors the decoders and the framing reader return, wrapped with what was
// being read.
var (
	// ErrTruncated: the stream or buffer ended before the message did.
	ErrTruncated = errors.New("smi: message cut short")
	// ErrTooLong: the length word is larger than any message this
	// package knows, or larger than the buffer holds.
	ErrTooLong = errors.New("smi: message too long")
	// ErrWrongType: the message is well framed but of another type or
	// direction than the decoder reads.
	ErrWrongType = errors.New("smi: unexpected message type")
	// ErrMalformed: a field does not hold what every known sender puts
	// there.
	ErrMalformed = errors.New("smi: malformed message")
)

// Header is the decoded 16-byte message header.
type Header struct {
	W0     uint32 // 1: director request, 2: type-5 request, 4: client reply
	W1     uint32 // 1 in requests, 0 in replies
	Type   Type
	Length uint32 // payload bytes after the header
}

// FromClient reports whether the header carries the client-reply markers.
func (h Header) FromClient() bool { return h.W0 == wordClient && h.W1 == wordReply }

// FromDirector reports whether the header carries the markers of the
// director requests this package sends.
func (h Header) FromDirector() bool { return h.W0 == wordDirector && h.W1 == wordRequest }

// DecodeHeader reads the header at the start of b.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("smi header: %d of %d bytes: %w", len(b), HeaderSize, ErrTruncated)
	}
	return Header{
		W0:     binary.BigEndian.Uint32(b[0:]),
		W1:     binary.BigEndian.Uint32(b[4:]),
		Type:   Type(binary.BigEndian.Uint32(b[8:])),
		Length: binary.BigEndian.Uint32(b[12:]),
	}, nil
}

// Message is one framed message as it arrived.
type Message struct {
	Header Header
	// Raw is the header and the payload, exactly as read: what the
	// Decode… functions take and what a log should show in hex.
	Raw []byte
}

// Payload returns the bytes after the header.
func (m Message) Payload() []byte {
	if len(m.Raw) < HeaderSize {
		return nil
	}
	return m.Raw[HeaderSize:]
}

// ReadMessage reads exactly one message from a stream: the header, then as
// many bytes as its length word says, never more than maxPayload (which is
// itself capped at MaxPayload). TCP may split a message across segments, so
// it reads until the message is complete, not just once.
//
// It returns io.EOF only when the stream ended cleanly before the first byte,
// which is how a Smart Install director answers a probe. On any other error
// the returned Message holds the bytes read so far, for the log.
func ReadMessage(r io.Reader, maxPayload uint32) (Message, error) {
	if maxPayload > MaxPayload {
		maxPayload = MaxPayload
	}
	var hdr [HeaderSize]byte
	n, err := io.ReadFull(r, hdr[:])
	if err != nil {
		m := Message{Raw: append([]byte(nil), hdr[:n]...)}
		switch {
		case errors.Is(err, io.EOF):
			return m, io.EOF
		case errors.Is(err, io.ErrUnexpectedEOF):
			return m, fmt.Errorf("smi read header: stream ended after %d of %d bytes: %w", n, HeaderSize, ErrTruncated)
		}
		return m, fmt.Errorf("smi read header: %w", err)
	}
	h, _ := DecodeHeader(hdr[:])
	if h.Length > maxPayload {
		return Message{Header: h, Raw: append([]byte(nil), hdr[:]...)},
			fmt.Errorf("smi read %s message: length %d is over the limit of %d: %w", h.Type, h.Length, maxPayload, ErrTooLong)
	}
	raw := make([]byte, HeaderSize+int(h.Length))
	copy(raw, hdr[:])
	n, err = io.ReadFull(r, raw[HeaderSize:])
	if err != nil {
		m := Message{Header: h, Raw: raw[:HeaderSize+n]}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return m, fmt.Errorf("smi read %s message: stream ended after %d of %d payload bytes: %w", h.Type, n, h.Length, ErrTruncated)
		}
		return m, fmt.Errorf("smi read %s message: %w", h.Type, err)
	}
	return Message{Header: h, Raw: raw}, nil
}
