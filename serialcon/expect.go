package serialcon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MaxMatchLen bounds how long a Regexp or Contains match may be: Expect
// rescans only this much already-seen output when new bytes arrive, so a
// wait through a long boot log costs little.
const MaxMatchLen = 8 << 10

// Matcher is one thing Expect waits for; build them with Prompt, Regexp and
// Contains.
type Matcher interface {
	// find reports the leftmost match in text, the output not yet consumed.
	find(text []byte) (start, end int, m Match, ok bool)
	String() string
}

// Match is what Expect found.
type Match struct {
	Index  int        // which matcher matched, in the order given to Expect
	Text   string     // the matched output
	Groups []string   // Regexp sub-matches (Groups[0] is the whole match)
	Prompt PromptKind // for a Prompt matcher: the kind at the end of the output
}

// Prompt matches when the output ends in a prompt of one of kinds (any prompt
// when kinds is empty).
func Prompt(kinds ...PromptKind) Matcher { return promptMatcher(kinds) }

type promptMatcher []PromptKind

func (pm promptMatcher) find(text []byte) (int, int, Match, bool) {
	kind, line, at := detectPrompt(text)
	if kind == PromptNone {
		return 0, 0, Match{}, false
	}
	if len(pm) > 0 {
		found := false
		for _, k := range pm {
			found = found || k == kind
		}
		if !found {
			return 0, 0, Match{}, false
		}
	}
	return at, len(text), Match{Text: line, Prompt: kind}, true
}

func (pm promptMatcher) String() string {
	if len(pm) == 0 {
		return "any prompt"
	}
	names := make([]string, len(pm))
	for i, k := range pm {
		names[i] = k.String()
	}
	return "prompt " + strings.Join(names, "|")
}

// Regexp matches re anywhere in the unread output.
func Regexp(re *regexp.Regexp) Matcher { return regexpMatcher{re} }

type regexpMatcher struct{ re *regexp.Regexp }

func (rm regexpMatcher) find(text []byte) (int, int, Match, bool) {
	loc := rm.re.FindSubmatchIndex(text)
	if loc == nil {
		return 0, 0, Match{}, false
	}
	groups := make([]string, len(loc)/2)
	for i := range groups {
		if loc[2*i] >= 0 {
			groups[i] = string(text[loc[2*i]:loc[2*i+1]])
		}
	}
	return loc[0], loc[1], Match{Text: groups[0], Groups: groups}, true
}

func (rm regexpMatcher) String() string { return "/" + rm.re.String() + "/" }

// Contains matches the literal s in the unread output.
func Contains(s string) Matcher { return containsMatcher(s) }

type containsMatcher string

func (cm containsMatcher) find(text []byte) (int, int, Match, bool) {
	i := bytes.Index(text, []byte(cm))
	if i < 0 {
		return 0, 0, Match{}, false
	}
	return i, i + len(cm), Match{Text: string(cm)}, true
}

func (cm containsMatcher) String() string { return fmt.Sprintf("%q", string(cm)) }

// Expect waits until the output not yet consumed by an earlier Expect (or
// MarkRead) matches one of ms, consumes it up to the end of the match, and
// says which matched. When several match, the one that starts first wins,
// then the one listed first. The reader goroutine wakes Expect when bytes
// arrive; nothing polls. Run one Expect at a time.
func (c *Console) Expect(ctx context.Context, ms ...Matcher) (Match, error) {
	if len(ms) == 0 {
		return Match{}, errors.New("expect: no matchers given")
	}
	var (
		buf     []byte
		scanned int64 = -1 // absolute end of the output already looked at
	)
	for {
		c.mu.Lock()
		state, changed := c.state, c.changed
		from := c.readPos
		if scanned >= 0 {
			// Only matches that end in new bytes can be new, and they start
			// at most MaxMatchLen before the old end.
			from = max(from, scanned-MaxMatchLen)
		}
		from = max(from, c.ring.start())
		end := c.ring.total
		if end > scanned {
			buf = c.ring.appendSince(buf[:0], from)
		}
		c.mu.Unlock()
		if end > scanned {
			if m, at, ok := firstMatch(buf, ms); ok {
				c.mu.Lock()
				c.readPos = max(c.readPos, from+int64(at))
				c.mu.Unlock()
				return m, nil
			}
			scanned = end
		}
		if state == StateClosed {
			return Match{}, fmt.Errorf("waiting for %s: %w", describe(ms), ErrClosed)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Match{}, fmt.Errorf("waiting for %s: %w", describe(ms), ctx.Err())
		}
	}
}

// firstMatch runs every matcher over text and keeps the leftmost; at is the
// end of that match.
func firstMatch(text []byte, ms []Matcher) (m Match, at int, ok bool) {
	bestStart := -1
	for i, mt := range ms {
		start, end, found, hit := mt.find(text)
		if !hit || (bestStart >= 0 && start >= bestStart) {
			continue
		}
		bestStart, at, m, ok = start, end, found, true
		m.Index = i
	}
	return m, at, ok
}

func describe(ms []Matcher) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return strings.Join(s, " or ")
}

// MarkRead consumes all output so far: the next Expect sees only what
// arrives after this call. Use it before sending a command whose answer is
// awaited.
func (c *Console) MarkRead() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readPos = c.ring.total
}
