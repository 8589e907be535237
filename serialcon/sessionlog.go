package serialcon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// sessionLog is the per-session transcript file: the device's bytes exactly as
// received, and a marker line for everything else that happened:
//
//	--- 2026-11-21T19:53:46.120Z fieldcon: opened /dev/ttyUSB0 at 9600 8N1 ---
//
// A marker always sits on a line of its own: if the device output stopped
// mid-line, a newline is written first (the only byte in the file the device
// did not send). Bytes sent to the device are not logged (passwords); the
// device's echo shows what was typed.
type sessionLog struct {
	f      *os.File
	path   string
	lineOK bool // the last byte written was '\n' (or nothing was written)
}

// logTimeLayout is RFC 3339 in UTC with milliseconds.
const logTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// createSessionLog makes logs/<time>-<port>.log in dir, never overwriting.
func createSessionLog(dir, port string, now time.Time) (*sessionLog, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("session log: %w", err)
	}
	base := now.UTC().Format("20060102T150405Z") + "-" + portFileName(port)
	for i := 1; ; i++ {
		name := base + ".log"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.log", base, i)
		}
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("session log: %w", err)
		}
		return &sessionLog{f: f, path: p, lineOK: true}, nil
	}
}

// portFileName turns /dev/ttyUSB0, COM3 or \\.\COM12 into a file-name part.
func portFileName(port string) string {
	base := filepath.Base(strings.ReplaceAll(port, `\`, "/"))
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "port"
	}
	return b.String()
}

func (l *sessionLog) data(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	l.lineOK = p[len(p)-1] == '\n'
	_, err := l.f.Write(p)
	return err
}

func (l *sessionLog) marker(t time.Time, text string) error {
	var b strings.Builder
	if !l.lineOK {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "--- %s fieldcon: %s ---\n", t.UTC().Format(logTimeLayout), text)
	l.lineOK = true
	_, err := l.f.WriteString(b.String())
	return err
}

func (l *sessionLog) close() error { return l.f.Close() }
