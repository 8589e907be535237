package serialcon

import "errors"

// Sentinels to branch on with errors.Is. The messages a technician reads come
// from the *PortError or the wrapping error, which say what to do.
var (
	// ErrNoSuchPort: the named port does not exist (adapter not plugged in,
	// wrong name).
	ErrNoSuchPort = errors.New("no such port")
	// ErrPermission: the port exists but this user may not open it.
	ErrPermission = errors.New("permission denied")
	// ErrBusy: another program holds the port.
	ErrBusy = errors.New("port busy")
	// ErrNotSerial: the path is not a serial port.
	ErrNotSerial = errors.New("not a serial port")
	// ErrBadSettings: speed, data bits, parity or stop bits the port cannot use.
	ErrBadSettings = errors.New("invalid port settings")

	// ErrClosed: the console was closed.
	ErrClosed = errors.New("console closed")
	// ErrDisconnected: the adapter is gone; the console is waiting for it to
	// come back.
	ErrDisconnected = errors.New("console disconnected: the USB adapter was unplugged or the port vanished; plug it back in")
	// ErrStreamBusy: a raw stream is already open on the console.
	ErrStreamBusy = errors.New("a raw transfer stream is already open on this console")
	// ErrStreamOverrun: the raw stream's reader fell so far behind that
	// received bytes were dropped.
	ErrStreamOverrun = errors.New("raw stream overrun: received bytes were dropped because nobody read them")
	// ErrNoBaud: auto-baud found no rate with readable output.
	ErrNoBaud = errors.New("no speed gave readable output")
	// ErrNoLog: StartLog without a Config.LogDir.
	ErrNoLog = errors.New("no log folder configured for this console")
)

// PortError is what Open returns: a sentinel (ErrNoSuchPort, ErrPermission,
// ErrBusy, ErrNotSerial, ErrBadSettings) plus the message a technician reads.
type PortError struct {
	Path string
	Kind error  // one of the sentinels
	Msg  string // technician language, says what to do
	Err  error  // underlying error from the OS or go.bug.st/serial, may be nil
}

func (e *PortError) Error() string { return e.Msg }

// Unwrap lets errors.Is find both the sentinel and the cause.
func (e *PortError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
