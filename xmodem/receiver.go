package xmodem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// resyncGap is how long the line must stay silent after a damaged block
// before the receiver NAKs it: the sender may still be sending the rest of
// the block, and a NAK arriving in the middle would be read as the answer
// to the block after.
const resyncGap = 100 * time.Millisecond

// autoCRCTries is how many 'C's a ModeAuto receiver sends before it falls
// back to NAK (checksum), as lrzsz does.
const autoCRCTries = 3

// Receive reads one file from the sender at the other end of c and writes
// it to w. Blocks of 128 and 1024 bytes are accepted in any mix.
//
// It asks for CRC with 'C' (ModeAuto falls back to NAK after three tries,
// ModeChecksum asks with NAK from the start), skips noise before a block,
// re-acknowledges a repeated block, NAKs a damaged one once the line is
// quiet, and cancels with CAN CAN when a block is lost (ErrSequence). An EOT
// is acknowledged the second time it comes, so a stray 0x04 on a noisy line
// cannot end the file early.
//
// The last block's SUB padding is cut at Options.Size, or at the size in a
// YMODEM header; otherwise it is written as received unless
// Options.TrimPadding is set.
//
// When ctx ends, Receive sends CAN CAN so the sender stops too, and returns
// ctx.Err(). CAN CAN from the sender gives ErrCanceledByPeer.
func Receive(ctx context.Context, c Conn, w io.Writer, o Options) (Stats, error) {
	s, err := o.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	l := newLine(ctx, c, 4*maxBlockLen)
	defer l.close()
	rc := &receiver{s: s, l: l, w: w, size: -1, crc: s.Mode != ModeChecksum}
	if s.Size > 0 {
		rc.size = s.Size
	}
	rc.m = newMeter(s.Progress, max(rc.size, 0))
	err = rc.run()
	mode := ModeChecksum
	switch {
	case rc.got1K:
		mode = Mode1K
	case rc.crc:
		mode = ModeCRC
	}
	st := rc.m.stats(mode)
	st.Bytes = rc.written
	if s.YModem {
		st.Name, st.Size = rc.name, rc.size
	}
	if err != nil && ctx.Err() != nil {
		return st, ctx.Err()
	}
	return st, err
}

type receiver struct {
	s       settings
	l       *line
	w       io.Writer
	m       *meter
	crc     bool
	got1K   bool
	size    int64 // -1 while unknown
	written int64
	pending []byte // last block, held back for TrimPadding
	batch   bool   // a YMODEM header arrived
	name    string
}

func (rc *receiver) run() error {
	err := rc.file()
	if err == nil && rc.batch {
		err = rc.endBatch()
	}
	if err != nil && !errors.Is(err, ErrCanceledByPeer) && !errors.Is(err, ErrLineClosed) &&
		!errors.Is(err, ErrNoSender) {
		rc.l.abort()
	}
	return err
}

