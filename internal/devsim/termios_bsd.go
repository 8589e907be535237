//go:build darwin || freebsd

package devsim

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ptySpeed reads the output speed set on a terminal. BSD pseudo-terminals
// share one set of terminal settings between master and slave.
func ptySpeed(f *os.File) (int, error) {
	var t *unix.Termios
	err := control(f, func(fd int) error {
		var err error
		t, err = unix.IoctlGetTermios(fd, unix.TIOCGETA)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read terminal speed: %w", err)
	}
	return int(t.Ospeed), nil
}

// setPtySpeed sets both speeds of a terminal.
func setPtySpeed(f *os.File, baud int) error {
	return control(f, func(fd int) error {
		t, err := unix.IoctlGetTermios(fd, unix.TIOCGETA)
		if err != nil {
			return fmt.Errorf("read terminal settings: %w", err)
		}
		setBSDSpeed(&t.Ispeed, baud)
		setBSDSpeed(&t.Ospeed, baud)
		if err := unix.IoctlSetTermios(fd, unix.TIOCSETA, t); err != nil {
			return fmt.Errorf("set terminal speed %d: %w", baud, err)
		}
		return nil
	})
}

// setBSDSpeed stores a speed whatever integer type the platform uses for it.
func setBSDSpeed[T ~uint32 | ~uint64 | ~int32](p *T, baud int) { *p = T(baud) }

// makeRaw puts a terminal in raw 8N1 mode at baud.
func makeRaw(f *os.File, baud int) error {
	return control(f, func(fd int) error {
		t, err := unix.IoctlGetTermios(fd, unix.TIOCGETA)
		if err != nil {
			return fmt.Errorf("read terminal settings: %w", err)
		}
		rawFlags(t)
		setBSDSpeed(&t.Ispeed, baud)
		setBSDSpeed(&t.Ospeed, baud)
		if err := unix.IoctlSetTermios(fd, unix.TIOCSETA, t); err != nil {
			return fmt.Errorf("set raw mode: %w", err)
		}
		return nil
	})
}
