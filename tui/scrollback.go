package tui

import (
	"fmt"
	"strings"
	"time"
)

// lineKind tells device text from fieldcon's own notes in the scrollback.
type lineKind uint8

const (
	lineDevice lineKind = iota
	lineBanner          // connection events and fieldcon's own notes
)

// line is one logical line of the scrollback, already sanitised.
type line struct {
	text  []rune
	at    time.Time // when its first byte arrived
	kind  lineKind
	seq   uint64 // position in the whole session, for search hits
	nrows int    // rows at the current width and timestamp setting
}

// Scrollback is the console pane's bounded history: the last MaxLines
// lines plus the line being typed at the device. It renders only the rows
// on screen, so a long history costs nothing per frame.
type Scrollback struct {
	maxLines   int
	lines      []line // ring buffer
	head       int    // index of the oldest line
	n          int    // lines in the ring
	nextSeq    uint64
	totalRows  int
	san        Sanitizer
	hex        hexDumper
	hexMode    bool
	partialAt  time.Time
	width      int
	timestamps bool
	// offset is how many rows the view is scrolled up from the bottom;
	// 0 follows new output.
	offset int
	// match is the line a search landed on, highlighted until the next search.
	match      uint64
	matchQuery string
	hasMatch   bool
}

// timestampLayout is the prefix shown when timestamps are on.
const timestampLayout = "15:04:05.000 "

// NewScrollback keeps at most maxLines lines.
func NewScrollback(maxLines int) *Scrollback {
	if maxLines <= 0 {
		maxLines = 10000
	}
	return &Scrollback{maxLines: maxLines, width: 80}
}

// Write adds device bytes that arrived at t.
func (b *Scrollback) Write(t time.Time, p []byte) {
	if len(p) == 0 {
		return
	}
	if b.partialEmpty() {
		b.partialAt = t
	}
	emit := func(s string) {
		b.push(line{text: []rune(s), at: b.partialAt, kind: lineDevice})
		b.partialAt = t
	}
	if b.hexMode {
		b.hex.Write(p, emit)
		return
	}
	b.san.Write(p, emit)
}

// Banner adds a line of fieldcon's own after the device's current line,
// which stays where it is, unfinished, below the banner.
func (b *Scrollback) Banner(t time.Time, text string) {
	s := Sanitizer{MaxLine: 1 << 16}
	s.Write([]byte(text), func(string) {})
	b.push(line{text: []rune(s.Partial()), at: t, kind: lineBanner})
}

// Clear forgets every line but keeps the device's current line.
func (b *Scrollback) Clear() {
	b.lines, b.head, b.n, b.totalRows, b.offset = nil, 0, 0, 0, 0
	b.hasMatch = false
}

// SetHex switches between text and a hex dump of what arrives from now on;
// the unfinished line is kept as it was.
func (b *Scrollback) SetHex(on bool, t time.Time) {
	if on == b.hexMode {
		return
	}
	emit := func(s string) { b.push(line{text: []rune(s), at: b.partialAt, kind: lineDevice}) }
	if b.hexMode {
		b.hex.Flush(emit)
	} else {
		b.san.Flush(emit)
	}
	b.hexMode = on
	b.partialAt = t
}

// Hex reports whether the hex view is on.
func (b *Scrollback) Hex() bool { return b.hexMode }

// SetTimestamps shows or hides the time each line arrived.
func (b *Scrollback) SetTimestamps(on bool) {
	b.timestamps = on
	b.recount()
}

// Timestamps reports whether timestamps are shown.
func (b *Scrollback) Timestamps() bool { return b.timestamps }

// SetWidth sets the width lines are wrapped at.
func (b *Scrollback) SetWidth(w int) {
	b.width = max(w, 1)
	b.recount()
}

// Lines is the number of complete lines kept.
func (b *Scrollback) Lines() int { return b.n }

// Partial is the unfinished line, usually the device's prompt.
func (b *Scrollback) Partial() string {
	if b.hexMode {
		return b.hex.Partial()
	}
	return b.san.Partial()
}

// Garbled counts replacement characters shown so far.
func (b *Scrollback) Garbled() int { return b.san.Garbled }

