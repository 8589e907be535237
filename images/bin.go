package images

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Format is what a file turned out to be, from its content.
type Format string

// Formats Inspect recognises.
const (
	FormatCiscoTar Format = "cisco-tar" // tar with an info file first
	FormatTar      Format = "tar"       // a tar without Cisco's info file
	FormatIOSBin   Format = "ios-bin"   // runnable image: ELF, MZIP or U-Boot header
	FormatGzip     Format = "gzip"
	FormatZip      Format = "zip"
	FormatHTML     Format = "html" // a web page saved instead of the image
	FormatText     Format = "text"
	FormatEmpty    Format = "empty"
	FormatUnknown  Format = "unknown"
)

// Describe says what the format is in a technician's words.
func (f Format) Describe() string {
	switch f {
	case FormatCiscoTar:
		return "Cisco tar bundle"
	case FormatTar:
		return "tar archive without Cisco's info file"
	case FormatIOSBin:
		return "runnable image (.bin)"
	case FormatGzip:
		return "gzip-compressed file"
	case FormatZip:
		return "zip archive"
	case FormatHTML:
		return "web page"
	case FormatText:
		return "text file"
	case FormatEmpty:
		return "empty file"
	}
	return "unrecognised file"
}

// BinHeader is what the first bytes of a runnable image say.
type BinHeader struct {
	// Kind is "ELF", "MZIP" or "U-Boot".
	Kind string `json:"kind"`
	// Detail reads like `file`: "ELF 32-bit big-endian PowerPC".
	Detail string `json:"detail"`
	// Needs is how many bytes the header says the image occupies, 0 when
	// it does not say; more than the file holds means it was cut short.
	Needs int64 `json:"needs,omitempty"`
}

// Magic numbers at offset 0.
var (
	magicELF    = []byte{0x7f, 'E', 'L', 'F'}
	magicMZIP   = []byte("MZIP")
	magicUImage = []byte{0x27, 0x05, 0x19, 0x56}
	magicGzip   = []byte{0x1f, 0x8b}
	magicZip    = []byte("PK\x03\x04")
)

// sniff decides the format from the first bytes of a file. It does not
// decide between Cisco tar and plain tar: that needs the first member.
func sniff(head []byte, size int64) (Format, *BinHeader) {
	switch {
	case size == 0:
		return FormatEmpty, nil
	case bytes.HasPrefix(head, magicELF):
		return FormatIOSBin, elfHeader(head)
	case bytes.HasPrefix(head, magicMZIP):
		return FormatIOSBin, mzipHeader(head)
	case bytes.HasPrefix(head, magicUImage):
		return FormatIOSBin, uimageHeader(head)
	case bytes.HasPrefix(head, magicGzip):
		return FormatGzip, nil
	case bytes.HasPrefix(head, magicZip):
		return FormatZip, nil
	}
	if len(head) >= blockSize {
		var h [blockSize]byte
		copy(h[:], head)
		if !isZeroBlock(h[:]) && checksumOK(&h) {
			return FormatTar, nil
		}
	}
	if looksHTML(head) {
		return FormatHTML, nil
	}
	if looksText(head) {
		return FormatText, nil
	}
	return FormatUnknown, nil
}

