package tui

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"fieldcon/serialcon"
)

func data(s string) serialcon.Event {
	return serialcon.Event{Kind: serialcon.EventData, Data: []byte(s)}
}

// summary is a DataMsg's events as readable strings.
func summary(m DataMsg) []string {
	var out []string
	for _, e := range m.Events {
		if e.Kind == serialcon.EventData {
			out = append(out, "data:"+string(e.Data))
		} else {
			out = append(out, e.Kind.String())
		}
	}
	return out
}

func TestFeedCoalescesInOrder(t *testing.T) {
	f := NewFeed(7, 0, 0)
	defer f.Close()
	buf := []byte("ab")
	f.Observe(serialcon.Event{Kind: serialcon.EventData, Data: buf})
	buf[0], buf[1] = 'X', 'X' // the console reuses its buffer after the call
	f.Observe(data("cd"))
	f.Observe(serialcon.Event{Kind: serialcon.EventSent, Data: []byte("typed")})
	f.Observe(serialcon.Event{Kind: serialcon.EventBaudChanged, Settings: serialcon.DefaultSettings(115200)})
	f.Observe(data("ef"))
	m, ok := f.Cmd()().(DataMsg)
	if !ok {
		t.Fatal("Cmd() did not return a DataMsg")
	}
	want := []string{"data:abcd", serialcon.EventBaudChanged.String(), "data:ef"}
	if diff := cmp.Diff(want, summary(m)); diff != "" {
		t.Errorf("DataMsg events (-want +got):\n%s", diff)
	}
	if m.Feed != 7 || m.Received != 6 || m.Dropped != 0 {
		t.Errorf("DataMsg = feed %d, received %d, dropped %d; want 7, 6, 0", m.Feed, m.Received, m.Dropped)
	}
}

func TestFeedDropsOldestWhenFull(t *testing.T) {
	f := NewFeed(1, 10, 0)
	defer f.Close()
	f.Observe(data("0123456789"))
	f.Observe(serialcon.Event{Kind: serialcon.EventDisconnected})
	f.Observe(data("abcdef"))
	m := f.Cmd()().(DataMsg)
	want := []string{"data:6789", serialcon.EventDisconnected.String(), "data:abcdef"}
	if diff := cmp.Diff(want, summary(m)); diff != "" {
		t.Errorf("events after overflow (-want +got):\n%s", diff)
	}
	if m.Dropped != 6 || m.Received != 16 {
		t.Errorf("dropped %d, received %d; want 6, 16", m.Dropped, m.Received)
	}
}

func TestFeedSeedSkipsOverlap(t *testing.T) {
	tests := []struct {
		name, transcript, seen string
		want                   []string
	}{
		{"no overlap", "boot\r\nswitch: ", "", []string{"data:boot\r\nswitch: "}},
		{"overlap", "boot\r\nswitch: ", "switch: dir", []string{"data:boot\r\nswitch: dir"}},
		{"all seen", "sw", "sw", []string{"data:sw"}},
		{"empty transcript", "", "x", []string{"data:x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFeed(1, 0, 0)
			defer f.Close()
			if tt.seen != "" {
				f.Observe(data(tt.seen))
			}
			f.Seed([]byte(tt.transcript))
			m := f.Cmd()().(DataMsg)
			got := []string{"data:" + strings.Join(func() []string {
				var s []string
				for _, e := range m.Events {
					s = append(s, string(e.Data))
				}
				return s
			}(), "")}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Seed(%q) after %q (-want +got):\n%s", tt.transcript, tt.seen, diff)
			}
		})
	}
}

func TestFeedCloseEndsWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := NewFeed(1, 0, time.Second)
		got := make(chan any, 1)
		go func() { got <- f.Cmd()() }()
		synctest.Wait()
		f.Close()
		if m := <-got; m != nil {
			t.Errorf("Cmd() after Close = %v, want nil", m)
		}
	})
}

func TestFeedFrameSpacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := NewFeed(1, 0, 100*time.Millisecond)
		defer f.Close()
		f.Observe(data("a"))
		start := time.Now()
		f.Cmd()()
		f.Observe(data("b"))
		f.Cmd()()
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("second DataMsg came %v after the first, want one frame (100ms)", d)
		}
	})
}
