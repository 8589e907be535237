package xmodem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// errTimeout is one round trip running out of time; the loops turn it into a
// retry, never into a result.
var errTimeout = errors.New("timed out")

// cancelSeq aborts the peer: lrzsz and Cisco loaders need two CANs in a row;
// more survive a corrupted byte or a receiver that is mid-block.
var cancelSeq = []byte{can, can, can, can, can, can, can, can}

// cancelWriteTimeout bounds the courtesy CANs on a line that stopped moving.
const cancelWriteTimeout = 2 * time.Second

// line wraps a Conn with an input buffer, per-round-trip deadlines and
// context cancellation. One goroutine uses it.
type line struct {
	c        Conn
	ctx      context.Context
	wd       interface{ SetWriteDeadline(time.Time) error }
	buf      []byte
	r, w     int // unread input is buf[r:w]
	deadline time.Time
	stop     func() bool
	mu       sync.Mutex // held while the context's AfterFunc runs
}

// newLine arranges for ctx's end to unblock a Read in progress: setting a
// deadline in the past is the only portable way to interrupt it.
func newLine(ctx context.Context, c Conn, bufSize int) *line {
	l := &line{c: c, ctx: ctx, buf: make([]byte, bufSize)}
	l.wd, _ = c.(interface{ SetWriteDeadline(time.Time) error })
	l.stop = context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		past := time.Unix(1, 0)
		_ = c.SetReadDeadline(past)
		if l.wd != nil {
			_ = l.wd.SetWriteDeadline(past)
		}
	})
	return l
}

// close undoes what newLine changed on the Conn, so the caller can go on
// using it (a console returns to interactive use).
func (l *line) close() {
	l.stopWatch()
	_ = l.c.SetReadDeadline(time.Time{})
	if l.wd != nil {
		_ = l.wd.SetWriteDeadline(time.Time{})
	}
}

// stopWatch makes sure the context's AfterFunc has either not run and never
// will, or has finished, so that deadlines set afterwards stick.
func (l *line) stopWatch() {
	l.stop()
	l.mu.Lock()
	l.mu.Unlock()
}

// buffered returns the unread input.
func (l *line) buffered() []byte { return l.buf[l.r:l.w] }

// consume drops n bytes of buffered input.
func (l *line) consume(n int) {
	l.r += n
	if l.r == l.w {
		l.r, l.w = 0, 0
	}
}

// discard drops all buffered input.
func (l *line) discard() { l.r, l.w = 0, 0 }

// discardStale drops buffered input that answers nothing any more (extra
// NAKs, noise) but reports a cancel in it: the peer may have given up
// while we were busy.
func (l *line) discardStale() error {
	canceled := bytes.Contains(l.buffered(), []byte{can, can})
	l.discard()
	if canceled {
		return ErrCanceledByPeer
	}
	return nil
}

// fill reads at least one more byte before deadline. It returns errTimeout
// when the deadline passes and ctx.Err() when the context ends.
func (l *line) fill(deadline time.Time) error {
	if l.r > 0 && l.w == len(l.buf) {
		l.w = copy(l.buf, l.buf[l.r:l.w])
		l.r = 0
	}
	if !deadline.Equal(l.deadline) {
		if err := l.c.SetReadDeadline(deadline); err != nil {
			return fmt.Errorf("set read deadline: %w", err)
		}
		l.deadline = deadline
	}
	// Checked after setting the deadline: if ctx ended before, we stop here;
	// if it ends later, its AfterFunc overrides our deadline.
	if err := l.ctx.Err(); err != nil {
		return err
	}
	for {
		n, err := l.c.Read(l.buf[l.w:])
		l.w += n
		switch {
		case n > 0:
			return nil
		case err == nil:
			// A Read that returns (0, nil) (go.bug.st/serial on its own
			// timeout) is retried until our deadline.
			if !time.Now().Before(deadline) {
				return errTimeout
			}
			continue
		case l.ctx.Err() != nil:
			return l.ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
			return errTimeout
		case errors.Is(err, io.EOF):
			return ErrLineClosed
		default:
			return fmt.Errorf("read: %w", err)
		}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// readByte returns the next input byte, reading before deadline if needed.
func (l *line) readByte(deadline time.Time) (byte, error) {
	if l.r == l.w {
		if err := l.fill(deadline); err != nil {
			return 0, err
		}
	}
	b := l.buf[l.r]
	l.consume(1)
	return b, nil
}

// write sends p in one Write, so a block leaves as one burst with no
// per-byte system calls.
func (l *line) write(p []byte) error {
	if err := l.ctx.Err(); err != nil {
		return err
	}
	_, err := l.c.Write(p)
	if err != nil {
		if l.ctx.Err() != nil {
			return l.ctx.Err()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("write: the line does not accept data: %w", err)
		}
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// abort sends CANs so the peer stops too, ignoring the context (which may be
// the reason for aborting) but bounded in time when the Conn allows it.
func (l *line) abort() {
	l.stopWatch()
	if l.wd != nil {
		_ = l.wd.SetWriteDeadline(time.Now().Add(cancelWriteTimeout))
	}
	_, _ = l.c.Write(cancelSeq)
}

// quiet reads and drops input until the line has been silent for gap, or
// until deadline. A receiver that lost the framing uses it so that its NAK
// is not mistaken for the answer to a block still arriving.
func (l *line) quiet(gap time.Duration, deadline time.Time) error {
	if err := l.discardStale(); err != nil {
		return err
	}
	for {
		d := time.Now().Add(gap)
		if d.After(deadline) {
			d = deadline
		}
		err := l.fill(d)
		if err := l.discardStale(); err != nil {
			return err
		}
		switch {
		case errors.Is(err, errTimeout):
			return nil
		case err != nil:
			return err
		}
		if !time.Now().Before(deadline) {
			return nil
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
