package tftp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pintftp "github.com/pin/tftp/v3"

	"fieldcon/internal/devsim"
	"fieldcon/internal/netnstest"
	"fieldcon/servers"
)

// netnsPair is two network namespaces joined by a veth pair: the server's
// (10.77.0.1/24) and the client's (10.77.0.2/24). Broadcasts between them
// touch nothing outside the test.
type netnsPair struct {
	srvNS, cliNS string
	srv, cli     *netnstest.Thread
	srvIf, cliIf string
	srvIP, cliIP netip.Addr
	bcast        netip.Addr
}

var netnsSeq atomic.Int32

// Names carry this prefix and the test process's pid, so concurrent test
// binaries never share one, and leftovers of a killed run can be found.
const netnsPrefix = "fctftp-"

func newNetnsPair(t *testing.T) *netnsPair {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to create network namespaces (ip netns add); run go test as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: needs the ip command (iproute2)")
	}
	netnstest.SweepStale(netnsPrefix)
	pid, n := os.Getpid(), netnsSeq.Add(1)
	srvNS := fmt.Sprintf("%ssrv-%d-%d", netnsPrefix, pid, n)
	cliNS := fmt.Sprintf("%scli-%d-%d", netnsPrefix, pid, n)
	p := &netnsPair{
		srvNS: srvNS,
		cliNS: cliNS,
		srvIf: fmt.Sprintf("fct%ds%d", pid, n),
		cliIf: fmt.Sprintf("fct%dc%d", pid, n),
		srvIP: netip.MustParseAddr("10.77.0.1"),
		cliIP: netip.MustParseAddr("10.77.0.2"),
		bcast: netip.MustParseAddr("10.77.0.255"),
	}
	t.Cleanup(func() {
		for _, ns := range []string{srvNS, cliNS} {
			_ = exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	for _, args := range [][]string{
		{"netns", "add", srvNS},
		{"netns", "add", cliNS},
		{"link", "add", p.srvIf, "type", "veth", "peer", "name", p.cliIf},
		{"link", "set", p.srvIf, "netns", srvNS},
		{"link", "set", p.cliIf, "netns", cliNS},
		{"-n", srvNS, "addr", "add", "10.77.0.1/24", "brd", "+", "dev", p.srvIf},
		{"-n", cliNS, "addr", "add", "10.77.0.2/24", "brd", "+", "dev", p.cliIf},
		{"-n", srvNS, "link", "set", "lo", "up"},
		{"-n", cliNS, "link", "set", "lo", "up"},
		{"-n", srvNS, "link", "set", p.srvIf, "up"},
		{"-n", cliNS, "link", "set", p.cliIf, "up"},
		// Like a loader with one interface: 255.255.255.255 leaves by it.
		{"-n", cliNS, "route", "add", "255.255.255.255/32", "dev", p.cliIf},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	p.srv = netnstest.Enter(t, srvNS)
	p.cli = netnstest.Enter(t, cliNS)
	return p
}

// listenIn opens a socket inside n's namespace.
func listenIn(n *netnstest.Thread, network, addr string) (net.PacketConn, error) {
	var c net.PacketConn
	var err error
	n.Do(func() { c, err = net.ListenPacket(network, addr) })
	return c, err
}

// startServerIn runs a Server on 0.0.0.0:69 in the pair's server namespace,
// limited to its veth.
func startServerIn(t *testing.T, p *netnsPair, cfg Config) *testServer {
	t.Helper()
	ts := newTestServer(t)
	cfg.Interface = p.srvIf
	srv, err := New(cfg, WithHook(ts.record), WithTransferListener(func(ctx context.Context, network string) (net.PacketConn, error) {
		var c net.PacketConn
		var err error
		p.srv.Do(func() { c, err = listenUDP(ctx, network, wildcard(network), cfg.Interface) })
		return c, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var conn net.PacketConn
	p.srv.Do(func() { conn, err = Listen(ctx, "0.0.0.0:69", cfg.Interface) })
	if err != nil {
		cancel()
		t.Fatalf("Listen(0.0.0.0:69, %s) = %v", cfg.Interface, err)
	}
	ts.serve(ctx, cancel, srv, conn, netip.AddrPortFrom(p.srvIP, 69))
	return ts
}

// matrixCells are ARCHITECTURE.md's 12 cells: where the client sends its
// request × where it sends its ACKs.
func matrixCells(srvIP, bcast netip.Addr) (rrq []matrixTarget, ack []matrixAck) {
	all := netip.MustParseAddr("255.255.255.255")
	rrq = []matrixTarget{
		{"255.255.255.255:69", netip.AddrPortFrom(all, 69)},
		{"subnet broadcast:69", netip.AddrPortFrom(bcast, 69)},
		{"server unicast:69", netip.AddrPortFrom(srvIP, 69)},
	}
	ack = []matrixAck{
		{"server TID", devsim.TFTPTarget{}},
		{"255.255.255.255:TID", devsim.TFTPTarget{IP: all}},
		{"subnet broadcast:TID", devsim.TFTPTarget{IP: bcast}},
		{"server port 69", devsim.TFTPTarget{Port: 69}},
	}
	return rrq, ack
}

type matrixTarget struct {
	name string
	to   netip.AddrPort
}

type matrixAck struct {
	name string
	to   devsim.TFTPTarget
}

func TestBroadcastMatrix(t *testing.T) {
	p := newNetnsPair(t)
	dir := t.TempDir()
	data := pattern(100*512+99, 12)
	writeFile(t, dir, "c1200-k9w7-tar.default", data)
	ts := startServerIn(t, p, Config{Root: dir, Timeout: 200 * time.Millisecond})

	rrqs, acks := matrixCells(p.srvIP, p.bcast)
	for _, rrq := range rrqs {
		for _, ack := range acks {
			for _, blksize := range []int{0, 1468} {
				name := fmt.Sprintf("RRQ to %s, ACKs to %s, blksize %d", rrq.name, ack.name, blksize)
				t.Run(name, func(t *testing.T) {
					conn, err := listenIn(p.cli, "udp4", "0.0.0.0:0")
					if err != nil {
						t.Fatal(err)
					}
					defer conn.Close()
					c := &devsim.TFTPClient{Conn: conn, Server: rrq.to, AckTo: ack.to, BlockSize: blksize,
						Retransmit: 300 * time.Millisecond, Retries: 5}
					var got bytes.Buffer
					res, err := c.Get(testContext(t), "c1200-k9w7-tar.default", &got)
					if err != nil {
						t.Fatalf("Get = %v", err)
					}
					if !bytes.Equal(got.Bytes(), data) {
						t.Fatalf("Get = %d bytes, want the %d bytes of the file", got.Len(), len(data))
					}
					// Replies come by unicast, from the server's own address
					// and a transfer port of its own.
					if res.ServerTID.Addr() != p.srvIP || res.ServerTID.Port() == 69 {
						t.Errorf("server replied from %s, want %s and a port other than 69", res.ServerTID, p.srvIP)
					}
					if res.Retransmits > 0 {
						t.Logf("%d retransmissions by the client", res.Retransmits)
					}
				})
			}
		}
	}
	if failed := ts.eventsOf(servers.TransferFailed); len(failed) > 0 {
		t.Errorf("failed transfers: %v", failed)
	}
}

// TestBroadcastUpload: a device that sends its write request and its DATA
// to 255.255.255.255 still uploads.
func TestBroadcastUpload(t *testing.T) {
	p := newNetnsPair(t)
	uploads := t.TempDir()
	startServerIn(t, p, Config{Root: t.TempDir(), Uploads: uploads})
	all := netip.MustParseAddr("255.255.255.255")
	for _, to := range []devsim.TFTPTarget{{IP: all}, {Port: 69}} {
		conn, err := listenIn(p.cli, "udp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		data := pattern(5000, uint64(to.Port))
		c := &devsim.TFTPClient{Conn: conn, Server: netip.AddrPortFrom(all, 69), AckTo: to, Retransmit: 300 * time.Millisecond}
		name := fmt.Sprintf("ap-%d-confg", to.Port)
		if _, err := c.Put(testContext(t), name, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatalf("Put(%s) with DATA to %v = %v", name, to, err)
		}
		// The final ACK comes after the file is committed.
		got, err := os.ReadFile(filepath.Join(uploads, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("uploaded %s = %d bytes, %v; want the %d bytes sent", name, len(got), err, len(data))
		}
	}
}

// TestMatrixCatchesStockPin shows the matrix test can fail: pin/tftp served
// the stock way (Serve on the *net.UDPConn) binds each transfer to the
// request's destination address and ignores ACKs on port 69. pin/tftp opens
// transfer sockets on threads of its own, so it runs in a child process
// started inside the server namespace.
func TestMatrixCatchesStockPin(t *testing.T) {
	p := newNetnsPair(t)
	dir := t.TempDir()
	data := pattern(3000, 1)
	writeFile(t, dir, "f.bin", data)
	cmd := exec.Command("ip", "netns", "exec", p.srvNS, os.Args[0], "-test.run=^TestStockPinHelper$")
	cmd.Env = append(os.Environ(), "FCTFTP_STOCK_PIN_ROOT="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("stock pin/tftp helper said %q, %v; want ready", line, err)
	}

	rrqs, acks := matrixCells(p.srvIP, p.bcast)
	unicast := rrqs[2]
	tests := []struct {
		ack    matrixAck
		wantOK bool
	}{
		{acks[0], true},
		{acks[1], false}, // the transfer socket is bound to 10.77.0.1
		{acks[3], false}, // port 69 does not forward ACKs
	}
	for _, tc := range tests {
		conn, err := listenIn(p.cli, "udp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		c := &devsim.TFTPClient{Conn: conn, Server: unicast.to, AckTo: tc.ack.to, Retransmit: 100 * time.Millisecond, Retries: 3}
		var got bytes.Buffer
		_, err = c.Get(testContext(t), "f.bin", &got)
		conn.Close()
		if ok := err == nil && bytes.Equal(got.Bytes(), data); ok != tc.wantOK {
			t.Errorf("stock pin/tftp, RRQ to %s, ACKs to %s: success %v (%v), want %v", unicast.name, tc.ack.name, ok, err, tc.wantOK)
		}
	}
}

// TestStockPinHelper is the child process of TestMatrixCatchesStockPin.
func TestStockPinHelper(t *testing.T) {
	dir := os.Getenv("FCTFTP_STOCK_PIN_ROOT")
	if dir == "" {
		t.Skip("helper process for TestMatrixCatchesStockPin")
	}
	stock := pintftp.NewServer(func(name string, rf io.ReaderFrom) error {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = rf.ReadFrom(f)
		return err
	}, nil)
	stock.SetTimeout(200 * time.Millisecond)
	stock.SetRetries(2)
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{Port: 69})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	_ = stock.Serve(conn) // until the parent kills this process
}