// file receives one file: the YMODEM header if asked for, the blocks, EOT.
func (rc *receiver) file() error {
	l := rc.l
	header := rc.s.YModem
	if header {
		rc.crc = true
	}
	expected := byte(1)
	if header {
		expected = 0
	}
	var (
		last      byte
		haveLast  bool // last is valid: a repeat of it is re-acknowledged
		started   bool // a data block of this file has arrived
		attempts  int  // failures of the current block
		starts    int  // start characters sent
		eotNAKed  bool // the previous frame was an EOT we NAKed
		cans      int
		startChar = rc.startChar()
	)
	startBy := time.Now().Add(rc.s.StartTimeout)
	prompt := func() error {
		starts++
		if rc.s.Mode == ModeAuto && !rc.s.YModem && !started && starts > autoCRCTries {
			rc.crc, startChar = false, nak
		}
		return l.write([]byte{startChar})
	}
	if err := prompt(); err != nil {
		return fmt.Errorf("xmodem start: %w", err)
	}
	deadline := time.Now().Add(rc.s.StartInterval)
	// fail counts one damaged or missing block and answers it.
	fail := func(n int) error {
		rc.m.retry()
		attempts++
		if attempts > rc.s.Retries {
			return fmt.Errorf("xmodem block %d: %w", n, ErrTooManyRetries)
		}
		if !started {
			deadline = time.Now().Add(rc.s.StartInterval)
			return l.write([]byte{startChar})
		}
		deadline = time.Now().Add(rc.s.Timeout)
		return l.write([]byte{nak})
	}

	for {
		kind, frame, used := nextFrame(l.buffered(), rc.crc)
		if used > 0 && (kind != frameEOT || used > 1) {
			// Anything between two EOTs means the first was noise.
			eotNAKed = false
		}
		if used > 0 && (kind != frameCAN || used > 1) {
			cans = 0 // only CANs in a row cancel
		}
		l.consume(used)
		blockNo := rc.m.blocks + 1
		switch kind {
		case frameNone:
			err := l.fill(deadline)
			switch {
			case err == nil:
				continue
			case !errors.Is(err, errTimeout):
				return fmt.Errorf("xmodem block %d: %w", blockNo, err)
			case eotNAKed:
				// The sender did not repeat its EOT: it was real.
				return rc.end()
			case !started:
				if time.Now().After(startBy) {
					return ErrNoSender
				}
				if err := prompt(); err != nil {
					return fmt.Errorf("xmodem start: %w", err)
				}
				deadline = time.Now().Add(rc.s.StartInterval)
				continue
			}
			if err := fail(blockNo); err != nil {
				return err
			}
		case frameCAN:
			cans++
			if cans >= 2 {
				return fmt.Errorf("xmodem block %d: %w", blockNo, ErrCanceledByPeer)
			}
		case frameEOT:
			if len(l.buffered()) > 0 {
				// A real EOT is followed by silence: the sender waits
				// for our answer. This one is a data byte seen while
				// resynchronising.
				continue
			}
			if eotNAKed || (!started && !header) {
				// Second EOT in a row (or an empty file): done.
				if err := l.write([]byte{ack}); err != nil {
					return fmt.Errorf("xmodem end of file: %w", err)
				}
				if err := rc.end(); err != nil {
					return err
				}
				if !rc.batch {
					rc.linger()
				}
				return nil
			}
			eotNAKed = true
			deadline = time.Now().Add(rc.s.Timeout)
			if err := l.write([]byte{nak}); err != nil {
				return fmt.Errorf("xmodem end of file: %w", err)
			}
		case frameBlock:
			seq, data, err := decodeBlock(frame, rc.crc)
			if err != nil {
				if err := l.quiet(resyncGap, time.Now().Add(rc.s.Timeout)); err != nil {
					return fmt.Errorf("xmodem block %d: %w", blockNo, err)
				}
				if err := fail(blockNo); err != nil {
					return err
				}
				continue
			}
			switch {
			case header && seq == 0:
				// YMODEM block 0: name and size, then a fresh 'C' asks
				// for the data.
				h, err := decodeHeader(data)
				if err != nil {
					return fmt.Errorf("ymodem header: %w: %w", ErrBatch, err)
				}
				if err := l.write([]byte{ack}); err != nil {
					return fmt.Errorf("ymodem header: %w", err)
				}
				if h.Name == "" {
					return nil // an empty batch
				}
				rc.batch, rc.name = true, h.Name
				if h.Size >= 0 {
					rc.size = h.Size
					rc.m.total = h.Size
				}
				header, expected, last, haveLast, attempts = false, 1, 0, true, 0
				startBy = time.Now().Add(rc.s.StartTimeout)
				if err := prompt(); err != nil {
					return fmt.Errorf("xmodem start: %w", err)
				}
				deadline = time.Now().Add(rc.s.StartInterval)
			case seq == expected || (header && seq == 1):
				// (A plain XMODEM sender answering a YMODEM receiver
				// starts at block 1: take the file without a header.)
				header = false
				if err := l.write([]byte{ack}); err != nil {
					return fmt.Errorf("xmodem block %d: %w", blockNo, err)
				}
				if len(data) == blockSize1K {
					rc.got1K = true
				}
				rc.m.firstBlock()
				n, err := rc.deliver(data)
				if err != nil {
					return fmt.Errorf("xmodem block %d: writing the file: %w", blockNo, err)
				}
				rc.m.block(n)
				last, haveLast, started, attempts = seq, true, true, 0
				expected = seq + 1
				deadline = time.Now().Add(rc.s.Timeout)
			case haveLast && seq == last:
				// Our ACK was lost and the sender repeats the block.
				if err := l.write([]byte{ack}); err != nil {
					return fmt.Errorf("xmodem block %d: %w", blockNo, err)
				}
				deadline = time.Now().Add(rc.s.Timeout)
			default:
				return fmt.Errorf("xmodem block %d: got block number %d, want %d: %w", blockNo, seq, expected, ErrSequence)
			}
		}
	}
}

