package tftp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fieldcon/internal/devsim"
	"fieldcon/servers"
)

// testServer is a Server on a loopback port with its events recorded.
type testServer struct {
	t      *testing.T
	addr   netip.AddrPort
	conn   net.PacketConn
	cancel context.CancelFunc
	done   chan error

	mu     sync.Mutex
	events []servers.Event
	notify chan struct{}
}

// startServer serves cfg on 127.0.0.1 until the test ends.
func startServer(t *testing.T, cfg Config, opts ...Option) *testServer {
	t.Helper()
	ts := newTestServer(t)
	srv, err := New(cfg, append([]Option{WithHook(ts.record)}, opts...)...)
	if err != nil {
		t.Fatalf("New(%+v) = %v", cfg, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		cancel()
		t.Fatalf("Listen = %v", err)
	}
	ts.serve(ctx, cancel, srv, conn, conn.LocalAddr().(*net.UDPAddr).AddrPort())
	return ts
}

func newTestServer(t *testing.T) *testServer {
	return &testServer{t: t, notify: make(chan struct{}, 1), done: make(chan error, 1)}
}

// record is the server's hook: it keeps every event and wakes waiters.
func (ts *testServer) record(e servers.Event) {
	ts.mu.Lock()
	ts.events = append(ts.events, e)
	ts.mu.Unlock()
	select {
	case ts.notify <- struct{}{}:
	default:
	}
}

// serve runs srv on conn (reached at addr) until cancel or the test's end.
func (ts *testServer) serve(ctx context.Context, cancel context.CancelFunc, srv *Server, conn net.PacketConn, addr netip.AddrPort) {
	ts.conn, ts.cancel, ts.addr = conn, cancel, addr
	go func() { ts.done <- srv.Serve(ctx, conn) }()
	ts.t.Cleanup(func() { ts.stop(); conn.Close() })
}

// stop cancels Serve and waits for it.
func (ts *testServer) stop() error {
	if ts.cancel == nil {
		return nil
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case err := <-ts.done:
		return err
	case <-time.After(30 * time.Second): // hang guard
		ts.t.Fatal("Serve did not return after its context was cancelled")
		return nil
	}
}

// waitEvent waits for the first event that satisfies match.
func (ts *testServer) waitEvent(ctx context.Context, match func(servers.Event) bool) (servers.Event, error) {
	seen := 0
	for {
		ts.mu.Lock()
		evs := ts.events[seen:]
		seen = len(ts.events)
		ts.mu.Unlock()
		for _, e := range evs {
			if match(e) {
				return e, nil
			}
		}
		select {
		case <-ts.notify:
		case <-ctx.Done():
			return servers.Event{}, fmt.Errorf("no such event among %d: %w", seen, ctx.Err())
		}
	}
}

// waitFor waits until cond holds, checking after each event.
func (ts *testServer) waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ts.notify:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (ts *testServer) eventsOf(k servers.Kind) []servers.Event {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var out []servers.Event
	for _, e := range ts.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func kind(k servers.Kind) func(servers.Event) bool {
	return func(e servers.Event) bool { return e.Kind == k }
}

// client returns a devsim client on its own loopback socket.
func (ts *testServer) client(t *testing.T) *devsim.TFTPClient {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &devsim.TFTPClient{Conn: c, Server: ts.addr, Retransmit: 200 * time.Millisecond}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	t.Cleanup(cancel)
	return ctx
}

// pattern returns n bytes that differ from block to block, so a lost or
// repeated block shows.
func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGet(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, n := range []int{0, 1, 511, 512, 513, 1468 * 3, 100_000} {
		name := fmt.Sprintf("f%d.bin", n)
		files[name] = pattern(n, uint64(n))
		writeFile(t, dir, name, files[name])
	}
	writeFile(t, dir, "sub/dir/image.bin", pattern(5000, 1))
	files["sub/dir/image.bin"] = pattern(5000, 1)
	ts := startServer(t, Config{Root: dir, BlockSizeMax: 8192})

	tests := []struct {
		name     string
		file     string
		blksize  int
		tsize    bool
		timeout  int
		wantOpts map[string]string
	}{
		{name: "empty", file: "f0.bin"},
		{name: "one byte", file: "f1.bin"},
		{name: "one short of a block", file: "f511.bin"},
		{name: "exactly one block", file: "f512.bin"},
		{name: "one over a block", file: "f513.bin"},
		{name: "subfolder", file: "sub/dir/image.bin"},
		{name: "100k", file: "f100000.bin"},
		{name: "blksize 1468", file: "f4404.bin", blksize: 1468, wantOpts: map[string]string{"blksize": "1468"}},
		{name: "blksize clamped to BlockSizeMax", file: "f100000.bin", blksize: 65464, wantOpts: map[string]string{"blksize": "8192"}},
		{name: "tsize", file: "f100000.bin", tsize: true, wantOpts: map[string]string{"tsize": "100000"}},
		{name: "tsize of empty file", file: "f0.bin", tsize: true, wantOpts: map[string]string{"tsize": "0"}},
		{name: "timeout", file: "f513.bin", timeout: 3, wantOpts: map[string]string{"timeout": "3"}},
		{name: "all three", file: "f100000.bin", blksize: 1024, tsize: true, timeout: 1,
			wantOpts: map[string]string{"blksize": "1024", "tsize": "100000", "timeout": "1"}},
		{name: "blksize below 512 ignored", file: "f513.bin", blksize: 256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.client(t)
			c.BlockSize, c.Tsize, c.Timeout = tc.blksize, tc.tsize, tc.timeout
			var got bytes.Buffer
			res, err := c.Get(testContext(t), tc.file, &got)
			if err != nil {
				t.Fatalf("Get(%s) = %v", tc.file, err)
			}
			if !bytes.Equal(got.Bytes(), files[tc.file]) {
				t.Errorf("Get(%s) = %d bytes, want the %d bytes of the file", tc.file, got.Len(), len(files[tc.file]))
			}
			if diff := cmp.Diff(tc.wantOpts, res.Options); diff != "" {
				t.Errorf("Get(%s) OACK options (-want +got):\n%s", tc.file, diff)
			}
		})
	}
}

func TestNetascii(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "cfg.txt", []byte("hostname sw1\nend\r\n"))
	ts := startServer(t, Config{Root: dir})
	c := ts.client(t)
	c.Mode, c.Tsize = "NETASCII", true // case does not matter (RFC 1350)
	var got bytes.Buffer
	res, err := c.Get(testContext(t), "cfg.txt", &got)
	if err != nil {
		t.Fatalf("Get(cfg.txt, netascii) = %v", err)
	}
	if want := "hostname sw1\r\nend\r\x00\r\n"; got.String() != want {
		t.Errorf("Get(cfg.txt, netascii) = %q, want %q", got.String(), want)
	}
	if _, ok := res.Options["tsize"]; ok {
		t.Errorf("Get(cfg.txt, netascii) OACK has tsize %q; the wire size differs from the file's, want none", res.Options["tsize"])
	}
}

