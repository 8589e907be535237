package serialcon

import (
	"fmt"
	"strconv"
)

// Parity is the UART parity setting.
type Parity int

const (
	ParityNone Parity = iota
	ParityOdd
	ParityEven
	ParityMark
	ParitySpace
)

func (p Parity) String() string {
	switch p {
	case ParityNone:
		return "none"
	case ParityOdd:
		return "odd"
	case ParityEven:
		return "even"
	case ParityMark:
		return "mark"
	case ParitySpace:
		return "space"
	}
	return "parity(" + strconv.Itoa(int(p)) + ")"
}

// letter is the parity's letter in the "8N1" notation.
func (p Parity) letter() string {
	switch p {
	case ParityNone:
		return "N"
	case ParityOdd:
		return "O"
	case ParityEven:
		return "E"
	case ParityMark:
		return "M"
	case ParitySpace:
		return "S"
	}
	return "?"
}

// StopBits is the number of stop bits.
type StopBits int

const (
	StopBits1 StopBits = iota
	StopBits1Half
	StopBits2
)

func (s StopBits) String() string {
	switch s {
	case StopBits1:
		return "1"
	case StopBits1Half:
		return "1.5"
	case StopBits2:
		return "2"
	}
	return "stopbits(" + strconv.Itoa(int(s)) + ")"
}

// Settings is how the host side of the line is configured.
type Settings struct {
	Baud     int
	DataBits int
	Parity   Parity
	StopBits StopBits
}

// DefaultSettings is baud at 8N1, what every Cisco console uses.
func DefaultSettings(baud int) Settings {
	return Settings{Baud: baud, DataBits: 8, Parity: ParityNone, StopBits: StopBits1}
}

// String reads like a terminal program's status line: "9600 8N1".
func (s Settings) String() string {
	return fmt.Sprintf("%d %d%s%s", s.Baud, s.DataBits, s.Parity.letter(), s.StopBits)
}

// Validate reports settings no UART can use.
func (s Settings) Validate() error {
	switch {
	case s.Baud <= 0:
		return fmt.Errorf("%w: speed %d; use a rate such as 9600 or 115200", ErrBadSettings, s.Baud)
	case s.DataBits < 5 || s.DataBits > 8:
		return fmt.Errorf("%w: %d data bits; consoles use 8", ErrBadSettings, s.DataBits)
	case s.Parity < ParityNone || s.Parity > ParitySpace:
		return fmt.Errorf("%w: parity %s", ErrBadSettings, s.Parity)
	case s.StopBits < StopBits1 || s.StopBits > StopBits2:
		return fmt.Errorf("%w: %s stop bits", ErrBadSettings, s.StopBits)
	}
	return nil
}

// CommonBauds are the rates Cisco consoles are set to, slowest first.
var commonBauds = []int{9600, 19200, 38400, 57600, 115200}

// DefaultBaudOrder is the order DetectBaud tries rates in: the factory
// default first, then the rate technicians raise it to for XMODEM, then the
// ones left behind by a half-finished baud dance or a confreg typo.
func DefaultBaudOrder() []int { return []int{9600, 115200, 57600, 38400, 19200} }
