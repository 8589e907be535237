package devsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"fieldcon/servers/smi"
)

// SMIClient is a simulated Cisco switch doing Smart Install zero touch, the
// way the guide describes it: it asks for an address by DHCP (announcing its
// product ID as a UDI in option 124), reads option 150 (TFTP server), 67
// (configuration) and 125 (Cisco sub-option 5, the image list), fetches the
// image list, every image in it and the configuration by TFTP, and reports
// each step by syslog with the %SMI messages a real client logs. With
// Listen it also answers Smart Install requests on TCP 4786 (probe, config
// URL, image list URL, backup), unless it is a pre-Smart-Install switch.
type SMIClient struct {
	MAC     net.HardwareAddr
	PID     string // e.g. WS-C2960X-24TS-L; the first member's for a stack
	Serial  string
	Version string
	// Stack lists the members of a 2- or 3-switch stack, member 1 first;
	// empty for a standalone switch.
	Stack []SMIMember
	// PreSmartInstall makes it an old release: it ignores option 125 (no
	// image list, no image) and only fetches the configuration option 67
	// names (plain autoinstall), has no TCP 4786 listener and logs no %SMI
	// messages.
	PreSmartInstall bool
	// Hostname is sent in option 12 and used in syslog; empty until DHCP
	// names it.
	Hostname string
	// RunningConfig is what a backup uploads (a small generated one when
	// empty).
	RunningConfig []byte

	// Net says how to reach the network; see SMINet.
	Net SMINet
	// Log receives one line per step (nil: none).
	Log func(string)

	mu      sync.Mutex
	lease   SMILease
	offer   SMILease
	running []byte // set by SetRunningConfig
	reads   []string
	writes  []string
}

// SMIMember is one stack member.
type SMIMember struct {
	PID    string
	Serial string
}

// SMINet is the simulated switch's way onto the network.
type SMINet struct {
	// DHCPConn is a UDP socket on the client port (68) that can send
	// broadcasts and hears broadcast replies; several simulated clients
	// may share the port (see ListenDHCPClient).
	DHCPConn net.PacketConn
	// DHCPServer is where requests go (default 255.255.255.255:67).
	DHCPServer netip.AddrPort
	// Bind installs the leased address on the interface (nil: nothing to
	// do, e.g. on loopback) so the client's sockets can use it.
	Bind func(ctx context.Context, addr netip.Prefix) error
	// ListenUDP and ListenTCP open sockets on the leased address (nil:
	// net.ListenPacket / net.Listen).
	ListenUDP func(ctx context.Context, addr string) (net.PacketConn, error)
	ListenTCP func(ctx context.Context, addr string) (net.Listener, error)
	// Ports (0: the standard ones).
	TFTPPort, SyslogPort, SMIPort int
	// BlockSize for TFTP downloads (0: 1428).
	BlockSize int
}

// SMILease is what DHCP told the client.
type SMILease struct {
	Addr       netip.Prefix
	TFTPServer netip.Addr // option 150
	ConfigFile string     // option 67
	ImageList  string     // option 125, enterprise 9, sub-option 5
	Director   netip.Addr // option 125 sub-option 16
	Hostname   string     // option 12
}

// HasSmartInstall reports whether the lease carries the Smart Install
// options.
func (l SMILease) HasSmartInstall() bool { return l.ImageList != "" || l.Director.IsValid() }

// ErrNoOffer means no DHCP server answered.
var ErrNoOffer = errors.New("no DHCP offer")

func (c *SMIClient) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(fmt.Sprintf("%s: ", c.MAC) + fmt.Sprintf(format, args...))
	}
}

// UDIs are the option 124 items the client announces: one per stack
// member, "PID:…,VID:V01,SN:…[,SW:n]".
func (c *SMIClient) UDIs() []string {
	if len(c.Stack) < 2 {
		return []string{fmt.Sprintf("PID:%s,VID:V01,SN:%s", c.PID, c.Serial)}
	}
	var out []string
	for i, m := range c.Stack {
		out = append(out, fmt.Sprintf("PID:%s,VID:V01,SN:%s,SW:%d", m.PID, m.Serial, i+1))
	}
	return out
}

func (c *SMIClient) vendorClass() []byte {
	var data []byte
	for _, u := range c.UDIs() {
		data = append(data, byte(len(u)))
		data = append(data, u...)
	}
	return append([]byte{0, 0, 0, 9, byte(len(data))}, data...)
}