func TestRetransmitsLostData(t *testing.T) {
	dir := t.TempDir()
	data := pattern(300*512+17, 3)
	writeFile(t, dir, "img.bin", data)
	ts := startServer(t, Config{Root: dir, Timeout: 20 * time.Millisecond, Retries: 20})
	for _, blksize := range []int{0, 1024} {
		t.Run(fmt.Sprintf("blksize %d", blksize), func(t *testing.T) {
			c := ts.client(t)
			c.BlockSize = blksize
			c.DropData = 0.10
			c.Retransmit = 2 * time.Second // the server must do the work
			var got bytes.Buffer
			res, err := c.Get(testContext(t), "img.bin", &got)
			if err != nil {
				t.Fatalf("Get(img.bin) dropping 10%% of DATA = %v", err)
			}
			if res.Dropped == 0 {
				t.Fatalf("Get(img.bin) dropped no DATA; the test proves nothing")
			}
			if !bytes.Equal(got.Bytes(), data) {
				t.Errorf("Get(img.bin) after dropping %d DATA = %d bytes, want the %d bytes of the file", res.Dropped, got.Len(), len(data))
			}
		})
	}
}

// rawExchange sends p from a fresh socket and returns the first reply.
func rawExchange(t *testing.T, to netip.AddrPort, p []byte) []byte {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WriteTo(p, net.UDPAddrFromAddrPort(to)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second)) // hang guard
	buf := make([]byte, 2048)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no reply to %q: %v", p, err)
	}
	return buf[:n]
}