// Following reports whether the view shows the newest output.
func (b *Scrollback) Following() bool { return b.offset == 0 }

// Scroll moves the view up (positive) or down (negative) by rows, within
// the history shown in a window of height rows.
func (b *Scrollback) Scroll(rows, height int) {
	maxOff := max(0, b.totalRows+b.partialRows()-height)
	b.offset = min(max(b.offset+rows, 0), maxOff)
}

// Bottom returns to following new output.
func (b *Scrollback) Bottom() { b.offset = 0 }

func (b *Scrollback) partialEmpty() bool {
	return b.Partial() == ""
}

func (b *Scrollback) at(i int) *line {
	return &b.lines[(b.head+i)%len(b.lines)]
}

func (b *Scrollback) push(l line) {
	l.seq = b.nextSeq
	b.nextSeq++
	l.nrows = b.rows(len(l.text))
	if b.offset > 0 { // keep the view still while the technician reads
		b.offset += l.nrows
	}
	b.totalRows += l.nrows
	if b.n < b.maxLines {
		if len(b.lines) < b.maxLines {
			b.lines = append(b.lines, l)
		} else {
			b.lines[(b.head+b.n)%len(b.lines)] = l
		}
		b.n++
		return
	}
	old := b.at(0)
	b.totalRows -= old.nrows
	*old = l
	b.head = (b.head + 1) % len(b.lines)
	b.offset = min(b.offset, b.totalRows)
}

func (b *Scrollback) prefixLen() int {
	if b.timestamps {
		return len(timestampLayout)
	}
	return 0
}

// rows is how many screen rows a line of n runes takes.
func (b *Scrollback) rows(n int) int {
	n += b.prefixLen()
	if n <= b.width {
		return 1
	}
	return (n + b.width - 1) / b.width
}

func (b *Scrollback) partialRows() int {
	return b.rows(len([]rune(b.Partial())))
}

func (b *Scrollback) recount() {
	b.totalRows = 0
	for i := range b.n {
		l := b.at(i)
		l.nrows = b.rows(len(l.text))
		b.totalRows += l.nrows
	}
	b.offset = min(b.offset, b.totalRows)
}

// Row is one screen row of the scrollback.
type Row struct {
	Text   string
	Banner bool
	// Match is the part of Text a search found, as rune offsets; End == 0
	// means none.
	Start, End int
}

// Rows returns the height screen rows the view shows, top to bottom, and
// the column of the device's cursor on the last row when following (-1
// when the cursor is off screen).
func (b *Scrollback) Rows(height int) (rows []Row, cursor int) {
	if height <= 0 {
		return nil, -1
	}
	skip := b.offset
	out := make([]Row, 0, height)
	add := func(l *line) bool {
		wrapped := b.wrap(l)
		for i := len(wrapped) - 1; i >= 0; i-- {
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, wrapped[i])
			if len(out) == height {
				return false
			}
		}
		return true
	}
	partial := line{text: []rune(b.Partial()), at: b.partialAt, seq: ^uint64(0)}
	cursor = -1
	if b.offset == 0 {
		cursor = (len(partial.text) + b.prefixLen()) % b.width
		if len(partial.text)+b.prefixLen() > 0 && cursor == 0 {
			cursor = b.width - 1 // a full last row: stay on it
		}
	}
	more := add(&partial)
	for i := b.n - 1; more && i >= 0; i-- {
		more = add(b.at(i))
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, cursor
}

// wrap cuts a line into rows of the current width.
func (b *Scrollback) wrap(l *line) []Row {
	text := l.text
	if b.timestamps {
		stamp := "              "[:len(timestampLayout)]
		if !l.at.IsZero() {
			stamp = l.at.Format(timestampLayout)
		}
		text = append([]rune(stamp), text...)
	}
	start, end := -1, -1
	if b.hasMatch && l.seq == b.match && l.kind == lineDevice && b.matchQuery != "" {
		if i := indexFold(text, []rune(b.matchQuery)); i >= 0 {
			start, end = i, i+len([]rune(b.matchQuery))
		}
	}
	var rows []Row
	for len(rows) == 0 || len(text) > 0 {
		n := min(len(text), b.width)
		r := Row{Text: string(text[:n]), Banner: l.kind == lineBanner}
		off := len(rows) * b.width
		if start >= 0 && start < off+n && end > off {
			r.Start, r.End = max(start-off, 0), min(end-off, n)
		}
		rows = append(rows, r)
		text = text[n:]
	}
	return rows
}

