package smi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// goSIETProbe is the 28-byte probe of ary4nsh/Go-SIET: our probe plus four
// zero bytes (protocol note §10). It must be refused and never produced.
func goSIETProbe() []byte { return append(EncodeProbe(), 0, 0, 0, 0) }

// decoders are every decoder of director requests, for tests that feed them
// all the same bytes.
var decoders = []struct {
	name   string
	decode func([]byte) error
}{
	{"DecodeProbe", DecodeProbe},
	{"DecodeConfig", func(b []byte) error { _, err := DecodeConfig(b); return err }},
	{"DecodeImageUpgrade", func(b []byte) error { _, err := DecodeImageUpgrade(b); return err }},
	{"DecodeCommands", func(b []byte) error { _, err := DecodeCommands(b); return err }},
	{"DecodeBackup", func(b []byte) error { _, err := DecodeBackup(b); return err }},
}

// TestDecodersRefuse feeds every request decoder messages fieldcon never
// sends or must not trust; each must return one of the package's sentinel
// errors, so callers can tell a foreign message from a broken one.
func TestDecodersRefuse(t *testing.T) {
	edit := func(name string, change func(b []byte)) []byte {
		b := fixture(t, name)
		change(b)
		return b
	}
	withWord := func(name string, off int, v uint32) []byte {
		return edit(name, func(b []byte) { binary.BigEndian.PutUint32(b[off:], v) })
	}
	withByte := func(name string, off int, v byte) []byte {
		return edit(name, func(b []byte) { b[off] = v })
	}
	tests := []struct {
		name string
		msg  []byte
	}{
		{"probe_type3_len1", fixture(t, "probe_type3_len1")},
		{"exec_type5_siet", fixture(t, "exec_type5_siet")},
		{"et_type7_prefix", fixture(t, "et_type7_prefix")},
		{"nmap_firebird_header", fixture(t, "nmap_firebird_header")},
		{"client_reply_type3", fixture(t, "client_reply_type3")},
		{"client_reply_type4", fixture(t, "client_reply_type4")},
		{"Go-SIET 28-byte probe", goSIETProbe()},
		{"empty", nil},
		{"header only", fixture(t, "et_type3_header")},
		{"type 7 with a type-8 body", withWord("copy_type8_msf", 8, 7)},
		{"type 5 with a type-3 body", withWord("config_type3_noreload", 8, 5)},
		{"probe from a client", withWord("probe_type4", 0, 4)},
		{"probe with w1 0", withWord("probe_type4", 4, 0)},
		{"probe payload changed", withWord("probe_type4", 20, 1)},
		{"config length word off", withWord("config_type3_noreload", 12, 0x127)},
		{"config cut short", fixture(t, "config_type3_noreload")[:311]},
		{"config one byte extra", append(fixture(t, "config_type3_noreload"), 0)},
		{"config word 16 changed", withWord("config_type3_noreload", 16, 4)},
		{"config reload flag 2", withWord("config_type3_reload_0001", 36, 2)},
		{"config reload 00:00", withWord("config_type3_reload_0001", 44, 0)},
		{"config reload 24:01", withWord("config_type3_reload_0001", 40, 24)},
		{"config minutes 60", withWord("config_type3_reload_0001", 44, 60)},
		{"config time without flag", withWord("config_type3_noreload", 44, 1)},
		{"config unknown slot used", withByte("config_type3_noreload", 100, 'x')},
		{"config URL bytes after NUL", withByte("config_type3_noreload", 311, 'x')},
		{"config URL with high byte", withByte("config_type3_noreload", 200, 0xe9)},
		{"config URL with CR", withByte("config_type3_noreload", 200, '\r')},
		{"config URL not tftp", withByte("config_type3_noreload", 180, 'f')},
		{"image flag unknown", withWord("image_type2_reload_0130", 20, 0x800)},
		{"image timed flag with now set", withWord("image_type2_reload_0130", 32, 1)},
		{"image immediate with time", withWord("image_type2_reload_now", 44, 5)},
		{"image timed 00:00", edit("image_type2_reload_0130", func(b []byte) {
			binary.BigEndian.PutUint32(b[40:], 0)
			binary.BigEndian.PutUint32(b[44:], 0)
		})},
		{"image word 48 zero", withWord("image_type2_reload_now", 48, 0)},
		{"image trailer zero", withByte("image_type2_reload_now", 467, 0)},
		{"image bytes 24..31 set", withByte("image_type2_reload_now", 27, 1)},
		{"image URL fills slot", edit("image_type2_reload_now", func(b []byte) {
			copy(b[52:467], bytes.Repeat([]byte{'a'}, 415))
		})},
		{"commands fixed bytes changed", withByte("copy_type8_msf", 30, 0)},
		{"commands slot 3 bytes after NUL", withByte("copy_type8_msf", 1047, 'x')},
		{"commands slot with LF", withByte("copy_type8_msf", 45, '\n')},
	}
	for _, tt := range tests {
		for _, d := range decoders {
			t.Run(tt.name+"/"+d.name, func(t *testing.T) {
				err := d.decode(tt.msg)
				if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrTooLong) && !errors.Is(err, ErrWrongType) && !errors.Is(err, ErrMalformed) {
					t.Errorf("%s(% x) error = %v, want a sentinel error", d.name, tt.msg, err)
				}
			})
		}
	}
}

