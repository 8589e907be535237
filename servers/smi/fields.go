package smi

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Errors for values a technician or the director supplies.
var (
	// ErrURL: a URL is not of the form tftp://<IPv4 address>/<file>, or
	// does not fit its field.
	ErrURL = errors.New("smi: unusable TFTP URL")
	// ErrReloadTime: a reload time is not HH:MM between 00:00 and 23:59,
	// or is 00:00 where the meaning of 00:00 is unknown.
	ErrReloadTime = errors.New("smi: unusable reload time")
)

// TFTPURL is the only kind of URL this package puts into a message:
// tftp://<IPv4 address>/<path>. The client fetches (or, for a backup, sends)
// the file by TFTP from that address.
//
// The path is limited to letters, digits and . _ - + /, with no empty, "."
// or ".." parts: the URL travels inside an IOS command for backups, where a
// space would add an argument, and image list input has crashed clients
// before (CVE-2016-1349), so nothing unusual is let through.
type TFTPURL struct {
	Server netip.Addr // IPv4; Smart Install clients are reached over IPv4
	Path   string     // without the leading slash: "conf/sw1.conf"
}

const tftpScheme = "tftp://"

// String returns the URL as it goes on the wire.
func (u TFTPURL) String() string { return tftpScheme + u.Server.String() + "/" + u.Path }

// Validate reports why the URL cannot be sent, in words for a technician.
func (u TFTPURL) Validate() error {
	if !u.Server.IsValid() {
		return fmt.Errorf("%w: no TFTP server address; give fieldcon's IPv4 address on the switch VLAN", ErrURL)
	}
	if !u.Server.Is4() {
		return fmt.Errorf("%w: %s is not an IPv4 address; Smart Install clients fetch files over IPv4 only", ErrURL, u.Server)
	}
	if u.Server.IsUnspecified() || u.Server.IsMulticast() || u.Server == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return fmt.Errorf("%w: %s cannot be a TFTP server; give fieldcon's own address on the switch VLAN", ErrURL, u.Server)
	}
	if u.Path == "" {
		return fmt.Errorf("%w: no file name after %s%s/", ErrURL, tftpScheme, u.Server)
	}
	for i := 0; i < len(u.Path); i++ {
		if !pathByte(u.Path[i]) {
			return fmt.Errorf("%w: file name %q contains %q; use only letters, digits and . _ - + /", ErrURL, u.Path, u.Path[i])
		}
	}
	for _, part := range strings.Split(u.Path, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("%w: file name %q has an empty, \".\" or \"..\" folder part; name the file inside the TFTP folder", ErrURL, u.Path)
		}
	}
	return nil
}

func pathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '.' || c == '_' || c == '-' || c == '+' || c == '/'
}

// ParseTFTPURL parses s as tftp://<IPv4 address>/<path> and validates it.
// Only the canonical form is accepted (no port, no user, no leading zeros in
// the address), so String gives s back.
func ParseTFTPURL(s string) (TFTPURL, error) {
	rest, ok := strings.CutPrefix(s, tftpScheme)
	if !ok {
		return TFTPURL{}, fmt.Errorf("%w: %q does not start with %s; Smart Install clients fetch files by TFTP", ErrURL, s, tftpScheme)
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok {
		return TFTPURL{}, fmt.Errorf("%w: %q names no file; write %s<address>/<file>", ErrURL, s, tftpScheme)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Is4() {
		return TFTPURL{}, fmt.Errorf("%w: %q: the server must be an IPv4 address such as 192.0.2.10, not %q", ErrURL, s, host)
	}
	u := TFTPURL{Server: addr, Path: path}
	if err := u.Validate(); err != nil {
		return TFTPURL{}, err
	}
	return u, nil
}

// ReloadTime is the HH:MM a client is told to reload at. Whether a client
// reads it as a delay ("reload in") or as a clock time ("reload at") has not
// been settled on real hardware; Cisco's own CLI reads `reload in 06:30` as
// six and a half hours from now. The zero value means "no time given".
type ReloadTime struct {
	Hours   int // 0–23
	Minutes int // 0–59
}

// IsZero reports whether no time is given (00:00).
func (t ReloadTime) IsZero() bool { return t == ReloadTime{} }

// String returns the time as HH:MM.
func (t ReloadTime) String() string { return fmt.Sprintf("%02d:%02d", t.Hours, t.Minutes) }

// Validate reports whether the time is between 00:00 and 23:59.
func (t ReloadTime) Validate() error {
	if t.Hours < 0 || t.Hours > 23 || t.Minutes < 0 || t.Minutes > 59 {
		return fmt.Errorf("%w: %d:%d is not a time between 00:00 and 23:59", ErrReloadTime, t.Hours, t.Minutes)
	}
	return nil
}

// ParseReloadTime parses "HH:MM" or "H:MM", as the vstack commands accept.
func ParseReloadTime(s string) (ReloadTime, error) {
	hh, mm, ok := strings.Cut(s, ":")
	bad := fmt.Errorf("%w: %q is not HH:MM (for example 06:30)", ErrReloadTime, s)
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 || !digits(hh) || !digits(mm) {
		return ReloadTime{}, bad
	}
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	t := ReloadTime{Hours: h, Minutes: m}
	if err := t.Validate(); err != nil {
		return ReloadTime{}, err
	}
	return t, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fits reports whether s leaves at least one NUL in a slot of the given
// size. No known sender terminates strings, but a string that fills its slot
// would leave the client's parser without a terminator, so we keep one.
func fits(s string, slot int) bool { return len(s) < slot }

// slotString reads a NUL-padded field: printable ASCII, then only NULs.
func slotString(slot []byte, what string, offset int) (string, error) {
	n := bytes.IndexByte(slot, 0)
	if n < 0 {
		return "", fmt.Errorf("%s at offset %d fills its %d bytes with no terminating NUL: %w", what, offset, len(slot), ErrMalformed)
	}
	for i, c := range slot[:n] {
		if c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("%s at offset %d has byte %#02x at %d: %w", what, offset, c, offset+i, ErrMalformed)
		}
	}
	for i, c := range slot[n:] {
		if c != 0 {
			return "", fmt.Errorf("%s at offset %d has byte %#02x after its end at %d: %w", what, offset, c, offset+n+i, ErrMalformed)
		}
	}
	return string(slot[:n]), nil
}
