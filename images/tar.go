package images

import (
	"bytes"
	"path"
	"strconv"
	"strings"
)

// A tar archive is a run of 512-byte blocks:
//
//	+--------+------------------+--------+-------------+-----+----------------+
//	| header | data, padded to  | header | data …      | ... | two zero blocks|
//	| 512 B  | a 512-byte block | 512 B  |             |     | (end marker)   |
//	+--------+------------------+--------+-------------+-----+----------------+
//
// Header fields used here (offsets in bytes): name 0..100, size 124..136
// (octal, or base-256 when the top bit is set), checksum 148..156 (octal sum
// of all header bytes with the checksum field read as spaces), typeflag 156,
// magic 257..263 ("ustar\0" POSIX, "ustar " GNU), prefix 345..500 (POSIX).
const (
	blockSize = 512

	hdrName     = 0
	hdrSize     = 124
	hdrChecksum = 148
	hdrType     = 156
	hdrMagic    = 257
	hdrPrefix   = 345
)

// Limits on what the walker keeps, so memory stays flat whatever the archive.
const (
	maxInfoBytes     = 64 << 10 // info, info.ver
	maxLongName      = 4 << 10  // GNU 'L' long names and PAX path records
	maxPAXBytes      = 64 << 10
	imageHeadBytes   = 4 << 10 // start of the IOS image inside a bundle
	maxTopLevelDirs  = 16
	maxMemberNameLen = 4 << 10
)

// TarSummary is what one pass over a tar archive found.
type TarSummary struct {
	Members int `json:"members"`
	// Dirs are the top-level directories, at most 16: the image directories.
	Dirs        []string `json:"dirs,omitempty"`
	FirstMember string   `json:"first_member,omitempty"`
	LastMember  string   `json:"last_member,omitempty"`
	// ContentBytes is the sum of the member sizes: what extracting needs.
	ContentBytes int64 `json:"content_bytes"`
	HasInfo      bool  `json:"has_info"`     // first member is "info"
	HasInfoVer   bool  `json:"has_info_ver"` // an "info.ver" member exists
	// InfoVerLast is true when info.ver is the last member, as Cisco writes it.
	InfoVerLast bool `json:"info_ver_last"`
	// ImageMember is the IOS image inside the bundle, and its size.
	ImageMember     string `json:"image_member,omitempty"`
	ImageMemberSize int64  `json:"image_member_size,omitempty"`
	// EndMarker is true when the archive ends with its two zero blocks.
	EndMarker bool `json:"end_marker"`
	// Truncated: the file stops inside a header or a member's data.
	Truncated   bool   `json:"truncated"`
	TruncatedIn string `json:"truncated_in,omitempty"` // member being read
	MissingTail int64  `json:"missing_tail,omitempty"` // bytes the last member still needed
	// Corrupt: a header's checksum or size field is wrong.
	Corrupt       bool   `json:"corrupt"`
	CorruptAt     int64  `json:"corrupt_at,omitempty"` // byte offset of the bad header
	CorruptReason string `json:"corrupt_reason,omitempty"`
}

type walkState int

const (
	wantHeader walkState = iota
	inData
	inPad
	ended  // end marker seen
	broken // bad header: nothing after it can be trusted
)

type captureKind int

const (
	capNone captureKind = iota
	capInfo
	capDirInfo
	capInfoVer
	capLongName
	capPAX
	capImageHead
)

// tarWalker follows a tar archive as bytes arrive, in one pass, keeping only
// bounded captures (info files, long names, the start of the IOS image). The
// same walker is fed the whole stream when hashing, or only the bytes it asks
// for (next/skip) when reading headers through an io.ReaderAt.
type tarWalker struct {
	off   int64 // bytes consumed so far
	state walkState

	hdr  [blockSize]byte
	hdrN int

	name   string // current member
	remain int64  // data bytes left in the current member
	pad    int64  // padding bytes left after it

	capKind  captureKind
	capLimit int
	capBuf   []byte

	pendingName string // from a GNU long-name or PAX header, for the next member
	zeroBlocks  int
	lastIsVer   bool

	sum        TarSummary
	info       []byte // raw top-level info
	dirInfo    []byte // raw <dir>/info, when the top-level one has no image section
	infoVer    []byte
	imageHead  []byte
	expectPath string // dir/name of the IOS image, from the info file
}

// next says how many bytes the walker wants next and whether it needs to see
// them (false: they may be skipped with skip). 0 means it is done.
func (w *tarWalker) next() (n int64, need bool) {
	switch w.state {
	case wantHeader:
		return int64(blockSize - w.hdrN), true
	case inData:
		if w.capKind != capNone && len(w.capBuf) < w.capLimit {
			return min(w.remain, int64(w.capLimit-len(w.capBuf))), true
		}
		return w.remain, false
	case inPad:
		return w.pad, false
	}
	return 0, false
}

