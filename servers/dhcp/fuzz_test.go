package dhcp

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzHandle feeds arbitrary bytes down the request path the way Serve
// does: parse, then the decision chain. Whatever arrives, the server must
// not panic, must only hand out addresses of its pools, and must never have
// one address bound to two clients.
func FuzzHandle(f *testing.F) {
	for _, seed := range seedPackets(f) {
		f.Add(seed)
	}
	cfg := testConfig()
	cfg.Pools = append(cfg.Pools, Pool{Network: netip.MustParsePrefix("10.89.0.0/24"),
		Start: netip.MustParseAddr("10.89.0.10"), End: netip.MustParseAddr("10.89.0.12")})
	srv, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := dhcpv4.FromBytes(data)
		if err != nil {
			return
		}
		resp := srv.Handle(req)
		if resp != nil {
			if y := ipOf(resp.YourIPAddr); y.IsValid() && srv.poolContaining(y) == nil {
				t.Fatalf("reply hands out %v, outside every pool", y)
			}
			_ = resp.ToBytes()
			_ = srv.replyAddr(req, resp)
		}
		srv.mu.Lock()
		defer srv.mu.Unlock()
		for k, a := range srv.byMAC {
			if l := srv.leases[a]; l == nil || string(l.MAC) != k {
				t.Fatalf("MAC index points %x at %v, which is not that client's", k, a)
			}
		}
		for _, l := range srv.leases {
			if srv.poolContaining(l.Addr) == nil {
				t.Fatalf("lease for %v outside every pool", l.Addr)
			}
		}
	})
}

// FuzzDecodeVendorInfo checks that whatever option 125 decodes to encodes
// back to the same bytes.
func FuzzDecodeVendorInfo(f *testing.F) {
	f.Add([]byte{0, 0, 0, 9, 7, 5, 5, 'a', '.', 't', 'x', 't'})
	f.Add([]byte{0, 0, 0, 9, 0x0a, 5, 5, 'a', '.', 't', 'x', 't'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeVendorInfo(data)
		if err != nil {
			return
		}
		back, err := EncodeVendorInfo(v)
		if err != nil {
			t.Fatalf("EncodeVendorInfo(DecodeVendorInfo(%x)) = %v", data, err)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("round trip of %x = %x", data, back)
		}
	})
}

// seedPackets are requests of every kind, plus a few broken ones.
func seedPackets(tb testing.TB) [][]byte {
	m := mac(1)
	cid := dhcpv4.WithOption(dhcpv4.OptClientIdentifier(append([]byte{0}, "cisco-0011.2233.0001-Vl1"...)))
	d, _ := dhcpv4.NewDiscovery(m, ciscoPRL(), cid)
	relayed, _ := dhcpv4.NewDiscovery(m, dhcpv4.WithGatewayIP(ip("10.89.0.1")))
	req, _ := dhcpv4.New(dhcpv4.WithHwAddr(m), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip("10.88.0.100"))), dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip("10.88.0.1"))))
	renew, _ := dhcpv4.New(dhcpv4.WithHwAddr(m), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithClientIP(ip("10.88.0.100")))
	rel, _ := dhcpv4.New(dhcpv4.WithHwAddr(m), dhcpv4.WithMessageType(dhcpv4.MessageTypeRelease), dhcpv4.WithClientIP(ip("10.88.0.100")))
	dec, _ := dhcpv4.New(dhcpv4.WithHwAddr(m), dhcpv4.WithMessageType(dhcpv4.MessageTypeDecline),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip("10.88.0.100"))))
	inf, _ := dhcpv4.NewInform(m, ip("10.88.0.30"))
	out := [][]byte{d.ToBytes(), relayed.ToBytes(), req.ToBytes(), renew.ToBytes(), rel.ToBytes(), dec.ToBytes(), inf.ToBytes()}
	trunc := d.ToBytes()[:250]
	badLen := append([]byte(nil), d.ToBytes()...)
	badLen[241] = 200 // option 53 claims 200 bytes
	return append(out, trunc, badLen, nil)
}

// TestWriteFuzzSeeds refreshes testdata/fuzz/FuzzHandle from seedPackets
// when FCDHCP_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("FCDHCP_WRITE_SEEDS") == "" {
		t.Skip("set FCDHCP_WRITE_SEEDS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzHandle")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, p := range seedPackets(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", p)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
