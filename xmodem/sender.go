package xmodem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Send transmits r to the receiver at the other end of c and returns when
// the receiver has acknowledged the end of the file (or, with
// Options.Confirm, reported success).
//
// It waits up to Options.StartTimeout for the receiver's 'C' or NAK, sends
// each block in a single Write and waits up to Options.Timeout for its
// answer, repeating a block at most Options.Retries times. After the data it
// sends EOT, repeats it at once on a NAK and after Options.EOTTimeout of
// silence, since Cisco loaders may ignore or NAK the first EOTs. If every
// block was acknowledged but no EOT was, Send returns the Stats and
// ErrEOTNotAcknowledged: the file has most likely arrived, and the caller
// confirms with the receiver's own message.
//
// When ctx ends, Send sends CAN CAN so the receiver gives up too, and
// returns ctx.Err(). CAN CAN from the receiver gives ErrCanceledByPeer.
func Send(ctx context.Context, c Conn, r io.Reader, o Options) (Stats, error) {
	s, err := o.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	if s.Size == 0 {
		s.Size = sizeOf(r)
	}
	if s.YModem && s.Name == "" {
		if f, ok := r.(*os.File); ok {
			s.Name = filepath.Base(f.Name())
		}
		if s.Name == "" {
			return Stats{}, fmt.Errorf("xmodem: YMODEM needs a file name: %w", ErrBadOptions)
		}
	}
	l := newLine(ctx, c, 256)
	defer l.close()
	sn := &sender{s: s, l: l, r: r, m: newMeter(s.Progress, s.Size)}
	err = sn.run(ctx)
	st := sn.m.stats(sn.mode)
	st.EOTAcked, st.Confirmed = sn.eotAcked, sn.confirmed
	if s.YModem {
		st.Name, st.Size = s.Name, s.Size
	}
	if err != nil && ctx.Err() != nil {
		return st, ctx.Err()
	}
	return st, err
}

// sizeOf finds the length of r when that is cheap and certain.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case *os.File:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return 0
}

type sender struct {
	s         settings
	l         *line
	r         io.Reader
	m         *meter
	crc       bool
	mode      Mode
	pkt       [maxBlockLen]byte
	data      [blockSize1K]byte
	eotAcked  bool
	confirmed bool
	after     []byte // what the receiver said after the data, for Confirm
}

func (sn *sender) run(ctx context.Context) error {
	err := sn.transfer()
	if err != nil && !errors.Is(err, ErrCanceledByPeer) && !errors.Is(err, ErrEOTNotAcknowledged) &&
		!errors.Is(err, ErrNotConfirmed) && !errors.Is(err, ErrLineClosed) {
		// Leave the receiver in a sane state instead of timing out block
		// after block: cancel it, whatever went wrong here (our context,
		// the reader, the retries).
		sn.l.abort()
	}
	return err
}

func (sn *sender) transfer() error {
	crc, err := sn.awaitStart(time.Now().Add(sn.s.StartTimeout))
	if err != nil {
		return fmt.Errorf("xmodem start: %w", err)
	}
	switch sn.s.Mode {
	case ModeChecksum:
		crc = false
	case ModeCRC:
		crc = true
	}
	sn.crc = crc
	size := blockSize128
	switch {
	case sn.s.Mode == Mode1K:
		size = blockSize1K
		sn.mode = Mode1K
	case crc:
		sn.mode = ModeCRC
	default:
		sn.mode = ModeChecksum
	}

	if sn.s.YModem {
		hdr := encodeHeader(fileHeader{Name: sn.s.Name, Size: sn.s.Size})
		if err := sn.sendHeader(hdr); err != nil {
			return fmt.Errorf("ymodem header: %w", err)
		}
		// The receiver acknowledges the header, then asks for the data
		// with a new 'C'.
		if _, err := sn.awaitStart(time.Now().Add(sn.s.Timeout)); err != nil {
			return fmt.Errorf("ymodem start of data: %w", err)
		}
	}

	seq := byte(1)
	for n := 1; ; n++ {
		k, rerr := io.ReadFull(sn.r, sn.data[:size])
		if k == 0 {
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			return fmt.Errorf("xmodem block %d: reading the file: %w", n, rerr)
		}
		bs := size
		if k <= blockSize128 {
			// A short tail goes in a 128-byte block: less padding.
			bs = blockSize128
		}
		p := encodeBlock(sn.pkt[:], seq, sn.data[:k], bs, crc, sub)
		if err := sn.sendBlock(p, n == 1); err != nil {
			return fmt.Errorf("xmodem block %d: %w", n, err)
		}
		sn.m.block(k)
		seq++ // wraps 255 -> 0 as the protocol wants
		if rerr != nil {
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			return fmt.Errorf("xmodem block %d: reading the file: %w", n+1, rerr)
		}
	}

	eotErr := sn.finish()
	if sn.s.YModem && (eotErr == nil || errors.Is(eotErr, ErrEOTNotAcknowledged)) {
		if err := sn.endBatch(); err != nil && sn.l.ctx.Err() != nil {
			return fmt.Errorf("ymodem end of batch: %w", err)
		}
	}
	if sn.s.Confirm != nil {
		return sn.awaitConfirm()
	}
	return eotErr
}