func errorOf(p []byte) (uint16, string, bool) {
	if len(p) < 5 || binary.BigEndian.Uint16(p) != uint16(opERROR) || p[len(p)-1] != 0 {
		return 0, "", false
	}
	return binary.BigEndian.Uint16(p[2:]), string(p[4 : len(p)-1]), true
}

func TestRefusesNames(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, outside, "secret", []byte("secret"))
	dir := t.TempDir()
	writeFile(t, dir, "ok.bin", []byte("ok"))
	writeFile(t, dir, "sub/x", []byte("x"))
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Root: dir, MaxNameLen: 64})

	tests := []struct {
		name     string
		packet   []byte
		wantCode uint16
		wantText string
	}{
		{"parent", devsim.TFTPRequest(false, "../"+filepath.Base(outside)+"/secret", "octet"), 2, "file name not allowed"},
		{"parent inside", devsim.TFTPRequest(false, "sub/../../secret", "octet"), 2, "file name not allowed"},
		{"absolute", devsim.TFTPRequest(false, filepath.Join(outside, "secret"), "octet"), 2, "file name not allowed"},
		{"backslash", devsim.TFTPRequest(false, `sub\x`, "octet"), 2, "file name not allowed"},
		{"backslash parent", devsim.TFTPRequest(false, `..\secret`, "octet"), 2, "file name not allowed"},
		{"drive letter", devsim.TFTPRequest(false, `C:secret`, "octet"), 2, "file name not allowed"},
		{"too long", devsim.TFTPRequest(false, strings.Repeat("a", 65), "octet"), 2, "file name not allowed"},
		{"control character", devsim.TFTPRequest(false, "ok\x1b.bin", "octet"), 2, "file name not allowed"},
		{"empty", devsim.TFTPRequest(false, "", "octet"), 2, "file name not allowed"},
		{"dot", devsim.TFTPRequest(false, ".", "octet"), 2, "file name not allowed"},
		// A NUL ends the name on the wire; what follows becomes the mode.
		{"NUL in name", devsim.TFTPRequest(false, "ok.bin\x00../secret", "octet"), 4, "transfer mode not supported"},
		{"unterminated", []byte("\x00\x01ok.bin\x00octet"), 4, "illegal TFTP operation"},
		{"symlink out of the root", devsim.TFTPRequest(false, "escape", "octet"), 2, "file name not allowed"},
		{"missing", devsim.TFTPRequest(false, "nope.bin", "octet"), 1, "file not found"},
		{"folder", devsim.TFTPRequest(false, "sub", "octet"), 1, "file not found"},
		{"mail mode", devsim.TFTPRequest(false, "ok.bin", "mail"), 4, "transfer mode not supported"},
		{"upload while read-only", devsim.TFTPRequest(true, "new.cfg", "octet"), 2, "uploads are disabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reply := rawExchange(t, ts.addr, tc.packet)
			code, text, ok := errorOf(reply)
			if !ok {
				t.Fatalf("reply to %q = %q, want an ERROR packet", tc.packet, reply)
			}
			if code != tc.wantCode || text != tc.wantText {
				t.Errorf("reply to %q = ERROR %d %q, want ERROR %d %q", tc.packet, code, text, tc.wantCode, tc.wantText)
			}
		})
	}
	// The ERROR packet leaves before its event is reported: wait for the
	// events (the deadline only guards against a hang).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(ts.eventsOf(servers.Refused)) < len(tests) {
		select {
		case <-ts.notify:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	if refused := ts.eventsOf(servers.Refused); len(refused) != len(tests) {
		t.Errorf("%d refused events, want %d", len(refused), len(tests))
	}
}

