package xmodem

import (
	"fmt"
	"io"
	"time"
)

// Conn is the line a transfer runs over: the raw byte stream of a console
// (serialcon.Stream), a pseudo-terminal (*os.File) or a net.Conn. Read must
// block until data arrives, the deadline passes or the line fails. If the
// Conn also has SetWriteDeadline, writes are bounded too, so a peer that
// stopped reading cannot hang a transfer.
type Conn interface {
	io.ReadWriter
	SetReadDeadline(t time.Time) error
}

// Mode picks the block size and the check.
type Mode int

const (
	// ModeAuto follows the receiver: 'C' gives CRC-16, NAK gives the
	// arithmetic checksum; blocks are 128 bytes. A receiver in ModeAuto asks
	// for CRC first and falls back to checksum.
	ModeAuto Mode = iota
	// ModeChecksum forces 128-byte blocks with the arithmetic checksum.
	ModeChecksum
	// ModeCRC forces 128-byte blocks with CRC-16.
	ModeCRC
	// Mode1K sends 1024-byte blocks (XMODEM-1K), falling back to a 128-byte
	// block for a short tail; the check follows the receiver, as lrzsz
	// `sx -k` does. Cisco loaders ask for CRC.
	Mode1K
)

func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeChecksum:
		return "checksum"
	case ModeCRC:
		return "crc"
	case Mode1K:
		return "1k"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode turns the names printed by String back into a Mode.
func ParseMode(s string) (Mode, error) {
	for _, m := range []Mode{ModeAuto, ModeChecksum, ModeCRC, Mode1K} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("xmodem mode %q: %w", s, ErrBadOptions)
}

// Defaults, chosen for Cisco boot loaders and lrzsz.
const (
	DefaultRetries        = 10
	DefaultTimeout        = 10 * time.Second
	DefaultStartTimeout   = 60 * time.Second
	DefaultStartInterval  = 3 * time.Second
	DefaultEOTTimeout     = 3 * time.Second
	DefaultEOTRetries     = 5
	DefaultConfirmTimeout = 2 * time.Minute
)

// Options tune a transfer. The zero value is valid: XMODEM, mode chosen by
// the receiver, the defaults above.
type Options struct {
	// Mode picks block size and check; see the Mode constants.
	Mode Mode
	// Retries is how often one block (or the start, or the EOT) is tried
	// again before the transfer is abandoned. Default DefaultRetries.
	Retries int
	// Timeout bounds one round trip: a block out and its answer back, or an
	// answer out and the next block back. It must cover sending a block at
	// the line rate (1029 bytes take 1.1 s at 9600 baud). Default
	// DefaultTimeout.
	Timeout time.Duration
	// StartTimeout is how long the sender waits for the receiver's first
	// 'C' or NAK, and how long the receiver keeps asking for the first
	// block. Default DefaultStartTimeout.
	StartTimeout time.Duration
	// StartInterval is how often a receiver repeats its 'C' or NAK while
	// waiting for the sender. Default DefaultStartInterval.
	StartInterval time.Duration
	// EOTTimeout is how long the sender waits for the answer to one EOT
	// before sending another (a NAK is answered at once), and how long a
	// receiver stays after its final ACK to acknowledge a repeated EOT.
	// lrzsz rx takes an EOT as real only after about a second of silence
	// behind it, so an EOT repeated within a second keeps it from ever
	// answering. Default DefaultEOTTimeout; EOTRetries EOTs are sent at most (default
	// DefaultEOTRetries).
	EOTTimeout time.Duration
	EOTRetries int
	// Confirm, when set, decides that the transfer succeeded from what the
	// receiver printed after the data, e.g. a Cisco loader's
	// `File "xmodem:" successfully copied to "flash:…"`. It is called with
	// everything received since the first EOT, each time more arrives.
	// With Confirm set, Send succeeds only once it returns true (an ACKed
	// EOT alone is not enough) and waits up to ConfirmTimeout for it.
	Confirm        func(after []byte) bool
	ConfirmTimeout time.Duration
	// Backoff, when set, is waited before a block is sent again after a
	// timeout (not after a NAK, which asks for the block at once). attempt
	// counts from 1.
	Backoff func(attempt int) time.Duration
	// Turnaround, when set, is waited between an answer and the next block.
	// Leave it 0 on serial lines. lrzsz rx discards its pending input right
	// after writing each ACK; on a pseudo-terminal, where the ACK takes no
	// line time, a fast sender's next block can land before that purge and
	// be lost (rx then times out after 5 s). A millisecond avoids it.
	Turnaround time.Duration
	// Progress is called after every acknowledged block, from the
	// transfer's goroutine; it must return quickly.
	Progress func(Progress)

	// YModem sends or expects a YMODEM batch: a block 0 carrying Name and
	// Size before the data and an empty block 0 after it (ROMMON
	// `xmodem -y`). YMODEM always uses CRC.
	YModem bool
	// Name is the file name sent in the YMODEM header. Default: the base
	// name of r when it is an *os.File.
	Name string
	// Size is the file's length. The sender uses it for progress and the
	// YMODEM header (default: found from r when r is an *os.File or has
	// Len); the receiver cuts the SUB padding of the last block at Size
	// (a YMODEM header's size wins). 0 means unknown.
	Size int64
	// TrimPadding makes a receiver that does not know the size drop
	// trailing SUB bytes from the last block. Off by default, like lrzsz:
	// a file may itself end in 0x1A.
	TrimPadding bool
}

