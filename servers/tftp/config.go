package tftp

import (
	"errors"
	"fmt"
	"time"
)

// Config is everything the server needs to know. The zero value of a field
// means "use the default" (see Defaults), except Uploads, whose zero value
// keeps the server read-only.
type Config struct {
	// Root is the folder files are served from. Requests are resolved
	// inside it with os.Root and can never leave it.
	Root string
	// Uploads is the folder write requests land in. Empty means uploads
	// are refused.
	Uploads string
	// MaxUpload is the largest file a device may upload.
	MaxUpload int64
	// Aliases map what a device asks for to a file under Root; the first
	// matching pattern wins.
	Aliases []Alias
	// Interface limits the server to one network interface (SO_BINDTODEVICE
	// on Linux) for its transfer sockets; bind the listening socket with
	// Listen and the same name.
	Interface string
	// BlockSizeMax caps the blksize option (512..65464).
	BlockSizeMax int
	// Timeout is how long the server waits for an acknowledgement before it
	// sends a packet again, when the client does not ask for its own with
	// the timeout option.
	Timeout time.Duration
	// Retries is how many times a packet is sent again before the transfer
	// is given up.
	Retries int
	// MaxTransfers limits transfers in progress in total, MaxPerClient per
	// client IP address.
	MaxTransfers int
	MaxPerClient int
	// MaxNameLen is the longest file name accepted.
	MaxNameLen int
	// ProgressEvery is the least time between two progress events of one
	// transfer.
	ProgressEvery time.Duration
}

// Defaults fills in unset fields.
func (c Config) Defaults() Config {
	if c.MaxUpload == 0 {
		c.MaxUpload = 1 << 30
	}
	if c.BlockSizeMax == 0 {
		c.BlockSizeMax = maxBlockSize
	}
	if c.Timeout == 0 {
		c.Timeout = time.Second
	}
	if c.Retries == 0 {
		c.Retries = 8
	}
	if c.MaxTransfers == 0 {
		c.MaxTransfers = 64
	}
	if c.MaxPerClient == 0 {
		c.MaxPerClient = 8
	}
	if c.MaxNameLen == 0 {
		c.MaxNameLen = 255
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = 500 * time.Millisecond
	}
	return c
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("tftp configuration")

// Validate checks a configuration after Defaults.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Root == "":
		return bad("no folder to serve files from: set the TFTP root")
	case c.BlockSizeMax < defaultBlockSize || c.BlockSizeMax > maxBlockSize:
		return bad("largest block size %d is outside %d..%d", c.BlockSizeMax, defaultBlockSize, maxBlockSize)
	case c.Timeout < time.Millisecond || c.Timeout > maxTimeoutOption*time.Second:
		return bad("retransmit timeout %s is outside 1ms..255s", c.Timeout)
	case c.Retries < 1:
		return bad("retries must be at least 1, got %d", c.Retries)
	case c.MaxTransfers < 1 || c.MaxPerClient < 1:
		return bad("transfer limits must be at least 1 (total %d, per client %d)", c.MaxTransfers, c.MaxPerClient)
	case c.MaxUpload < 0:
		return bad("upload size limit %d is negative", c.MaxUpload)
	case c.MaxNameLen < 1 || c.MaxNameLen > 1024:
		return bad("longest file name %d is outside 1..1024", c.MaxNameLen)
	case c.ProgressEvery < 0:
		return bad("progress interval %s is negative", c.ProgressEvery)
	}
	for _, a := range c.Aliases {
		if err := a.check(c.MaxNameLen); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}