// Lease returns the last lease.
func (c *SMIClient) Lease() SMILease {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lease
}

func (c *SMIClient) hostname() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Hostname
}

// Offer returns what the last DHCP OFFER said (the lease is the ACK's).
func (c *SMIClient) Offer() SMILease {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offer
}

// SetRunningConfig changes what the next backup uploads, while Listen runs.
func (c *SMIClient) SetRunningConfig(cfg []byte) {
	c.mu.Lock()
	c.running = append([]byte(nil), cfg...)
	c.mu.Unlock()
}

// Reads lists the files the client fetched, in order; Writes the files it
// uploaded.
func (c *SMIClient) Reads() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reads...)
}

func (c *SMIClient) Writes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.writes...)
}

// DHCP runs DISCOVER/OFFER/REQUEST/ACK and installs the address.
func (c *SMIClient) DHCP(ctx context.Context) (SMILease, error) {
	conn := c.Net.DHCPConn
	dst := c.Net.DHCPServer
	if !dst.IsValid() {
		dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), 67)
	}
	prl := dhcpv4.OptGeneric(dhcpv4.OptionParameterRequestList, []byte{1, 3, 6, 12, 15, 66, 67, 125, 150})
	cid := append([]byte{0}, []byte("cisco-"+ciscoMAC(c.MAC)+"-Vl1")...)
	mods := []dhcpv4.Modifier{
		dhcpv4.WithBroadcast(true),
		dhcpv4.WithOption(prl),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionClientIdentifier, cid)),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(124), c.vendorClass())),
	}
	if h := c.hostname(); h != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptHostName(h)))
	}
	disc, err := dhcpv4.NewDiscovery(c.MAC, mods...)
	if err != nil {
		return SMILease{}, err
	}
	offer, err := c.exchange(ctx, conn, dst, disc, dhcpv4.MessageTypeOffer)
	if err != nil {
		return SMILease{}, fmt.Errorf("discover: %w", err)
	}
	req, err := dhcpv4.NewRequestFromOffer(offer, mods...)
	if err != nil {
		return SMILease{}, err
	}
	ack, err := c.exchange(ctx, conn, dst, req, dhcpv4.MessageTypeAck)
	if err != nil {
		return SMILease{}, fmt.Errorf("request: %w", err)
	}
	l := leaseFrom(ack)
	if c.Net.Bind != nil {
		if err := c.Net.Bind(ctx, l.Addr); err != nil {
			return l, fmt.Errorf("install %s: %w", l.Addr, err)
		}
	}
	c.mu.Lock()
	c.lease = l
	c.offer = leaseFrom(offer)
	if l.Hostname != "" && c.Hostname == "" {
		c.Hostname = l.Hostname
	}
	c.mu.Unlock()
	c.logf("lease %s tftp %s config %q imagelist %q", l.Addr, l.TFTPServer, l.ConfigFile, l.ImageList)
	return l, nil
}

func leaseFrom(m *dhcpv4.DHCPv4) SMILease {
	var l SMILease
	ip, _ := netip.AddrFromSlice(m.YourIPAddr.To4())
	bits := 24
	if mask := m.SubnetMask(); mask != nil {
		bits, _ = mask.Size()
	}
	l.Addr = netip.PrefixFrom(ip, bits)
	if v := m.Options.Get(dhcpv4.GenericOptionCode(150)); len(v) >= 4 {
		l.TFTPServer = netip.AddrFrom4([4]byte(v[:4]))
	}
	l.ConfigFile = string(m.Options.Get(dhcpv4.OptionBootfileName))
	l.Hostname = string(m.Options.Get(dhcpv4.OptionHostName))
	// Option 125: enterprise(4) len(1) then code/len/value sub-options.
	v := m.Options.Get(dhcpv4.GenericOptionCode(125))
	for len(v) >= 5 {
		ent := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
		n := int(v[4])
		if 5+n > len(v) {
			break
		}
		data := v[5 : 5+n]
		v = v[5+n:]
		for ent == 9 && len(data) >= 2 && 2+int(data[1]) <= len(data) {
			code, val := data[0], data[2:2+int(data[1])]
			switch {
			case code == 5:
				l.ImageList = string(val)
			case code == 16 && len(val) == 4:
				l.Director = netip.AddrFrom4([4]byte(val))
			}
			data = data[2+int(data[1]):]
		}
	}
	return l
}