// Progress is a snapshot handed to Options.Progress.
type Progress struct {
	Bytes   int64         // data bytes acknowledged so far
	Total   int64         // file size, 0 when unknown
	Blocks  int           // blocks acknowledged
	Retries int           // blocks sent or asked for again, in total
	Rate    float64       // data bytes per second since the first block
	ETA     time.Duration // 0 when Total or Rate is unknown
}

// Stats describe a finished (or abandoned) transfer.
type Stats struct {
	Bytes     int64 // data bytes delivered (receiver: written to w)
	Blocks    int   // data blocks acknowledged
	Retries   int
	Mode      Mode // what was used: ModeChecksum, ModeCRC or Mode1K
	Duration  time.Duration
	EOTAcked  bool   // sender: the receiver ACKed the end of the file
	Confirmed bool   // sender: Options.Confirm returned true
	Name      string // YMODEM: the file name from the header
	Size      int64  // YMODEM: the size from the header (-1 unknown)
}

// settings are Options with defaults filled in.
type settings struct{ Options }

func (o Options) withDefaults() (settings, error) {
	if o.Mode < ModeAuto || o.Mode > Mode1K {
		return settings{}, fmt.Errorf("xmodem mode %d: %w", o.Mode, ErrBadOptions)
	}
	if o.Retries < 0 || o.Timeout < 0 || o.StartTimeout < 0 || o.StartInterval < 0 ||
		o.EOTTimeout < 0 || o.EOTRetries < 0 || o.ConfirmTimeout < 0 || o.Size < 0 || o.Turnaround < 0 {
		return settings{}, fmt.Errorf("xmodem: negative retries, timeout or size: %w", ErrBadOptions)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.EOTRetries == 0 {
		o.EOTRetries = DefaultEOTRetries
	}
	def(&o.Timeout, DefaultTimeout)
	def(&o.StartTimeout, DefaultStartTimeout)
	def(&o.StartInterval, DefaultStartInterval)
	def(&o.EOTTimeout, DefaultEOTTimeout)
	def(&o.ConfirmTimeout, DefaultConfirmTimeout)
	return settings{o}, nil
}

// TimeoutFor returns a round-trip timeout for a line at baud: three times
// what a 1K block takes on the wire, and at least two seconds. Shorter than
// DefaultTimeout on fast lines, it gets a lost block or answer repeated
// sooner; long enough that a slow answer is not mistaken for a lost one.
func TimeoutFor(baud int) time.Duration {
	if baud <= 0 {
		return DefaultTimeout
	}
	// 1029 bytes of block and 1 of answer, 10 bits each at 8N1.
	wire := time.Duration(maxBlockLen+1) * 10 * time.Second
	return max(3*wire/time.Duration(baud), 2*time.Second)
}
