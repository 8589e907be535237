package smi

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassifyProbeReply(t *testing.T) {
	tests := []struct {
		name  string
		reply []byte
		want  ProbeResult
	}{
		{"client_reply_type3", fixture(t, "client_reply_type3"), ProbeClient},
		{"client_reply_type4", fixture(t, "client_reply_type4"), ProbeRejected},
		{"orderly close", nil, ProbeDirectorOrRefused},
		{"client reply cut short", fixture(t, "client_reply_type3")[:23], ProbeUnknown},
		{"client reply plus a byte", append(fixture(t, "client_reply_type3"), 0), ProbeUnknown},
		{"rejection cut short", fixture(t, "client_reply_type4")[:16], ProbeUnknown},
		{"our probe echoed", fixture(t, "probe_type4"), ProbeUnknown},
		{"Go-SIET probe", goSIETProbe(), ProbeUnknown},
		{"client reply with w1 1", func() []byte { b := ClientReply(); b[7] = 1; return b }(), ProbeUnknown},
		{"17-byte type 3", fixture(t, "probe_type3_len1"), ProbeUnknown},
		{"text", []byte("HTTP/1.0 400 Bad Request\r\n\r\n"), ProbeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyProbeReply(tt.reply); got != tt.want {
				t.Errorf("ClassifyProbeReply(%x) = %v, want %v", tt.reply, got, tt.want)
			}
		})
	}
}

// TestReplyConstructorsReturnCopies: a simulated client that modifies the
// reply it was given must not change the next one.
func TestReplyConstructorsReturnCopies(t *testing.T) {
	ClientReply()[0] = 0xff
	RejectReply()[0] = 0xff
	if ClassifyProbeReply(ClientReply()) != ProbeClient || ClassifyProbeReply(RejectReply()) != ProbeRejected {
		t.Errorf("ClientReply/RejectReply changed after a caller wrote to an earlier result")
	}
}

func TestRoundTrip(t *testing.T) {
	srv := netip.MustParseAddr("10.20.30.40")
	longPath := func(urlLen int) string { // a path that makes the URL exactly urlLen long
		return strings.Repeat("a", urlLen-len("tftp://10.20.30.40/"))
	}
	configs := []ConfigRequest{
		{URL: TFTPURL{Server: srv, Path: "c.cfg"}},
		{URL: TFTPURL{Server: srv, Path: "sites/branch-7/sw_01+new.cfg"}, Reload: ReloadTime{23, 59}},
		{URL: TFTPURL{Server: srv, Path: "x"}, Reload: ReloadTime{0, 1}},
		{URL: TFTPURL{Server: srv, Path: longPath(131)}, Reload: ReloadTime{12, 0}},
	}
	for _, r := range configs {
		t.Run("config "+r.URL.String()[:min(40, len(r.URL.String()))], func(t *testing.T) {
			b, err := EncodeConfig(r)
			if err != nil {
				t.Fatalf("EncodeConfig(%+v) error %v", r, err)
			}
			got, err := DecodeConfig(b)
			if err != nil {
				t.Fatalf("DecodeConfig(EncodeConfig(%+v)) error %v", r, err)
			}
			if diff := cmp.Diff(r, got, cmpAddr); diff != "" {
				t.Errorf("DecodeConfig(EncodeConfig()) mismatch (-want +got):\n%s", diff)
			}
		})
	}
	images := []ImageRequest{
		{ImageListURL: TFTPURL{Server: srv, Path: "imagelist.txt"}, Immediate: true},
		{ImageListURL: TFTPURL{Server: srv, Path: "lists/c2960x.txt"}, Reload: ReloadTime{6, 30}},
		{ImageListURL: TFTPURL{Server: srv, Path: longPath(414)}, Reload: ReloadTime{0, 1}},
	}
	for _, r := range images {
		t.Run("image "+r.ImageListURL.String()[:min(40, len(r.ImageListURL.String()))], func(t *testing.T) {
			b, err := EncodeImageUpgrade(r)
			if err != nil {
				t.Fatalf("EncodeImageUpgrade(%+v) error %v", r, err)
			}
			got, err := DecodeImageUpgrade(b)
			if err != nil {
				t.Fatalf("DecodeImageUpgrade(EncodeImageUpgrade(%+v)) error %v", r, err)
			}
			if diff := cmp.Diff(r, got, cmpAddr); diff != "" {
				t.Errorf("DecodeImageUpgrade(EncodeImageUpgrade()) mismatch (-want +got):\n%s", diff)
			}
		})
	}
	backups := []BackupRequest{
		{URL: TFTPURL{Server: srv, Path: "sw1-0011.2233.4455.upload"}},
		{URL: TFTPURL{Server: srv, Path: longPath(335 - len(backupCommand))}},
	}
	for _, r := range backups {
		t.Run("backup "+r.URL.String()[:min(40, len(r.URL.String()))], func(t *testing.T) {
			b, err := EncodeBackup(r)
			if err != nil {
				t.Fatalf("EncodeBackup(%+v) error %v", r, err)
			}
			got, err := DecodeBackup(b)
			if err != nil {
				t.Fatalf("DecodeBackup(EncodeBackup(%+v)) error %v", r, err)
			}
			if diff := cmp.Diff(r, got, cmpAddr); diff != "" {
				t.Errorf("DecodeBackup(EncodeBackup()) mismatch (-want +got):\n%s", diff)
			}
			c, err := DecodeCommands(b)
			if want := (Commands{r.Command(), "", ""}); err != nil || c != want {
				t.Errorf("DecodeCommands(EncodeBackup()) = %q, %v, want %q", c, err, want)
			}
		})
	}
}