// exchange sends m until a reply of type want for it arrives; other
// clients' replies on the shared port are skipped.
func (c *SMIClient) exchange(ctx context.Context, conn net.PacketConn, dst netip.AddrPort, m *dhcpv4.DHCPv4, want dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
	buf := make([]byte, 1500)
	for attempt := 0; attempt < 8; attempt++ {
		if _, err := conn.WriteTo(m.ToBytes(), net.UDPAddrFromAddrPort(dst)); err != nil {
			return nil, err
		}
		wait := time.Now().Add(time.Duration(1+attempt) * time.Second)
		for {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			dl := wait
			if d, ok := ctx.Deadline(); ok && d.Before(dl) {
				dl = d
			}
			_ = conn.SetReadDeadline(dl)
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return nil, err
			}
			r, err := dhcpv4.FromBytes(buf[:n])
			if err != nil || r.OpCode != dhcpv4.OpcodeBootReply || r.TransactionID != m.TransactionID || !bytes.Equal(r.ClientHWAddr, m.ClientHWAddr) {
				continue
			}
			if r.MessageType() == dhcpv4.MessageTypeNak {
				return nil, fmt.Errorf("NAK: %s", r.Message())
			}
			if r.MessageType() == want {
				return r, nil
			}
		}
	}
	return nil, ErrNoOffer
}

func ciscoMAC(hw net.HardwareAddr) string {
	h := fmt.Sprintf("%x", []byte(hw))
	if len(h) != 12 {
		return h
	}
	return h[0:4] + "." + h[4:8] + "." + h[8:12]
}

func (c *SMIClient) listenUDP(ctx context.Context, addr string) (net.PacketConn, error) {
	if c.Net.ListenUDP != nil {
		return c.Net.ListenUDP(ctx, addr)
	}
	var lc net.ListenConfig
	return lc.ListenPacket(ctx, "udp4", addr)
}

func port(p, def int) int {
	if p == 0 {
		return def
	}
	return p
}

// tftp returns a TFTP client talking from the leased address to server.
func (c *SMIClient) tftp(ctx context.Context, server netip.Addr) (*TFTPClient, func(), error) {
	l := c.Lease()
	conn, err := c.listenUDP(ctx, netip.AddrPortFrom(l.Addr.Addr(), 0).String())
	if err != nil {
		return nil, nil, err
	}
	bs := c.Net.BlockSize
	if bs == 0 {
		bs = 1428
	}
	return &TFTPClient{Conn: conn, Server: netip.AddrPortFrom(server, uint16(port(c.Net.TFTPPort, 69))), BlockSize: bs, Tsize: true}, func() { conn.Close() }, nil
}