// awaitStart waits for the receiver's 'C' (CRC) or NAK (checksum), ignoring
// anything else: the loader's banner, echoes, noise.
func (sn *sender) awaitStart(deadline time.Time) (crc bool, err error) {
	prevCAN := false
	for {
		b, err := sn.l.readByte(deadline)
		if errors.Is(err, errTimeout) {
			return false, ErrNoReceiver
		}
		if err != nil {
			return false, err
		}
		switch b {
		case crcStart:
			return true, nil
		case nak:
			return false, nil
		case can:
			if prevCAN {
				return false, ErrCanceledByPeer
			}
		}
		prevCAN = b == can
	}
}

// sendBlock sends one block until the receiver ACKs it. first tells that a
// 'C' is a request for this block (the receiver has not seen it yet).
func (sn *sender) sendBlock(p []byte, first bool) error {
	sn.m.firstBlock()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			sn.m.retry()
			if attempt > sn.s.Retries {
				return ErrTooManyRetries
			}
		}
		// Whatever arrived before this block (extra NAKs, noise) answers
		// nothing we are about to send.
		if err := sleep(sn.l.ctx, sn.s.Turnaround); err != nil {
			return err
		}
		if err := sn.l.discardStale(); err != nil {
			return err
		}
		if err := sn.l.write(p); err != nil {
			return err
		}
		answer, err := sn.awaitAnswer(time.Now().Add(sn.s.Timeout), first)
		switch {
		case err == nil && answer == ack:
			return nil
		case err == nil: // NAK: send again at once
		case errors.Is(err, errTimeout):
			if sn.s.Backoff != nil {
				if err := sleep(sn.l.ctx, sn.s.Backoff(attempt+1)); err != nil {
					return err
				}
			}
		default:
			return err
		}
	}
}

// awaitAnswer reads until ACK, NAK (or 'C' for a first block) or CAN CAN.
func (sn *sender) awaitAnswer(deadline time.Time, first bool) (byte, error) {
	prevCAN := false
	for {
		b, err := sn.l.readByte(deadline)
		if err != nil {
			return 0, err
		}
		switch {
		case b == ack, b == nak:
			return b, nil
		case b == crcStart && first:
			return nak, nil
		case b == can && prevCAN:
			return 0, ErrCanceledByPeer
		}
		prevCAN = b == can
	}
}

// sendHeader sends YMODEM block 0 (always CRC; 1K if the header needs it).
func (sn *sender) sendHeader(data []byte) error {
	size := blockSize128
	if len(data) > blockSize128 {
		size = blockSize1K
	}
	if len(data) > size {
		return fmt.Errorf("file name too long: %w", ErrBadOptions)
	}
	p := encodeBlock(sn.pkt[:], 0, data, size, true, 0)
	return sn.sendBlockKeep(p)
}

// sendBlockKeep is sendBlock for block 0, keeping what follows the ACK in
// the buffer: a YMODEM receiver sends ACK and 'C' back to back.
func (sn *sender) sendBlockKeep(p []byte) error {
	for attempt := 0; ; attempt++ {
		if attempt > sn.s.Retries {
			return ErrTooManyRetries
		}
		if attempt > 0 {
			sn.m.retry()
		}
		if err := sleep(sn.l.ctx, sn.s.Turnaround); err != nil {
			return err
		}
		if err := sn.l.discardStale(); err != nil {
			return err
		}
		if err := sn.l.write(p); err != nil {
			return err
		}
		answer, err := sn.awaitAnswer(time.Now().Add(sn.s.Timeout), true)
		switch {
		case err == nil && answer == ack:
			return nil
		case err == nil, errors.Is(err, errTimeout):
		default:
			return err
		}
	}
}

