package smi_test

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fieldcon/servers"
	"fieldcon/servers/smi"
)

// hangGuard bounds a test that would otherwise hang on a bug; it is never
// what a test waits for.
const hangGuard = 30 * time.Second

// received is what a fake switch got on one connection.
type received struct {
	msg  smi.Message
	err  error
	rest []byte // anything after the first message, until the client closed
}

// fakeSwitch is a Smart Install client on loopback: it accepts connections,
// reads one message from each, answers with answer, then reads until the
// director closes.
type fakeSwitch struct {
	addr netip.Addr
	port uint16
	got  chan received
}

func startFakeSwitch(t *testing.T, answer func(conn net.Conn, m smi.Message)) *fakeSwitch {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := ln.Addr().(*net.TCPAddr).AddrPort()
	fs := &fakeSwitch{addr: ap.Addr(), port: ap.Port(), got: make(chan received, 8)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(hangGuard))
				m, err := smi.ReadMessage(conn, smi.MaxPayload)
				if err == nil && answer != nil {
					answer(conn, m)
				}
				var rest []byte
				if err == nil {
					rest, _ = io.ReadAll(conn)
				}
				fs.got <- received{msg: m, err: err, rest: rest}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return fs
}

func (fs *fakeSwitch) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-fs.got:
		return r
	case <-time.After(hangGuard):
		t.Fatal("the fake switch got no connection")
		return received{}
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

func write(b []byte) func(net.Conn, smi.Message) {
	return func(conn net.Conn, _ smi.Message) { _, _ = conn.Write(b) }
}

func TestClientProbe(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(net.Conn, smi.Message)
		want    smi.ProbeResult
		wantRaw []byte
	}{
		{"client", write(smi.ClientReply()), smi.ProbeClient, smi.ClientReply()},
		{"rejected", write(smi.RejectReply()), smi.ProbeRejected, smi.RejectReply()},
		{"director closes", func(conn net.Conn, _ smi.Message) { conn.Close() }, smi.ProbeDirectorOrRefused, nil},
		{"client reply in pieces", func(conn net.Conn, _ smi.Message) {
			r := smi.ClientReply()
			for _, piece := range [][]byte{r[:3], r[3:17], r[17:]} {
				if _, err := conn.Write(piece); err != nil {
					return
				}
			}
		}, smi.ProbeClient, smi.ClientReply()},
		{"half a reply, then close", func(conn net.Conn, _ smi.Message) {
			_, _ = conn.Write(smi.ClientReply()[:10])
			conn.Close()
		}, smi.ProbeUnknown, smi.ClientReply()[:10]},
		{"web server", write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n")), smi.ProbeUnknown, []byte("HTTP/1.0 400 Bad")},
		{"probe echoed", write(smi.EncodeProbe()), smi.ProbeUnknown, smi.EncodeProbe()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := startFakeSwitch(t, tt.answer)
			c := smi.NewClient(nil, smi.WithPort(fs.port))
			got, err := c.Probe(testContext(t), fs.addr)
			if err != nil {
				t.Fatalf("Probe(%s) error %v", fs.addr, err)
			}
			if got.Result != tt.want {
				t.Errorf("Probe(%s).Result = %v, want %v", fs.addr, got.Result, tt.want)
			}
			if diff := cmp.Diff(hex.EncodeToString(tt.wantRaw), hex.EncodeToString(got.Raw)); diff != "" {
				t.Errorf("Probe(%s).Raw mismatch (-want +got):\n%s", fs.addr, diff)
			}
			r := fs.next(t)
			if r.err != nil || smi.DecodeProbe(r.msg.Raw) != nil {
				t.Errorf("the switch got %x, %v, want the probe", r.msg.Raw, r.err)
			}
			if len(r.rest) != 0 {
				t.Errorf("the switch got %x after the probe, want nothing", r.rest)
			}
		})
	}
}