func TestUploads(t *testing.T) {
	root, uploads := t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(uploads, "backups"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, uploads, "existing.cfg", []byte("keep me"))
	ts := startServer(t, Config{Root: root, Uploads: uploads, MaxUpload: 10_000})
	put := func(name string, data []byte, blksize int, tsize bool) error {
		c := ts.client(t)
		c.BlockSize, c.Tsize = blksize, tsize
		_, err := c.Put(testContext(t), name, bytes.NewReader(data), int64(len(data)))
		return err
	}
	cfg1, cfg2, cfg3 := pattern(3000, 1), pattern(1024, 2), pattern(700, 3)

	steps := []struct {
		name    string
		upload  string
		data    []byte
		blksize int
		tsize   bool
		wantErr string // "" for success
	}{
		{name: "first", upload: "sw1-confg", data: cfg1},
		{name: "same name again", upload: "sw1-confg", data: cfg2, blksize: 512, tsize: true},
		{name: "and again", upload: "sw1-confg", data: cfg3, blksize: 1024},
		{name: "existing file kept", upload: "existing.cfg", data: cfg3},
		{name: "into a subfolder", upload: "backups/sw2-confg", data: cfg1, tsize: true},
		{name: "announced too big", upload: "big.bin", data: pattern(20_000, 4), tsize: true, wantErr: "3: file too large"},
		{name: "too big without tsize", upload: "big2.bin", data: pattern(20_000, 5), wantErr: "3: file too large"},
		{name: "missing subfolder", upload: "nodir/x.cfg", data: cfg3, wantErr: "2: access violation"},
		{name: "parent", upload: "../x.cfg", data: cfg3, wantErr: "2: file name not allowed"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			err := put(s.upload, s.data, s.blksize, s.tsize)
			switch {
			case s.wantErr == "" && err != nil:
				t.Fatalf("Put(%s) = %v, want success", s.upload, err)
			case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
				t.Fatalf("Put(%s) = %v, want ERROR %s", s.upload, err, s.wantErr)
			}
		})
	}
	// The server reports done before the client hears the final ACK only
	// by a hair; wait for every transfer to be reported.
	finished := func() bool {
		return len(ts.eventsOf(servers.TransferDone))+len(ts.eventsOf(servers.TransferFailed)) == 6
	}
	if err := ts.waitFor(testContext(t), finished); err != nil {
		t.Fatalf("waiting for 6 transfers to end: %v", err)
	}
	want := map[string][]byte{
		"sw1-confg":         cfg1,
		"sw1-confg.1":       cfg2,
		"sw1-confg.2":       cfg3,
		"existing.cfg":      []byte("keep me"),
		"existing.cfg.1":    cfg3,
		"backups/sw2-confg": cfg1,
	}
	got := map[string][]byte{}
	err := filepath.WalkDir(uploads, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(uploads, p)
		got[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("uploads folder (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 0 {
		t.Errorf("the read root got %d entries, want none: uploads must land only in the uploads folder", len(entries))
	}
}

func TestAliases(t *testing.T) {
	dir := t.TempDir()
	image := pattern(70_000, 9)
	writeFile(t, dir, "images/c1240-k9w7-tar.124-25d.JA1.tar", image)
	writeFile(t, dir, "c1240-k9w7-tar.default", []byte("shadowed by the alias"))
	ts := startServer(t, Config{Root: dir, Aliases: []Alias{
		{Pattern: "*-k9w7-tar.default", File: "images/c1240-k9w7-tar.124-25d.JA1.tar"},
		{Pattern: "*-k9w8-tar.default", File: "images/c1240-k9w7-tar.124-25d.JA1.tar"},
	}})
	for _, name := range []string{"c1240-k9w7-tar.default", "c1140-k9w8-tar.default", "sub/c1200-k9w7-tar.default"} {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			if _, err := ts.client(t).Get(testContext(t), name, &got); err != nil {
				t.Fatalf("Get(%s) = %v", name, err)
			}
			if !bytes.Equal(got.Bytes(), image) {
				t.Errorf("Get(%s) = %d bytes, want the %d bytes of the aliased image", name, got.Len(), len(image))
			}
			e, err := ts.waitEvent(testContext(t), func(e servers.Event) bool {
				return e.Kind == servers.TransferStart && e.Subject == name
			})
			if err != nil {
				t.Fatal(err)
			}
			want := "127.0.0.1 asked for " + name + ", served images/c1240-k9w7-tar.124-25d.JA1.tar"
			if e.Detail != want {
				t.Errorf("start event detail = %q, want %q", e.Detail, want)
			}
		})
	}
	if _, err := ts.client(t).Get(testContext(t), "c1240-k9w7-tar.bin", &bytes.Buffer{}); err == nil {
		t.Errorf("Get(c1240-k9w7-tar.bin) succeeded; no alias matches and no such file exists")
	}
}

