package tui

import (
	"math"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"
)

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{5000, "4.9 KiB"},
		{6 << 20, "6.0 MiB"},
		{3 << 30, "3.0 GiB"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestRateAndETA(t *testing.T) {
	tests := []struct {
		name        string
		done, total int64
		rate        float64
		wantRate    string
		wantETA     string
	}{
		{"half at 1 KiB/s", 1024, 2048, 1024, "1.0 KiB/s", "1s left"},
		{"minutes", 0, 600 << 10, 1024, "1.0 KiB/s", "10m0s left"},
		{"unknown total", 1024, 0, 1024, "1.0 KiB/s", ""},
		{"no rate yet", 0, 1024, 0, "", ""},
		{"infinite rate", 10, 1024, math.Inf(1), "", ""},
		{"done", 1024, 1024, 1024, "1.0 KiB/s", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := humanRate(tt.rate); got != tt.wantRate {
				t.Errorf("humanRate(%v) = %q, want %q", tt.rate, got, tt.wantRate)
			}
			if got := humanETA(eta(tt.done, tt.total, tt.rate)); got != tt.wantETA {
				t.Errorf("humanETA(eta(%d, %d, %v)) = %q, want %q", tt.done, tt.total, tt.rate, got, tt.wantETA)
			}
		})
	}
}

func TestProgressBar(t *testing.T) {
	tests := []struct {
		done, total int64
		want        string
	}{
		{0, 100, "░░░░░░░░░░"},
		{50, 100, "█████░░░░░"},
		{100, 100, "██████████"},
		{150, 100, "██████████"},
		{10, 0, "░░░░░░░░░░"},
	}
	for _, tt := range tests {
		if got := ansi.Strip(progressBar(10, tt.done, tt.total)); got != tt.want {
			t.Errorf("progressBar(10, %d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
}

// TestPump checks that reports are never lost, merged ones keep only the
// latest, and a signal left over from reports already taken does not end
// the chain with an empty message.
func TestPump(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPump(func(last, next int) bool { return last < 0 && next < 0 })
		take := func() tea.Msg { return p.next(func(v []int) tea.Msg { return v })() }
		p.put(1)
		p.put(-1)
		p.put(-2) // merged into -1
		p.put(3)
		if m := take(); !cmp.Equal(m, []int{1, -2, 3}) {
			t.Errorf("first next() = %v, want [1 -2 3]", m)
		}
		// A report whose signal outlives it: a take raced with put, so
		// the signal is still pending while the queue is empty.
		p.put(4)
		p.mu.Lock()
		p.items = nil
		p.mu.Unlock()
		go func() {
			time.Sleep(time.Second)
			p.put(5)
		}()
		if m := take(); !cmp.Equal(m, []int{5}) {
			t.Errorf("next() after a stale signal = %v, want [5]", m)
		}
		p.put(6)
		p.close()
		if m := take(); !cmp.Equal(m, []int{6}) {
			t.Errorf("next() after close with a report queued = %v, want [6]", m)
		}
		if m := take(); m != nil {
			t.Errorf("next() after close = %v, want nil", m)
		}
	})
}
