package dhcp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeVendorInfo(t *testing.T) {
	long := strings.Repeat("x", 260)
	tests := []struct {
		name   string
		blocks []VendorInfo
		want   string // hex
	}{
		// The worked example of the Smart Install digest, section 2.3.
		{"smart install example", []VendorInfo{CiscoSmartInstall("imagelist.txt", netip.MustParseAddr("192.168.1.1"))},
			"00000009 15 05 0d 696d6167656c6973742e747874 10 04 c0a80101"},
		// FreeZTP hard-coded the data length to 0x0a; it must follow the name.
		{"image list only, short", []VendorInfo{CiscoSmartInstall("a.txt", netip.Addr{})}, "00000009 07 05 05 612e747874"},
		{"image list only, long", []VendorInfo{CiscoSmartInstall("c2960x-universalk9-tar.list", netip.Addr{})},
			"00000009 1d 05 1b 6332393630782d756e6976657273616c6b392d7461722e6c697374"},
		{"two enterprises", []VendorInfo{
			{Enterprise: 9, SubOptions: []SubOption{{Code: 16, Data: []byte{10, 0, 0, 1}}}},
			{Enterprise: 3561, SubOptions: []SubOption{{Code: 1, Data: []byte("ab")}, {Code: 2, Data: nil}}},
		}, "00000009 06 10 04 0a000001  00000de9 06 01 02 6162 02 00"},
		{"empty enterprise", []VendorInfo{{Enterprise: 9}}, "00000009 00"},
		{"largest block", []VendorInfo{{Enterprise: 9, SubOptions: []SubOption{{Code: 5, Data: []byte(long[:253])}}}},
			"00000009 ff 05 fd " + hex.EncodeToString([]byte(long[:253]))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeVendorInfo(tt.blocks)
			if err != nil {
				t.Fatalf("EncodeVendorInfo() = %v", err)
			}
			if want := mustHex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("EncodeVendorInfo() = % x, want % x", got, want)
			}
			back, err := DecodeVendorInfo(got)
			if err != nil {
				t.Fatalf("DecodeVendorInfo(EncodeVendorInfo()) = %v", err)
			}
			if diff := cmp.Diff(normalize(tt.blocks), normalize(back)); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// normalize makes nil and empty sub-option data compare equal.
func normalize(v []VendorInfo) []VendorInfo {
	out := make([]VendorInfo, len(v))
	for i, b := range v {
		out[i].Enterprise = b.Enterprise
		for _, s := range b.SubOptions {
			out[i].SubOptions = append(out[i].SubOptions, SubOption{Code: s.Code, Data: append([]byte{}, s.Data...)})
		}
	}
	return out
}

func TestEncodeVendorInfoRefusesWhatDoesNotFit(t *testing.T) {
	tests := []struct {
		name   string
		blocks []VendorInfo
	}{
		{"sub-option over 255", []VendorInfo{{Enterprise: 9, SubOptions: []SubOption{{Code: 5, Data: make([]byte, 256)}}}}},
		{"block over 255", []VendorInfo{{Enterprise: 9, SubOptions: []SubOption{{Code: 5, Data: make([]byte, 254)}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := EncodeVendorInfo(tt.blocks); !errors.Is(err, ErrOption) {
				t.Errorf("EncodeVendorInfo() = %x, %v, want ErrOption", got, err)
			}
		})
	}
}

func TestDecodeVendorInfoRejectsBadLengths(t *testing.T) {
	tests := map[string]string{
		"data length past the end":       "00000009 0a 05 05 612e747874", // FreeZTP's 0x0a
		"sub-option length past the end": "00000009 07 05 09 612e747874",
		"truncated enterprise":           "000000",
		"half a sub-option header":       "00000009 01 05",
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			if got, err := DecodeVendorInfo(mustHex(t, h)); !errors.Is(err, ErrOption) {
				t.Errorf("DecodeVendorInfo(%s) = %v, %v, want ErrOption", h, got, err)
			}
		})
	}
}

func TestIPs(t *testing.T) {
	addrs := []netip.Addr{netip.MustParseAddr("10.88.0.1"), netip.MustParseAddr("192.168.1.254")}
	b := EncodeIPs(addrs)
	if want := mustHex(t, "0a580001 c0a801fe"); !bytes.Equal(b, want) {
		t.Errorf("EncodeIPs() = % x, want % x", b, want)
	}
	back, err := DecodeIPs(b)
	if err != nil || !cmp.Equal(back, addrs, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })) {
		t.Errorf("DecodeIPs(EncodeIPs()) = %v, %v, want %v", back, err, addrs)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, {1, 2, 3, 4, 5}} {
		if _, err := DecodeIPs(bad); !errors.Is(err, ErrOption) {
			t.Errorf("DecodeIPs(%x) = %v, want ErrOption", bad, err)
		}
	}
}

