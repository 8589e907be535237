package director

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, time.UTC)
	if err != nil {
		panic(err)
	}
	return t
}

func scheduled(t *testing.T, s Schedule, now time.Time) *JoinWindow {
	t.Helper()
	w, err := NewJoinWindow(WindowConfig{Schedule: &s}, now)
	if err != nil {
		t.Fatalf("NewJoinWindow(%+v) = %v", s, err)
	}
	if w.IsOpen(now) {
		t.Fatalf("a new window is open at %s, want closed until the technician acts", now)
	}
	if _, err := w.FollowSchedule(now); err != nil {
		t.Fatal(err)
	}
	return w
}

// The five examples of `vstack join-window start` in the guide (EX-13).
func TestScheduleGuideExamples(t *testing.T) {
	tests := []struct {
		name   string
		s      Schedule
		open   []string
		closed []string
	}{
		{"start 10:00 recurring", Schedule{Start: "10:00", Recurring: true},
			[]string{"2009-07-04 10:00", "2009-07-05 23:59", "2020-01-01 10:00"},
			[]string{"2009-07-04 09:59", "2009-07-05 00:00", "2009-07-05 09:59"}},
		{"start 04 july 2009 09:00", Schedule{Start: "2009-07-04 09:00"},
			[]string{"2009-07-04 09:00", "2010-01-01 00:00"},
			[]string{"2009-07-04 08:59"}},
		{"start 04 july 2009 10:00 end 05 july 2009", Schedule{Start: "2009-07-04 10:00", End: "2009-07-05"},
			[]string{"2009-07-04 10:00", "2009-07-05 23:59"},
			[]string{"2009-07-04 09:59", "2009-07-06 00:00"}},
		{"start 04 july 2009 10:00 04:00", Schedule{Start: "2009-07-04 10:00", Duration: "04:00"},
			[]string{"2009-07-04 10:00", "2009-07-04 13:59"},
			[]string{"2009-07-04 14:00", "2009-07-05 10:00"}},
		{"start 07 july 2009 10:00 04:00 end 10 july 2009 recur", Schedule{Start: "2009-07-07 10:00", Duration: "4h", End: "2009-07-10", Recurring: true},
			[]string{"2009-07-07 10:00", "2009-07-08 13:59", "2009-07-10 10:00"},
			[]string{"2009-07-06 10:00", "2009-07-08 14:00", "2009-07-09 09:59", "2009-07-11 10:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := scheduled(t, tt.s, at("2009-01-01 00:00"))
			for _, s := range tt.open {
				if !w.IsOpen(at(s)) {
					t.Errorf("IsOpen(%s) = false, want true", s)
				}
			}
			for _, s := range tt.closed {
				if w.IsOpen(at(s)) {
					t.Errorf("IsOpen(%s) = true, want false", s)
				}
			}
		})
	}
}

// Scenario 3 of the digest: transitions fire exactly at 10:00 and 14:00 on
// 07-08, 07-09 and 07-10, and never after the end date.
func TestScheduleTransitionsScenario3(t *testing.T) {
	w := scheduled(t, Schedule{Start: "2009-07-07 10:00", Duration: "04:00", End: "2009-07-10", Recurring: true}, at("2009-07-08 09:59"))
	steps := []struct {
		to   string
		want []string // transitions, "open@…"/"close@…"
	}{
		{"2009-07-08 10:00", []string{"open@2009-07-08 10:00"}},
		{"2009-07-08 13:59", nil},
		{"2009-07-08 14:00", []string{"close@2009-07-08 14:00"}},
		// A jump over two days reports every edge, in order.
		{"2009-07-10 12:00", []string{"open@2009-07-09 10:00", "close@2009-07-09 14:00", "open@2009-07-10 10:00"}},
		{"2009-07-11 10:00", []string{"close@2009-07-10 14:00"}},
		{"2009-07-20 10:00", nil},
	}
	for _, st := range steps {
		var got []string
		for _, tr := range w.Advance(at(st.to)) {
			verb := "close"
			if tr.Open {
				verb = "open"
			}
			got = append(got, verb+"@"+tr.At.Format("2006-01-02 15:04"))
		}
		if strings.Join(got, ",") != strings.Join(st.want, ",") {
			t.Errorf("Advance(%s) = %v, want %v", st.to, got, st.want)
		}
	}
}

