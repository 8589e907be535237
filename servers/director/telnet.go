package director

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"time"
)

// The CLI fallback for switches that do not speak Smart Install: a telnet
// session that logs in, enables, and runs the same operations as IOS
// commands. SSH is not offered (no SSH module in the build). The password
// never reaches the transcript: every occurrence is replaced before a byte
// is written to it.

// Credentials for a CLI session. Password may be "NONE" for none.
type Credentials struct {
	Username string
	Password string
	Enable   string // enable secret; empty means the same as Password
}

// ErrCLI is wrapped by CLI session failures.
var ErrCLI = errors.New("CLI session")

// CLISession is one logged-in telnet session.
type CLISession struct {
	conn       net.Conn
	r          *bufio.Reader
	transcript io.Writer
	secrets    []string
	timeout    time.Duration
}

var (
	promptExec   = regexp.MustCompile(`(?m)[\w.\-()]+[>#]\s*$`)
	promptEnable = regexp.MustCompile(`(?m)[\w.\-()]+#\s*$`)
	promptUser   = regexp.MustCompile(`(?i)(username|login):\s*$`)
	promptPass   = regexp.MustCompile(`(?i)password:\s*$`)
	promptAsk    = regexp.MustCompile(`(\?\s*$)|(\[confirm\]\s*$)|(\[yes/no\]:?\s*$)`)
	cliFailure   = regexp.MustCompile(`(?m)^(%.*(Error|Invalid|failed|denied|Unknown).*|.*Error opening.*)$`)
)

// DialTelnet opens a telnet session to addr (host:port, port 23 for a
// switch), logs in and enables. transcript receives everything said, with
// the passwords replaced by "********".
func DialTelnet(ctx context.Context, addr string, cred Credentials, transcript io.Writer) (*CLISession, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: telnet %s: %w; check that telnet (transport input telnet) is on and the address is right", ErrCLI, addr, err)
	}
	if transcript == nil {
		transcript = io.Discard
	}
	s := &CLISession{conn: conn, r: bufio.NewReader(conn), transcript: transcript, timeout: 30 * time.Second}
	for _, p := range []string{cred.Password, cred.Enable} {
		if p != "" && p != "NONE" {
			s.secrets = append(s.secrets, p)
		}
	}
	if err := s.login(ctx, cred); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// Close ends the session.
func (s *CLISession) Close() error { return s.conn.Close() }

func (s *CLISession) redact(b []byte) []byte {
	for _, p := range s.secrets {
		b = bytes.ReplaceAll(b, []byte(p), []byte("********"))
	}
	return b
}

func (s *CLISession) send(line string) error {
	_, err := s.conn.Write([]byte(line + "\r\n"))
	return err
}

// sendSecret sends a password; the transcript shows the stars only.
func (s *CLISession) sendSecret(p string) error {
	if p == "NONE" {
		p = ""
	}
	_, err := s.conn.Write([]byte(p + "\r\n"))
	return err
}

// expect reads until one of the patterns matches the tail of what came in,
// answering telnet negotiation with a refusal.
func (s *CLISession) expect(ctx context.Context, pats ...*regexp.Regexp) (int, string, error) {
	dl := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = s.conn.SetReadDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = s.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var buf []byte
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return -1, string(buf), fmt.Errorf("%w: waiting for the switch: %w", ErrCLI, err)
		}
		if b == 255 { // IAC: refuse every option
			cmd, err1 := s.r.ReadByte()
			opt, err2 := s.r.ReadByte()
			if err1 != nil || err2 != nil {
				return -1, string(buf), fmt.Errorf("%w: telnet negotiation cut short", ErrCLI)
			}
			switch cmd {
			case 251, 252: // WILL, WONT
				_, _ = s.conn.Write([]byte{255, 254, opt})
			case 253, 254: // DO, DONT
				_, _ = s.conn.Write([]byte{255, 252, opt})
			}
			continue
		}
		buf = append(buf, b)
		_, _ = s.transcript.Write(s.redact([]byte{b}))
		text := string(buf)
		for i, p := range pats {
			if p.MatchString(text) {
				return i, text, nil
			}
		}
	}
}

func (s *CLISession) login(ctx context.Context, cred Credentials) error {
	for range 4 {
		i, _, err := s.expect(ctx, promptUser, promptPass, promptEnable, promptExec)
		if err != nil {
			return err
		}
		switch i {
		case 0:
			if err := s.send(cred.Username); err != nil {
				return err
			}
		case 1:
			if err := s.sendSecret(cred.Password); err != nil {
				return err
			}
		case 2:
			return nil
		case 3:
			if err := s.send("enable"); err != nil {
				return err
			}
			enable := cred.Enable
			if enable == "" {
				enable = cred.Password
			}
			j, _, err := s.expect(ctx, promptPass, promptEnable)
			if err != nil {
				return err
			}
			if j == 0 {
				if err := s.sendSecret(enable); err != nil {
					return err
				}
				if k, _, err := s.expect(ctx, promptEnable, promptPass, promptExec); err != nil || k != 0 {
					return fmt.Errorf("%w: the enable password was not accepted; check it and try again", ErrCLI)
				}
			}
			return nil
		}
	}
	return fmt.Errorf("%w: login failed; check the username and password", ErrCLI)
}

// Run sends one command, accepts every default the switch offers
// ("Destination filename [x]?", "[confirm]"), and returns the output up to
// the next privileged prompt. IOS error lines make it fail.
func (s *CLISession) Run(ctx context.Context, cmd string) (string, error) {
	if err := s.send(cmd); err != nil {
		return "", fmt.Errorf("%w: %w", ErrCLI, err)
	}
	var out strings.Builder
	for {
		i, text, err := s.expect(ctx, promptEnable, promptAsk)
		out.WriteString(text)
		if err != nil {
			return out.String(), err
		}
		if i == 0 {
			break
		}
		if err := s.send(""); err != nil {
			return out.String(), err
		}
	}
	if m := cliFailure.FindString(out.String()); m != "" {
		return out.String(), fmt.Errorf("%w: %q failed: %s", ErrCLI, cmd, strings.TrimSpace(m))
	}
	return out.String(), nil
}

// CLICommand is the IOS command doing an operation on a switch without
// Smart Install.
func CLICommand(r Request) (string, error) {
	url := "tftp://" + r.Server.String() + "/" + r.File
	switch r.Op {
	case OpImage:
		// The image itself, not a list: archive download-sw takes a tar.
		cmd := "archive download-sw /overwrite"
		if r.Immediate {
			cmd += " /reload"
		}
		return cmd + " " + url, nil
	case OpConfig:
		return "copy " + url + " startup-config", nil
	case OpBackup:
		return "copy running-config " + url, nil
	}
	return "", fmt.Errorf("%s has no CLI form; use it over Smart Install", r.Op)
}
