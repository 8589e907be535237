package servers

import (
	"testing"
	"time"
)

func TestEventString(t *testing.T) {
	e := Event{
		Time:    time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC),
		Server:  "tftp",
		Kind:    TransferDone,
		Peer:    "10.0.0.1:1234",
		Subject: "c1240-k9w7-tar.default",
		Bytes:   10, Total: 10, Rate: 5,
		Detail: "served images/x.tar",
	}
	got := e.String()
	want := `03:04:05.006 tftp transfer-done peer=10.0.0.1:1234 "c1240-k9w7-tar.default" 10/10 bytes 5 B/s: served images/x.tar`
	if got != want {
		t.Errorf("Event.String() = %q, want %q", got, want)
	}
}

func TestChannelDropsWhenFull(t *testing.T) {
	hook, ch, dropped := Channel(1)
	hook.Emit(Event{Kind: Info})
	hook.Emit(Event{Kind: Warning})
	if got := dropped(); got != 1 {
		t.Errorf("dropped() = %d, want 1", got)
	}
	e := <-ch
	if e.Kind != Info || e.Time.IsZero() {
		t.Errorf("first event = %+v, want kind info with a time", e)
	}
	var nilHook Hook
	nilHook.Emit(Event{}) // must not panic
}
