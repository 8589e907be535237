package devsim

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeTFTPServer answers one read request with the given blocks from a
// transfer socket of its own and records on which socket each ACK arrived.
type fakeTFTPServer struct {
	listen, tid net.PacketConn
	acked       chan struct{}

	mu       sync.Mutex
	arrivals []string // "tid" or "listen", one per ACK
}

func newFakeTFTPServer(t *testing.T) *fakeTFTPServer {
	t.Helper()
	f := &fakeTFTPServer{acked: make(chan struct{}, 1)}
	var err error
	if f.listen, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if f.tid, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.listen.Close(); f.tid.Close() })
	return f
}

func (f *fakeTFTPServer) addr() netip.AddrPort {
	return f.listen.LocalAddr().(*net.UDPAddr).AddrPort()
}

// serve sends oack (if any) and then data in blocks of size, each packet
// again every 100ms until an ACK arrives on either socket.
func (f *fakeTFTPServer) serve(t *testing.T, oack []byte, data []byte, size int) {
	buf := make([]byte, 1500)
	_ = f.listen.SetReadDeadline(time.Now().Add(10 * time.Second)) // hang guard
	_, client, err := f.listen.ReadFrom(buf)
	if err != nil {
		t.Errorf("fake server got no request: %v", err)
		return
	}
	go f.readACKs(f.listen, "listen")
	go f.readACKs(f.tid, "tid")
	var pkts [][]byte
	if oack != nil {
		pkts = append(pkts, oack)
	}
	for i, b := 0, uint16(1); ; i, b = i+size, b+1 {
		end := min(i+size, len(data))
		p := binary.BigEndian.AppendUint16(nil, tftpDATA)
		p = binary.BigEndian.AppendUint16(p, b)
		pkts = append(pkts, append(p, data[i:end]...))
		if end-i < size {
			break
		}
	}
	for _, p := range pkts {
		for range 50 {
			_, _ = f.tid.WriteTo(p, client)
			tm := time.NewTimer(100 * time.Millisecond) // the fake's retransmit timer
			select {
			case <-f.acked:
			case <-tm.C:
				continue
			}
			tm.Stop()
			break
		}
	}
}

func (f *fakeTFTPServer) readACKs(c net.PacketConn, name string) {
	buf := make([]byte, 1500)
	for {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second)) // hang guard
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		if n >= 4 && binary.BigEndian.Uint16(buf) == tftpACK {
			f.mu.Lock()
			f.arrivals = append(f.arrivals, name)
			f.mu.Unlock()
			select {
			case f.acked <- struct{}{}:
			default:
			}
		}
	}
}

func TestTFTPClientAckTargets(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 130) // 1300 bytes: 3 blocks
	tests := []struct {
		name  string
		ackTo func(f *fakeTFTPServer) TFTPTarget
		want  string // socket the ACKs must arrive on
	}{
		{"normal: the server's transfer port", func(*fakeTFTPServer) TFTPTarget { return TFTPTarget{} }, "tid"},
		{"the listening port", func(f *fakeTFTPServer) TFTPTarget { return TFTPTarget{Port: f.addr().Port()} }, "listen"},
		{"an explicit address", func(f *fakeTFTPServer) TFTPTarget {
			return TFTPTarget{IP: netip.MustParseAddr("127.0.0.1"), Port: f.addr().Port()}
		}, "listen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeTFTPServer(t)
			go f.serve(t, nil, data, 512)
			c := newTestTFTPClient(t, f.addr())
			c.AckTo = tc.ackTo(f)
			var got bytes.Buffer
			res, err := c.Get(tftpTestContext(t), "f.bin", &got)
			if err != nil {
				t.Fatalf("Get = %v", err)
			}
			if !bytes.Equal(got.Bytes(), data) || res.Blocks != 3 {
				t.Fatalf("Get = %d bytes in %d blocks, want %d in 3", got.Len(), res.Blocks, len(data))
			}
			if res.ServerTID != f.tid.LocalAddr().(*net.UDPAddr).AddrPort() {
				t.Errorf("ServerTID = %s, want the fake's transfer socket %s", res.ServerTID, f.tid.LocalAddr())
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.arrivals) == 0 {
				t.Fatal("no ACK arrived")
			}
			for _, w := range f.arrivals {
				if w != tc.want {
					t.Errorf("ACKs arrived on %v, want all on %s", f.arrivals, tc.want)
					break
				}
			}
		})
	}
}