// finish sends EOT until it is acknowledged. A NAK is answered with another
// EOT at once (the NAK-first handshake of YMODEM receivers and some Cisco
// loaders); silence gets another EOT after EOTTimeout. Bytes that are not
// answers are kept for Confirm.
func (sn *sender) finish() error {
	if err := sn.l.discardStale(); err != nil {
		return fmt.Errorf("xmodem end of file: %w", err)
	}
	prevCAN := false
	for i := 0; i < sn.s.EOTRetries; i++ {
		if err := sleep(sn.l.ctx, sn.s.Turnaround); err != nil {
			return fmt.Errorf("xmodem end of file: %w", err)
		}
		if err := sn.l.write([]byte{eot}); err != nil {
			return fmt.Errorf("xmodem end of file: %w", err)
		}
		deadline := time.Now().Add(sn.s.EOTTimeout)
	wait:
		for {
			buf := sn.l.buffered()
			if len(buf) == 0 {
				err := sn.l.fill(deadline)
				switch {
				case errors.Is(err, errTimeout):
					break wait
				case err != nil && sn.l.ctx.Err() == nil:
					// lrzsz rx exits right after its final ACK, which
					// on a pty may never reach us: a hang-up here ends
					// an unconfirmed but complete transfer.
					return fmt.Errorf("xmodem end of file: the receiver hung up (%v): %w", err, ErrEOTNotAcknowledged)
				case err != nil:
					return fmt.Errorf("xmodem end of file: %w", err)
				}
				continue
			}
			b := buf[0]
			sn.l.consume(1)
			sn.keepAfter(b)
			switch {
			case b == ack:
				sn.eotAcked = true
				return nil
			case b == nak:
				break wait
			case b == can && prevCAN:
				return fmt.Errorf("xmodem end of file: %w", ErrCanceledByPeer)
			}
			prevCAN = b == can
			if sn.confirmed {
				return nil
			}
		}
	}
	return fmt.Errorf("xmodem end of file: %w", ErrEOTNotAcknowledged)
}

// endBatch sends the empty YMODEM header that closes the batch. It is a
// courtesy: the file is complete once its EOT is answered, and lrzsz rb
// exits on this header before its ACK can reach a pseudo-terminal, so only
// a cancelled context makes its failure count.
func (sn *sender) endBatch() error {
	if _, err := sn.awaitStart(time.Now().Add(sn.s.Timeout)); err != nil {
		return err
	}
	p := encodeBlock(sn.pkt[:], 0, nil, blockSize128, true, 0)
	return sn.sendBlockKeep(p)
}

// maxAfter bounds what is kept for Confirm: a success line is short.
const maxAfter = 4096

// keepAfter records one byte the receiver sent after the data and asks
// Confirm about it.
func (sn *sender) keepAfter(b byte) {
	if sn.s.Confirm == nil || sn.confirmed {
		return
	}
	sn.after = append(sn.after, b)
	if len(sn.after) > maxAfter {
		sn.after = append(sn.after[:0], sn.after[len(sn.after)-maxAfter/2:]...)
	}
	if sn.s.Confirm(sn.after) {
		sn.confirmed = true
	}
}

// awaitConfirm reads until Confirm accepts what the receiver printed.
func (sn *sender) awaitConfirm() error {
	deadline := time.Now().Add(sn.s.ConfirmTimeout)
	for !sn.confirmed {
		for _, b := range sn.l.buffered() {
			sn.keepAfter(b)
		}
		sn.l.discard()
		if sn.confirmed {
			break
		}
		err := sn.l.fill(deadline)
		if errors.Is(err, errTimeout) {
			return fmt.Errorf("xmodem: %w within %v; the device said %q", ErrNotConfirmed, sn.s.ConfirmTimeout, printable(sn.after))
		}
		if err != nil {
			return fmt.Errorf("xmodem waiting for the success message: %w", err)
		}
	}
	return nil
}

// printable keeps the end of what a device printed, for an error message.
func printable(p []byte) string {
	const keep = 200
	out := make([]byte, 0, keep)
	for _, b := range p {
		if b == '\n' || b == '\r' || b == '\t' || (b >= ' ' && b < 0x7f) {
			out = append(out, b)
		}
	}
	if len(out) > keep {
		out = out[len(out)-keep:]
	}
	return string(out)
}