// TestDecodeWrongType checks that a decoder given a well-formed message of
// another type says so with ErrWrongType, not a field error.
func TestDecodeWrongType(t *testing.T) {
	for _, name := range []string{"probe_type4", "config_type3_noreload", "image_type2_reload_now", "copy_type8_msf", "exec_type5_siet"} {
		msg := fixture(t, name)
		h, _ := DecodeHeader(msg)
		for _, d := range decoders {
			own := map[Type]string{TypeProbe: "DecodeProbe", TypeConfig: "DecodeConfig", TypeImageUpgrade: "DecodeImageUpgrade", TypeCommands: "DecodeCommands"}[h.Type]
			if own == d.name || (own == "DecodeCommands" && d.name == "DecodeBackup") {
				continue
			}
			t.Run(name+"/"+d.name, func(t *testing.T) {
				if err := d.decode(msg); !errors.Is(err, ErrWrongType) {
					t.Errorf("%s(%s) error = %v, want %v", d.name, name, err, ErrWrongType)
				}
			})
		}
	}
}

// TestReadMessage reads every fixture from a stream that hands out one byte
// per Read, as a slow TCP connection may.
func TestReadMessage(t *testing.T) {
	tests := []struct {
		fixture string
		want    Header
	}{
		{"probe_type4", Header{W0: 1, W1: 1, Type: TypeProbe, Length: 8}},
		{"client_reply_type3", Header{W0: 4, W1: 0, Type: TypeConfig, Length: 8}},
		{"probe_type3_len1", Header{W0: 1, W1: 1, Type: TypeConfig, Length: 1}},
		{"client_reply_type4", Header{W0: 4, W1: 0, Type: TypeProbe, Length: 4}},
		{"config_type3_noreload", Header{W0: 1, W1: 1, Type: TypeConfig, Length: 0x128}},
		{"config_type3_reload_0001", Header{W0: 1, W1: 1, Type: TypeConfig, Length: 0x128}},
		{"image_type2_reload_0130", Header{W0: 1, W1: 1, Type: TypeImageUpgrade, Length: 0x1c4}},
		{"image_type2_reload_now", Header{W0: 1, W1: 1, Type: TypeImageUpgrade, Length: 0x1c4}},
		{"copy_type8_msf", Header{W0: 1, W1: 1, Type: TypeCommands, Length: 0x408}},
		{"copy_type8_siet", Header{W0: 1, W1: 1, Type: TypeCommands, Length: 0x408}},
		{"exec_type5_siet", Header{W0: 2, W1: 1, Type: TypeExecFile, Length: 0x210}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			b := fixture(t, tt.fixture)
			m, err := ReadMessage(iotest.OneByteReader(bytes.NewReader(b)), MaxPayload)
			if err != nil {
				t.Fatalf("ReadMessage(%s) error %v", tt.fixture, err)
			}
			if m.Header != tt.want {
				t.Errorf("ReadMessage(%s).Header = %+v, want %+v", tt.fixture, m.Header, tt.want)
			}
			if !bytes.Equal(m.Raw, b) {
				t.Errorf("ReadMessage(%s).Raw = %x, want the fixture", tt.fixture, m.Raw)
			}
			if got, want := m.Header.FromClient(), tt.want.W0 == 4; got != want {
				t.Errorf("ReadMessage(%s).Header.FromClient() = %v, want %v", tt.fixture, got, want)
			}
		})
	}
}

// TestReadMessageSequence reads messages back to back from one stream: the
// reader must take exactly one message per call.
func TestReadMessageSequence(t *testing.T) {
	names := []string{"probe_type4", "config_type3_reload_0001", "client_reply_type4", "copy_type8_msf"}
	var stream []byte
	for _, n := range names {
		stream = append(stream, fixture(t, n)...)
	}
	r := iotest.HalfReader(bytes.NewReader(stream))
	for _, n := range names {
		m, err := ReadMessage(r, MaxPayload)
		if err != nil {
			t.Fatalf("ReadMessage() for %s error %v", n, err)
		}
		if !bytes.Equal(m.Raw, fixture(t, n)) {
			t.Errorf("ReadMessage() = %x, want %s", m.Raw, n)
		}
	}
	if m, err := ReadMessage(r, MaxPayload); err != io.EOF || len(m.Raw) != 0 {
		t.Errorf("ReadMessage() at the end = %x, %v, want nothing, io.EOF", m.Raw, err)
	}
}

