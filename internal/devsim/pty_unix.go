//go:build linux || darwin || freebsd

package devsim

import (
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// ptySupported says whether this build can make pseudo-terminals.
const ptySupported = true

// openPty returns a new pseudo-terminal pair, both ends raw at baud and both
// pollable, so Close interrupts a blocked Read and deadlines work (creack/pty
// hands them back in blocking mode because it calls Fd).
func openPty(baud int) (master, slave *os.File, err error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("open pseudo-terminal: %w", err)
	}
	slavePath := s.Name()
	if master, err = pollable(m, "ptmx"); err != nil {
		s.Close()
		return nil, nil, err
	}
	if slave, err = pollable(s, slavePath); err != nil {
		master.Close()
		return nil, nil, err
	}
	if err := makeRaw(slave, baud); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// pollable swaps f for a non-blocking duplicate the Go poller manages.
func pollable(f *os.File, name string) (*os.File, error) {
	defer f.Close()
	var nfd int
	err := control(f, func(fd int) error {
		var err error
		nfd, err = unix.Dup(fd)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("duplicate %s: %w", name, err)
	}
	unix.CloseOnExec(nfd)
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, fmt.Errorf("make %s non-blocking: %w", name, err)
	}
	return os.NewFile(uintptr(nfd), name), nil
}

// control runs fn on f's descriptor without taking it out of the poller
// (File.Fd would switch it to blocking mode).
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// rawFlags clears what cfmakeraw clears: no echo, no line editing, no CR/LF
// translation, no signals, 8 data bits, no parity.
func rawFlags(t *unix.Termios) {
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
}
