package tftp

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name    string
		packet  string
		want    request
		wantErr error
	}{
		{"plain RRQ", "\x00\x01c1240-k9w7-tar.default\x00octet\x00",
			request{Op: opRRQ, Name: "c1240-k9w7-tar.default", Mode: "octet"}, nil},
		{"WRQ", "\x00\x02sw1-confg\x00netascii\x00",
			request{Op: opWRQ, Name: "sw1-confg", Mode: "netascii"}, nil},
		{"mode case", "\x00\x01a\x00OCTET\x00", request{Op: opRRQ, Name: "a", Mode: "octet"}, nil},
		{"options", "\x00\x01a\x00octet\x00BLKSIZE\x001468\x00tsize\x000\x00timeout\x003\x00",
			request{Op: opRRQ, Name: "a", Mode: "octet", Options: []option{{"blksize", "1468"}, {"tsize", "0"}, {"timeout", "3"}}}, nil},
		{"repeated option keeps the first", "\x00\x01a\x00octet\x00blksize\x001024\x00blksize\x008192\x00",
			request{Op: opRRQ, Name: "a", Mode: "octet", Options: []option{{"blksize", "1024"}}}, nil},
		{"NUL padding", "\x00\x01a\x00octet\x00\x00\x00\x00\x00",
			request{Op: opRRQ, Name: "a", Mode: "octet"}, nil},
		{"unterminated option value", "\x00\x01a\x00octet\x00blksize\x001468",
			request{Op: opRRQ, Name: "a", Mode: "octet"}, nil},
		{"empty name parses", "\x00\x01\x00octet\x00", request{Op: opRRQ, Name: "", Mode: "octet"}, nil},
		{"unterminated mode", "\x00\x01a\x00octet", request{}, ErrMalformed},
		{"no mode", "\x00\x01a\x00", request{}, ErrMalformed},
		{"unterminated name", "\x00\x01abc", request{}, ErrMalformed},
		{"DATA", "\x00\x03\x00\x01data", request{}, ErrNotRequest},
		{"short", "\x00", request{}, ErrNotRequest},
		{"empty", "", request{}, ErrNotRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRequest([]byte(tc.packet))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("parseRequest(%q) error = %v, want %v", tc.packet, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseRequest(%q) (-want +got):\n%s", tc.packet, diff)
			}
		})
	}
}

func TestParseRequestManyOptions(t *testing.T) {
	p := []byte("\x00\x01a\x00octet\x00")
	for i := range 40 {
		p = append(p, []byte(strings.Repeat("o", i+1)+"\x00v\x00")...)
	}
	r, err := parseRequest(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Options) != maxOptions {
		t.Errorf("parseRequest(40 options) kept %d, want %d", len(r.Options), maxOptions)
	}
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		e    tftpError
		want string
	}{
		{errFileNotFound, "\x00\x05\x00\x01file not found\x00"},
		{errBusy, "\x00\x05\x00\x00server busy, try again later\x00"},
		{errTooBig, "\x00\x05\x00\x03file too large\x00"},
	}
	for _, tc := range tests {
		if got := encodeError(tc.e); string(got) != tc.want {
			t.Errorf("encodeError(%v) = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct{ packet, want string }{
		{"\x00\x05\x00\x00File not found\x00", "File not found"},
		{"\x00\x05\x00\x00no terminator", "no terminator"},
		{"\x00\x05\x00\x00bell\x07\xff\x00rest", "bell??"},
		{"\x00\x05\x00\x00" + strings.Repeat("x", 100), strings.Repeat("x", 64)},
		{"\x00\x05", ""},
	}
	for _, tc := range tests {
		if got := errorMessage([]byte(tc.packet)); got != tc.want {
			t.Errorf("errorMessage(%q) = %q, want %q", tc.packet, got, tc.want)
		}
	}
}

func TestRequestRoundTrip(t *testing.T) {
	r := request{Op: opWRQ, Name: "backups/sw1", Mode: "octet", Options: []option{{"tsize", "123"}, {"blksize", "1468"}}}
	got, err := parseRequest(encodeRequest(r))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("parseRequest(encodeRequest(r)) (-want +got):\n%s", diff)
	}
	if oack := encodeOACK(r.Options); !bytes.Equal(oack, []byte("\x00\x06tsize\x00123\x00blksize\x001468\x00")) {
		t.Errorf("encodeOACK = %q", oack)
	}
}

// FuzzParseRequest feeds the request parser arbitrary datagrams: it must
// not panic, and what it accepts must encode back to an equal request.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		"\x00\x01c1240-k9w7-tar.default\x00octet\x00",
		"\x00\x02sw1-confg\x00netascii\x00tsize\x00512\x00",
		"\x00\x01a\x00octet\x00blksize\x001468\x00tsize\x000\x00timeout\x003\x00",
		"\x00\x01../../etc/passwd\x00octet\x00",
		"\x00\x01a\x00octet\x00\x00\x00\x00",
		"\x00\x01a\x00octet",
		"\x00\x04\x00\x01",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := parseRequest(p)
		if err != nil {
			return
		}
		if r.Op != opRRQ && r.Op != opWRQ {
			t.Fatalf("parseRequest(%q) accepted opcode %d", p, r.Op)
		}
		if r.Mode == "" || r.Mode != strings.ToLower(r.Mode) || len(r.Options) > maxOptions {
			t.Fatalf("parseRequest(%q) = %+v: bad mode or too many options", p, r)
		}
		again, err := parseRequest(encodeRequest(r))
		if err != nil {
			t.Fatalf("parseRequest(encodeRequest(%+v)) = %v", r, err)
		}
		if diff := cmp.Diff(r, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", p, diff)
		}
		// Whatever name it carries, cleanName either refuses it or returns
		// a plain relative name.
		if clean, err := cleanName(r.Name, 255); err == nil {
			if strings.HasPrefix(clean, "/") || strings.Contains(clean, "\\") || strings.Contains(clean, "..") && hasDotDotElem(clean) {
				t.Fatalf("cleanName(%q) = %q, which is not a plain relative name", r.Name, clean)
			}
		}
	})
}

func hasDotDotElem(name string) bool {
	for _, e := range strings.Split(name, "/") {
		if e == ".." {
			return true
		}
	}
	return false
}
