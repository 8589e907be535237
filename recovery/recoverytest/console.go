// Package recoverytest provides a scripted fake console for testing
// playbooks without a serial port or a simulated device.
//
// It is not a device simulator: it answers lines with canned output from a
// script, so tests can assert exactly what a playbook typed.
package recoverytest

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"fieldcon/recovery"
)

// Rule answers a line typed by the playbook.
type Rule struct {
	Sent  *regexp.Regexp // matched against the line, without the CR
	Reply string         // device output to emit
	// ReplyFunc, when set, computes the reply at the time the line is sent.
	ReplyFunc func() string
	// ReplyTo, when set, computes the reply from the line sent.
	ReplyTo func(line string) string
	// Once rules are used at most once, so a script can answer the same
	// command differently the second time.
	Once bool
	// DeviceBaud, when set, switches the device's line speed after the
	// reply, as `set BAUD` does on a loader.
	DeviceBaud int
	// When limits the rule to a device state ("" matches any); Then moves
	// the device to another state after the reply ("loader" → "ios").
	When, Then string
	used       bool
}

// Console is a fake recovery.Console driven by rules.
type Console struct {
	mu        sync.Mutex
	changed   chan struct{} // closed and replaced when output or state changes
	out       []byte        // output not yet consumed by Expect
	sent      []string
	breaks    int
	baud      int
	device    int    // the device's speed; 0 means it follows the host
	state     string // for Rule.When/Then
	connected bool
	detects   int
	rules     []*Rule
	// OnBreak, when set, is emitted after each break.
	OnBreak string
	// Receive, when set, plays the device side of a raw stream (an XMODEM
	// receiver): OpenStream runs it on the far end of a pipe. What it
	// returns is then printed on the console.
	Receive func(dev net.Conn) string
}

// New returns a connected fake console at 9600.
func New(rules ...Rule) *Console {
	c := &Console{changed: make(chan struct{}), baud: 9600, connected: true}
	for i := range rules {
		r := rules[i]
		c.rules = append(c.rules, &r)
	}
	return c
}

// On adds a rule answering lines matching sent with reply.
func (c *Console) On(sent, reply string) *Console {
	return c.Add(Rule{Sent: regexp.MustCompile(sent), Reply: reply})
}

// AddFunc adds a rule whose reply is computed when the line is sent.
func (c *Console) AddFunc(sent *regexp.Regexp, reply func() string) *Console {
	return c.Add(Rule{Sent: sent, ReplyFunc: reply})
}

// Add adds a rule.
func (c *Console) Add(r Rule) *Console {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rules = append(c.rules, &r)
	return c
}

// SetDeviceBaud fixes the device's line speed: while the host's differs,
// what either side sends arrives as garbage.
func (c *Console) SetDeviceBaud(baud int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.device = baud
}

// DeviceBaud returns the device's line speed.
func (c *Console) DeviceBaud() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.device
}

func (c *Console) mismatchLocked() bool { return c.device != 0 && c.device != c.baud }

// garbage is what a line at the wrong speed looks like.
const garbage = "\x80\xf8\x00\xfe\x1e"

// Emit makes the device print s.
func (c *Console) Emit(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, s...)
	c.notifyLocked()
}

func (c *Console) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// SetState moves the device to another state for Rule.When, as a device
// does on its own (a reboot into IOS after a download).
func (c *Console) SetState(state string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = state
}

// Disconnect simulates the adapter being pulled.
func (c *Console) Disconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connected = false
	c.notifyLocked()
}

// Reconnect simulates the adapter coming back.
func (c *Console) Reconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connected = true
	c.notifyLocked()
}

// MarkRead drops unconsumed output.
func (c *Console) MarkRead() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = c.out[:0]
}

// OpenStream lends a raw stream whose far end is c.Receive. Closing it
// waits for Receive to finish and print, as a real loader prints its prompt
// right after the transfer.
func (c *Console) OpenStream(ctx context.Context) (recovery.Stream, error) {
	if c.Receive == nil {
		return nil, fmt.Errorf("recoverytest: no Receive set for a raw stream")
	}
	host, dev := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		after := c.Receive(dev)
		dev.Close()
		c.Emit(after)
	}()
	return &stream{Conn: host, done: done}, nil
}

type stream struct {
	net.Conn
	done chan struct{}
}

func (s *stream) Close() error {
	err := s.Conn.Close()
	<-s.done
	return err
}

// Sent returns every line typed so far, without CRs.
func (c *Console) Sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

// Breaks returns how many breaks were sent.
func (c *Console) Breaks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.breaks
}