func (rc *receiver) startChar() byte {
	if rc.crc {
		return crcStart
	}
	return nak
}

// deliver writes one block's data, cutting padding at the known size, and
// returns how many bytes it kept.
func (rc *receiver) deliver(data []byte) (int, error) {
	switch {
	case rc.size >= 0:
		if rem := rc.size - rc.written; int64(len(data)) > rem {
			data = data[:max(rem, 0)]
		}
	case rc.s.TrimPadding:
		// Hold the block back until the next one proves it is not last.
		if err := rc.flush(rc.pending); err != nil {
			return 0, err
		}
		rc.pending = append(rc.pending[:0], data...)
		return len(data), nil
	}
	return len(data), rc.flush(data)
}

func (rc *receiver) flush(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	n, err := rc.w.Write(p)
	rc.written += int64(n)
	return err
}

// end writes the held-back last block without its padding.
func (rc *receiver) end() error {
	if rc.s.TrimPadding && rc.size < 0 {
		if err := rc.flush(bytes.TrimRight(rc.pending, string(sub))); err != nil {
			return fmt.Errorf("xmodem: writing the file: %w", err)
		}
		rc.pending = rc.pending[:0]
	}
	return nil
}

// linger stays on the line for EOTTimeout after the final ACK and
// acknowledges a repeated EOT: if our ACK was lost, the sender would
// otherwise report an unconfirmed end. The first other byte ends it (and is
// dropped): the line is someone else's again.
func (rc *receiver) linger() {
	deadline := time.Now().Add(rc.s.EOTTimeout)
	for {
		b, err := rc.l.readByte(deadline)
		if err != nil || b != eot {
			return
		}
		if rc.l.write([]byte{ack}) != nil {
			return
		}
	}
}

// endBatch reads the empty YMODEM header that closes the batch. A sender
// that repeats its EOT (our ACK got lost) is answered again.
func (rc *receiver) endBatch() error {
	l := rc.l
	for attempt := 0; ; attempt++ {
		if attempt > rc.s.Retries {
			return fmt.Errorf("ymodem end of batch: %w", ErrTooManyRetries)
		}
		if err := l.write([]byte{crcStart}); err != nil {
			return fmt.Errorf("ymodem end of batch: %w", err)
		}
		deadline := time.Now().Add(rc.s.Timeout)
	frames:
		for {
			kind, frame, used := nextFrame(l.buffered(), true)
			l.consume(used)
			switch kind {
			case frameNone:
				err := l.fill(deadline)
				if errors.Is(err, errTimeout) {
					break frames
				}
				if err != nil {
					return fmt.Errorf("ymodem end of batch: %w", err)
				}
			case frameEOT:
				if err := l.write([]byte{ack}); err != nil {
					return fmt.Errorf("ymodem end of batch: %w", err)
				}
			case frameCAN:
				// lrzsz sb ends some batches with CANs; the file is in.
				return nil
			case frameBlock:
				seq, data, err := decodeBlock(frame, true)
				if err != nil || seq != 0 {
					if err := l.quiet(resyncGap, deadline); err != nil {
						return fmt.Errorf("ymodem end of batch: %w", err)
					}
					break frames
				}
				h, err := decodeHeader(data)
				if err != nil || h.Name != "" {
					return fmt.Errorf("ymodem: a second file %q was offered: %w", h.Name, ErrBatch)
				}
				if err := l.write([]byte{ack}); err != nil {
					return fmt.Errorf("ymodem end of batch: %w", err)
				}
				return nil
			}
		}
	}
}
