package tui

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitizer turns the raw bytes a device sends into display lines that can
// never break the layout: the result holds no control characters and only
// runes one cell wide, so wrapping by rune count is wrapping by width.
//
// It behaves like the one line of a dumb terminal the technician would
// otherwise look at: a bare \r returns to the start of the line and later
// text overwrites (IOS progress spinners, pager erasure), backspace moves
// left, tabs expand to spaces, and ANSI sequences from IOS pagers are
// interpreted just enough (erase-in-line, cursor left/right) and otherwise
// dropped. NULs, BEL, DEL and other controls vanish. Invalid UTF-8 (what a
// wrong baud rate produces) and runes that are not one cell wide become
// U+FFFD, so garbage stays visible as garbage without moving anything.
//
// State survives between Write calls, so an escape sequence or a UTF-8
// rune split across two reads is handled the same as if it came in one.
type Sanitizer struct {
	// MaxLine is the longest line kept; a device that never sends a newline
	// gets its output broken into lines of this many runes. 0 means 1024.
	MaxLine int

	line []rune // the current, unterminated line
	col  int    // cursor column in line

	esc    escState
	seq    []byte // parameters of the escape sequence being read
	utf    [utf8.UTFMax]byte
	utfLen int
	// Garbled counts the replacement characters written so far, the usual
	// sign of a wrong baud rate.
	Garbled int
}

type escState uint8

const (
	escNone     escState = iota
	escStart             // after ESC
	escInter             // ESC followed by intermediates, waiting for a final byte
	escCSI               // ESC [
	escString            // OSC, DCS, SOS, PM, APC: until BEL or ST
	escStringST          // ESC seen inside a string
)

// maxSeq bounds an escape sequence; longer ones are garbage and abandoned.
const maxSeq = 64

const replacement = '\uFFFD'

// Write feeds device bytes; emit is called with every line completed by a
// newline (or by reaching MaxLine), in order.
func (s *Sanitizer) Write(p []byte, emit func(line string)) {
	for _, b := range p {
		s.writeByte(b, emit)
	}
}

// Partial is the current line, not yet ended by a newline: typically the
// device's prompt, which loaders print without one.
func (s *Sanitizer) Partial() string {
	return string(s.line)
}

// Flush ends the current line if it holds anything and returns it; it is
// used when the display switches modes and the partial line must be kept.
func (s *Sanitizer) Flush(emit func(line string)) {
	s.flushUTF8(emit)
	if len(s.line) > 0 {
		s.commit(emit)
	}
	s.col = 0
}

// Reset forgets the current line and any half-read sequence.
func (s *Sanitizer) Reset() {
	s.line = s.line[:0]
	s.col = 0
	s.esc = escNone
	s.seq = s.seq[:0]
	s.utfLen = 0
}

func (s *Sanitizer) maxLine() int {
	if s.MaxLine <= 0 {
		return 1024
	}
	return s.MaxLine
}

func (s *Sanitizer) writeByte(b byte, emit func(string)) {
	if s.esc != escNone {
		if s.escape(b) {
			return
		}
		// A control byte inside a sequence aborts it and acts normally.
	}
	if s.utfLen > 0 {
		if b&0xC0 == 0x80 {
			s.utf[s.utfLen] = b
			s.utfLen++
			if s.utfLen == utf8.UTFMax || utf8.FullRune(s.utf[:s.utfLen]) {
				s.decodeUTF8(emit)
			}
			return
		}
		s.flushUTF8(emit)
	}
	switch {
	case b >= 0x20 && b < 0x7F:
		s.put(rune(b), emit)
	case b >= 0x80:
		s.utf[0] = b
		s.utfLen = 1
		if utf8.FullRune(s.utf[:1]) { // a byte that can never start a rune
			s.decodeUTF8(emit)
		}
	case b == '\n':
		s.commit(emit)
		s.col = 0
	case b == '\r':
		s.col = 0
	case b == '\b':
		if s.col > 0 {
			s.col--
		}
	case b == '\t':
		n := 8 - s.col%8
		for range n {
			s.put(' ', emit)
		}
	case b == 0x1B:
		s.esc = escStart
		s.seq = s.seq[:0]
	default:
		// NUL, BEL, DEL, form feed and the rest: nothing to show.
	}
}

