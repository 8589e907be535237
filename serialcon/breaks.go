package serialcon

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// BreakDuration is the length of one break: what tcsendbreak(0) sends on
// Linux, and longer than any Cisco break detector needs.
const BreakDuration = 250 * time.Millisecond

// SendBreak holds the line in the break condition for d, the way to stop a
// router's boot and reach ROMMON. When the adapter cannot send a real break,
// it sends NUL bytes at a low speed instead: to the device at the normal
// speed that is a long run of zero bits, which its UART reads as a break.
// On a pseudo-terminal a break silently reaches nobody.
func (c *Console) SendBreak(d time.Duration) error {
	if d <= 0 {
		d = BreakDuration
	}
	port, path, err := c.activePort()
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	started := time.Now()
	err = port.Break(d)
	note := fmt.Sprintf("break sent (%s)", d)
	if err != nil {
		c.logger.Info("adapter cannot send a break; simulating one", "err", err)
		var low int
		low, err = c.simulatedBreakLocked(port, d)
		note = fmt.Sprintf("break sent (%s, simulated with NUL bytes at %d baud: the adapter cannot send a real break)", d, low)
	}
	c.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("break on %s: %w", path, err)
	}
	c.markerAt(started, note)
	c.emit(Event{Kind: EventBreak, Time: started, Duration: d, Settings: c.Settings()})
	return nil
}

// lowBauds are the rates a simulated break may drop to.
var lowBauds = []int{4800, 2400, 1200, 600, 300}

// simulatedBreakLocked sends NULs at a rate at most an eighth of the current
// one, so each NUL (nine zero bits) spans more than a whole character at the
// device's speed. Restoring the speed waits for the NULs to leave (Port
// SetSettings drains output first). Called with writeMu held.
func (c *Console) simulatedBreakLocked(port Port, d time.Duration) (int, error) {
	s := c.Settings()
	low := 0
	for _, b := range lowBauds {
		if b*8 <= s.Baud {
			low = b
			break
		}
	}
	if low == 0 {
		return 0, errors.New("the adapter cannot send a break and the speed is too low to simulate one")
	}
	slow := s
	slow.Baud = low
	if err := port.SetSettings(slow); err != nil {
		return low, err
	}
	// A character is 10 bit times; round up so the break is at least d.
	n := int((int64(d)*int64(low) + int64(10*time.Second) - 1) / int64(10*time.Second))
	_, werr := port.Write(make([]byte, max(n, 1)))
	if err := port.SetSettings(s); err != nil {
		return low, fmt.Errorf("restore %s after simulated break: %w", s, err)
	}
	return low, werr
}

// BreakRepeat sends a break every `every` until `total` has passed, for the
// boot window in which a router listens for one (the first 60 s after power
// on). Breaks start at 0, every, 2×every… and last BreakDuration or half of
// every, whichever is shorter. It returns nil when total has passed.
func (c *Console) BreakRepeat(ctx context.Context, every, total time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("break repeat: interval %s must be positive", every)
	}
	length := min(BreakDuration, every/2)
	start := time.Now()
	for i := 1; ; i++ {
		if err := c.SendBreak(length); err != nil {
			return err
		}
		if time.Duration(i)*every >= total {
			return nil
		}
		t := time.NewTimer(time.Until(start.Add(time.Duration(i) * every)))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-c.done:
			t.Stop()
			return ErrClosed
		}
	}
}
