package smi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixture reads testdata/fixtures/<name>.hex (see testdata/README.md).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "fixtures", name+".hex"))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(text)), ""))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return b
}

// fixtureTable is §12 of the protocol note: name, size and SHA-256 as the note
// gives them (the last five hashes were computed from the note's hex, which
// gives no hash for them).
var fixtureTable = []struct {
	name   string
	size   int
	sha256 string
}{
	{"probe_type4", 24, "b54520be3d454f6926b094aac799ac345c08ee7c09ec7f3d03a90c6ea7e3bc38"},
	{"client_reply_type3", 24, "b3fd56012fbbf14477213407d944a430ee33d6c261230bf082848e09f2e6418c"},
	{"probe_type3_len1", 17, "126b83d9e57bb1b47b2bab7001477d4d571294186555bd4871d3c2e7a7e6a574"},
	{"client_reply_type4", 20, "428c64077bffa613615b081e93324cfed589c58aacf1c3b69fe6f07b942c5f0c"},
	{"config_type3_noreload", 312, "98a8ff845663b653849e5a30f9acc6a69f0f99519a9aa58014430e0e63dd76e5"},
	{"config_type3_reload_0001", 312, "2006f2a63ae7edd7badcc1472d44795cf93dc5bd42da9dc5cb83eb20c09a6eec"},
	{"image_type2_reload_0130", 468, "604b674be27a6df262c4b689ac4dfc9d3fe44c269fd5f6a02719bc78882cf1b3"},
	{"image_type2_reload_now", 468, "7ef84de1c17316d037c62c4b44f4a1c5b3ec581cece500eccf79cfc42b728f69"},
	{"copy_type8_msf", 1048, "30b4462fec469491e17dc83ccaf739cdaa14851e1c5b893c5b33b503edd5cb8a"},
	{"copy_type8_siet", 1048, "8a98944aba5d1ac3f121c10fd8e7c239af92ab24d5ee17f6a7220462b509c943"},
	{"exec_type5_siet", 544, "7f9135d65697e7194ed33ea0bbdc2245d493e164040996f5b1700faa33a7b574"},
	{"et_type2_header", 16, "03b1062c927c086dd76d0e780d45feb82f7049c658f8bf59916a5473830f154b"},
	{"et_type3_header", 16, "712ce343ee867daf3aef8682990e7418e30c657783366a33eef572a2b206aef0"},
	{"et_type8_header", 16, "6b1cd2af3e29409d6f63fdae70d33781522113b52c28f930fcbdbfd3b90e88bf"},
	{"et_type7_prefix", 12, "7efda5080076959f10b686cad323ceefb1f39e7084d1ab42812e90400339f955"},
	{"nmap_firebird_header", 16, "45f57336f5b0e3f015db432ed82a5d4e1c884d526a4d0a6425281ffa34476522"},
}

// TestFixtures checks that every fixture file is the note's bytes and that
// every complete message obeys the length rule (total = 16 + length word).
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fixtures", "*.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(fixtureTable) {
		t.Errorf("testdata/fixtures holds %d files, the table lists %d", len(files), len(fixtureTable))
	}
	for _, f := range fixtureTable {
		t.Run(f.name, func(t *testing.T) {
			b := fixture(t, f.name)
			if len(b) != f.size {
				t.Errorf("len(%s) = %d, want %d", f.name, len(b), f.size)
			}
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != f.sha256 {
				t.Errorf("sha256(%s) = %s, want %s", f.name, got, f.sha256)
			}
			if len(b) <= HeaderSize {
				return // header-only fixtures
			}
			h, err := DecodeHeader(b)
			if err != nil {
				t.Fatalf("DecodeHeader(%s) error %v", f.name, err)
			}
			if int(h.Length) != len(b)-HeaderSize {
				t.Errorf("DecodeHeader(%s).Length = %d, want %d", f.name, h.Length, len(b)-HeaderSize)
			}
		})
	}
}

var laptop = netip.MustParseAddr("192.0.2.10")

func mustURL(t testing.TB, s string) TFTPURL {
	t.Helper()
	u, err := ParseTFTPURL(s)
	if err != nil {
		t.Fatalf("ParseTFTPURL(%q) error %v", s, err)
	}
	return u
}