// failAfter is a reader that fails the test if more than n bytes are asked
// for: it proves the reader does not try to read (or allocate) a payload it
// has refused.
type failAfter struct {
	t    *testing.T
	r    io.Reader
	left int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.left <= 0 {
		f.t.Errorf("ReadMessage read past the header of a refused message")
		return 0, io.ErrUnexpectedEOF
	}
	p = p[:min(len(p), f.left)]
	n, err := f.r.Read(p)
	f.left -= n
	return n, err
}

func TestReadMessageErrors(t *testing.T) {
	header := func(length uint32) []byte {
		b := fixture(t, "et_type8_header")
		binary.BigEndian.PutUint32(b[12:], length)
		return b
	}
	tests := []struct {
		name    string
		stream  []byte
		max     uint32
		wantErr error
		wantRaw []byte
	}{
		{"empty stream", nil, MaxPayload, io.EOF, nil},
		{"type 7 prefix", fixture(t, "et_type7_prefix"), MaxPayload, ErrTruncated, fixture(t, "et_type7_prefix")},
		{"header only", fixture(t, "et_type3_header"), MaxPayload, ErrTruncated, fixture(t, "et_type3_header")},
		{"payload cut short", fixture(t, "config_type3_noreload")[:200], MaxPayload, ErrTruncated, fixture(t, "config_type3_noreload")[:200]},
		{"length 4 GiB", header(0xffffffff), MaxPayload, ErrTooLong, header(0xffffffff)},
		{"one over the largest known", header(MaxPayload + 1), MaxPayload, ErrTooLong, header(MaxPayload + 1)},
		{"limit above MaxPayload is capped", header(MaxPayload + 1), 1 << 31, ErrTooLong, header(MaxPayload + 1)},
		{"type 8 over a reply limit", fixture(t, "copy_type8_msf"), MaxReplyPayload, ErrTooLong, fixture(t, "et_type8_header")},
		{"nmap Firebird header, body missing", fixture(t, "nmap_firebird_header"), MaxPayload, ErrTruncated, fixture(t, "nmap_firebird_header")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &failAfter{t: t, r: bytes.NewReader(tt.stream), left: HeaderSize + int(min(tt.max, MaxPayload))}
			m, err := ReadMessage(r, tt.max)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadMessage(%x) error = %v, want %v", tt.stream, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantRaw, m.Raw, cmp.Comparer(bytes.Equal)); diff != "" {
				t.Errorf("ReadMessage(%x).Raw mismatch (-want +got):\n%s", tt.stream, diff)
			}
		})
	}
}

// TestReadMessageGoSIETProbe: the 28-byte probe frames as our 24-byte probe
// followed by four bytes that are not a message.
func TestReadMessageGoSIETProbe(t *testing.T) {
	r := bytes.NewReader(goSIETProbe())
	m, err := ReadMessage(r, MaxPayload)
	if err != nil || !bytes.Equal(m.Raw, EncodeProbe()) {
		t.Fatalf("ReadMessage(28-byte probe) = %x, %v, want the 24-byte probe", m.Raw, err)
	}
	if _, err := ReadMessage(r, MaxPayload); !errors.Is(err, ErrTruncated) {
		t.Errorf("ReadMessage(last 4 bytes) error = %v, want %v", err, ErrTruncated)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestReadMessagePassesStreamErrors(t *testing.T) {
	boom := errors.New("connection reset by peer")
	if _, err := ReadMessage(errReader{boom}, MaxPayload); !errors.Is(err, boom) || errors.Is(err, io.EOF) {
		t.Errorf("ReadMessage(failing reader) error = %v, want %v", err, boom)
	}
	r := io.MultiReader(bytes.NewReader(fixture(t, "et_type3_header")), errReader{boom})
	if _, err := ReadMessage(r, MaxPayload); !errors.Is(err, boom) || errors.Is(err, ErrTruncated) {
		t.Errorf("ReadMessage(reader failing after the header) error = %v, want %v", err, boom)
	}
}

func TestDecodeHeaderShort(t *testing.T) {
	if _, err := DecodeHeader(fixture(t, "et_type7_prefix")); !errors.Is(err, ErrTruncated) {
		t.Errorf("DecodeHeader(type 7 prefix) error = %v, want %v", err, ErrTruncated)
	}
}
