package serialcon

import (
	"strconv"
	"time"
)

// EventKind says what happened on the console.
type EventKind int

const (
	EventData         EventKind = iota // bytes from the device
	EventSent                          // bytes sent to the device
	EventOpened                        // the port was opened
	EventBaudChanged                   // host-side settings changed
	EventBreak                         // a break was sent
	EventDisconnected                  // the adapter went away; Err says how
	EventReconnected                   // the same adapter is back and reopened
	EventClosed                        // Close was called
	EventPrompt                        // a new prompt appeared at the end of the output
)

var eventNames = [...]string{
	EventData:         "data",
	EventSent:         "sent",
	EventOpened:       "opened",
	EventBaudChanged:  "baud-changed",
	EventBreak:        "break",
	EventDisconnected: "disconnected",
	EventReconnected:  "reconnected",
	EventClosed:       "closed",
	EventPrompt:       "prompt",
}

func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Event is one thing that happened on the console.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Data     []byte // EventData, EventSent: read-only and reused after the call; copy to keep
	Settings Settings
	Prompt   PromptKind    // EventPrompt
	Text     string        // EventPrompt: the prompt line; EventOpened, EventReconnected: the path
	Duration time.Duration // EventBreak
	Err      error         // EventDisconnected
}

// Observer receives every event. Observers are called one at a time, in the
// order events happen: device data from the console's reader goroutine, sent
// bytes, breaks and speed changes from the goroutine that caused them. An
// observer must return quickly and must not call back into the Console
// (hand the work to another goroutine instead).
type Observer func(Event)

// State is whether the console has its port.
type State int

const (
	StateConnected    State = iota
	StateDisconnected       // adapter gone; waiting for it to come back
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateClosed:
		return "closed"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}