func newTestTFTPClient(t *testing.T, server netip.AddrPort) *TFTPClient {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &TFTPClient{Conn: c, Server: server, Retransmit: 200 * time.Millisecond}
}

func tftpTestContext(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	t.Cleanup(cancel)
	return c
}

func TestTFTPRequest(t *testing.T) {
	got := TFTPRequest(false, "c1200-k9w7-tar.default", "octet", "blksize", "1468")
	want := []byte("\x00\x01c1200-k9w7-tar.default\x00octet\x00blksize\x001468\x00")
	if !bytes.Equal(got, want) {
		t.Errorf("TFTPRequest = %q, want %q", got, want)
	}
	if got := TFTPRequest(true, "x", "netascii"); !bytes.Equal(got, []byte("\x00\x02x\x00netascii\x00")) {
		t.Errorf("TFTPRequest(write) = %q", got)
	}
}

func TestTFTPClientServerError(t *testing.T) {
	srv, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 600)
		_, from, err := srv.ReadFrom(buf)
		if err == nil {
			srv.WriteTo([]byte("\x00\x05\x00\x01file not found\x00"), from)
		}
	}()
	c := newTestTFTPClient(t, srv.LocalAddr().(*net.UDPAddr).AddrPort())
	_, err = c.Get(tftpTestContext(t), "nope", &bytes.Buffer{})
	if !errors.Is(err, ErrTFTPServer) {
		t.Errorf("Get from a server that says file not found = %v, want ErrTFTPServer", err)
	}
}

func TestTFTPClientGivesUp(t *testing.T) {
	srv, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := newTestTFTPClient(t, srv.LocalAddr().(*net.UDPAddr).AddrPort())
	c.Retransmit, c.Retries = 10*time.Millisecond, 3
	res, err := c.Get(tftpTestContext(t), "x", &bytes.Buffer{})
	if !errors.Is(err, ErrTFTPTimeout) || res.Retransmits != 3 {
		t.Errorf("Get from a silent server = %v after %d retransmits, want ErrTFTPTimeout after 3", err, res.Retransmits)
	}
}

func TestTFTPClientDropsData(t *testing.T) {
	f := newFakeTFTPServer(t)
	data := bytes.Repeat([]byte{0xA5, 0x5A}, 512*10)
	go f.serve(t, nil, data, 512)
	c := newTestTFTPClient(t, f.addr())
	c.DropData = 0.3
	c.Rand = rand.New(rand.NewPCG(3, 3))
	c.Retransmit = 2 * time.Second // the fake server's retransmissions do the work
	var got bytes.Buffer
	res, err := c.Get(tftpTestContext(t), "f.bin", &got)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dropped == 0 || !bytes.Equal(got.Bytes(), data) {
		t.Errorf("Get dropping 30%% = %d bytes with %d dropped, want all %d bytes and some dropped", got.Len(), res.Dropped, len(data))
	}
}

func TestTFTPClientOACK(t *testing.T) {
	f := newFakeTFTPServer(t)
	data := bytes.Repeat([]byte("x"), 100)
	oack := []byte("\x00\x06blksize\x0032\x00tsize\x00100\x00")
	go f.serve(t, oack, data, 32)
	c := newTestTFTPClient(t, f.addr())
	c.BlockSize, c.Tsize = 32, true
	var got bytes.Buffer
	res, err := c.Get(tftpTestContext(t), "f.bin", &got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) || res.Options["blksize"] != "32" || res.Options["tsize"] != "100" || res.Blocks != 4 {
		t.Errorf("Get with OACK = %d bytes, %v, %d blocks; want 100 bytes in 4 blocks of 32", got.Len(), res.Options, res.Blocks)
	}
}