func TestPnPVendorSpecific(t *testing.T) {
	b := PnPVendorSpecific("10.88.0.1", 8080)
	if string(b) != "5A1N;B2;K4;I10.88.0.1;J8080" {
		t.Errorf("PnPVendorSpecific() = %q", b)
	}
	host, port, err := ParsePnPVendorSpecific(b)
	if err != nil || host != "10.88.0.1" || port != 8080 {
		t.Errorf("ParsePnPVendorSpecific() = %q, %d, %v, want 10.88.0.1, 8080", host, port, err)
	}
	for _, bad := range []string{"hello", "5A1N;B2;K4;J80", "5A1N;I1.2.3.4;Jx"} {
		if _, _, err := ParsePnPVendorSpecific([]byte(bad)); err == nil {
			t.Errorf("ParsePnPVendorSpecific(%q) = nil error", bad)
		}
	}
}

func TestWLCVendorSpecific(t *testing.T) {
	// The example of Cisco's option 43 appendix (field notes 2(d)).
	got := WLCVendorSpecific([]netip.Addr{netip.MustParseAddr("10.126.126.2"), netip.MustParseAddr("10.127.127.2")})
	if want := mustHex(t, "f1080a7e7e020a7f7f02"); !bytes.Equal(got, want) {
		t.Errorf("WLCVendorSpecific() = %x, want %x", got, want)
	}
}

func TestParseRawOption(t *testing.T) {
	tests := []struct {
		in   string
		code uint8
		val  string
		ok   bool
	}{
		{"150=0a580001", 150, "0a580001", true},
		{"43=f1:08:0a:7e:7e:02:0a:7f:7f:02", 43, "f1080a7e7e020a7f7f02", true},
		{"200=0xdead", 200, "dead", true},
		{"0=00", 0, "", false},
		{"255=00", 0, "", false},
		{"150", 0, "", false},
		{"150=xyz", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			code, val, err := ParseRawOption(tt.in)
			if (err == nil) != tt.ok || code != tt.code || hex.EncodeToString(val) != tt.val {
				t.Errorf("ParseRawOption(%q) = %d, %x, %v, want %d, %s, ok %v", tt.in, code, val, err, tt.code, tt.val, tt.ok)
			}
		})
	}
}

func TestClientIDString(t *testing.T) {
	tests := map[string]struct {
		in   []byte
		want string
	}{
		"ios":      {append([]byte{0}, "cisco-0011.2233.4455-Vl1"...), "cisco-0011.2233.4455-Vl1"},
		"ethernet": {[]byte{1, 0, 0x11, 0x22, 0x33, 0x44, 0x55}, "01:00:11:22:33:44:55"},
		"binary":   {[]byte{0xff, 0x00, 0x01}, "ff0001"},
	}
	for name, tt := range tests {
		if got := clientIDString(tt.in); got != tt.want {
			t.Errorf("%s: clientIDString(%x) = %q, want %q", name, tt.in, got, tt.want)
		}
	}
}

func TestParseProcRoute(t *testing.T) {
	const table = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	0101A8C0	0003	0	0	100	00000000	0	0	0
eth0	0001A8C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
eth1	0000580A	00000000	0001	0	0	0	00FFFFFF	0	0	0
`
	if got := parseProcRoute(strings.NewReader(table)); !cmp.Equal(got, []string{"eth0"}) {
		t.Errorf("parseProcRoute() = %v, want [eth0]", got)
	}
}

func TestStores(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bs, err := NewBoltStore(db)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	leases := []Lease{
		{Addr: netip.MustParseAddr("10.88.0.101"), MAC: mac(1), ClientID: []byte("\x00cisco-x-Vl1"), Hostname: "sw1",
			VendorClass: "cisco", State: Bound, Expires: when.Add(time.Hour), Updated: when},
		{Addr: netip.MustParseAddr("10.88.0.100"), MAC: mac(2), State: Declined, Expires: when, Updated: when},
	}
	for name, st := range map[string]Store{"bolt": bs, "memory": NewMemStore()} {
		t.Run(name, func(t *testing.T) {
			if err := st.Save(leases); err != nil {
				t.Fatal(err)
			}
			changed := leases[0]
			changed.State = Released
			if err := st.Save([]Lease{changed}); err != nil {
				t.Fatal(err)
			}
			got, err := st.Leases()
			if err != nil {
				t.Fatal(err)
			}
			want := []Lease{leases[1], changed}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("Leases() (-want +got):\n%s", diff)
			}
		})
	}
}