// TestEncodeFixtures builds each message fieldcon sends from its request and
// compares it byte for byte (and by the note's SHA-256) with the fixture.
func TestEncodeFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		encode  func() ([]byte, error)
	}{
		{"probe_type4", func() ([]byte, error) { return EncodeProbe(), nil }},
		{"client_reply_type3", func() ([]byte, error) { return ClientReply(), nil }},
		{"client_reply_type4", func() ([]byte, error) { return RejectReply(), nil }},
		{"config_type3_noreload", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: laptop, Path: "random_file"}})
		}},
		{"config_type3_reload_0001", func() ([]byte, error) {
			return EncodeConfig(ConfigRequest{URL: TFTPURL{Server: laptop, Path: "conf/192.0.2.20.conf"}, Reload: ReloadTime{0, 1}})
		}},
		{"image_type2_reload_0130", func() ([]byte, error) {
			return EncodeImageUpgrade(ImageRequest{ImageListURL: TFTPURL{Server: laptop, Path: "tar_imglist0.txt"}, Reload: ReloadTime{1, 30}})
		}},
		{"image_type2_reload_now", func() ([]byte, error) {
			return EncodeImageUpgrade(ImageRequest{ImageListURL: TFTPURL{Server: laptop, Path: "tar_imglist0.txt"}, Immediate: true})
		}},
		{"copy_type8_msf", func() ([]byte, error) {
			return EncodeBackup(BackupRequest{URL: TFTPURL{Server: laptop, Path: "AbCdEfGh"}})
		}},
	}
	sums := map[string]string{}
	for _, f := range fixtureTable {
		sums[f.name] = f.sha256
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := tt.encode()
			if err != nil {
				t.Fatalf("encode error %v", err)
			}
			want := fixture(t, tt.fixture)
			if diff := cmp.Diff(hexLines(want), hexLines(got)); diff != "" {
				t.Errorf("encode = %d bytes, want %s (%d bytes); hex diff (-want +got):\n%s", len(got), tt.fixture, len(want), diff)
			}
			sum := sha256.Sum256(got)
			if h := hex.EncodeToString(sum[:]); h != sums[tt.fixture] {
				t.Errorf("sha256(encode) = %s, want %s", h, sums[tt.fixture])
			}
		})
	}
}