func TestEncodeRefusesBadRequests(t *testing.T) {
	srv := netip.MustParseAddr("192.0.2.10")
	path := func(urlLen int) string { return strings.Repeat("b", urlLen-len("tftp://192.0.2.10/")) }
	tests := []struct {
		name    string
		encode  func() ([]byte, error)
		wantErr error
	}{
		{"config URL exactly the slot size", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: path(132)}})
		}, ErrURL},
		{"config URL with NUL", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "a\x00b"}})
		}, ErrURL},
		{"config URL with space", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "a b"}})
		}, ErrURL},
		{"config URL not ASCII", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "café.cfg"}})
		}, ErrURL},
		{"config URL with CR LF", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "a\r\nreload"}})
		}, ErrURL},
		{"config URL with ..", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "../etc/passwd"}})
		}, ErrURL},
		{"config URL empty path", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv}})
		}, ErrURL},
		{"config URL no server", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Path: "a.cfg"}})
		}, ErrURL},
		{"config URL IPv6 server", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: netip.MustParseAddr("2001:db8::1"), Path: "a.cfg"}})
		}, ErrURL},
		{"config URL broadcast server", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: netip.MustParseAddr("255.255.255.255"), Path: "a.cfg"}})
		}, ErrURL},
		{"config reload 24:00", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "a"}, Reload: ReloadTime{24, 0}})
		}, ErrReloadTime},
		{"config reload 00:60", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "a"}, Reload: ReloadTime{0, 60}})
		}, ErrReloadTime},
		{"config reload negative", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "a"}, Reload: ReloadTime{-1, 30}})
		}, ErrReloadTime},
		{"image URL exactly the slot size", func() ([]byte, error) {
			return EncodeImageUpgrade(ImageRequest{ImageListURL: TFTPURL{Server: srv, Path: path(415)}, Immediate: true})
		}, ErrURL},
		{"image neither time nor immediate", func() ([]byte, error) {
			return EncodeImageUpgrade(ImageRequest{ImageListURL: TFTPURL{Server: srv, Path: "l.txt"}})
		}, ErrReloadTime},
		{"image both time and immediate", func() ([]byte, error) {
			return EncodeImageUpgrade(ImageRequest{ImageListURL: TFTPURL{Server: srv, Path: "l.txt"}, Reload: ReloadTime{1, 0}, Immediate: true})
		}, ErrReloadTime},
		{"image URL with quote", func() ([]byte, error) {
			return EncodeImageUpgrade(ImageRequest{ImageListURL: TFTPURL{Server: srv, Path: `l".txt`}, Immediate: true})
		}, ErrURL},
		{"backup command exactly the slot size", func() ([]byte, error) {
			return EncodeBackup(BackupRequest{URL: TFTPURL{Server: srv, Path: path(336 - len(backupCommand))}})
		}, ErrURL},
		{"backup name smuggling a second argument", func() ([]byte, error) {
			return EncodeBackup(BackupRequest{URL: TFTPURL{Server: srv, Path: "x flash:/config.text"}})
		}, ErrURL},
		{"backup name with semicolon", func() ([]byte, error) {
			return EncodeBackup(BackupRequest{URL: TFTPURL{Server: srv, Path: "x;reload"}})
		}, ErrURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.encode()
			if !errors.Is(err, tt.wantErr) || b != nil {
				t.Errorf("encode = %d bytes, %v, want nil, %v", len(b), err, tt.wantErr)
			}
		})
	}
}

