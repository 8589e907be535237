package tftp

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// Reasons a file name is refused; all wrap ErrName.
var (
	ErrName          = errors.New("file name not allowed")
	ErrNameEmpty     = fmt.Errorf("%w: empty", ErrName)
	ErrNameTooLong   = fmt.Errorf("%w: too long", ErrName)
	ErrNameNUL       = fmt.Errorf("%w: contains a NUL byte", ErrName)
	ErrNameControl   = fmt.Errorf("%w: contains a control character", ErrName)
	ErrNameBackslash = fmt.Errorf("%w: contains a backslash", ErrName)
	ErrNameAbsolute  = fmt.Errorf("%w: absolute path", ErrName)
	ErrNameParent    = fmt.Errorf("%w: climbs out with ..", ErrName)
	ErrNameNotLocal  = fmt.Errorf("%w: not a plain relative name", ErrName)
)

// cleanName checks a name a device sent and returns it cleaned (slash
// separated, no "." or empty elements). Opening the result inside an
// os.Root is the second line of defence (it also stops symlinks that point
// out); this one gives each refusal a reason a technician can read.
func cleanName(name string, maxLen int) (string, error) {
	switch {
	case name == "":
		return "", ErrNameEmpty
	case len(name) > maxLen:
		return "", ErrNameTooLong
	case strings.IndexByte(name, 0) >= 0:
		return "", ErrNameNUL
	case strings.IndexByte(name, '\\') >= 0:
		return "", ErrNameBackslash
	case name[0] == '/' || hasDrive(name):
		return "", ErrNameAbsolute
	}
	for _, c := range []byte(name) {
		if c < 0x20 || c == 0x7f {
			return "", ErrNameControl
		}
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", ErrNameParent
		}
	}
	clean := path.Clean(name)
	if hasDrive(clean) {
		return "", ErrNameAbsolute // "./C:" is "C:" once cleaned
	}
	// IsLocal also refuses reserved device names such as NUL or COM1, and
	// colons, on Windows.
	if clean == "." || !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", ErrNameNotLocal
	}
	return clean, nil
}

// hasDrive reports a Windows drive prefix such as "C:".
func hasDrive(name string) bool {
	if len(name) < 2 || name[1] != ':' {
		return false
	}
	c := name[0] | 0x20
	return c >= 'a' && c <= 'z'
}