// elfHeader reads the ELF identification and works out how long the file
// must be: the section header table usually sits at the very end, so a cut
// file no longer holds it.
func elfHeader(b []byte) *BinHeader {
	h := &BinHeader{Kind: "ELF", Detail: "ELF"}
	if len(b) < 52 {
		return h
	}
	class, data := b[4], b[5]
	var bo binary.ByteOrder = binary.BigEndian
	endian := "big-endian"
	if data == 1 {
		bo, endian = binary.LittleEndian, "little-endian"
	}
	machine := bo.Uint16(b[18:])
	bits := "32-bit"
	var phoff, shoff uint64
	var phentsize, phnum, shentsize, shnum uint16
	switch class {
	case 1:
		phoff, shoff = uint64(bo.Uint32(b[28:])), uint64(bo.Uint32(b[32:]))
		phentsize, phnum = bo.Uint16(b[42:]), bo.Uint16(b[44:])
		shentsize, shnum = bo.Uint16(b[46:]), bo.Uint16(b[48:])
	case 2:
		if len(b) < 64 {
			return h
		}
		bits = "64-bit"
		phoff, shoff = bo.Uint64(b[32:]), bo.Uint64(b[40:])
		phentsize, phnum = bo.Uint16(b[54:]), bo.Uint16(b[56:])
		shentsize, shnum = bo.Uint16(b[58:]), bo.Uint16(b[60:])
	default:
		return h
	}
	h.Detail = fmt.Sprintf("ELF %s %s %s", bits, endian, elfMachine(machine))

	const sane = 1 << 40
	need := uint64(0)
	if shnum > 0 && shoff < sane {
		need = max(need, shoff+uint64(shnum)*uint64(shentsize))
	}
	if phnum > 0 && phoff < sane {
		need = max(need, phoff+uint64(phnum)*uint64(phentsize))
		// Program headers inside what we read tell where each segment ends.
		for i := uint64(0); i < uint64(phnum) && i < 64; i++ {
			at := phoff + i*uint64(phentsize)
			var off, filesz uint64
			switch {
			case class == 1 && phentsize >= 32 && at+32 <= uint64(len(b)):
				off, filesz = uint64(bo.Uint32(b[at+4:])), uint64(bo.Uint32(b[at+16:]))
			case class == 2 && phentsize >= 56 && at+56 <= uint64(len(b)):
				off, filesz = bo.Uint64(b[at+8:]), bo.Uint64(b[at+32:])
			default:
				continue
			}
			if off < sane && filesz < sane {
				need = max(need, off+filesz)
			}
		}
	}
	if need < sane {
		h.Needs = int64(need)
	}
	return h
}

func elfMachine(m uint16) string {
	switch m {
	case 2:
		return "SPARC"
	case 3:
		return "x86"
	case 8:
		return "MIPS"
	case 20:
		return "PowerPC"
	case 21:
		return "PowerPC64"
	case 40:
		return "ARM"
	case 62:
		return "x86-64"
	case 183:
		return "AArch64"
	}
	return fmt.Sprintf("machine %d", m)
}

// mzipHeader reads Cisco's compressed-image header (big-endian, 0x70 bytes):
//
//	0 "MZIP" | 4 version | 8 entry point | 12 flags1 | 16 flags2 | 20..52 padding
//	52 code CRC (16) | 54 header CRC (16) | 56 header size | 60 loader address
//	64 flags3 | 68 packed code size | 72 unpacked code size | 76 memory image size
//
// The packed code follows the header, so a whole file holds at least
// header size + packed size bytes.
func mzipHeader(b []byte) *BinHeader {
	h := &BinHeader{Kind: "MZIP", Detail: "MZIP compressed image"}
	if len(b) < 80 {
		return h
	}
	hdrLen := int64(binary.BigEndian.Uint32(b[56:]))
	packed := int64(binary.BigEndian.Uint32(b[68:]))
	unpacked := int64(binary.BigEndian.Uint32(b[72:]))
	if hdrLen >= 0x70 && hdrLen < 1<<20 {
		h.Needs = hdrLen + packed
	}
	if unpacked > 0 {
		h.Detail = fmt.Sprintf("MZIP compressed image (%d bytes unpacked)", unpacked)
	}
	return h
}

// uimageHeader reads a U-Boot legacy header (64 bytes, big-endian, data size
// at 12, name at 32), as Wave-2 AP images carry.
func uimageHeader(b []byte) *BinHeader {
	h := &BinHeader{Kind: "U-Boot", Detail: "U-Boot image"}
	if len(b) < 64 {
		return h
	}
	h.Needs = 64 + int64(binary.BigEndian.Uint32(b[12:]))
	if name := cString(b[32:64], 32); name != "" {
		h.Detail = fmt.Sprintf("U-Boot image %q", name)
	}
	return h
}

func looksHTML(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) > 64 {
		b = b[:64]
	}
	l := bytes.ToLower(b)
	return bytes.HasPrefix(l, []byte("<!doctype html")) || bytes.HasPrefix(l, []byte("<html")) ||
		bytes.HasPrefix(l, []byte("<head")) || bytes.HasPrefix(l, []byte("<?xml"))
}

func looksText(b []byte) bool {
	if len(b) > 1024 {
		b = b[:1024]
	}
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			// A rune cut at the end of the sample is fine.
			return len(b) < 4
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' && r != '\f' {
			return false
		}
		b = b[n:]
	}
	return true
}