// stallingRequest sends a request from a socket that never answers and
// returns it, so the server holds a transfer open.
func stallingRequest(t *testing.T, local string, to netip.AddrPort, name string) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", local)
	if err != nil {
		t.Skipf("cannot bind %s: %v", local, err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.WriteTo(devsim.TFTPRequest(false, name, "octet"), net.UDPAddrFromAddrPort(to)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second)) // hang guard
	buf := make([]byte, 600)
	if _, _, err := c.ReadFrom(buf); err != nil || packetOpcode(buf) != opDATA {
		t.Fatalf("stalling client got no DATA: %v", err)
	}
	return c
}

func TestLimits(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "img.bin", pattern(4096, 1))
	ts := startServer(t, Config{Root: dir, MaxPerClient: 2, MaxTransfers: 3, Timeout: 5 * time.Second})
	busy := func(local string) (uint16, string) {
		c, err := net.ListenPacket("udp4", local)
		if err != nil {
			t.Skipf("cannot bind %s: %v", local, err)
		}
		defer c.Close()
		c.WriteTo(devsim.TFTPRequest(false, "img.bin", "octet"), net.UDPAddrFromAddrPort(ts.addr))
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 600)
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		code, text, _ := errorOf(buf[:n])
		return code, text
	}
	stallingRequest(t, "127.0.0.1:0", ts.addr, "img.bin")
	stallingRequest(t, "127.0.0.1:0", ts.addr, "img.bin")
	if code, text := busy("127.0.0.1:0"); code != 0 || text != "server busy, try again later" {
		t.Errorf("third request from one client = ERROR %d %q, want ERROR 0 \"server busy, try again later\"", code, text)
	}
	stallingRequest(t, "127.0.0.2:0", ts.addr, "img.bin")
	if code, text := busy("127.0.0.3:0"); code != 0 || text != "server busy, try again later" {
		t.Errorf("fourth request in total = ERROR %d %q, want ERROR 0 \"server busy, try again later\"", code, text)
	}
}

func TestDuplicateRequestIsOneTransfer(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "img.bin", pattern(2000, 1))
	ts := startServer(t, Config{Root: dir})
	c := stallingRequest(t, "127.0.0.1:0", ts.addr, "img.bin")
	// A loader that got no answer in time sends its request again.
	c.WriteTo(devsim.TFTPRequest(false, "img.bin", "octet"), net.UDPAddrFromAddrPort(ts.addr))
	buf := make([]byte, 600)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, from, err := c.ReadFrom(buf) // the server sends block 1 again after its timeout
	if err != nil {
		t.Fatal(err)
	}
	if packetOpcode(buf[:n]) != opDATA || packetBlock(buf[:n]) != 1 {
		t.Fatalf("after a repeated request got %q, want DATA 1 again", buf[:n])
	}
	c.WriteTo(encodeACK(1), from)
	if starts := ts.eventsOf(servers.TransferStart); len(starts) != 1 {
		t.Errorf("%d transfers started for one request sent twice, want 1", len(starts))
	}
}