func TestParseTFTPURL(t *testing.T) {
	tests := []struct {
		in      string
		want    TFTPURL
		wantErr bool
	}{
		{in: "tftp://192.0.2.10/random_file", want: TFTPURL{Server: netip.MustParseAddr("192.0.2.10"), Path: "random_file"}},
		{in: "tftp://10.0.0.1/a/b/c-1.2+3.tar", want: TFTPURL{Server: netip.MustParseAddr("10.0.0.1"), Path: "a/b/c-1.2+3.tar"}},
		{in: "TFTP://192.0.2.10/a", wantErr: true},
		{in: "ftp://192.0.2.10/a", wantErr: true},
		{in: "tftp://192.0.2.10", wantErr: true},
		{in: "tftp://192.0.2.10/", wantErr: true},
		{in: "tftp://192.0.2.10//a", wantErr: true},
		{in: "tftp://192.0.2.10/a/", wantErr: true},
		{in: "tftp://192.0.2.10/./a", wantErr: true},
		{in: "tftp://192.0.2.10:69/a", wantErr: true},
		{in: "tftp://user@192.0.2.10/a", wantErr: true},
		{in: "tftp://director.example/a", wantErr: true},
		{in: "tftp://192.000.2.10/a", wantErr: true},
		{in: "tftp://[2001:db8::1]/a", wantErr: true},
		{in: "tftp://0.0.0.0/a", wantErr: true},
		{in: "tftp://224.0.0.1/a", wantErr: true},
		{in: "tftp://192.0.2.10/a?b", wantErr: true},
		{in: "tftp://192.0.2.10/a%20b", wantErr: true},
		{in: "tftp://192.0.2.10/a\tb", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTFTPURL(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrURL) {
					t.Errorf("ParseTFTPURL(%q) = %v, %v, want error %v", tt.in, got, err, ErrURL)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseTFTPURL(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("ParseTFTPURL(%q).String() = %q, want the input", tt.in, got.String())
			}
		})
	}
}

