package devsim

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// standardRates maps the CBAUD codes of <termbits.h> to bits per second.
var standardRates = map[uint32]int{
	unix.B50: 50, unix.B75: 75, unix.B110: 110, unix.B134: 134, unix.B150: 150,
	unix.B200: 200, unix.B300: 300, unix.B600: 600, unix.B1200: 1200,
	unix.B1800: 1800, unix.B2400: 2400, unix.B4800: 4800, unix.B9600: 9600,
	unix.B19200: 19200, unix.B38400: 38400, unix.B57600: 57600,
	unix.B115200: 115200, unix.B230400: 230400, unix.B460800: 460800,
	unix.B500000: 500000, unix.B576000: 576000, unix.B921600: 921600,
	unix.B1000000: 1000000, unix.B1152000: 1152000, unix.B1500000: 1500000,
	unix.B2000000: 2000000, unix.B2500000: 2500000, unix.B3000000: 3000000,
	unix.B3500000: 3500000, unix.B4000000: 4000000,
}

// ptySpeed reads the output speed set on a terminal. On Linux the master of
// a pseudo-terminal answers with its slave's settings, which is what a host
// program (go.bug.st/serial, stty) changes. termios2 is read because
// programs set non-standard rates as BOTHER plus c_ospeed.
func ptySpeed(f *os.File) (int, error) {
	var t *unix.Termios
	err := control(f, func(fd int) error {
		var err error
		t, err = unix.IoctlGetTermios(fd, unix.TCGETS2)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read terminal speed: %w", err)
	}
	code := t.Cflag & unix.CBAUD
	if code == unix.BOTHER {
		return int(t.Ospeed), nil
	}
	return standardRates[code], nil
}

// setPtySpeed sets both speeds of a terminal, the way a program calling
// cfsetspeed and tcsetattr does.
func setPtySpeed(f *os.File, baud int) error {
	return control(f, func(fd int) error {
		t, err := unix.IoctlGetTermios(fd, unix.TCGETS2)
		if err != nil {
			return fmt.Errorf("read terminal settings: %w", err)
		}
		setSpeed(t, baud)
		if err := unix.IoctlSetTermios(fd, unix.TCSETS2, t); err != nil {
			return fmt.Errorf("set terminal speed %d: %w", baud, err)
		}
		return nil
	})
}

func setSpeed(t *unix.Termios, baud int) {
	t.Cflag &^= unix.CBAUD | unix.CBAUD<<unix.IBSHIFT
	code := uint32(unix.BOTHER)
	for c, rate := range standardRates {
		if rate == baud {
			code = c
			break
		}
	}
	t.Cflag |= code
	t.Ispeed, t.Ospeed = uint32(baud), uint32(baud)
}

// makeRaw puts a terminal in raw 8N1 mode at baud.
func makeRaw(f *os.File, baud int) error {
	return control(f, func(fd int) error {
		t, err := unix.IoctlGetTermios(fd, unix.TCGETS2)
		if err != nil {
			return fmt.Errorf("read terminal settings: %w", err)
		}
		rawFlags(t)
		setSpeed(t, baud)
		if err := unix.IoctlSetTermios(fd, unix.TCSETS2, t); err != nil {
			return fmt.Errorf("set raw mode: %w", err)
		}
		return nil
	})
}
