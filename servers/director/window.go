package director

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Clock is the time source of the join window and the client database.
// Tests pass a fake one and move it by hand.
type Clock interface {
	Now() time.Time
	// After delivers the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time                         { return time.Now() }
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// JoinMode decides what happens to a client that joins while the window is
// open: auto provisions it, manual puts it on the hold list.
type JoinMode int

const (
	ModeAuto JoinMode = iota
	ModeManual
)

func (m JoinMode) String() string {
	if m == ModeManual {
		return "manual"
	}
	return "auto"
}

// ErrSchedule is wrapped by schedule errors.
var ErrSchedule = errors.New("join window schedule")

// schedule is a compiled Schedule.
type schedule struct {
	first     time.Time // first opening; only the time of day counts without a date
	dated     bool
	dur       time.Duration // 0: to midnight (recurring) or for good (one-off)
	end       time.Time     // zero: no end; else the window stays shut from then on
	recurring bool
	src       Schedule
}

func (s *Schedule) compile() (*schedule, error) { return s.compileIn(time.Local) }

func (s *Schedule) compileIn(loc *time.Location) (*schedule, error) {
	c := &schedule{recurring: s.Recurring, src: *s}
	start := strings.TrimSpace(s.Start)
	if start == "" {
		return nil, fmt.Errorf("%w: no start time; write start: \"10:00\" or start: \"2009-07-07 10:00\"", ErrSchedule)
	}
	var err error
	if strings.Contains(start, " ") {
		c.first, err = time.ParseInLocation("2006-01-02 15:04", start, loc)
		c.dated = true
	} else {
		var t time.Time
		t, err = time.ParseInLocation("15:04", start, loc)
		c.first = time.Date(2000, 1, 1, t.Hour(), t.Minute(), 0, 0, loc)
		c.recurring = true // a bare time of day recurs daily, as in IOS
	}
	if err != nil {
		return nil, fmt.Errorf("%w: start %q is not HH:MM or YYYY-MM-DD HH:MM", ErrSchedule, s.Start)
	}
	if d := strings.TrimSpace(s.Duration); d != "" {
		c.dur, err = parseDuration(d)
		if err != nil || c.dur <= 0 || c.dur > 24*time.Hour {
			return nil, fmt.Errorf("%w: duration %q is not between 00:01 and 24:00 (write 4h or 04:00)", ErrSchedule, s.Duration)
		}
	}
	if e := strings.TrimSpace(s.End); e != "" {
		day, err := time.ParseInLocation("2006-01-02", e, loc)
		if err != nil {
			return nil, fmt.Errorf("%w: end %q is not a date such as 2009-07-10", ErrSchedule, s.End)
		}
		c.end = day.AddDate(0, 0, 1) // the end day is the last day the window opens
		if c.dated && !c.end.After(c.first) {
			return nil, fmt.Errorf("%w: end %s is before the start %s", ErrSchedule, s.End, s.Start)
		}
	}
	return c, nil
}

func parseDuration(s string) (time.Duration, error) {
	if h, m, ok := strings.Cut(s, ":"); ok {
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil || mm < 0 || mm > 59 || hh < 0 {
			return 0, fmt.Errorf("bad HH:MM %q", s)
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
	}
	return time.ParseDuration(s)
}

// periodsAround returns the opening periods that can contain t or follow
// it soon: for a daily window, those starting the day before, the day of,
// and the day after t.
func (c *schedule) periodsAround(t time.Time) [][2]time.Time {
	if !c.recurring {
		e := time.Time{}
		if c.dur > 0 {
			e = c.first.Add(c.dur)
		}
		return [][2]time.Time{c.clip(c.first, e)}
	}
	loc := c.first.Location()
	t = t.In(loc)
	var out [][2]time.Time
	for _, off := range []int{-1, 0, 1} {
		d := t.AddDate(0, 0, off)
		s := time.Date(d.Year(), d.Month(), d.Day(), c.first.Hour(), c.first.Minute(), 0, 0, loc)
		if c.dated && s.Before(c.first) {
			continue
		}
		e := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		if c.dur > 0 {
			e = s.Add(c.dur)
		}
		out = append(out, c.clip(s, e))
	}
	return out
}

// clip cuts a period at the end date; a zero end time means open-ended.
func (c *schedule) clip(s, e time.Time) [2]time.Time {
	if !c.end.IsZero() {
		if !s.Before(c.end) {
			return [2]time.Time{c.end, c.end}
		}
		if e.IsZero() || e.After(c.end) {
			e = c.end
		}
	}
	return [2]time.Time{s, e}
}

func (c *schedule) openAt(t time.Time) bool {
	for _, p := range c.periodsAround(t) {
		if !t.Before(p[0]) && (p[1].IsZero() || t.Before(p[1])) {
			return true
		}
	}
	return false
}

// nextChange is the first moment after t at which openAt changes, or zero
// when it never will.
func (c *schedule) nextChange(t time.Time) time.Time {
	now := c.openAt(t)
	cur := t
	for range 4 { // a daily window changes within two days if it ever does
		var best time.Time
		for _, p := range c.periodsAround(cur) {
			for _, edge := range p {
				if edge.After(cur) && (best.IsZero() || edge.Before(best)) {
					best = edge
				}
			}
		}
		if best.IsZero() {
			return time.Time{}
		}
		if c.openAt(best) != now {
			return best
		}
		cur = best
	}
	return time.Time{}
}

// Transition is the window opening or closing.
type Transition struct {
	At   time.Time
	Open bool
	Why  string // "schedule", "opened by hand", …
}

// override is the technician's hand on the window.
type override int

const (
	followSchedule override = iota
	forcedOpen
	forcedClosed
)

// JoinWindow decides when joining clients get Smart Install options. It
// starts closed, whatever the schedule says, until the technician opens it
// or tells it to follow the schedule: a laptop plugged into the wrong port
// must not provision whatever boots next to it.
type JoinWindow struct {
	mu       sync.Mutex
	mode     JoinMode
	sched    *schedule
	override override
	last     time.Time
	lastOpen bool
	changed  chan struct{} // wakes Run after a change by hand
}

// NewJoinWindow builds a closed window from the profile settings.
func NewJoinWindow(cfg WindowConfig, now time.Time) (*JoinWindow, error) {
	w := &JoinWindow{override: forcedClosed, last: now, changed: make(chan struct{}, 1)}
	if cfg.Mode == "manual" {
		w.mode = ModeManual
	}
	if cfg.Schedule != nil {
		s, err := cfg.Schedule.compileIn(now.Location())
		if err != nil {
			return nil, err
		}
		w.sched = s
	}
	return w, nil
}

func (w *JoinWindow) openLocked(t time.Time) bool {
	switch w.override {
	case forcedOpen:
		return true
	case forcedClosed:
		return false
	}
	return w.sched != nil && w.sched.openAt(t)
}

// IsOpen reports whether the window is open at t.
func (w *JoinWindow) IsOpen(t time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.openLocked(t)
}

// Mode is the join mode.
func (w *JoinWindow) Mode() JoinMode {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mode
}

// SetMode changes the join mode.
func (w *JoinWindow) SetMode(m JoinMode) {
	w.mu.Lock()
	w.mode = m
	w.mu.Unlock()
}

// Open opens the window by hand until Close or FollowSchedule.
func (w *JoinWindow) Open(now time.Time) []Transition {
	return w.set(now, forcedOpen, "opened by hand")
}

// Close closes the window by hand.
func (w *JoinWindow) Close(now time.Time) []Transition {
	return w.set(now, forcedClosed, "closed by hand")
}

// ErrNoSchedule: FollowSchedule without a schedule in the profile.
var ErrNoSchedule = errors.New("no join window schedule in the profile; add join-window: schedule: or open the window by hand")

// FollowSchedule hands the window back to the schedule.
func (w *JoinWindow) FollowSchedule(now time.Time) ([]Transition, error) {
	w.mu.Lock()
	has := w.sched != nil
	w.mu.Unlock()
	if !has {
		return nil, ErrNoSchedule
	}
	return w.set(now, followSchedule, "following the schedule"), nil
}

func (w *JoinWindow) set(now time.Time, o override, why string) []Transition {
	w.mu.Lock()
	out := w.advanceLocked(now)
	w.override = o
	if open := w.openLocked(now); open != w.lastOpen {
		w.lastOpen = open
		out = append(out, Transition{At: now, Open: open, Why: why})
	}
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return out
}

// Advance moves the window's notion of time to now and returns every
// transition since the last call, each stamped with the exact moment the
// schedule says, so a clock that jumps still reports every opening and
// closing in order.
func (w *JoinWindow) Advance(now time.Time) []Transition {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.advanceLocked(now)
}

func (w *JoinWindow) advanceLocked(now time.Time) []Transition {
	var out []Transition
	if w.override == followSchedule && w.sched != nil {
		for t := w.last; ; {
			next := w.sched.nextChange(t)
			if next.IsZero() || next.After(now) {
				break
			}
			open := w.sched.openAt(next)
			if open != w.lastOpen {
				out = append(out, Transition{At: next, Open: open, Why: "schedule"})
				w.lastOpen = open
			}
			t = next
		}
	}
	if now.After(w.last) {
		w.last = now
	}
	return out
}

// NextChange is when the window will next open or close on its own; ok is
// false when it will not.
func (w *JoinWindow) NextChange(now time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.override != followSchedule || w.sched == nil {
		return time.Time{}, false
	}
	t := w.sched.nextChange(now)
	return t, !t.IsZero()
}

// Run reports scheduled transitions through emit until ctx ends, waking at
// each scheduled change and after every change by hand.
func (w *JoinWindow) Run(ctx context.Context, clock Clock, emit func(Transition)) {
	for {
		now := clock.Now()
		for _, t := range w.Advance(now) {
			emit(t)
		}
		var wake <-chan time.Time
		if next, ok := w.NextChange(now); ok {
			wake = clock.After(next.Sub(now))
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-w.changed:
		}
	}
}

// Describe renders the window like `show vstack join-window configuration`.
func (w *JoinWindow) Describe(now time.Time) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	b.WriteString("Join Window Configuration Details:\n")
	state := "Closed"
	if w.openLocked(now) {
		state = "Open"
	}
	switch w.override {
	case forcedOpen:
		state += " (opened by hand)"
	case forcedClosed:
		state += " (closed by hand)"
	default:
		state += " (schedule)"
	}
	fmt.Fprintf(&b, "  Window: %s\n", state)
	fmt.Fprintf(&b, "  Mode: %s\n", w.mode)
	if w.sched == nil {
		b.WriteString("  No Join Window start/end dates and times configured\n")
	} else {
		fmt.Fprintf(&b, "  Schedule: %s\n", w.sched.src.IOS())
		if w.override == followSchedule {
			if next := w.sched.nextChange(now); !next.IsZero() {
				fmt.Fprintf(&b, "  Next change: %s\n", next.Format("2006-01-02 15:04 MST"))
			}
		}
	}
	return b.String()
}

// IOS renders the schedule as the arguments of `vstack join-window start`.
func (s Schedule) IOS() string {
	var parts []string
	if d, t, ok := strings.Cut(strings.TrimSpace(s.Start), " "); ok {
		if day, err := time.Parse("2006-01-02", d); err == nil {
			parts = append(parts, iosDate(day))
		}
		parts = append(parts, t)
	} else {
		parts = append(parts, strings.TrimSpace(s.Start))
	}
	if s.Duration != "" {
		if d, err := parseDuration(s.Duration); err == nil {
			parts = append(parts, fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60))
		}
	}
	if s.End != "" {
		if day, err := time.Parse("2006-01-02", s.End); err == nil {
			parts = append(parts, "end", iosDate(day))
		}
	}
	if s.Recurring {
		parts = append(parts, "recurring")
	}
	return strings.Join(parts, " ")
}

func iosDate(t time.Time) string {
	return fmt.Sprintf("%02d %s %d", t.Day(), strings.ToLower(t.Format("Jan")), t.Year())
}