// Write feeds bytes; it never fails, so it can sit in an io.MultiWriter.
func (w *tarWalker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		switch w.state {
		case wantHeader:
			k := copy(w.hdr[w.hdrN:], p)
			w.hdrN += k
			w.off += int64(k)
			p = p[k:]
			if w.hdrN == blockSize {
				w.hdrN = 0
				w.header()
			}
		case inData:
			k := int(min(int64(len(p)), w.remain))
			if w.capKind != capNone && len(w.capBuf) < w.capLimit {
				w.capBuf = append(w.capBuf, p[:min(k, w.capLimit-len(w.capBuf))]...)
			}
			w.advanceData(int64(k))
			p = p[k:]
		case inPad:
			k := int(min(int64(len(p)), w.pad))
			w.advancePad(int64(k))
			p = p[k:]
		default:
			w.off += int64(len(p))
			p = nil
		}
	}
	return n, nil
}

// skip consumes n bytes the walker said it does not need to see.
func (w *tarWalker) skip(n int64) {
	switch w.state {
	case inData:
		w.advanceData(min(n, w.remain))
	case inPad:
		w.advancePad(min(n, w.pad))
	}
}

func (w *tarWalker) advanceData(k int64) {
	w.remain -= k
	w.off += k
	if w.remain == 0 {
		w.endMember()
	}
}

func (w *tarWalker) advancePad(k int64) {
	w.pad -= k
	w.off += k
	if w.pad == 0 {
		w.state = wantHeader
	}
}

// header handles one complete 512-byte header block.
func (w *tarWalker) header() {
	h := &w.hdr
	at := w.off - blockSize
	if isZeroBlock(h[:]) {
		w.zeroBlocks++
		if w.zeroBlocks >= 2 {
			w.sum.EndMarker = true
			w.state = ended
		}
		return
	}
	w.zeroBlocks = 0
	if !checksumOK(h) {
		w.fail(at, "header checksum does not match")
		return
	}
	size, ok := parseTarNumber(h[hdrSize : hdrSize+12])
	if !ok || size < 0 {
		w.fail(at, "header size field is not a number")
		return
	}
	typ := h[hdrType]
	switch typ {
	case '1', '2', '3', '4', '5', '6':
		size = 0 // header-only types carry no data whatever the size field says
	}
	name := w.pendingName
	w.pendingName = ""
	if name == "" {
		name = headerName(h)
	}
	w.name = name
	w.remain = size
	w.pad = (blockSize - size%blockSize) % blockSize
	w.capKind, w.capBuf, w.capLimit = capNone, nil, 0

	switch typ {
	case 'L': // GNU long name for the next member
		w.capture(capLongName, maxLongName)
	case 'x': // PAX extended header for the next member
		w.capture(capPAX, maxPAXBytes)
	case 'g', 'K': // global PAX header, GNU long link name: nothing for us
	default:
		w.member(name, typ, size)
	}
	if size == 0 {
		w.endMember()
		return
	}
	w.state = inData
}

// member records a real archive member and decides what to capture of it.
func (w *tarWalker) member(name string, typ byte, size int64) {
	clean := strings.TrimPrefix(name, "./")
	w.sum.Members++
	if w.sum.Members == 1 {
		w.sum.FirstMember = clean
		w.sum.HasInfo = clean == "info" && typ != '5'
	}
	w.sum.LastMember = clean
	w.lastIsVer = path.Base(clean) == "info.ver"
	if typ == '5' || strings.HasSuffix(clean, "/") {
		dir := strings.TrimSuffix(clean, "/")
		if !strings.Contains(dir, "/") && dir != "" && len(w.sum.Dirs) < maxTopLevelDirs {
			w.sum.Dirs = append(w.sum.Dirs, dir)
		}
		return
	}
	w.sum.ContentBytes += size
	switch {
	case w.sum.Members == 1 && w.sum.HasInfo:
		w.capture(capInfo, maxInfoBytes)
	case path.Base(clean) == "info.ver":
		w.sum.HasInfoVer = true
		w.capture(capInfoVer, maxInfoBytes)
	case path.Base(clean) == "info" && strings.Count(clean, "/") == 1 && w.dirInfo == nil && w.expectPath == "":
		w.capture(capDirInfo, maxInfoBytes)
	case w.sum.ImageMember == "" && w.isImage(clean):
		w.sum.ImageMember, w.sum.ImageMemberSize = clean, size
		w.capture(capImageHead, imageHeadBytes)
	}
}

// isImage says whether a member is the IOS image: the one the info file
// names, or without an info file the first .bin.
func (w *tarWalker) isImage(name string) bool {
	if w.expectPath != "" {
		return name == w.expectPath
	}
	return strings.HasSuffix(strings.ToLower(name), ".bin")
}

