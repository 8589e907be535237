package serialcon

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// baudWindow is how long DetectBaud listens after sending a carriage return
// at one rate. A loader answers within a few character times; an IOS console
// within a few hundred milliseconds.
const baudWindow = 600 * time.Millisecond

// cleanText is the score above which output counts as readable text.
const cleanText = 0.85

// minClean is the least output worth scoring: a lone byte of line noise can
// be printable by chance.
const minClean = 4

// DetectBaud finds the speed the device talks at: for each rate (default
// DefaultBaudOrder) it sets the host side, sends a carriage return and
// scores what comes back. A rate whose output ends in a known prompt wins at
// once; otherwise the rate with the cleanest text wins if it is clean
// enough. On failure the previous speed is restored and ErrNoBaud returned.
// The probes' output is consumed: Expect sees only what comes after.
func (c *Console) DetectBaud(ctx context.Context, rates ...int) (int, error) {
	if len(rates) == 0 {
		rates = DefaultBaudOrder()
	}
	c.mu.Lock()
	busy := c.stream != nil
	c.mu.Unlock()
	if busy {
		return 0, ErrStreamBusy
	}
	orig := c.Settings()
	best, bestScore := 0, 0.0
	for _, r := range rates {
		s := c.Settings()
		s.Baud = r
		if err := c.setSettings(s, "auto-baud: trying "+s.String()); err != nil {
			return 0, err
		}
		out, err := c.probe(ctx)
		if err != nil {
			c.restoreBaud(orig)
			return 0, err
		}
		score, prompt := scoreOutput(out)
		c.logger.Debug("auto-baud", "baud", r, "bytes", len(out), "score", score, "prompt", prompt.String())
		if prompt != PromptNone {
			c.marker(fmt.Sprintf("auto-baud: %s answers with a %s prompt", s, prompt))
			return r, nil
		}
		if score > bestScore {
			best, bestScore = r, score
		}
	}
	if best != 0 && bestScore >= cleanText {
		s := c.Settings()
		s.Baud = best
		if err := c.setSettings(s, fmt.Sprintf("auto-baud: %s gives readable text", s)); err != nil {
			return 0, err
		}
		return best, nil
	}
	c.restoreBaud(orig)
	return 0, fmt.Errorf("%w at %s: check that the console cable (not an Ethernet cable) is in the CONSOLE port and the device is powered on, then try again; a device that is still booting may stay silent until it reaches a prompt", ErrNoBaud, rateList(rates))
}

func (c *Console) restoreBaud(s Settings) {
	if c.Settings() != s {
		c.setSettings(s, "auto-baud: back to "+s.String())
	}
}

func rateList(rates []int) string {
	s := make([]string, len(rates))
	for i, r := range rates {
		s[i] = fmt.Sprint(r)
	}
	return strings.Join(s, ", ")
}

// probe sends a carriage return and returns what the device sends back
// within baudWindow; it returns early once the answer ends in a readable
// prompt. The answer is consumed (Expect will not see it).
func (c *Console) probe(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	from := c.ring.total
	c.mu.Unlock()
	if err := c.Send([]byte("\r")); err != nil {
		return nil, err
	}
	window := time.NewTimer(baudWindow)
	defer window.Stop()
	var out []byte
	for {
		c.mu.Lock()
		out = c.ring.appendSince(out[:0], from)
		changed, state := c.changed, c.state
		c.readPos = max(c.readPos, c.ring.total)
		c.mu.Unlock()
		if state != StateConnected {
			if state == StateClosed {
				return nil, ErrClosed
			}
			return nil, ErrDisconnected
		}
		if _, p := scoreOutput(out); p != PromptNone {
			return out, nil
		}
		select {
		case <-changed:
		case <-window.C:
			return out, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("auto-baud: %w", ctx.Err())
		}
	}
}

// scoreOutput rates how much out looks like text from a console at the right
// speed, from 0 (nothing, or noise) to 1, and reports the prompt at its end
// when the text is clean enough to trust it. At a wrong speed a UART
// delivers bytes with the high bit set, control characters and framing
// garbage (mostly 0x00, 0x80, 0xf0, 0xfe… when the device is slower; random
// bytes when it is faster); at the right one, letters, digits, spaces and
// line ends.
func scoreOutput(out []byte) (float64, PromptKind) {
	if len(out) < minClean {
		return 0, PromptNone
	}
	var sum float64
	for _, b := range out {
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9',
			b == ' ', b == '\r', b == '\n', b == '\t':
			sum++
		case b > 0x20 && b < 0x7f:
			// Punctuation is legitimate ("--More--", "rommon 1 >") but
			// garbage decodes to it as often as to letters.
			sum += 0.75
		}
	}
	score := sum / float64(len(out))
	if score < cleanText {
		return score, PromptNone
	}
	k, _ := DetectPrompt(out)
	return score, k
}
