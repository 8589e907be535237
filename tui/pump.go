package tui

import (
	"sync"

	tea "charm.land/bubbletea/v2"
)

// pump carries reports from a worker goroutine (a transfer, a playbook, a
// scan) into the program without ever blocking the worker: put queues a
// report and signals a channel of capacity one; the command from next
// waits for the signal and returns everything queued as one message, and
// whoever receives it calls next again (bubbletea's examples/realtime).
// With merge set, a report replaces the previous one when merge says so,
// so a fast transfer queues one progress report, not thousands.
type pump[T any] struct {
	merge func(last, next T) bool

	mu     sync.Mutex
	items  []T
	signal chan struct{}
	done   chan struct{}
	once   sync.Once
}

func newPump[T any](merge func(last, next T) bool) *pump[T] {
	return &pump[T]{merge: merge, signal: make(chan struct{}, 1), done: make(chan struct{})}
}

// put queues v; it never blocks.
func (p *pump[T]) put(v T) {
	p.mu.Lock()
	if n := len(p.items); n > 0 && p.merge != nil && p.merge(p.items[n-1], v) {
		p.items[n-1] = v
	} else {
		p.items = append(p.items, v)
	}
	p.mu.Unlock()
	select {
	case p.signal <- struct{}{}:
	default: // already signalled; the waiting command takes everything
	}
}

// close ends the pump once the worker is done: a waiting command returns
// what is still queued, then nil.
func (p *pump[T]) close() { p.once.Do(func() { close(p.done) }) }

// next waits for reports and wraps them as one message.
func (p *pump[T]) next(wrap func([]T) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		for {
			closed := false
			select {
			case <-p.signal:
			case <-p.done:
				closed = true
			}
			p.mu.Lock()
			items := p.items
			p.items = nil
			p.mu.Unlock()
			switch {
			case len(items) > 0:
				return wrap(items)
			case closed:
				return nil
			}
			// A signal left over from reports an earlier call already
			// took: wait for the next one.
		}
	}
}
