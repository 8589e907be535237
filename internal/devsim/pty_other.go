//go:build !(linux || darwin || freebsd)

package devsim

import (
	"fmt"
	"os"
)

// ptySupported says whether this build can make pseudo-terminals.
const ptySupported = false

func openPty(int) (master, slave *os.File, err error) {
	return nil, nil, fmt.Errorf("open pseudo-terminal: %w", ErrUnsupportedOS)
}

func ptySpeed(*os.File) (int, error) { return 0, ErrUnsupportedOS }

func setPtySpeed(*os.File, int) error { return ErrUnsupportedOS }