func TestParseReloadTime(t *testing.T) {
	tests := []struct {
		in      string
		want    ReloadTime
		wantErr bool
	}{
		{in: "06:30", want: ReloadTime{6, 30}},
		{in: "6:30", want: ReloadTime{6, 30}},
		{in: "00:01", want: ReloadTime{0, 1}},
		{in: "23:59", want: ReloadTime{23, 59}},
		{in: "00:00", want: ReloadTime{}},
		{in: "24:00", wantErr: true},
		{in: "10:60", wantErr: true},
		{in: "1:5", wantErr: true},
		{in: "123:00", wantErr: true},
		{in: "+1:00", wantErr: true},
		{in: "-1:00", wantErr: true},
		{in: "0630", wantErr: true},
		{in: "06:30:00", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReloadTime(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrReloadTime) {
					t.Errorf("ParseReloadTime(%q) = %v, %v, want error %v", tt.in, got, err, ErrReloadTime)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseReloadTime(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestEncodersOnlySendAllowedTypes checks the output of every encoder: a
// director header and a type among 2, 3, 4 and 8.
func TestEncodersOnlySendAllowedTypes(t *testing.T) {
	srv := netip.MustParseAddr("192.0.2.10")
	var msgs [][]byte
	msgs = append(msgs, EncodeProbe())
	for _, r := range []ReloadTime{{}, {0, 1}, {23, 59}} {
		b, err := EncodeConfig(ConfigRequest{URL: TFTPURL{Server: srv, Path: "c"}, Reload: r})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	for _, r := range []ImageRequest{{Immediate: true}, {Reload: ReloadTime{1, 30}}} {
		r.ImageListURL = TFTPURL{Server: srv, Path: "l"}
		b, err := EncodeImageUpgrade(r)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	b, err := EncodeBackup(BackupRequest{URL: TFTPURL{Server: srv, Path: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	msgs = append(msgs, b)
	for _, m := range msgs {
		h, err := DecodeHeader(m)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !h.FromDirector():
			t.Errorf("encoder produced header words %#x %#x, want 1 1", h.W0, h.W1)
		case h.Type != TypeProbe && h.Type != TypeConfig && h.Type != TypeImageUpgrade && h.Type != TypeCommands:
			t.Errorf("encoder produced type %v", h.Type)
		case int(h.Length) != len(m)-HeaderSize:
			t.Errorf("encoder produced length word %d for %d bytes", h.Length, len(m))
		}
	}
}

// TestNoCodePathToForbiddenTypes reads the package source: every header is
// written by newRequest, newRequest is only called with one of the four send
// constants, those constants are exactly types 2, 3, 4 and 8, and nothing
// else converts a value to requestType. Together that means no code path can
// write a type-5 or type-7 message.
func TestNoCodePathToForbiddenTypes(t *testing.T) {
	allowed := map[string]string{
		"sendImageUpgrade": "TypeImageUpgrade",
		"sendConfig":       "TypeConfig",
		"sendProbe":        "TypeProbe",
		"sendCommands":     "TypeCommands",
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := map[string]bool{}
	calls := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			checkHeaderWrites(t, fset, fd)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "requestType" {
					for i, v := range n.Names {
						want, ok := allowed[v.Name]
						if !ok {
							t.Errorf("%s: requestType constant %s is not one of the four allowed", fset.Position(v.Pos()), v.Name)
							continue
						}
						declared[v.Name] = true
						// The value must be requestType(Type…) of the matching constant.
						call, ok := n.Values[i].(*ast.CallExpr)
						if !ok || len(call.Args) != 1 {
							t.Errorf("%s: %s is not requestType(%s)", fset.Position(v.Pos()), v.Name, want)
							continue
						}
						if arg, ok := call.Args[0].(*ast.Ident); !ok || arg.Name != want {
							t.Errorf("%s: %s is not requestType(%s)", fset.Position(v.Pos()), v.Name, want)
						}
					}
					return false // the conversions inside the declaration are checked above
				}
			case *ast.CallExpr:
				fn, ok := n.Fun.(*ast.Ident)
				if !ok {
					return true
				}
				switch fn.Name {
				case "requestType":
					t.Errorf("%s: conversion to requestType outside its constant block", fset.Position(n.Pos()))
				case "newRequest":
					calls++
					if arg, ok := n.Args[0].(*ast.Ident); !ok || allowed[arg.Name] == "" {
						t.Errorf("%s: newRequest called with %v, want one of the send constants", fset.Position(n.Pos()), n.Args[0])
					}
				}
			}
			return true
		})
	}
	if len(declared) != len(allowed) {
		t.Errorf("declared send constants = %v, want all of %v", declared, allowed)
	}
	if calls != 4 {
		t.Errorf("newRequest is called %d times, want 4 (one per encoder)", calls)
	}
	// Allowed types are 2, 3, 4 and 8, and the constants they refer to say so.
	for _, tt := range []struct {
		got  requestType
		want uint32
	}{{sendImageUpgrade, 2}, {sendConfig, 3}, {sendProbe, 4}, {sendCommands, 8}} {
		if uint32(tt.got) != tt.want {
			t.Errorf("send constant = %d, want %d", tt.got, tt.want)
		}
	}
}

// checkHeaderWrites fails if fd writes a header word anywhere but in
// newRequest: binary.BigEndian.PutUint32 only in newRequest and put32, and
// put32 never at a literal offset inside the header.
func checkHeaderWrites(t *testing.T, fset *token.FileSet, fd *ast.FuncDecl) {
	t.Helper()
	ast.Inspect(fd, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		switch fn := call.Fun.(type) {
		case *ast.SelectorExpr:
			if fn.Sel.Name == "PutUint32" && fd.Name.Name != "newRequest" && fd.Name.Name != "put32" {
				t.Errorf("%s: %s writes a uint32 directly; only newRequest may write header words", fset.Position(call.Pos()), fd.Name.Name)
			}
		case *ast.Ident:
			if fn.Name != "put32" || len(call.Args) < 2 {
				return true
			}
			if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.INT {
				if v, err := strconv.ParseInt(lit.Value, 0, 64); err != nil || v < HeaderSize {
					t.Errorf("%s: %s writes offset %s, inside the header", fset.Position(call.Pos()), fd.Name.Name, lit.Value)
				}
			}
		}
		return true
	})
}