func TestWindowByHand(t *testing.T) {
	now := at("2024-05-01 12:00")
	w, err := NewJoinWindow(WindowConfig{Mode: "manual"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if w.IsOpen(now) || w.Mode() != ModeManual {
		t.Fatalf("new window open=%v mode=%s, want closed and manual", w.IsOpen(now), w.Mode())
	}
	if tr := w.Open(now); len(tr) != 1 || !tr[0].Open || tr[0].Why != "opened by hand" {
		t.Errorf("Open() = %+v, want one opening by hand", tr)
	}
	if tr := w.Open(now); len(tr) != 0 {
		t.Errorf("second Open() = %+v, want no transition", tr)
	}
	if tr := w.Close(now); len(tr) != 1 || tr[0].Open {
		t.Errorf("Close() = %+v, want one closing", tr)
	}
	if _, err := w.FollowSchedule(now); !errors.Is(err, ErrNoSchedule) {
		t.Errorf("FollowSchedule() without a schedule = %v, want ErrNoSchedule", err)
	}
	if d := w.Describe(now); !strings.Contains(d, "Window: Closed (closed by hand)") || !strings.Contains(d, "Mode: manual") ||
		!strings.Contains(d, "No Join Window start/end dates and times configured") {
		t.Errorf("Describe() = %q", d)
	}
}

// Run reports scheduled transitions as the clock reaches them. The clock is
// the real one inside a synctest bubble, so time moves only when every
// goroutine waits and the test never races the window's timer.
func TestWindowRunOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now() // midnight, 2000-01-01 UTC, in the bubble
		w := scheduled(t, Schedule{Start: "10:00", Duration: "1h"}, start)
		ctx, cancel := context.WithCancel(context.Background())
		var (
			mu  sync.Mutex
			got []Transition
		)
		done := make(chan struct{})
		go func() {
			w.Run(ctx, SystemClock{}, func(tr Transition) { mu.Lock(); got = append(got, tr); mu.Unlock() })
			close(done)
		}()
		for _, step := range []struct {
			at   time.Duration
			open bool
		}{{10*time.Hour + time.Minute, true}, {11*time.Hour + time.Minute, false}, {34*time.Hour + 30*time.Minute, true}} {
			time.Sleep(time.Until(start.Add(step.at)))
			synctest.Wait()
			mu.Lock()
			last := append([]Transition(nil), got...)
			mu.Unlock()
			if len(last) == 0 || last[len(last)-1].Open != step.open {
				t.Fatalf("at %s transitions %+v, want the last one open=%v", time.Now().Format("01-02 15:04"), last, step.open)
			}
		}
		cancel()
		<-done
		if len(got) != 3 {
			t.Errorf("got %d transitions %+v, want 3", len(got), got)
		}
	})
}

func TestScheduleErrors(t *testing.T) {
	for _, s := range []Schedule{
		{},
		{Start: "25:00"},
		{Start: "2009-13-01 10:00"},
		{Start: "10:00", Duration: "0s"},
		{Start: "10:00", Duration: "24:01"},
		{Start: "2009-07-07 10:00", End: "2009-07-01"},
		{Start: "10:00", End: "10 jul"},
	} {
		if _, err := s.compile(); !errors.Is(err, ErrSchedule) {
			t.Errorf("compile(%+v) = %v, want ErrSchedule", s, err)
		}
	}
	if got, want := (Schedule{Start: "2009-07-07 10:00", Duration: "4h", End: "2009-07-10", Recurring: true}).IOS(), "07 jul 2009 10:00 04:00 end 10 jul 2009 recurring"; got != want {
		t.Errorf("IOS() = %q, want %q", got, want)
	}
}
