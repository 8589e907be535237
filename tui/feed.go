package tui

import (
	"bytes"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"fieldcon/serialcon"
)

// Feed carries what a console reports into the program without one message
// per byte: its Observe method, called on the console's reader goroutine,
// appends to a bounded buffer and signals a channel of capacity one; the
// command from Cmd waits on that channel, takes everything accumulated as
// one DataMsg, and the pane re-arms it (bubbletea's examples/realtime).
//
// Under a flood the buffer grows between frames and each message carries
// more; if the program ever falls a whole buffer behind, the oldest bytes
// are dropped from the display only (the console's transcript and session
// log keep everything) and the next DataMsg says how many.
type Feed struct {
	id       int
	maxBytes int
	frame    time.Duration

	mu       sync.Mutex
	events   []serialcon.Event
	buffered int
	dropped  int64
	received int64
	last     time.Time

	signal chan struct{}
	done   chan struct{}
	once   sync.Once
}

// Feed defaults.
const (
	// DefaultFeedBytes bounds what waits for the display: at 921600 baud a
	// device sends about 92 KB/s, so this is seconds of backlog.
	DefaultFeedBytes = 4 << 20
	// DefaultFrame spaces DataMsgs so a device that trickles one byte at a
	// time at 9600 baud still arrives as one message per frame.
	DefaultFrame = time.Second / 60
	// maxEvents bounds non-data events waiting (reconnect storms).
	maxEvents = 256
)

// NewFeed returns a feed tagged id (so messages from a replaced console
// are recognised), holding at most maxBytes of data (0: DefaultFeedBytes)
// and delivering at most one message per frame (0: as fast as read).
func NewFeed(id, maxBytes int, frame time.Duration) *Feed {
	if maxBytes <= 0 {
		maxBytes = DefaultFeedBytes
	}
	return &Feed{
		id:       id,
		maxBytes: maxBytes,
		frame:    frame,
		signal:   make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

// ID is the tag carried by this feed's DataMsgs.
func (f *Feed) ID() int { return f.id }

// Observe is a serialcon.Observer: it never blocks.
func (f *Feed) Observe(e serialcon.Event) {
	if e.Kind == serialcon.EventSent {
		return // the device's echo is what the technician sees
	}
	f.mu.Lock()
	if e.Kind == serialcon.EventData {
		f.received += int64(len(e.Data))
		f.addData(e)
	} else {
		if len(f.events) >= maxEvents {
			f.dropEvent()
		}
		e.Data = nil
		f.events = append(f.events, e)
	}
	f.mu.Unlock()
	select {
	case f.signal <- struct{}{}:
	default: // already signalled; the waiting command takes all of it
	}
}

func (f *Feed) addData(e serialcon.Event) {
	if n := len(f.events); n > 0 && f.events[n-1].Kind == serialcon.EventData {
		f.events[n-1].Data = append(f.events[n-1].Data, e.Data...)
	} else {
		f.events = append(f.events, serialcon.Event{Kind: serialcon.EventData, Time: e.Time, Data: append([]byte(nil), e.Data...)})
	}
	f.buffered += len(e.Data)
	for f.buffered > f.maxBytes {
		f.dropOldestData(f.buffered - f.maxBytes)
	}
}

// dropOldestData removes up to n bytes from the oldest data event.
func (f *Feed) dropOldestData(n int) {
	for i := range f.events {
		if f.events[i].Kind != serialcon.EventData {
			continue
		}
		d := min(n, len(f.events[i].Data))
		f.events[i].Data = f.events[i].Data[d:]
		f.buffered -= d
		f.dropped += int64(d)
		if len(f.events[i].Data) == 0 {
			f.events = append(f.events[:i], f.events[i+1:]...)
		}
		return
	}
}

func (f *Feed) dropEvent() {
	for i := range f.events {
		if f.events[i].Kind != serialcon.EventData {
			f.events = append(f.events[:i], f.events[i+1:]...)
			return
		}
	}
}

// Seed puts what the console said before Observe was called (its
// transcript, taken just after) in front of what the feed holds, without
// repeating the bytes both saw.
func (f *Feed) Seed(transcript []byte) {
	if len(transcript) > seedBytes {
		transcript = transcript[len(transcript)-seedBytes:]
	}
	if len(transcript) == 0 {
		return
	}
	f.mu.Lock()
	var seen []byte
	for _, e := range f.events {
		if e.Kind == serialcon.EventData {
			seen = append(seen, e.Data...)
		}
	}
	overlap := 0
	for k := min(len(transcript), len(seen)); k > 0; k-- {
		if bytes.Equal(transcript[len(transcript)-k:], seen[:k]) {
			overlap = k
			break
		}
	}
	before := transcript[:len(transcript)-overlap]
	if len(before) > 0 {
		e := serialcon.Event{Kind: serialcon.EventData, Time: time.Now(), Data: append([]byte(nil), before...)}
		f.events = append([]serialcon.Event{e}, f.events...)
		f.buffered += len(before)
		f.received += int64(len(before))
	}
	f.mu.Unlock()
	select {
	case f.signal <- struct{}{}:
	default:
	}
}

// seedBytes is how much earlier output a new console pane shows.
const seedBytes = 64 << 10

// Close stops the feed; a waiting command returns nil and is not re-armed.
func (f *Feed) Close() {
	f.once.Do(func() { close(f.done) })
}

// Cmd waits for the console to report something and returns it as one
// DataMsg. The receiver of the DataMsg calls Cmd again to keep listening.
func (f *Feed) Cmd() tea.Cmd {
	return func() tea.Msg {
		select {
		case <-f.signal:
		case <-f.done:
			return nil
		}
		f.mu.Lock()
		wait := f.frame - time.Since(f.last)
		f.mu.Unlock()
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-f.done:
				t.Stop()
				return nil
			}
		}
		return f.take()
	}
}

func (f *Feed) take() DataMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := DataMsg{Feed: f.id, Events: f.events, Dropped: f.dropped, Received: f.received}
	f.events, f.buffered, f.dropped = nil, 0, 0
	f.last = time.Now()
	return m
}
