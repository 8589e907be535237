package smi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"fieldcon/servers"
)

// Errors the Client returns, wrapped with the operation and the target.
var (
	// ErrTarget: the address is not one switch (not IPv4, unspecified,
	// multicast or broadcast).
	ErrTarget = errors.New("smi: not the address of one switch")
	// ErrUnreachable: the TCP connection to port 4786 could not be opened.
	ErrUnreachable = errors.New("smi: cannot connect to the switch on TCP 4786")
)

// Dialer opens the TCP connection to a client. *net.Dialer satisfies it;
// tests pass one that returns an end of net.Pipe or dials a loopback
// listener.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// DefaultTimeout bounds one operation (connect, send, read the answer) when
// the caller's context has no earlier deadline. A switch on the same VLAN
// answers in milliseconds; this only keeps a silent peer from hanging the
// caller.
const DefaultTimeout = 10 * time.Second

// Client talks to one Smart Install client at a time, one message per
// connection: it connects, sends one message, reads the answer if the message
// has one, and closes. The protocol has no authentication, so every call
// acts on the switch at once; the caller must have the technician confirm
// the target and the operation first.
//
// A Client never takes a range, a list or a host name: every operation takes
// exactly one netip.Addr. Operations from several goroutines wait for each
// other, so there is never more than one connection open.
type Client struct {
	dialer  Dialer
	port    uint16
	timeout time.Duration
	hook    servers.Hook
	turn    chan struct{} // holds a token while a connection is open
}

// Option changes a Client.
type Option func(*Client)

// WithPort dials port instead of 4786; for tests and simulated clients.
func WithPort(port uint16) Option { return func(c *Client) { c.port = port } }

// WithTimeout bounds each operation instead of DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithHook reports every message sent and every answer read, with its hex,
// so the event log shows exactly what went over the wire.
func WithHook(h servers.Hook) Option { return func(c *Client) { c.hook = h } }

