package serialcon

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"
	"time"

	"go.bug.st/serial"
)

// Port is the project's own narrow serial port: what the console needs and
// nothing else, so tests pass fakes and the TUI never sees go.bug.st/serial.
//
// Read blocks until at least one byte arrives, the read timeout passes, or the
// port is closed. On a read timeout it returns (0, nil), as go.bug.st/serial
// does; callers that need deadlines keep their own (Console does). Close must
// unblock a pending Read, which then returns an error.
type Port interface {
	io.ReadWriteCloser
	// Break holds the line in the break condition for d. On a
	// pseudo-terminal it returns nil and nothing reaches the other side.
	Break(d time.Duration) error
	// SetSettings changes speed, framing and parity of the open port, after
	// the output already written has been sent.
	SetSettings(s Settings) error
	// SetReadTimeout makes Read return (0, nil) after d without data;
	// d < 0 means block forever (the default).
	SetReadTimeout(d time.Duration) error
}

// Open opens a serial port by name (/dev/ttyUSB0, /dev/cu.usbserial-A1B2,
// COM3) at s. Errors are *PortError values a technician can act on.
//
// The modem lines are left as the driver sets them: asking go.bug.st/serial
// for initial DTR/RTS makes the open fail on pseudo-terminals and on some
// adapters ("inappropriate ioctl"), and Cisco consoles ignore them.
func Open(name string, s Settings) (Port, error) {
	if err := s.Validate(); err != nil {
		return nil, &PortError{Path: name, Kind: ErrBadSettings, Msg: fmt.Sprintf("cannot open %s: %v", name, err), Err: err}
	}
	p, err := serial.Open(name, mode(s))
	if err != nil {
		return nil, openError(name, s, err)
	}
	return &serialPort{p: p, name: name}, nil
}

func mode(s Settings) *serial.Mode {
	return &serial.Mode{
		BaudRate: s.Baud,
		DataBits: s.DataBits,
		Parity:   serial.Parity(s.Parity),     // same order as go.bug.st/serial
		StopBits: serial.StopBits(s.StopBits), // same order as go.bug.st/serial
	}
}

// serialPort adapts go.bug.st/serial to Port.
type serialPort struct {
	p    serial.Port
	name string
}

func (sp *serialPort) Read(b []byte) (int, error) {
	n, err := sp.p.Read(b)
	if err != nil {
		var pe *serial.PortError
		if errors.As(err, &pe) && pe.Code() == serial.PortClosed {
			// go.bug.st/serial says "closed" both after Close and when the
			// device hung up (USB adapter pulled): the console tells them apart.
			return n, fmt.Errorf("read %s: port closed or adapter unplugged: %w", sp.name, err)
		}
		return n, fmt.Errorf("read %s: %w", sp.name, err)
	}
	return n, nil
}

func (sp *serialPort) Write(b []byte) (int, error) {
	n, err := sp.p.Write(b)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", sp.name, err)
	}
	return n, nil
}

func (sp *serialPort) Close() error { return sp.p.Close() }

func (sp *serialPort) Break(d time.Duration) error {
	if err := sp.p.Break(d); err != nil {
		return fmt.Errorf("break on %s: %w", sp.name, err)
	}
	return nil
}

func (sp *serialPort) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	// Let queued output leave at the old speed first: "set BAUD 115200\r"
	// followed at once by the host's own change must reach the loader intact.
	// Drain can fail where unsupported; the change is still wanted.
	_ = sp.p.Drain()
	if err := sp.p.SetMode(mode(s)); err != nil {
		return fmt.Errorf("set %s to %s: %w", sp.name, s, err)
	}
	return nil
}

func (sp *serialPort) SetReadTimeout(d time.Duration) error {
	if d < 0 {
		d = serial.NoTimeout
	}
	return sp.p.SetReadTimeout(d)
}

// openError turns what go.bug.st/serial or the OS said into a *PortError.
func openError(name string, s Settings, err error) *PortError {
	pe := &PortError{Path: name, Err: err}
	var se *serial.PortError
	isSerial := errors.As(err, &se)
	switch {
	case isSerial && se.Code() == serial.PortNotFound,
		errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		pe.Kind = ErrNoSuchPort
		pe.Msg = fmt.Sprintf("no such port %s; %s", name, adapterSummary())
	case isSerial && se.Code() == serial.PermissionDenied, errors.Is(err, fs.ErrPermission):
		pe.Kind = ErrPermission
		pe.Msg = fmt.Sprintf("permission denied on %s: %s", name, permissionHint(name))
	case isSerial && se.Code() == serial.PortBusy, errors.Is(err, syscall.EBUSY):
		pe.Kind = ErrBusy
		pe.Msg = fmt.Sprintf("%s is busy: %s", name, busyHint(name))
	case isSerial && (se.Code() == serial.InvalidSpeed || se.Code() == serial.InvalidDataBits ||
		se.Code() == serial.InvalidParity || se.Code() == serial.InvalidStopBits),
		// go.bug.st/serial wraps a rejected mode in InvalidSerialPort without
		// Unwrap; its message is the only trace of the cause.
		isSerial && se.Code() == serial.InvalidSerialPort && strings.Contains(err.Error(), "configuring port"):
		pe.Kind = ErrBadSettings
		pe.Msg = fmt.Sprintf("%s does not accept %s: pick another speed (9600 and 115200 work on every adapter)", name, s)
	case isSerial && se.Code() == serial.InvalidSerialPort:
		pe.Kind = ErrNotSerial
		pe.Msg = fmt.Sprintf("%s is not a serial port; %s", name, adapterSummary())
	default:
		pe.Kind = ErrNotSerial
		pe.Msg = fmt.Sprintf("cannot open %s: %v", name, err)
	}
	return pe
}

// adapterSummary lists what is plugged in, so a wrong name gets the right one.
func adapterSummary() string {
	ps, err := Ports()
	if err != nil || len(ps) == 0 {
		return "no serial adapters found: check the USB console cable is plugged in (run: fieldcon ports)"
	}
	var b strings.Builder
	b.WriteString("connected adapters: ")
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.Path)
		if d := p.describe(); d != "" {
			b.WriteString(" (" + d + ")")
		}
	}
	return b.String()
}
