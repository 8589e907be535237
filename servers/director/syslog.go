package director

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SyslogPort is where switches send syslog.
const SyslogPort = 514

// SyslogMessage is one IOS system message: %FACILITY-SEVERITY-MNEMONIC: text,
// with the typed fields of its template pulled out.
type SyslogMessage struct {
	Facility string // "SMI", "DHCP"
	Severity int
	Mnemonic string // "UPGRD_SUCCESS"
	Text     string
	// IPs and MACs are every [inet] and [enet] in the text, in order.
	IPs  []netip.Addr
	MACs []MAC
	// What is the [chars] of the UPGRD_* messages ("image", a file name).
	What string
	// Hostname is from %DHCP-6-ADDRESS_ASSIGN.
	Hostname string
}

// Tag is FACILITY-SEVERITY-MNEMONIC, the form events use as their Kind.
func (m SyslogMessage) Tag() string {
	return fmt.Sprintf("%s-%d-%s", m.Facility, m.Severity, m.Mnemonic)
}

var (
	syslogTag     = regexp.MustCompile(`%([A-Z][A-Z0-9_]*)-([0-7])-([A-Z][A-Z0-9_]*):\s*(.*)$`)
	syslogIP      = regexp.MustCompile(`\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b`)
	syslogMAC     = regexp.MustCompile(`\b([0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4})\b`)
	upgradeWhat   = regexp.MustCompile(`\)\s*(.+?)\s+(?:upgrade has started|has upgraded successfully|upgrade failed)`)
	assignedHost  = regexp.MustCompile(`hostname\s+(\S+)`)
	errNotMessage = errors.New("not an IOS system message")
)

// ParseSyslog reads one syslog datagram (RFC 3164 as IOS sends it, with or
// without priority, sequence number and timestamp) and finds the system
// message in it.
func ParseSyslog(b []byte) (SyslogMessage, error) {
	s := strings.TrimRight(string(b), "\r\n\x00")
	if len(s) > 2048 {
		s = s[:2048]
	}
	g := syslogTag.FindStringSubmatch(s)
	if g == nil {
		return SyslogMessage{}, errNotMessage
	}
	sev, _ := strconv.Atoi(g[2])
	m := SyslogMessage{Facility: g[1], Severity: sev, Mnemonic: g[3], Text: strings.TrimSpace(g[4])}
	for _, ip := range syslogIP.FindAllString(m.Text, -1) {
		if a, err := netip.ParseAddr(ip); err == nil {
			m.IPs = append(m.IPs, a)
		}
	}
	for _, mac := range syslogMAC.FindAllString(m.Text, -1) {
		if v, err := ParseMAC(mac); err == nil {
			m.MACs = append(m.MACs, v)
		}
	}
	if w := upgradeWhat.FindStringSubmatch(m.Text); w != nil {
		m.What = w[1]
	}
	if m.Facility == "DHCP" && m.Mnemonic == "ADDRESS_ASSIGN" {
		if h := assignedHost.FindStringSubmatch(m.Text); h != nil {
			m.Hostname = strings.TrimRight(h[1], ",.")
		}
	}
	return m, nil
}

// ServeSyslog reads syslog datagrams from conn until ctx ends and hands
// every IOS system message to handle with its sender's address. Other
// datagrams are dropped. It does not close conn.
func ServeSyslog(ctx context.Context, conn net.PacketConn, handle func(from netip.Addr, m SyslogMessage)) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 4096)
	for {
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("syslog: %w", err)
			}
			continue
		}
		m, err := ParseSyslog(buf[:n])
		if err != nil {
			continue
		}
		handle(peerOf(addr).Addr(), m)
	}
}

// peerOf turns a socket address into a comparable one, with IPv4-mapped
// IPv6 addresses unmapped.
func peerOf(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return ap
}
