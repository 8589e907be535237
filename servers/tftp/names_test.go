package tftp

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr error
	}{
		{"c1240-k9w7-tar.default", "c1240-k9w7-tar.default", nil},
		{"images/ap.tar", "images/ap.tar", nil},
		{"images//ap.tar", "images/ap.tar", nil},
		{"./images/./ap.tar", "images/ap.tar", nil},
		{"dots..in..name", "dots..in..name", nil},
		{"", "", ErrNameEmpty},
		{strings.Repeat("a", 256), "", ErrNameTooLong},
		{"a\x00b", "", ErrNameNUL},
		{"a\nb", "", ErrNameControl},
		{"a\x7fb", "", ErrNameControl},
		{`images\ap.tar`, "", ErrNameBackslash},
		{`..\..\windows`, "", ErrNameBackslash},
		{"/etc/passwd", "", ErrNameAbsolute},
		{"C:/x", "", ErrNameAbsolute},
		{"c:x", "", ErrNameAbsolute},
		{"./A:", "", ErrNameAbsolute},
		{"..", "", ErrNameParent},
		{"../x", "", ErrNameParent},
		{"images/../../x", "", ErrNameParent},
		{"images/..", "", ErrNameParent},
		{".", "", ErrNameNotLocal},
		{"./", "", ErrNameNotLocal},
	}
	for _, tc := range tests {
		got, err := cleanName(tc.name, 255)
		if !errors.Is(err, tc.wantErr) || got != tc.want {
			t.Errorf("cleanName(%q) = %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrName) {
			t.Errorf("cleanName(%q) error %v does not wrap ErrName", tc.name, err)
		}
	}
}

// FuzzCleanName: an accepted name never leads out of the root.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"a", "images/ap.tar", "../x", "/x", `a\b`, "a\x00b", "./a//b/.", "C:x", "a/../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		clean, err := cleanName(name, 255)
		if err != nil {
			return
		}
		if clean == "" || clean[0] == '/' || hasDotDotElem(clean) || strings.ContainsAny(clean, "\\\x00") || hasDrive(clean) {
			t.Fatalf("cleanName(%q) = %q, which could lead out of the root", name, clean)
		}
	})
}
