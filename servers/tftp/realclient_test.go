package tftp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// realClient runs a TFTP client program installed on the machine (see
// scripts/install-test-deps.sh).
type realClient struct {
	name string
	// get and put return the command line that downloads remote to local
	// or uploads local as remote.
	get func(host string, port int, remote, local string) []string
	put func(host string, port int, local, remote string) []string
}

var (
	curlClient = realClient{
		name: "curl",
		get: func(h string, p int, remote, local string) []string {
			return []string{"curl", "-sS", "--fail", "-o", local, fmt.Sprintf("tftp://%s:%d/%s", h, p, remote)}
		},
		put: func(h string, p int, local, remote string) []string {
			return []string{"curl", "-sS", "--fail", "-T", local, fmt.Sprintf("tftp://%s:%d/%s", h, p, remote)}
		},
	}
	atftpClient = realClient{
		name: "atftp",
		get: func(h string, p int, remote, local string) []string {
			return []string{"atftp", "--get", "-r", remote, "-l", local, h, strconv.Itoa(p)}
		},
		put: func(h string, p int, local, remote string) []string {
			return []string{"atftp", "--put", "-l", local, "-r", remote, h, strconv.Itoa(p)}
		},
	}
	tftpHPAClient = realClient{
		name: "tftp-hpa",
		get: func(h string, p int, remote, local string) []string {
			return []string{"tftp", "-m", "binary", h, strconv.Itoa(p), "-c", "get", remote, local}
		},
		put: func(h string, p int, local, remote string) []string {
			return []string{"tftp", "-m", "binary", h, strconv.Itoa(p), "-c", "put", local, remote}
		},
	}
)

// needClient skips unless the client program (and curl's TFTP support) is
// there.
func needClient(t *testing.T, c realClient) {
	t.Helper()
	prog := map[string]string{"curl": "curl", "atftp": "atftp", "tftp-hpa": "tftp"}[c.name]
	if _, err := exec.LookPath(prog); err != nil {
		t.Skipf("skipped: %s is not installed (scripts/install-test-deps.sh installs it)", prog)
	}
	if c.name == "curl" {
		out, _ := exec.Command("curl", "-V").Output()
		if !strings.Contains(string(out), "tftp") {
			t.Skip("skipped: this curl is built without TFTP support")
		}
	}
	if c.name == "tftp-hpa" {
		out, _ := exec.Command("tftp", "-V").CombinedOutput()
		if !strings.Contains(string(out), "tftp-hpa") {
			t.Skipf("skipped: tftp is not the tftp-hpa client: %s", out)
		}
	}
}

func runClient(t *testing.T, args []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*60e9) // hang guard
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestRealClients(t *testing.T) {
	dir, uploads := t.TempDir(), t.TempDir()
	data := pattern(200_000, 21)
	writeFile(t, dir, "img.bin", data)
	ts := startServer(t, Config{Root: dir, Uploads: uploads})
	host, port := ts.addr.Addr().String(), int(ts.addr.Port())

	tests := []struct {
		client realClient
		extra  []string // options the client sends
	}{
		{client: curlClient},
		{client: curlClient, extra: []string{"--tftp-blksize", "1468"}},
		{client: curlClient, extra: []string{"--tftp-blksize", "65464"}},
		{client: curlClient, extra: []string{"--tftp-no-options"}},
		{client: atftpClient},
		{client: atftpClient, extra: []string{"--option", "blksize 1468", "--option", "tsize 0", "--option", "timeout 2"}},
		{client: tftpHPAClient},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%s %s", tc.client.name, strings.Join(tc.extra, " ")), func(t *testing.T) {
			needClient(t, tc.client)
			local := filepath.Join(t.TempDir(), "out.bin")
			args := tc.client.get(host, port, "img.bin", local)
			runClient(t, append(args[:1:1], append(tc.extra, args[1:]...)...))
			got, err := os.ReadFile(local)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s got %d bytes (%v), want the %d bytes of the file", tc.client.name, len(got), err, len(data))
			}

			remote := fmt.Sprintf("up-%d.bin", i)
			src := filepath.Join(t.TempDir(), "up.bin")
			if err := os.WriteFile(src, data[:77_777], 0o644); err != nil {
				t.Fatal(err)
			}
			args = tc.client.put(host, port, src, remote)
			runClient(t, append(args[:1:1], append(tc.extra, args[1:]...)...))
			got, err = os.ReadFile(filepath.Join(uploads, remote))
			if err != nil || !bytes.Equal(got, data[:77_777]) {
				t.Fatalf("%s uploaded %d bytes (%v), want 77777", tc.client.name, len(got), err)
			}
		})
	}
}

func TestRealClientNetascii(t *testing.T) {
	needClient(t, tftpHPAClient)
	dir := t.TempDir()
	text := []byte("hostname ap\ninterface Dot11Radio0\n ssid test\r\nend\n")
	writeFile(t, dir, "ap.cfg", text)
	ts := startServer(t, Config{Root: dir})
	local := filepath.Join(t.TempDir(), "ap.cfg")
	runClient(t, []string{"tftp", "-m", "netascii", ts.addr.Addr().String(), strconv.Itoa(int(ts.addr.Port())), "-c", "get", "ap.cfg", local})
	got, err := os.ReadFile(local)
	if err != nil || !bytes.Equal(got, text) {
		t.Errorf("tftp-hpa netascii get = %q (%v), want %q", got, err, text)
	}
}

// rolloverFile writes a 40 MB file in which every 512-byte block starts with
// its own number, so a block sent twice or skipped at the 65535 → 0 wrap
// changes the checksum.
func rolloverFile(t *testing.T, dir string) (string, [32]byte) {
	t.Helper()
	const size = 40 << 20
	b := pattern(size, 40)
	for i := 0; i < size; i += 512 {
		binary.BigEndian.PutUint32(b[i:], uint32(i/512))
	}
	p := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return "big.bin", sha256.Sum256(b)
}

func fileSum(t *testing.T, p string) [32]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// TestRollover40MB: 40 MB at 512-byte blocks is 81920 blocks, past the
// 16-bit block number.
func TestRollover40MB(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: moves 40 MB per client")
	}
	dir := t.TempDir()
	name, sum := rolloverFile(t, dir)
	ts := startServer(t, Config{Root: dir})
	host, port := ts.addr.Addr().String(), int(ts.addr.Port())

	for _, c := range []realClient{curlClient, atftpClient, tftpHPAClient} {
		t.Run(c.name, func(t *testing.T) {
			needClient(t, c)
			local := filepath.Join(t.TempDir(), "big.bin")
			args := c.get(host, port, name, local)
			if c.name == "curl" {
				args = append(args[:1:1], append([]string{"--tftp-blksize", "512"}, args[1:]...)...)
			}
			runClient(t, args)
			if got := fileSum(t, local); got != sum {
				t.Errorf("%s: sha256 of the 40 MB download = %x, want %x", c.name, got, sum)
			}
		})
	}
	t.Run("devsim", func(t *testing.T) {
		h := sha256.New()
		res, err := ts.client(t).Get(testContext(t), name, h)
		if err != nil {
			t.Fatalf("Get(%s) = %v", name, err)
		}
		if got := h.Sum(nil); !bytes.Equal(got, sum[:]) || res.Blocks != 40<<20/512+1 {
			t.Errorf("devsim: %d blocks, sha256 %x; want %d blocks, %x", res.Blocks, got, 40<<20/512+1, sum)
		}
	})
}