// TestEncodeHeadersMatchSignatures checks the headers of our type 2, 3 and 8
// messages against the ET signatures (S9), which were written from traffic.
func TestEncodeHeadersMatchSignatures(t *testing.T) {
	cfg, err := EncodeConfig(ConfigRequest{URL: TFTPURL{Server: laptop, Path: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := EncodeImageUpgrade(ImageRequest{ImageListURL: TFTPURL{Server: laptop, Path: "x"}, Immediate: true})
	if err != nil {
		t.Fatal(err)
	}
	bak, err := EncodeBackup(BackupRequest{URL: TFTPURL{Server: laptop, Path: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		fixture string
		msg     []byte
	}{
		{"et_type2_header", img},
		{"et_type3_header", cfg},
		{"et_type8_header", bak},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			if got, want := hex.EncodeToString(tt.msg[:HeaderSize]), hex.EncodeToString(fixture(t, tt.fixture)); got != want {
				t.Errorf("header = %s, want %s", got, want)
			}
		})
	}
}

// hexLines renders b as 32 bytes of hex per line, so a diff points at the
// offset that differs.
func hexLines(b []byte) []string {
	var lines []string
	for len(b) > 0 {
		n := min(32, len(b))
		lines = append(lines, hex.EncodeToString(b[:n]))
		b = b[n:]
	}
	return lines
}

// TestDecodeFixtures decodes every director message fixture, checks the
// fields at the note's offsets and re-encodes it to the same bytes.
func TestDecodeFixtures(t *testing.T) {
	t.Run("probe_type4", func(t *testing.T) {
		if err := DecodeProbe(fixture(t, "probe_type4")); err != nil {
			t.Errorf("DecodeProbe(probe_type4) error %v", err)
		}
	})
	configs := []struct {
		fixture string
		want    ConfigRequest
	}{
		{"config_type3_noreload", ConfigRequest{URL: mustURL(t, "tftp://192.0.2.10/random_file")}},
		{"config_type3_reload_0001", ConfigRequest{URL: mustURL(t, "tftp://192.0.2.10/conf/192.0.2.20.conf"), Reload: ReloadTime{0, 1}}},
	}
	for _, tt := range configs {
		t.Run(tt.fixture, func(t *testing.T) {
			b := fixture(t, tt.fixture)
			got, err := DecodeConfig(b)
			if err != nil {
				t.Fatalf("DecodeConfig(%s) error %v", tt.fixture, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpAddr); diff != "" {
				t.Errorf("DecodeConfig(%s) mismatch (-want +got):\n%s", tt.fixture, diff)
			}
			again, err := EncodeConfig(got)
			if err != nil || string(again) != string(b) {
				t.Errorf("EncodeConfig(DecodeConfig(%s)) = %x, %v, want the fixture", tt.fixture, again, err)
			}
		})
	}
	images := []struct {
		fixture string
		want    ImageRequest
	}{
		{"image_type2_reload_0130", ImageRequest{ImageListURL: mustURL(t, "tftp://192.0.2.10/tar_imglist0.txt"), Reload: ReloadTime{1, 30}}},
		{"image_type2_reload_now", ImageRequest{ImageListURL: mustURL(t, "tftp://192.0.2.10/tar_imglist0.txt"), Immediate: true}},
	}
	for _, tt := range images {
		t.Run(tt.fixture, func(t *testing.T) {
			b := fixture(t, tt.fixture)
			got, err := DecodeImageUpgrade(b)
			if err != nil {
				t.Fatalf("DecodeImageUpgrade(%s) error %v", tt.fixture, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpAddr); diff != "" {
				t.Errorf("DecodeImageUpgrade(%s) mismatch (-want +got):\n%s", tt.fixture, diff)
			}
			again, err := EncodeImageUpgrade(got)
			if err != nil || string(again) != string(b) {
				t.Errorf("EncodeImageUpgrade(DecodeImageUpgrade(%s)) = %x, %v, want the fixture", tt.fixture, again, err)
			}
		})
	}
	t.Run("copy_type8_msf", func(t *testing.T) {
		b := fixture(t, "copy_type8_msf")
		c, err := DecodeCommands(b)
		if err != nil {
			t.Fatalf("DecodeCommands(copy_type8_msf) error %v", err)
		}
		want := Commands{"copy system:running-config tftp://192.0.2.10/AbCdEfGh", "", ""}
		if c != want {
			t.Errorf("DecodeCommands(copy_type8_msf) = %q, want %q", c, want)
		}
		r, err := DecodeBackup(b)
		if err != nil {
			t.Fatalf("DecodeBackup(copy_type8_msf) error %v", err)
		}
		if diff := cmp.Diff(BackupRequest{URL: mustURL(t, "tftp://192.0.2.10/AbCdEfGh")}, r, cmpAddr); diff != "" {
			t.Errorf("DecodeBackup(copy_type8_msf) mismatch (-want +got):\n%s", diff)
		}
		again, err := EncodeBackup(r)
		if err != nil || string(again) != string(b) {
			t.Errorf("EncodeBackup(DecodeBackup(copy_type8_msf)) = %x, %v, want the fixture", again, err)
		}
	})
	t.Run("copy_type8_siet", func(t *testing.T) {
		b := fixture(t, "copy_type8_siet")
		c, err := DecodeCommands(b)
		if err != nil {
			t.Fatalf("DecodeCommands(copy_type8_siet) error %v", err)
		}
		want := Commands{
			"copy system:running-config flash:/config.text",
			"copy flash:/config.text tftp://192.0.2.10/192.0.2.20.conf",
			"",
		}
		if c != want {
			t.Errorf("DecodeCommands(copy_type8_siet) = %q, want %q", c, want)
		}
		if _, err := DecodeBackup(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeBackup(copy_type8_siet) error %v, want %v: the two-command form overwrites flash:/config.text and is never ours", err, ErrMalformed)
		}
	})
}

var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