// NewClient returns a Client that connects through d (a nil d means a plain
// net.Dialer).
func NewClient(d Dialer, opts ...Option) *Client {
	if d == nil {
		d = &net.Dialer{}
	}
	c := &Client{dialer: d, port: Port, timeout: DefaultTimeout, turn: make(chan struct{}, 1)}
	for _, o := range opts {
		o(c)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c
}

// ProbeReply is what a probe found.
type ProbeReply struct {
	Result ProbeResult
	Raw    []byte // the bytes the peer sent, for the log
}

// Probe sends the type-4 probe to addr and classifies the answer. The error
// is for a probe that could not be made (bad address, no connection, a
// reset or a silent peer); an answer that matches nothing known is
// ProbeUnknown with no error.
func (c *Client) Probe(ctx context.Context, addr netip.Addr) (ProbeReply, error) {
	var reply ProbeReply
	err := c.session(ctx, "probe", addr, func(conn net.Conn, peer string) error {
		if err := c.send(conn, peer, TypeProbe, EncodeProbe(), "probe"); err != nil {
			return err
		}
		m, err := ReadMessage(conn, MaxReplyPayload)
		reply.Raw = m.Raw
		switch {
		case errors.Is(err, io.EOF):
			reply.Result = ProbeDirectorOrRefused
		case err == nil, errors.Is(err, ErrTooLong), errors.Is(err, ErrTruncated):
			reply.Result = ClassifyProbeReply(m.Raw)
		default:
			return fmt.Errorf("reading the answer to the probe: %w", err)
		}
		kind := servers.Info
		if reply.Result == ProbeUnknown {
			kind = servers.Warning
		}
		c.hook.Emit(servers.Event{
			Server: "smi", Kind: kind, Peer: peer, Subject: "probe answer",
			Detail: fmt.Sprintf("%d bytes: %s", len(reply.Raw), reply.Result),
			Bytes:  int64(len(reply.Raw)), Attrs: map[string]string{"hex": hex.EncodeToString(reply.Raw)},
		})
		return nil
	})
	return reply, err
}

// SendConfig sends a type-3 message: the switch fetches r.URL by TFTP and,
// with a reload time, reloads with it as its startup configuration. A nil
// error means the message reached the switch's TCP stack; the switch's TFTP
// read of the file is the sign it acted on it.
func (c *Client) SendConfig(ctx context.Context, addr netip.Addr, r ConfigRequest) error {
	msg, err := EncodeConfig(r)
	if err != nil {
		return err
	}
	detail := "configuration " + r.URL.String() + ", no reload"
	if !r.Reload.IsZero() {
		detail = "configuration " + r.URL.String() + ", reload " + r.Reload.String()
	}
	return c.session(ctx, "configuration URL", addr, func(conn net.Conn, peer string) error {
		return c.send(conn, peer, TypeConfig, msg, detail)
	})
}

// SendImageList sends a type-2 message: the switch fetches the image list
// file by TFTP, then the image it names, installs it and reloads at the
// given time or immediately. A nil error means the message reached the
// switch's TCP stack.
func (c *Client) SendImageList(ctx context.Context, addr netip.Addr, r ImageRequest) error {
	msg, err := EncodeImageUpgrade(r)
	if err != nil {
		return err
	}
	detail := "image list " + r.ImageListURL.String() + ", reload " + r.Reload.String()
	if r.Immediate {
		detail = "image list " + r.ImageListURL.String() + ", reload immediately"
	}
	return c.session(ctx, "image upgrade", addr, func(conn net.Conn, peer string) error {
		return c.send(conn, peer, TypeImageUpgrade, msg, detail)
	})
}

// Backup sends a type-8 message with the single command
// `copy system:running-config <r.URL>`: the switch uploads its running
// configuration by TFTP write. A nil error means the message reached the
// switch's TCP stack; the upload is the sign it ran the command.
func (c *Client) Backup(ctx context.Context, addr netip.Addr, r BackupRequest) error {
	msg, err := EncodeBackup(r)
	if err != nil {
		return err
	}
	return c.session(ctx, "backup", addr, func(conn net.Conn, peer string) error {
		return c.send(conn, peer, TypeCommands, msg, r.Command())
	})
}

// session checks the target, waits for its turn, opens one connection, runs
// fn on it and closes it.
func (c *Client) session(ctx context.Context, op string, addr netip.Addr, fn func(conn net.Conn, peer string) error) error {
	addr, err := checkTarget(addr)
	if err != nil {
		return fmt.Errorf("smi %s: %w", op, err)
	}
	peer := netip.AddrPortFrom(addr, c.port).String()
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("smi %s %s: gave up waiting for the previous operation: %w", op, peer, ctx.Err())
	}
	defer func() { <-c.turn }()

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := c.dialer.DialContext(ctx, "tcp4", peer)
	if err != nil {
		return fmt.Errorf("smi %s %s: %w (%w); check that this laptop reaches the switch and that Smart Install is on there (show vstack config)", op, peer, ErrUnreachable, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl) // a net.Pipe or TCP conn always accepts it; AfterFunc below covers the rest
	}
	// Closing the connection unblocks a read or write when the caller
	// cancels.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	if err := fn(conn, peer); err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return fmt.Errorf("smi %s %s: the switch did not answer in time; check it is reachable and try again: %w", op, peer, ctx.Err())
		case ctx.Err() != nil:
			return fmt.Errorf("smi %s %s: stopped before it finished: %w", op, peer, ctx.Err())
		}
		return fmt.Errorf("smi %s %s: %w", op, peer, err)
	}
	return nil
}

func (c *Client) send(conn net.Conn, peer string, t Type, msg []byte, detail string) error {
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("sending type %s: %w", t, err)
	}
	c.hook.Emit(servers.Event{
		Server: "smi", Kind: servers.Info, Peer: peer, Subject: "sent type " + t.String(),
		Detail: detail, Bytes: int64(len(msg)), Attrs: map[string]string{"hex": hex.EncodeToString(msg)},
	})
	return nil
}

// checkTarget accepts exactly one unicast IPv4 address.
func checkTarget(a netip.Addr) (netip.Addr, error) {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return a, fmt.Errorf("%w: no switch address given; select the one client to act on", ErrTarget)
	case !a.Is4():
		return a, fmt.Errorf("%w: %s is not an IPv4 address; Smart Install clients are reached over IPv4", ErrTarget, a)
	case a.IsUnspecified(), a.IsMulticast(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return a, fmt.Errorf("%w: %s does not name one switch; give the address of the one client to act on", ErrTarget, a)
	}
	return a, nil
}