// TestClientOperations sends each operation to a fake switch on loopback,
// which decodes what it got. Each is one message on one connection that
// the client then closes.
func TestClientOperations(t *testing.T) {
	laptop := netip.MustParseAddr("127.0.0.1")
	cfg := smi.ConfigRequest{URL: smi.TFTPURL{Server: laptop, Path: "conf/sw1.conf"}}
	cfgReload := smi.ConfigRequest{URL: smi.TFTPURL{Server: laptop, Path: "conf/sw1.conf"}, Reload: smi.ReloadTime{Hours: 0, Minutes: 5}}
	imgTimed := smi.ImageRequest{ImageListURL: smi.TFTPURL{Server: laptop, Path: "imagelist-c2960x.txt"}, Reload: smi.ReloadTime{Hours: 6, Minutes: 30}}
	imgNow := smi.ImageRequest{ImageListURL: smi.TFTPURL{Server: laptop, Path: "imagelist-c2960x.txt"}, Immediate: true}
	backup := smi.BackupRequest{URL: smi.TFTPURL{Server: laptop, Path: "sw1-0011.2233.4455.upload"}}

	tests := []struct {
		name   string
		send   func(ctx context.Context, c *smi.Client, a netip.Addr) error
		decode func([]byte) (any, error)
		want   any
	}{
		{"config without reload",
			func(ctx context.Context, c *smi.Client, a netip.Addr) error { return c.SendConfig(ctx, a, cfg) },
			func(b []byte) (any, error) { return smi.DecodeConfig(b) }, cfg},
		{"config with reload",
			func(ctx context.Context, c *smi.Client, a netip.Addr) error { return c.SendConfig(ctx, a, cfgReload) },
			func(b []byte) (any, error) { return smi.DecodeConfig(b) }, cfgReload},
		{"image list, timed reload",
			func(ctx context.Context, c *smi.Client, a netip.Addr) error { return c.SendImageList(ctx, a, imgTimed) },
			func(b []byte) (any, error) { return smi.DecodeImageUpgrade(b) }, imgTimed},
		{"image list, immediate reload",
			func(ctx context.Context, c *smi.Client, a netip.Addr) error { return c.SendImageList(ctx, a, imgNow) },
			func(b []byte) (any, error) { return smi.DecodeImageUpgrade(b) }, imgNow},
		{"backup",
			func(ctx context.Context, c *smi.Client, a netip.Addr) error { return c.Backup(ctx, a, backup) },
			func(b []byte) (any, error) { return smi.DecodeBackup(b) }, backup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := startFakeSwitch(t, nil)
			c := smi.NewClient(nil, smi.WithPort(fs.port))
			if err := tt.send(testContext(t), c, fs.addr); err != nil {
				t.Fatalf("send to %s error %v", fs.addr, err)
			}
			r := fs.next(t)
			if r.err != nil {
				t.Fatalf("the switch read error %v", r.err)
			}
			got, err := tt.decode(r.msg.Raw)
			if err != nil {
				t.Fatalf("the switch could not decode %x: %v", r.msg.Raw, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("the switch got a different request (-want +got):\n%s", diff)
			}
			if len(r.rest) != 0 {
				t.Errorf("the switch got %x after the message, want nothing", r.rest)
			}
		})
	}
}

// pipeDialer hands out one end of a net.Pipe per dial and serves the other
// end with serve. It records every dial and how many connections were open
// at once.
type pipeDialer struct {
	serve func(net.Conn)

	mu      sync.Mutex
	dials   []string
	open    int
	maxOpen int
}

func (d *pipeDialer) DialContext(_ context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, network+" "+address)
	d.open++
	d.maxOpen = max(d.maxOpen, d.open)
	d.mu.Unlock()
	client, sw := net.Pipe()
	go func() {
		defer sw.Close()
		d.serve(sw)
	}()
	return &closeCounter{Conn: client, d: d}, nil
}

type closeCounter struct {
	net.Conn
	d    *pipeDialer
	once sync.Once
}

func (c *closeCounter) Close() error {
	c.once.Do(func() {
		c.d.mu.Lock()
		c.d.open--
		c.d.mu.Unlock()
	})
	return c.Conn.Close()
}

func answerProbe(conn net.Conn) {
	if _, err := smi.ReadMessage(conn, smi.MaxPayload); err == nil {
		_, _ = conn.Write(smi.ClientReply())
	}
}

func TestClientOverPipe(t *testing.T) {
	d := &pipeDialer{serve: answerProbe}
	target := netip.MustParseAddr("192.0.2.20")
	got, err := smi.NewClient(d).Probe(testContext(t), target)
	if err != nil || got.Result != smi.ProbeClient {
		t.Fatalf("Probe(%s) = %v, %v, want %v", target, got.Result, err, smi.ProbeClient)
	}
	if want := []string{"tcp4 192.0.2.20:4786"}; !cmp.Equal(d.dials, want) {
		t.Errorf("dials = %q, want %q", d.dials, want)
	}
}