func TestEvents(t *testing.T) {
	dir := t.TempDir()
	data := pattern(200_000, 1)
	writeFile(t, dir, "img.bin", data)
	ts := startServer(t, Config{Root: dir, ProgressEvery: time.Nanosecond, Timeout: 30 * time.Millisecond, Retries: 2})
	ctx := testContext(t)

	t.Run("done", func(t *testing.T) {
		c := ts.client(t)
		c.BlockSize, c.Tsize = 1024, true
		if _, err := c.Get(ctx, "img.bin", &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		done, err := ts.waitEvent(ctx, kind(servers.TransferDone))
		if err != nil {
			t.Fatal(err)
		}
		start := ts.eventsOf(servers.TransferStart)[0]
		if start.Attrs["options"] != "blksize=1024 tsize=200000" || start.Total != 200_000 || start.Peer != c.Conn.LocalAddr().String() {
			t.Errorf("start event = %+v, want options, total and peer", start)
		}
		if done.Bytes != 200_000 || done.Total != 200_000 || done.Rate <= 0 || done.Attrs["transfer"] != start.Attrs["transfer"] {
			t.Errorf("done event = %+v, want all bytes, a rate and the start's transfer id", done)
		}
		progress := ts.eventsOf(servers.TransferProgress)
		if len(progress) == 0 {
			t.Fatal("no progress event")
		}
		for i := 1; i < len(progress); i++ {
			if progress[i].Bytes < progress[i-1].Bytes {
				t.Errorf("progress went back from %d to %d bytes", progress[i-1].Bytes, progress[i].Bytes)
			}
		}
	})
	t.Run("device goes silent", func(t *testing.T) {
		c := stallingRequest(t, "127.0.0.1:0", ts.addr, "img.bin")
		failed, err := ts.waitEvent(ctx, kind(servers.TransferFailed))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(failed.Detail, "no answer from the device after 3 tries") {
			t.Errorf("failed event detail = %q, want it to say the device stopped answering", failed.Detail)
		}
		// The device, were it listening, reads a short fixed text.
		buf := make([]byte, 600)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no ERROR after the transfer timed out: %v", err)
			}
			if code, text, ok := errorOf(buf[:n]); ok {
				if code != 0 || text != "timed out" {
					t.Errorf("ERROR after timing out = %d %q, want 0 \"timed out\"", code, text)
				}
				break
			}
		}
	})
}

func TestShutdownStopsTransfers(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "img.bin", pattern(4096, 1))
	ts := startServer(t, Config{Root: dir, Timeout: 10 * time.Second})
	c := stallingRequest(t, "127.0.0.1:0", ts.addr, "img.bin")
	if err := ts.stop(); err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	buf := make([]byte, 600)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("the device heard nothing when the server stopped: %v", err)
	}
	if code, text, ok := errorOf(buf[:n]); !ok || code != 0 || text != "server shutting down" {
		t.Errorf("when the server stops the device gets %q, want ERROR 0 \"server shutting down\"", buf[:n])
	}
	if len(ts.eventsOf(servers.TransferFailed)) != 1 || len(ts.eventsOf(servers.Stopped)) != 1 {
		t.Errorf("events after shutdown: %d failed, %d stopped; want 1 and 1", len(ts.eventsOf(servers.TransferFailed)), len(ts.eventsOf(servers.Stopped)))
	}
}