func (w *tarWalker) capture(k captureKind, limit int) {
	w.capKind, w.capLimit = k, limit
	w.capBuf = make([]byte, 0, min(limit, 4096))
}

// endMember runs when the current member's data is complete.
func (w *tarWalker) endMember() {
	buf := w.capBuf
	switch w.capKind {
	case capInfo:
		w.info = buf
		w.expectFrom(buf)
	case capDirInfo:
		w.dirInfo = buf
		w.expectFrom(buf)
	case capInfoVer:
		w.infoVer = buf
	case capLongName:
		w.pendingName = cString(buf, maxMemberNameLen)
	case capPAX:
		if p := paxPath(buf); p != "" {
			w.pendingName = p
		}
	case capImageHead:
		w.imageHead = buf
	}
	w.capKind, w.capBuf, w.capLimit = capNone, nil, 0
	if w.pad > 0 {
		w.state = inPad
	} else {
		w.state = wantHeader
	}
}

// expectFrom learns the IOS image path from an info file, so the walker can
// capture the start of that member when it comes by.
func (w *tarWalker) expectFrom(raw []byte) {
	if w.expectPath != "" {
		return
	}
	im := ParseInfo(raw).Image()
	if im.Name != "" {
		w.expectPath = im.Path()
	}
}

func (w *tarWalker) fail(at int64, reason string) {
	w.sum.Corrupt = true
	w.sum.CorruptAt = at
	w.sum.CorruptReason = reason
	w.state = broken
}

// finish is called at the end of the file and settles truncation.
func (w *tarWalker) finish() TarSummary {
	s := w.sum
	switch w.state {
	case wantHeader:
		if w.hdrN > 0 {
			s.Truncated = true
			s.TruncatedIn = "a header"
			s.MissingTail = int64(blockSize - w.hdrN)
		}
	case inData:
		s.Truncated = true
		s.TruncatedIn = strings.TrimPrefix(w.name, "./")
		s.MissingTail = w.remain + w.pad
	case inPad:
		s.Truncated = true
		s.TruncatedIn = strings.TrimPrefix(w.name, "./")
		s.MissingTail = w.pad
	}
	s.InfoVerLast = s.HasInfoVer && w.lastIsVer
	return s
}

func isZeroBlock(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// checksumOK accepts the POSIX unsigned sum and the old Sun signed sum.
func checksumOK(h *[blockSize]byte) bool {
	want, ok := parseOctal(h[hdrChecksum : hdrChecksum+8])
	if !ok {
		return false
	}
	var unsigned, signed int64
	for i, c := range h {
		if i >= hdrChecksum && i < hdrChecksum+8 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return want == unsigned || want == signed
}

// parseOctal reads an octal field padded with spaces or NULs.
func parseOctal(b []byte) (int64, bool) {
	s := strings.Trim(string(b), " \x00")
	if s == "" || len(s) > 22 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 8, 64)
	return n, err == nil
}

// parseTarNumber reads a numeric field, octal or GNU base-256.
func parseTarNumber(b []byte) (int64, bool) {
	if len(b) > 0 && b[0]&0x80 != 0 {
		if b[0]&0x40 != 0 {
			return 0, false // negative
		}
		var x uint64
		for i, c := range b {
			if i == 0 {
				c &= 0x7f
			}
			if x>>55 != 0 {
				return 0, false
			}
			x = x<<8 | uint64(c)
		}
		return int64(x), true
	}
	s := strings.Trim(string(b), " \x00")
	if s == "" {
		return 0, true
	}
	return parseOctal(b)
}

func headerName(h *[blockSize]byte) string {
	name := cString(h[hdrName:hdrName+100], 100)
	// POSIX ustar keeps a directory prefix in its own field; GNU tar uses
	// that space for other things and writes "ustar  \0".
	if bytes.Equal(h[hdrMagic:hdrMagic+6], []byte("ustar\x00")) {
		if p := cString(h[hdrPrefix:hdrPrefix+155], 155); p != "" {
			name = p + "/" + name
		}
	}
	return name
}

func cString(b []byte, limit int) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) > limit {
		b = b[:limit]
	}
	return strings.ToValidUTF8(string(b), "?")
}

// paxPath finds the "path" record in PAX extended header data: records are
// "<len> <key>=<value>\n".
func paxPath(b []byte) string {
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		if sp <= 0 {
			return ""
		}
		n, err := strconv.Atoi(string(b[:sp]))
		if err != nil || n <= sp || n > len(b) {
			return ""
		}
		rec := b[sp+1 : n]
		b = b[n:]
		k, v, ok := bytes.Cut(bytes.TrimSuffix(rec, []byte("\n")), []byte("="))
		if ok && string(k) == "path" {
			return cString(v, maxMemberNameLen)
		}
	}
	return ""
}