// Get fetches one file from server by TFTP.
func (c *SMIClient) Get(ctx context.Context, server netip.Addr, name string) ([]byte, error) {
	var b bytes.Buffer
	if _, err := c.fetch(ctx, server, name, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// fetch copies one file from server to w by TFTP and counts it; images go
// to io.Discard, so fifty simulated switches do not hold a gigabyte.
func (c *SMIClient) fetch(ctx context.Context, server netip.Addr, name string, w io.Writer) (int64, error) {
	tc, done, err := c.tftp(ctx, server)
	if err != nil {
		return 0, err
	}
	defer done()
	cw := &countWriter{w: w}
	if _, err := tc.Get(ctx, name, cw); err != nil {
		return cw.n, fmt.Errorf("tftp get %s: %w", name, err)
	}
	c.mu.Lock()
	c.reads = append(c.reads, name)
	c.mu.Unlock()
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// put uploads data to server by TFTP.
func (c *SMIClient) put(ctx context.Context, server netip.Addr, name string, data []byte) error {
	tc, done, err := c.tftp(ctx, server)
	if err != nil {
		return err
	}
	defer done()
	tc.BlockSize = 512
	if _, err := tc.Put(ctx, name, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("tftp put %s: %w", name, err)
	}
	c.mu.Lock()
	c.writes = append(c.writes, name)
	c.mu.Unlock()
	return nil
}

// Syslog sends one message to the syslog host (the TFTP server of the
// lease) the way IOS does: "<pri>seq: *time: %FAC-SEV-MNEMONIC: text".
func (c *SMIClient) Syslog(ctx context.Context, host netip.Addr, msg string) error {
	if c.PreSmartInstall && strings.HasPrefix(msg, "%SMI-") {
		return nil
	}
	conn, err := c.listenUDP(ctx, netip.AddrPortFrom(c.Lease().Addr.Addr(), 0).String())
	if err != nil {
		return err
	}
	defer conn.Close()
	line := fmt.Sprintf("<190>1: *%s: %s", time.Now().UTC().Format("Jan _2 15:04:05.000"), msg)
	_, err = conn.WriteTo([]byte(line), net.UDPAddrFromAddrPort(netip.AddrPortFrom(host, uint16(port(c.Net.SyslogPort, 514)))))
	return err
}

// Result of one zero-touch run.
type SMIResult struct {
	Lease  SMILease
	Images []string
	Bytes  int64
}

// ErrNoSmartInstall means the lease had no Smart Install options: the
// client falls back to plain autoinstall (or stays put, here).
var ErrNoSmartInstall = errors.New("the DHCP lease carries no Smart Install options")

// ZeroTouch does the whole join: DHCP, then the image list, every image
// and the configuration, reporting by syslog. It stops after the downloads
// (a real switch would now reload).
func (c *SMIClient) ZeroTouch(ctx context.Context) (SMIResult, error) {
	l, err := c.DHCP(ctx)
	if err != nil {
		return SMIResult{}, err
	}
	return c.Install(ctx, l)
}

// Install is the part of ZeroTouch after DHCP: with the lease l, it fetches
// the image list, every image and the configuration, reporting by syslog.
// Tests call DHCP and Install apart to change the director's files between
// the lease and the downloads.
func (c *SMIClient) Install(ctx context.Context, l SMILease) (SMIResult, error) {
	res := SMIResult{Lease: l}
	srv := l.TFTPServer
	if c.PreSmartInstall {
		// An old release knows nothing of option 125.
		l.ImageList, l.Director = "", netip.Addr{}
	}
	if !srv.IsValid() || (!l.HasSmartInstall() && l.ConfigFile == "") {
		return res, ErrNoSmartInstall
	}
	ip := l.Addr.Addr().String()
	_ = c.Syslog(ctx, srv, fmt.Sprintf("%%DHCP-6-ADDRESS_ASSIGN: Interface Vlan1 assigned DHCP address %s, mask %s, hostname %s", ip, maskOf(l.Addr), c.hostname()))
	_ = c.Syslog(ctx, srv, "%SMI-6-AUTOINSTALL: continued AUTOINSTALL")
	fail := func(what string, err error) (SMIResult, error) {
		_ = c.Syslog(ctx, srv, fmt.Sprintf("%%SMI-3-UPGRD_FAILED: Device (IP address: %s) %s upgrade failed", ip, what))
		return res, err
	}
	if l.ImageList != "" {
		list, err := c.Get(ctx, srv, l.ImageList)
		if err != nil {
			return fail("image", err)
		}
		for _, line := range strings.Split(string(list), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				res.Images = append(res.Images, line)
			}
		}
		want := 1
		if len(c.Stack) > 1 {
			want = len(c.Stack)
		}
		if len(res.Images) != want {
			return fail("image", fmt.Errorf("image list %s names %d images for %d switches", l.ImageList, len(res.Images), want))
		}
		_ = c.Syslog(ctx, srv, fmt.Sprintf("%%SMI-6-UPGRD_STARTED: Device (IP address: %s) image upgrade has started", ip))
		for _, img := range res.Images {
			n, err := c.fetch(ctx, srv, img, io.Discard)
			if err != nil {
				return fail("image", err)
			}
			res.Bytes += n
		}
		_ = c.Syslog(ctx, srv, fmt.Sprintf("%%SMI-6-UPGRD_SUCCESS: Device (IP address: %s) image has upgraded successfully", ip))
	}
	if l.ConfigFile != "" {
		_ = c.Syslog(ctx, srv, fmt.Sprintf("%%SMI-6-UPGRD_STARTED: Device (IP address: %s) config upgrade has started", ip))
		b, err := c.Get(ctx, srv, l.ConfigFile)
		if err != nil {
			return fail("config", err)
		}
		res.Bytes += int64(len(b))
		if h := hostnameIn(b); h != "" {
			c.mu.Lock()
			c.Hostname = h
			c.mu.Unlock()
		}
		_ = c.Syslog(ctx, srv, fmt.Sprintf("%%SMI-6-UPGRD_SUCCESS: Device (IP address: %s) config has upgraded successfully", ip))
	}
	c.logf("zero touch done: %d images, %d bytes", len(res.Images), res.Bytes)
	return res, nil
}

func maskOf(p netip.Prefix) string {
	m := net.CIDRMask(p.Bits(), 32)
	return net.IP(m).String()
}

func hostnameIn(cfg []byte) string {
	for _, line := range strings.Split(string(cfg), "\n") {
		if h, ok := strings.CutPrefix(strings.TrimSpace(line), "hostname "); ok {
			return strings.TrimSpace(h)
		}
	}
	return ""
}

func (c *SMIClient) runningConfig() []byte {
	c.mu.Lock()
	h, set := c.Hostname, c.running
	c.mu.Unlock()
	if len(set) > 0 {
		return set
	}
	if len(c.RunningConfig) > 0 {
		return c.RunningConfig
	}
	if h == "" {
		h = "Switch"
	}
	return []byte(fmt.Sprintf("!\nversion 15.2\nhostname %s\n!\ninterface Vlan1\n ip address dhcp\n!\nend\n", h))
}

// Listen answers Smart Install requests on TCP 4786 of the leased address
// until ctx ends: a probe gets the client reply; a configuration or image
// list URL makes it fetch the file(s) by TFTP; a backup makes it upload its
// running configuration by TFTP write. A pre-Smart-Install switch does not
// listen and returns at once.
func (c *SMIClient) Listen(ctx context.Context) error {
	if c.PreSmartInstall {
		return nil
	}
	addr := netip.AddrPortFrom(c.Lease().Addr.Addr(), uint16(port(c.Net.SMIPort, smi.Port))).String()
	var ln net.Listener
	var err error
	if c.Net.ListenTCP != nil {
		ln, err = c.Net.ListenTCP(ctx, addr)
	} else {
		var lc net.ListenConfig
		ln, err = lc.Listen(ctx, "tcp4", addr)
	}
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.serveSMI(ctx, conn)
		}()
	}
}