func TestAcksToListeningPort(t *testing.T) {
	// The loopback stand-in for "ACKs to port 69": the listening port.
	dir := t.TempDir()
	data := pattern(150_000, 5)
	writeFile(t, dir, "img.bin", data)
	ts := startServer(t, Config{Root: dir})
	for _, blksize := range []int{0, 1468} {
		c := ts.client(t)
		c.BlockSize = blksize
		c.AckTo = devsim.TFTPTarget{Port: ts.addr.Port()}
		var got bytes.Buffer
		if _, err := c.Get(testContext(t), "img.bin", &got); err != nil {
			t.Fatalf("Get(img.bin) with ACKs to the listening port, blksize %d = %v", blksize, err)
		}
		if !bytes.Equal(got.Bytes(), data) {
			t.Errorf("Get(img.bin) with ACKs to the listening port = %d bytes, want %d", got.Len(), len(data))
		}
	}
}

func TestServesThroughRandomDatagrams(t *testing.T) {
	dir := t.TempDir()
	data := pattern(400_000, 11)
	writeFile(t, dir, "img.bin", data)
	ts := startServer(t, Config{Root: dir, Timeout: 50 * time.Millisecond, Retries: 20})
	ctx := testContext(t)

	c := ts.client(t)
	c.BlockSize = 1024
	c.Retransmit = 100 * time.Millisecond
	type result struct {
		got []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var b bytes.Buffer
		_, err := c.Get(ctx, "img.bin", &b)
		done <- result{b.Bytes(), err}
	}()
	start, err := ts.waitEvent(ctx, kind(servers.TransferStart))
	if err != nil {
		t.Fatal(err)
	}
	tid, err := netip.ParseAddrPort(start.Attrs["local"])
	if err != nil {
		t.Fatalf("start event has no transfer address: %v", err)
	}
	tid = netip.AddrPortFrom(ts.addr.Addr(), tid.Port())

	noise, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer noise.Close()
	r := rand.New(rand.NewPCG(42, 42))
	sent := 0
	var res result
	// Bursts of noise on a ticker until the transfer ends.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
spray:
	for {
		select {
		case res = <-done:
			break spray
		case <-tick.C:
		}
		for range 16 {
			p := make([]byte, r.IntN(1600))
			for i := range p {
				p[i] = byte(r.Uint32())
			}
			if len(p) >= 2 && r.IntN(2) == 0 {
				// Valid opcodes get further into the server.
				binary.BigEndian.PutUint16(p, uint16(1+r.IntN(6)))
			}
			to := ts.addr
			if sent%2 == 1 {
				to = tid
			}
			noise.WriteTo(p, net.UDPAddrFromAddrPort(to))
			sent++
		}
	}
	if res.err != nil {
		t.Fatalf("Get(img.bin) among %d random datagrams = %v", sent, res.err)
	}
	if !bytes.Equal(res.got, data) {
		t.Fatalf("Get(img.bin) among %d random datagrams = %d bytes, want the %d bytes of the file", sent, len(res.got), len(data))
	}
	var got bytes.Buffer
	if _, err := ts.client(t).Get(ctx, "img.bin", &got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("Get(img.bin) after the noise = %d bytes, %v; want the file", got.Len(), err)
	}
	t.Logf("%d random datagrams sent during the transfer", sent)
}

func TestServeOnce(t *testing.T) {
	hook, events, _ := servers.Channel(8)
	srv, err := New(Config{Root: t.TempDir()}, WithHook(hook))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()
	if e := <-events; e.Kind != servers.Started {
		t.Fatalf("first event = %v, want started", e)
	}
	if err := srv.Serve(ctx, conn); !errors.Is(err, ErrServing) {
		t.Errorf("second Serve = %v, want ErrServing", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}

func TestServeMissingRoot(t *testing.T) {
	srv, err := New(Config{Root: filepath.Join(t.TempDir(), "nope")})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := Listen(context.Background(), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := srv.Serve(context.Background(), conn); !errors.Is(err, ErrFolder) {
		t.Errorf("Serve with a missing root = %v, want ErrFolder", err)
	}
}