// Search looks for query (ignoring case) in lines older than the last hit,
// or than the top of the screen for a new query, and scrolls the hit into
// view. It reports whether it found one. older=false searches newer lines.
func (b *Scrollback) Search(query string, older bool, height int) bool {
	if query == "" || b.n == 0 {
		return false
	}
	q := []rune(query)
	from := b.n // index to start before (older) or after (newer)
	if b.hasMatch && b.matchQuery == query {
		from = b.indexOf(b.match)
	} else if !older {
		from = -1
	}
	step := -1
	if !older {
		step = 1
	}
	for i := from + step; i >= 0 && i < b.n; i += step {
		l := b.at(i)
		if l.kind != lineDevice || indexFold(l.text, q) < 0 {
			continue
		}
		b.hasMatch, b.match, b.matchQuery = true, l.seq, query
		b.showLine(i, height)
		return true
	}
	return false
}

// SearchHit describes the current search hit for the status line.
func (b *Scrollback) SearchHit() string {
	if !b.hasMatch {
		return ""
	}
	i := b.indexOf(b.match)
	if i < 0 {
		return ""
	}
	return fmt.Sprintf("line %d of %d", i+1, b.n)
}

// ClearSearch removes the highlight.
func (b *Scrollback) ClearSearch() { b.hasMatch = false }

func (b *Scrollback) indexOf(seq uint64) int {
	if b.n == 0 {
		return -1
	}
	first := b.at(0).seq
	if seq < first || seq >= first+uint64(b.n) {
		return -1
	}
	return int(seq - first)
}

// showLine scrolls so line i sits a third of the way down the screen.
func (b *Scrollback) showLine(i, height int) {
	below := b.partialRows()
	for j := i + 1; j < b.n; j++ {
		below += b.at(j).nrows
	}
	// Rows from the bottom to the end of line i, then put it near the top.
	off := below - (height - height/3) + b.at(i).nrows
	maxOff := max(0, b.totalRows+b.partialRows()-height)
	b.offset = min(max(off, 0), maxOff)
}

// indexFold is the rune index of q in s, ignoring ASCII case, or -1.
func indexFold(s, q []rune) int {
	if len(q) == 0 || len(q) > len(s) {
		return -1
	}
	lower := func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
outer:
	for i := 0; i+len(q) <= len(s); i++ {
		for j, r := range q {
			if lower(s[i+j]) != lower(r) {
				continue outer
			}
		}
		return i
	}
	return -1
}

// hexDumper shows bytes as a hex dump, sixteen to a line.
type hexDumper struct {
	off  int64
	part []byte
}

func (h *hexDumper) Write(p []byte, emit func(string)) {
	for _, c := range p {
		h.part = append(h.part, c)
		if len(h.part) == 16 {
			emit(h.format())
			h.off += 16
			h.part = h.part[:0]
		}
	}
}

func (h *hexDumper) Flush(emit func(string)) {
	if len(h.part) > 0 {
		emit(h.format())
		h.off += int64(len(h.part))
		h.part = h.part[:0]
	}
}

func (h *hexDumper) Partial() string {
	if len(h.part) == 0 {
		return ""
	}
	return h.format()
}

// format renders the pending bytes: offset, hex, then the printable ones.
func (h *hexDumper) format() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%08x ", h.off)
	for i := range 16 {
		if i == 8 {
			s.WriteByte(' ')
		}
		if i < len(h.part) {
			fmt.Fprintf(&s, " %02x", h.part[i])
		} else {
			s.WriteString("   ")
		}
	}
	s.WriteString("  |")
	for _, c := range h.part {
		if c >= 0x20 && c < 0x7F {
			s.WriteByte(c)
		} else {
			s.WriteByte('.')
		}
	}
	s.WriteByte('|')
	return s.String()
}
