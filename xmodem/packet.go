package xmodem

import (
	"bytes"
	"errors"
	"strconv"
)

// Control bytes. XMODEM has no packet types beyond these: everything a
// receiver says is one byte, everything a sender says is one byte or a block.
const (
	soh      byte = 0x01 // start of a 128-byte block
	stx      byte = 0x02 // start of a 1024-byte block (XMODEM-1K, YMODEM)
	eot      byte = 0x04 // end of transmission
	ack      byte = 0x06
	nak      byte = 0x15 // resend; as the first byte: "send with checksums"
	can      byte = 0x18 // two in a row abort the transfer
	sub      byte = 0x1a // CP/M end of file: pads the last block
	crcStart byte = 'C'  // as the first byte: "send with CRC-16"
)

// Block
//
//	1 byte    1 byte   1 byte      128 or 1024 bytes      1 byte   or 2 bytes
//	+---------+-------+----------+------------------------+---------+-----------+
//	| SOH/STX |  seq  | 255-seq  |          data          | sum mod | CRC-16    |
//	|         |       |          | (last one SUB-padded)  | 256     | big endian|
//	+---------+-------+----------+------------------------+---------+-----------+
//
// seq starts at 1 and wraps 255 -> 0. The check is an arithmetic sum of the
// data bytes (original XMODEM) or CRC-16/XMODEM (poly 0x1021, init 0),
// whichever the receiver asked for with its first byte (NAK or 'C').
//
// YMODEM batch header (block 0, always CRC)
//
//	+-----+----+------+------------------------------------------------+-----+
//	| SOH | 00 |  FF  | name NUL size-in-decimal [ mtime mode ] NUL... | CRC |
//	+-----+----+------+------------------------------------------------+-----+
//
// A header whose name is empty (all NUL) ends the batch.
//
// Block sizes and framing overhead:
const (
	blockSize128 = 128
	blockSize1K  = 1024
	headerLen    = 3 // start byte, sequence, 255-sequence
	maxBlockLen  = headerLen + blockSize1K + 2
)

// blockLen is the length on the wire of a block with size data bytes.
func blockLen(size int, crc bool) int {
	if crc {
		return headerLen + size + 2
	}
	return headerLen + size + 1
}

// Errors of the pure block decoder. The receiver turns all of them into a NAK.
var (
	errShortBlock = errors.New("block too short")
	errBadStart   = errors.New("block does not start with SOH or STX")
	errBadSeq     = errors.New("sequence number and its complement disagree")
	errBadCheck   = errors.New("checksum or CRC mismatch")
)

// encodeBlock lays out one block in dst, which must hold blockLen(size, crc)
// bytes, and returns it. data (at most size bytes) is padded with pad.
func encodeBlock(dst []byte, seq byte, data []byte, size int, crc bool, pad byte) []byte {
	p := dst[:blockLen(size, crc)]
	p[0] = soh
	if size == blockSize1K {
		p[0] = stx
	}
	p[1] = seq
	p[2] = ^seq
	payload := p[headerLen : headerLen+size]
	n := copy(payload, data)
	for i := n; i < size; i++ {
		payload[i] = pad
	}
	if crc {
		c := crc16(payload)
		p[headerLen+size] = byte(c >> 8)
		p[headerLen+size+1] = byte(c)
	} else {
		p[headerLen+size] = checksum(payload)
	}
	return p
}

// decodeBlock checks a whole block (start byte included) and returns its
// sequence number and data. data aliases p.
func decodeBlock(p []byte, crc bool) (seq byte, data []byte, err error) {
	if len(p) < 1 {
		return 0, nil, errShortBlock
	}
	size := 0
	switch p[0] {
	case soh:
		size = blockSize128
	case stx:
		size = blockSize1K
	default:
		return 0, nil, errBadStart
	}
	if len(p) < blockLen(size, crc) {
		return 0, nil, errShortBlock
	}
	if p[1] != ^p[2] {
		return 0, nil, errBadSeq
	}
	data = p[headerLen : headerLen+size]
	if crc {
		if crc16(data) != uint16(p[headerLen+size])<<8|uint16(p[headerLen+size+1]) {
			return 0, nil, errBadCheck
		}
	} else if checksum(data) != p[headerLen+size] {
		return 0, nil, errBadCheck
	}
	return p[1], data, nil
}

// frameKind is what the receiver found at the front of its input.
type frameKind int

const (
	frameNone  frameKind = iota // nothing complete yet
	frameBlock                  // a whole block, not yet checked
	frameEOT
	frameCAN
)

// nextFrame looks for the next thing a sender can say in buf. It returns the
// kind, the frame's bytes (a block, or the single control byte) and how many
// bytes of buf it used up, garbage before the frame included. With
// frameNone, used counts garbage that can be dropped; the rest of buf is the
// beginning of an incomplete block and must be kept.
//
// Line noise before a block is skipped byte by byte: anything that is not
// SOH, STX, EOT or CAN cannot start a frame.
func nextFrame(buf []byte, crc bool) (kind frameKind, frame []byte, used int) {
	for i, b := range buf {
		switch b {
		case soh, stx:
			size := blockSize128
			if b == stx {
				size = blockSize1K
			}
			n := blockLen(size, crc)
			if len(buf)-i < n {
				return frameNone, nil, i
			}
			return frameBlock, buf[i : i+n], i + n
		case eot:
			return frameEOT, buf[i : i+1], i + 1
		case can:
			return frameCAN, buf[i : i+1], i + 1
		}
	}
	return frameNone, nil, len(buf)
}

// checksum is the original XMODEM check: the data bytes summed modulo 256.
func checksum(p []byte) byte {
	var s byte
	for _, b := range p {
		s += b
	}
	return s
}

// crcTable is CRC-16/XMODEM (poly 0x1021, init 0, no reflection), byte-wise.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc16(p []byte) uint16 {
	var c uint16
	for _, b := range p {
		c = c<<8 ^ crcTable[byte(c>>8)^b]
	}
	return c
}

// fileHeader is the content of a YMODEM block 0.
type fileHeader struct {
	Name string
	Size int64 // -1 when the sender did not say
}

// encodeHeader returns the data of a YMODEM block 0 for h, unpadded. An empty
// name gives the end-of-batch header (no data at all).
func encodeHeader(h fileHeader) []byte {
	if h.Name == "" {
		return nil
	}
	p := append([]byte(h.Name), 0)
	if h.Size >= 0 {
		p = strconv.AppendInt(p, h.Size, 10)
	}
	return append(p, 0)
}

// errBadHeader means block 0 did not hold a YMODEM file header.
var errBadHeader = errors.New("malformed YMODEM file header")

// decodeHeader parses the data of a YMODEM block 0. An empty name (first
// byte NUL) is the end of the batch.
func decodeHeader(data []byte) (fileHeader, error) {
	name, rest, ok := bytes.Cut(data, []byte{0})
	if !ok {
		return fileHeader{}, errBadHeader
	}
	h := fileHeader{Name: string(name), Size: -1}
	if h.Name == "" {
		return h, nil
	}
	// The size is the first space-separated field; later fields (mtime,
	// mode, serial) are optional and of no use to a console transfer.
	field, _, _ := bytes.Cut(rest, []byte{0})
	field, _, _ = bytes.Cut(field, []byte{' '})
	if len(field) > 0 {
		n, err := strconv.ParseInt(string(field), 10, 64)
		if err != nil || n < 0 {
			return fileHeader{}, errBadHeader
		}
		h.Size = n
	}
	return h, nil
}
