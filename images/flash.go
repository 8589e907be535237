package images

import (
	"regexp"
	"strconv"
	"strings"
)

// FlashListing is a parsed `dir flash:` (IOS, switch or AP boot loader) or the
// flashfs lines `flash_init` prints.
type FlashListing struct {
	// Filesystem is from the "Directory of flash:/" line.
	Filesystem string       `json:"filesystem,omitempty"`
	Entries    []FlashEntry `json:"entries,omitempty"`
	Total      int64        `json:"total"`
	Free       int64        `json:"free"`
	// HasTotals is true when a total/free line was found.
	HasTotals bool `json:"has_totals"`
}

// FlashEntry is one line of the listing.
type FlashEntry struct {
	Index int    `json:"index"`
	Perms string `json:"perms"`
	Dir   bool   `json:"dir"`
	Size  int64  `json:"size"`
	Date  string `json:"date,omitempty"`
	// Name as printed; IOS cuts long names at the terminal width.
	Name string `json:"name"`
}

// Find returns the entry called name (the leading "/" ignored).
func (l *FlashListing) Find(name string) (FlashEntry, bool) {
	name = strings.TrimPrefix(name, "/")
	for _, e := range l.Entries {
		if e.Name == name {
			return e, true
		}
	}
	return FlashEntry{}, false
}

// Images lists the entries that look like IOS images or image directories.
func (l *FlashListing) Images() []FlashEntry {
	var out []FlashEntry
	for _, e := range l.Entries {
		if n := ParseName(e.Name); n.OK() && !n.Version.IsZero() {
			out = append(out, e)
		}
	}
	return out
}

const (
	maxFlashInput   = 1 << 20
	maxFlashEntries = 4096
)

var (
	// "   2  -rwx  5684228  Mar 12 1993 08:13:57 +00:00  c3750-ipbase-mz.122-25.SEC2.bin"
	// "   2  drwx192  Mar 11 1993 00:31:05 +00:00  dir" (columns run together)
	// "3    -rwx  5800263   <date>               c3560-ipbasek9-mz.122-55.SE5.bin"
	reFlashEntry = regexp.MustCompile(`^\s*(\d{1,9})\s+([-dl][-rwxs]{3,9})\s*(\d{1,15})\s+(.*\S)\s*$`)
	reDirOf      = regexp.MustCompile(`^\s*Directory of (\S+)`)
	// IOS: "15998976 bytes total (3201536 bytes free)"
	reTotalFree = regexp.MustCompile(`(\d{1,18}) bytes total \((\d{1,18}) bytes free\)`)
	// Boot loaders: "27611136 bytes available (4902912 bytes used)"
	reAvailUsed = regexp.MustCompile(`(\d{1,18}) bytes available \((\d{1,18}) bytes used\)`)
	// flash_init: "flashfs[0]: Total bytes: 15998976", "Bytes available: 3491328"
	reFsTotal = regexp.MustCompile(`(?i)total bytes:\s*(\d{1,18})`)
	reFsAvail = regexp.MustCompile(`(?i)bytes available:\s*(\d{1,18})`)
)

// ParseDirFlash reads the first filesystem listing in text. It never fails;
// ok is false when text holds neither an entry nor a total.
func ParseDirFlash(text string) (l FlashListing, ok bool) {
	if len(text) > maxFlashInput {
		text = text[:maxFlashInput]
	}
	seenDir := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := reDirOf.FindStringSubmatch(line); m != nil {
			if seenDir && (len(l.Entries) > 0 || l.HasTotals) {
				break // a second listing: keep the first
			}
			seenDir = true
			l.Filesystem = m[1]
			continue
		}
		if m := reTotalFree.FindStringSubmatch(line); m != nil {
			l.Total, l.Free, l.HasTotals = num(m[1]), num(m[2]), true
			continue
		}
		if m := reAvailUsed.FindStringSubmatch(line); m != nil {
			free, used := num(m[1]), num(m[2])
			l.Total, l.Free, l.HasTotals = free+used, free, true
			continue
		}
		if m := reFsTotal.FindStringSubmatch(line); m != nil {
			l.Total = num(m[1])
			continue
		}
		if m := reFsAvail.FindStringSubmatch(line); m != nil {
			l.Free, l.HasTotals = num(m[1]), true
			continue
		}
		if m := reFlashEntry.FindStringSubmatch(line); m != nil && len(l.Entries) < maxFlashEntries {
			rest := strings.Fields(m[4])
			e := FlashEntry{
				Index: int(num(m[1])),
				Perms: m[2],
				Dir:   m[2][0] == 'd',
				Size:  num(m[3]),
				Name:  rest[len(rest)-1],
				Date:  strings.Join(rest[:len(rest)-1], " "),
			}
			l.Entries = append(l.Entries, e)
		}
	}
	return l, len(l.Entries) > 0 || l.HasTotals
}

func num(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}