func (c *SMIClient) serveSMI(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	m, err := smi.ReadMessage(conn, smi.MaxPayload)
	if err != nil {
		if !errors.Is(err, io.EOF) {
			_, _ = conn.Write(smi.RejectReply())
		}
		return
	}
	var act func() error
	switch m.Header.Type {
	case smi.TypeProbe:
		if smi.DecodeProbe(m.Raw) == nil {
			_, _ = conn.Write(smi.ClientReply())
			return
		}
	case smi.TypeConfig:
		if r, err := smi.DecodeConfig(m.Raw); err == nil {
			act = func() error {
				b, err := c.Get(ctx, r.URL.Server, r.URL.Path)
				if err == nil {
					c.logf("fetched configuration %s (%d bytes), reload %s", r.URL, len(b), r.Reload)
				}
				return err
			}
		}
	case smi.TypeImageUpgrade:
		if r, err := smi.DecodeImageUpgrade(m.Raw); err == nil {
			act = func() error {
				list, err := c.Get(ctx, r.ImageListURL.Server, r.ImageListURL.Path)
				if err != nil {
					return err
				}
				for _, line := range strings.Split(string(list), "\n") {
					if line = strings.TrimSpace(line); line != "" {
						if _, err := c.fetch(ctx, r.ImageListURL.Server, line, io.Discard); err != nil {
							return err
						}
					}
				}
				return nil
			}
		}
	case smi.TypeCommands:
		if r, err := smi.DecodeBackup(m.Raw); err == nil {
			act = func() error {
				err := c.put(ctx, r.URL.Server, r.URL.Path, c.runningConfig())
				if err == nil {
					_ = c.Syslog(ctx, r.URL.Server, "%SMI-6-SMI_CLIENT_BACKUP_SUCCESS: Client Device startup configuration backup successful on repository")
				}
				return err
			}
		}
	}
	if act == nil {
		_, _ = conn.Write(smi.RejectReply())
		return
	}
	conn.Close() // nothing is answered on 4786; the TFTP request is the sign
	if err := act(); err != nil {
		c.logf("smi request type %d: %v", m.Header.Type, err)
	}
}
