package dhcp

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writePcap wraps DHCP payloads in Ethernet/IPv4/UDP (67 -> 68, broadcast)
// and writes a classic pcap file for tshark.
func writePcap(t *testing.T, path string, payloads ...[]byte) {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	b.Write(hdr)
	for i, p := range payloads {
		udp := make([]byte, 8, 8+len(p))
		binary.BigEndian.PutUint16(udp[0:], 67)
		binary.BigEndian.PutUint16(udp[2:], 68)
		binary.BigEndian.PutUint16(udp[4:], uint16(8+len(p)))
		udp = append(udp, p...)
		ipv4 := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 88, 0, 1, 255, 255, 255, 255}
		binary.BigEndian.PutUint16(ipv4[2:], uint16(20+len(udp)))
		var sum uint32
		for j := 0; j < 20; j += 2 {
			sum += uint32(binary.BigEndian.Uint16(ipv4[j:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ipv4[10:], ^uint16(sum))
		frame := append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0xfc, 0, 0, 0, 1, 0x08, 0x00}, ipv4...)
		frame = append(frame, udp...)
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(1000+i))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		b.Write(rec)
		b.Write(frame)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tsharkFields runs tshark's dissector over the capture and returns, per
// packet, the requested fields.
func tsharkFields(t *testing.T, pcap string, fields ...string) [][]string {
	t.Helper()
	args := []string{"-r", pcap, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command("tshark", args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		rows = append(rows, strings.Split(line, "|"))
	}
	return rows
}

// TestTsharkDecodesOurReplies checks the server's OFFER and ACK with an
// independent decoder: Wireshark's DHCP dissector must find every option
// with the length and value the technician configured, and nothing
// malformed.
func TestTsharkDecodesOurReplies(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed (scripts/install-test-deps.sh installs it)")
	}
	f := newFixture(t, testConfig())
	offer, ack := f.dora(t, mac(1), ciscoPRL())
	pcap := filepath.Join(t.TempDir(), "replies.pcap")
	writePcap(t, pcap, offer.ToBytes(), ack.ToBytes())
	fields := []string{
		"dhcp.option.dhcp", "dhcp.ip.your",
		"dhcp.option.tftp_server_name", "dhcp.option.bootfile_name", "dhcp.option.tftp_server_address",
		"dhcp.option.vi.enterprise", "dhcp.option.vi.length", "dhcp.vendor.suboption", "dhcp.option.suboption_length", "dhcp.vendor.data",
		"dhcp.option.type", "dhcp.option.length", "_ws.malformed", "_ws.expert.severity",
	}
	rows := tsharkFields(t, pcap, fields...)
	if len(rows) != 2 {
		t.Fatalf("tshark decoded %d packets, want 2: %q", len(rows), rows)
	}
	for i, want := range []string{"2", "5"} {
		got := map[string]string{}
		for j, f := range fields {
			if j < len(rows[i]) {
				got[f] = rows[i][j]
			}
		}
		checks := map[string]string{
			"dhcp.option.dhcp":                want,
			"dhcp.ip.your":                    "10.88.0.100",
			"dhcp.option.tftp_server_name":    "10.88.0.1",
			"dhcp.option.bootfile_name":       "network-confg",
			"dhcp.option.tftp_server_address": "10.88.0.1,10.88.0.2",
			"dhcp.option.vi.enterprise":       "9",
			"dhcp.option.vi.length":           "21",
			"_ws.malformed":                   "",
		}
		for f, v := range checks {
			if got[f] != v {
				t.Errorf("packet %d: tshark %s = %q, want %q", i+1, f, got[f], v)
			}
		}
		// The sub-options, as tshark splits them: 5 = the image list name
		// (13 bytes), 16 = the director (4 bytes).
		sub := map[string]string{
			"dhcp.vendor.suboption":        "5,16",
			"dhcp.option.suboption_length": "13,4",
			"dhcp.vendor.data":             "696d6167656c6973742e747874,0a580001",
		}
		for f, v := range sub {
			if got[f] != v {
				t.Errorf("packet %d: tshark %s = %q, want %q", i+1, f, got[f], v)
			}
		}
		// Option lengths as the dissector read them, per option type.
		types := strings.Split(got["dhcp.option.type"], ",")
		lens := strings.Split(got["dhcp.option.length"], ",")
		wantLen := map[string]string{"66": "9", "67": "13", "150": "8", "125": "26", "1": "4", "51": "4", "54": "4"}
		byType := map[string]string{}
		for k, ty := range types {
			if k < len(lens) {
				byType[ty] = lens[k]
			}
		}
		for ty, l := range wantLen {
			if byType[ty] != l {
				t.Errorf("packet %d: tshark option %s length = %q, want %s (all: %v / %v)", i+1, ty, byType[ty], l, types, lens)
			}
		}
		if strings.Contains(got["_ws.expert.severity"], "8388608") { // PI_ERROR
			t.Errorf("packet %d: tshark reports errors: %q", i+1, got["_ws.expert.severity"])
		}
	}
}