func (c *Console) Send(p []byte) error {
	for _, line := range strings.SplitAfter(string(p), "\r") {
		if strings.HasSuffix(line, "\r") {
			if err := c.SendLine(strings.TrimSuffix(line, "\r")); err != nil {
				return err
			}
		} else if line != "" {
			c.mu.Lock()
			c.sent = append(c.sent, line)
			c.mu.Unlock()
		}
	}
	return nil
}

func (c *Console) SendLine(line string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return fmt.Errorf("send %q: %w", line, recovery.ErrDisconnected)
	}
	c.sent = append(c.sent, line)
	if c.mismatchLocked() {
		// The device hears noise and answers nothing useful; whatever it
		// prints reaches the host as garbage.
		c.out = append(c.out, garbage...)
		c.notifyLocked()
		return nil
	}
	// Rules for the device's current state come before general ones.
	ordered := make([]*Rule, 0, len(c.rules))
	for _, r := range c.rules {
		if r.When != "" && r.When == c.state {
			ordered = append(ordered, r)
		}
	}
	for _, r := range c.rules {
		if r.When == "" {
			ordered = append(ordered, r)
		}
	}
	for _, r := range ordered {
		if r.used || !r.Sent.MatchString(line) {
			continue
		}
		if r.Once {
			r.used = true
		}
		reply := r.Reply
		if r.ReplyFunc != nil {
			reply = r.ReplyFunc()
		}
		if r.ReplyTo != nil {
			reply = r.ReplyTo(line)
		}
		c.out = append(c.out, line+"\r\n"+reply...)
		if r.DeviceBaud != 0 {
			c.device = r.DeviceBaud
		}
		if r.Then != "" {
			c.state = r.Then
		}
		c.notifyLocked()
		return nil
	}
	c.out = append(c.out, line+"\r\n"...)
	c.notifyLocked()
	return nil
}

func (c *Console) SendBreak(time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return recovery.ErrDisconnected
	}
	c.breaks++
	if c.OnBreak != "" {
		c.out = append(c.out, c.OnBreak...)
		c.notifyLocked()
	}
	return nil
}

func (c *Console) Expect(ctx context.Context, patterns ...*regexp.Regexp) (int, []string, error) {
	for {
		c.mu.Lock()
		if !c.connected {
			c.mu.Unlock()
			return -1, nil, recovery.ErrDisconnected
		}
		// As serialcon: the match that starts first wins, then the one
		// listed first.
		best, bestStart, bestEnd, bestGroups := -1, 0, 0, []string(nil)
		for i, re := range patterns {
			loc := re.FindSubmatchIndex(c.out)
			if loc == nil || (best >= 0 && loc[0] >= bestStart) {
				continue
			}
			groups := make([]string, len(loc)/2)
			for g := range groups {
				if loc[2*g] >= 0 {
					groups[g] = string(c.out[loc[2*g]:loc[2*g+1]])
				}
			}
			best, bestStart, bestEnd, bestGroups = i, loc[0], loc[1], groups
		}
		if best >= 0 {
			c.out = c.out[bestEnd:]
			c.mu.Unlock()
			return best, bestGroups, nil
		}
		wait := c.changed
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return -1, nil, ctx.Err()
		}
	}
}

func (c *Console) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		ok, wait := c.connected, c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Console) SetBaud(baud int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.baud = baud
	return nil
}

func (c *Console) Baud() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.baud
}

// DetectBaud plays serialcon's auto-baud: it tries each rate in turn and
// stops at the device's speed, leaving the host there. Probing types
// nothing the rules see (a bare carriage return at each rate) and consumes
// what was pending, as the real one does.
func (c *Console) DetectBaud(ctx context.Context, rates ...int) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.detects++
	c.out = c.out[:0]
	for _, r := range rates {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if c.device == 0 || c.device == r {
			c.baud = r
			return r, nil
		}
	}
	return 0, fmt.Errorf("recoverytest: device at %d baud, not among %v", c.device, rates)
}

// Detects returns how many times DetectBaud ran.
func (c *Console) Detects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.detects
}

// Asker answers questions from a script, in order, recording them.
type Asker struct {
	mu        sync.Mutex
	Answers   []string
	Questions []recovery.Question
	// Before, when set, runs before each answer (press a button on the fake
	// device, pull the cable…); it gets the question's index.
	Before func(i int, q recovery.Question)
}

func (a *Asker) Ask(ctx context.Context, q recovery.Question) (string, error) {
	a.mu.Lock()
	i := len(a.Questions)
	a.Questions = append(a.Questions, q)
	before := a.Before
	a.mu.Unlock()
	if before != nil {
		before(i, q)
	}
	if i >= len(a.Answers) {
		return "", fmt.Errorf("recoverytest: unscripted question %q", q.Prompt)
	}
	return a.Answers[i], nil
}