// TestClientOneConnectionAtATime runs several probes from goroutines while
// each switch holds its connection until released: the client must never
// have two connections open.
func TestClientOneConnectionAtATime(t *testing.T) {
	release := make(chan struct{})
	d := &pipeDialer{serve: func(conn net.Conn) {
		if _, err := smi.ReadMessage(conn, smi.MaxPayload); err != nil {
			return
		}
		<-release
		_, _ = conn.Write(smi.ClientReply())
	}}
	c := smi.NewClient(d)
	ctx := testContext(t)
	const n = 3
	results := make(chan error, n)
	for i := range n {
		go func() {
			r, err := c.Probe(ctx, netip.AddrFrom4([4]byte{192, 0, 2, byte(20 + i)}))
			if err == nil && r.Result != smi.ProbeClient {
				err = errors.New(r.Result.String())
			}
			results <- err
		}()
	}
	for range n {
		release <- struct{}{}
	}
	for range n {
		if err := <-results; err != nil {
			t.Errorf("Probe error %v", err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.maxOpen != 1 || len(d.dials) != n {
		t.Errorf("connections open at once = %d over %d dials, want 1 over %d", d.maxOpen, len(d.dials), n)
	}
}

// failDialer fails the test if anything is dialed.
type failDialer struct{ t *testing.T }

func (f failDialer) DialContext(_ context.Context, network, address string) (net.Conn, error) {
	f.t.Errorf("dialed %s %s, want no connection", network, address)
	return nil, errors.New("must not dial")
}

func TestClientRefusesTargets(t *testing.T) {
	for _, a := range []netip.Addr{
		{},
		netip.MustParseAddr("0.0.0.0"),
		netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("224.0.0.1"),
		netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("::"),
	} {
		t.Run(a.String(), func(t *testing.T) {
			c := smi.NewClient(failDialer{t})
			if _, err := c.Probe(testContext(t), a); !errors.Is(err, smi.ErrTarget) {
				t.Errorf("Probe(%v) error = %v, want %v", a, err, smi.ErrTarget)
			}
			err := c.Backup(testContext(t), a, smi.BackupRequest{URL: smi.TFTPURL{Server: netip.MustParseAddr("192.0.2.10"), Path: "b"}})
			if !errors.Is(err, smi.ErrTarget) {
				t.Errorf("Backup(%v) error = %v, want %v", a, err, smi.ErrTarget)
			}
		})
	}
}

func TestClientMappedIPv4Target(t *testing.T) {
	d := &pipeDialer{serve: answerProbe}
	if _, err := smi.NewClient(d).Probe(testContext(t), netip.MustParseAddr("::ffff:192.0.2.20")); err != nil {
		t.Fatalf("Probe(::ffff:192.0.2.20) error %v", err)
	}
	if want := []string{"tcp4 192.0.2.20:4786"}; !cmp.Equal(d.dials, want) {
		t.Errorf("dials = %q, want %q", d.dials, want)
	}
}

func TestClientRefusesBadRequestsBeforeDialing(t *testing.T) {
	c := smi.NewClient(failDialer{t})
	target := netip.MustParseAddr("192.0.2.20")
	ctx := testContext(t)
	srv := netip.MustParseAddr("192.0.2.10")
	if err := c.SendConfig(ctx, target, smi.ConfigRequest{URL: smi.TFTPURL{Server: srv, Path: "a b"}}); !errors.Is(err, smi.ErrURL) {
		t.Errorf("SendConfig(bad URL) error = %v, want %v", err, smi.ErrURL)
	}
	if err := c.SendImageList(ctx, target, smi.ImageRequest{ImageListURL: smi.TFTPURL{Server: srv, Path: "l.txt"}}); !errors.Is(err, smi.ErrReloadTime) {
		t.Errorf("SendImageList(no reload choice) error = %v, want %v", err, smi.ErrReloadTime)
	}
	if err := c.Backup(ctx, target, smi.BackupRequest{URL: smi.TFTPURL{Path: "b"}}); !errors.Is(err, smi.ErrURL) {
		t.Errorf("Backup(no server) error = %v, want %v", err, smi.ErrURL)
	}
}

type refusingDialer struct{}

func (refusingDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp4", Err: syscall.ECONNREFUSED}
}

func TestClientUnreachable(t *testing.T) {
	_, err := smi.NewClient(refusingDialer{}).Probe(testContext(t), netip.MustParseAddr("192.0.2.20"))
	if !errors.Is(err, smi.ErrUnreachable) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Probe(refused) error = %v, want %v wrapping the dial error", err, smi.ErrUnreachable)
	}
}

// TestClientCancel: a peer that reads the probe and never answers holds the
// client until the caller cancels.
func TestClientCancel(t *testing.T) {
	gotProbe := make(chan struct{})
	d := &pipeDialer{serve: func(conn net.Conn) {
		if _, err := smi.ReadMessage(conn, smi.MaxPayload); err != nil {
			return
		}
		close(gotProbe)
		_, _ = io.Copy(io.Discard, conn) // silent until the client closes
	}}
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		<-gotProbe
		cancel()
	}()
	_, err := smi.NewClient(d).Probe(ctx, netip.MustParseAddr("192.0.2.20"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Probe(silent peer, cancelled) error = %v, want %v", err, context.Canceled)
	}
}

func TestClientHookLogsHex(t *testing.T) {
	hook, events, _ := servers.Channel(8)
	d := &pipeDialer{serve: answerProbe}
	c := smi.NewClient(d, smi.WithHook(hook))
	if _, err := c.Probe(testContext(t), netip.MustParseAddr("192.0.2.20")); err != nil {
		t.Fatal(err)
	}
	want := []string{hex.EncodeToString(smi.EncodeProbe()), hex.EncodeToString(smi.ClientReply())}
	for i, w := range want {
		e := <-events
		if e.Server != "smi" || e.Peer != "192.0.2.20:4786" || e.Attrs["hex"] != w {
			t.Errorf("event %d = %+v, want server smi, peer 192.0.2.20:4786, hex %s", i, e, w)
		}
	}
}