// escape consumes b as part of an escape sequence and reports whether it did.
func (s *Sanitizer) escape(b byte) bool {
	if b == 0x18 || b == 0x1A { // CAN, SUB cancel a sequence
		s.esc = escNone
		return true
	}
	if b < 0x20 && s.esc != escString && s.esc != escStringST {
		s.esc = escNone
		return b == 0x1B && s.restart()
	}
	if len(s.seq) >= maxSeq {
		s.esc = escNone
		return false
	}
	switch s.esc {
	case escStart:
		switch {
		case b == '[':
			s.esc = escCSI
		case b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_':
			s.esc = escString
		case b >= 0x20 && b <= 0x2F:
			s.esc = escInter
		default:
			s.esc = escNone // two-byte sequence such as ESC 7, ESC c
		}
	case escInter:
		s.seq = append(s.seq, b)
		if b >= 0x30 {
			s.esc = escNone
		}
	case escCSI:
		if b >= 0x40 && b <= 0x7E {
			s.esc = escNone
			s.csi(b)
			return true
		}
		s.seq = append(s.seq, b)
	case escString:
		switch b {
		case 0x07:
			s.esc = escNone
		case 0x1B:
			s.esc = escStringST
		default:
			s.seq = append(s.seq, 0) // only the length matters
		}
	case escStringST:
		s.esc = escNone // ESC \ ends the string; anything else ends it too
	}
	return true
}

func (s *Sanitizer) restart() bool {
	s.esc = escStart
	s.seq = s.seq[:0]
	return true
}

// csi acts on the few sequences that change what a line shows.
func (s *Sanitizer) csi(final byte) {
	param := func(def int) int {
		p := string(s.seq)
		if i := strings.IndexByte(p, ';'); i >= 0 {
			p = p[:i]
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return def
		}
		return min(n, s.maxLine())
	}
	switch final {
	case 'K': // erase in line
		switch param(0) {
		case 0:
			if s.col < len(s.line) {
				s.line = s.line[:s.col]
			}
		case 1:
			for i := 0; i <= s.col && i < len(s.line); i++ {
				s.line[i] = ' '
			}
		case 2:
			s.line = s.line[:0]
		}
	case 'D': // cursor back
		s.col = max(0, s.col-param(1))
	case 'C': // cursor forward
		s.col = min(s.maxLine()-1, s.col+param(1))
	case 'G': // cursor to column
		s.col = min(s.maxLine()-1, param(1)-1)
	}
}

func (s *Sanitizer) decodeUTF8(emit func(string)) {
	r, size := utf8.DecodeRune(s.utf[:s.utfLen])
	if r == utf8.RuneError && size <= 1 {
		s.putGarbage(emit)
		// The bytes after the first may start something valid.
		rest := append([]byte(nil), s.utf[1:s.utfLen]...)
		s.utfLen = 0
		for _, b := range rest {
			s.writeByte(b, emit)
		}
		return
	}
	s.utfLen = 0
	if !oneCell(r) {
		s.putGarbage(emit)
		return
	}
	s.put(r, emit)
}

// flushUTF8 gives up on an incomplete rune.
func (s *Sanitizer) flushUTF8(emit func(string)) {
	if s.utfLen == 0 {
		return
	}
	rest := append([]byte(nil), s.utf[1:s.utfLen]...)
	s.utfLen = 0
	s.putGarbage(emit)
	for _, b := range rest {
		s.writeByte(b, emit)
	}
}

func (s *Sanitizer) putGarbage(emit func(string)) {
	s.Garbled++
	s.put(replacement, emit)
}

// oneCell reports whether r is a printable rune every terminal draws one
// cell wide. The list is short on purpose: Cisco consoles speak ASCII, and
// anything else is far more likely line noise than text.
func oneCell(r rune) bool {
	switch {
	case r >= 0x20 && r < 0x7F:
		return true
	case r >= 0xA1 && r <= 0x24F && r != 0xAD: // Latin-1 and Latin Extended, not the soft hyphen
		return true
	case r >= 0x370 && r <= 0x4FF: // Greek and Cyrillic (localised banners)
		return unicode.IsGraphic(r) && !unicode.In(r, unicode.Mn, unicode.Me)
	case r >= 0x2010 && r <= 0x2027, r >= 0x2030 && r <= 0x205E: // dashes, quotes, bullets
		return true
	case r >= 0x2500 && r <= 0x259F: // box drawing and blocks
		return true
	case r >= 0x2713 && r <= 0x2717: // check marks and crosses
		return true
	case r == replacement:
		return true
	}
	return false
}

func (s *Sanitizer) put(r rune, emit func(string)) {
	if s.col >= s.maxLine() {
		s.commit(emit)
		s.col = 0
	}
	for len(s.line) < s.col {
		s.line = append(s.line, ' ')
	}
	if s.col == len(s.line) {
		s.line = append(s.line, r)
	} else {
		s.line[s.col] = r
	}
	s.col++
}

func (s *Sanitizer) commit(emit func(string)) {
	emit(strings.TrimRight(string(s.line), " "))
	s.line = s.line[:0]
}
