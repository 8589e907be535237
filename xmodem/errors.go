package xmodem

import "errors"

// Sentinel errors. Send and Receive wrap them with where the transfer was
// ("xmodem block 12: …"), so branch with errors.Is.
var (
	// ErrCanceledByPeer: the other side sent CAN CAN.
	ErrCanceledByPeer = errors.New("the other side canceled the transfer")
	// ErrTooManyRetries: one block failed Options.Retries times in a row.
	ErrTooManyRetries = errors.New("too many errors on the line; check the cable and try a lower speed")
	// ErrNoReceiver: no 'C' or NAK arrived within Options.StartTimeout.
	ErrNoReceiver = errors.New("the receiver never asked for data; start the receive on the device first (for example copy xmodem: flash:NAME) and send within a few seconds")
	// ErrNoSender: no block arrived within Options.StartTimeout.
	ErrNoSender = errors.New("the sender never started; start the send on the other side")
	// ErrSequence: a block arrived that is neither the expected one nor a
	// repeat of the previous one, so data was lost; the transfer is canceled.
	ErrSequence = errors.New("blocks arrived out of order; data was lost")
	// ErrEOTNotAcknowledged: every block was acknowledged but the receiver
	// did not acknowledge the end of the file. Some receivers (lrzsz rx on
	// a pty, several Cisco loaders) never do; the file is most likely
	// complete, confirm with the receiver's own message.
	ErrEOTNotAcknowledged = errors.New("all data was acknowledged but the receiver did not confirm the end of the file; check the device's message")
	// ErrNotConfirmed: Options.Confirm never returned true.
	ErrNotConfirmed = errors.New("the receiver did not report success")
	// ErrLineClosed: the line reported end of file (the other end went away).
	ErrLineClosed = errors.New("the line was closed")
	// ErrBadOptions: Options are inconsistent.
	ErrBadOptions = errors.New("invalid xmodem options")
	// ErrBatch: a YMODEM batch sent more than one file, or a bad header.
	ErrBatch = errors.New("unsupported YMODEM batch: only one file per transfer")
)
