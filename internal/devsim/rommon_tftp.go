package devsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Router ROMMON `tftpdnld` (field notes §2(c)): the monitor variables
// IP_ADDRESS, IP_SUBNET_MASK, DEFAULT_GATEWAY, TFTP_SERVER and TFTP_FILE
// (names case-sensitive), the variables echoed back, the "all existing data
// ... will be lost" question, one "!" per datagram, the flash erased and
// programmed, the prompt again. The download is a real TFTP read from the
// server TFTP_SERVER names, with 512-byte blocks; the ROMMON of the 2800
// profile cannot go past block 65535 (33553920 bytes), as the 2650XM in the
// field notes could not. Profiles whose "tftp.blksize" state is "yes" list
// TFTP_BLKSIZE in their usage and ask the server for that block size.

func init() {
	for _, p := range []string{"rommon", "rommon-g2"} {
		registerRules(p, "rommon",
			Rule{Match: `tftpdnld(?:\s+(.*))?`, Handler: tftpdnld},
		)
	}
	registerProfile("rommon-g2", rommonG2Profile)
}

// rommonG2Profile is a newer router ROMMON (an ISR G2) whose tftpdnld takes
// a TFTP_BLKSIZE variable, so images over 32 MB download.
func rommonG2Profile() *Profile {
	p := rommonProfile()
	p.Name = "rommon-g2"
	p.Summary = "Cisco 2911 router in ROMMON; tftpdnld takes TFTP_BLKSIZE"
	p.State["tftp.blksize"] = "yes"
	p.FlashSize = 256 << 20
	p.Files = map[string][]byte{"c2900-universalk9-mz.SPA.157-3.M8.bin": FakeIOSImage(8192)}
	return p
}

// SetTFTPPort makes the device's TFTP client send its requests to port
// instead of 69, so tests can serve from an unprivileged port. Call it once
// the device is at its prompt: a power cycle forgets it.
func (d *Device) SetTFTPPort(port int) { d.SetState("sim.tftp-port", strconv.Itoa(port)) }

func (d *Device) tftpPort() uint16 {
	if p, err := strconv.Atoi(d.State("sim.tftp-port")); err == nil && p > 0 && p < 65536 {
		return uint16(p)
	}
	return 69
}

// maxROMMONBlocks is where a ROMMON TFTP client without block-number
// rollover stops: block 65535 of 512 bytes.
const maxROMMONBlocks = 65535

var errBlockLimit = errors.New("block number would pass 65535")

var tftpdnldRequired = []struct{ name, what string }{
	{"IP_ADDRESS", "The IP address for this unit"},
	{"IP_SUBNET_MASK", "The subnet mask for this unit"},
	{"DEFAULT_GATEWAY", "The default gateway for this unit"},
	{"TFTP_SERVER", "The IP address of the server to fetch from"},
	{"TFTP_FILE", "The filename to fetch"},
}

func tftpdnldUsage(blksize bool) []string {
	out := []string{
		"usage: tftpdnld [-hr]",
		"  Use this command for disaster recovery only to recover an image via TFTP.",
		"  Monitor variables are used to set up parameters for the transfer.",
		`  (Syntax: "VARIABLE_NAME=value" and use "set" to show current variables.)`,
		`  "ctrl-c" or "break" stops the transfer before flash erase begins.`,
		"",
		"  The following variables are REQUIRED to be set for tftpdnld:",
	}
	for _, v := range tftpdnldRequired {
		out = append(out, fmt.Sprintf("%22s: %s", v.name, v.what))
	}
	out = append(out, "",
		"  The following variables are OPTIONAL:",
		"          TFTP_VERBOSE: Print setting. 0=quiet, 1=progress(default), 2=verbose",
		"      TFTP_RETRY_COUNT: Retry count for ARP and TFTP (default=7)",
		"          TFTP_TIMEOUT: Overall timeout of operation in seconds (default=7200)",
		"         TFTP_CHECKSUM: Perform checksum test on image, 0=no, 1=yes (default=1)",
	)
	if blksize {
		out = append(out, "          TFTP_BLKSIZE: TFTP block size, 512-8192 (default=512)")
	}
	return append(out, "",
		"Command line options:",
		"   -h: this help screen",
		"   -r: do not write flash, load to DRAM only and launch image",
		"")
}

// tftpdnld is the ROMMON command.
func tftpdnld(ctx context.Context, c *Call) error {
	d := c.Device
	blksizeOK := d.State("tftp.blksize") == "yes"
	opt := strings.TrimSpace(c.Arg(1))
	if opt != "" && opt != "-r" {
		return c.Println(tftpdnldUsage(blksizeOK)...)
	}
	addrs := map[string]netip.Addr{}
	for _, v := range tftpdnldRequired[:4] {
		val, _ := d.Env(v.name)
		a, err := netip.ParseAddr(val)
		if err != nil || !a.Is4() {
			return c.Println(append([]string{
				"Missing or illegal ip address for variable " + v.name,
				"Illegal IP address.", "",
			}, tftpdnldUsage(blksizeOK)...)...)
		}
		addrs[v.name] = a
	}
	file, _ := d.Env("TFTP_FILE")
	if file == "" {
		return c.Println(append([]string{"Missing TFTP_FILE variable", ""}, tftpdnldUsage(blksizeOK)...)...)
	}
	blksize := 0
	if v, ok := d.Env("TFTP_BLKSIZE"); ok && blksizeOK {
		n, err := strconv.Atoi(v)
		if err != nil || n < 512 || n > 8192 {
			return c.Println("Illegal value for variable TFTP_BLKSIZE: "+v, "")
		}
		blksize = n
	}
	echo := []string{""}
	for _, v := range tftpdnldRequired {
		val, _ := d.Env(v.name)
		echo = append(echo, fmt.Sprintf("%20s: %s", v.name, val))
	}
	echo = append(echo, "",
		"Invoke this command for disaster recovery only.",
		"WARNING: all existing data in all partitions on flash will be lost!")
	if err := c.Println(echo...); err != nil {
		return err
	}
	if _, err := c.Port.Write([]byte("Do you wish to continue? y/n:  [n]:  ")); err != nil {
		return err
	}
	ans, err := d.readLine(ctx)
	if err != nil {
		return err
	}
	if a := strings.TrimSpace(ans); a != "y" && a != "Y" {
		return c.Println("")
	}
	if addrs["DEFAULT_GATEWAY"] == addrs["IP_ADDRESS"] {
		// The field notes: a gateway equal to the unit's own address makes
		// the download fail.
		return c.Println("", "Receiving "+file+" from "+addrs["TFTP_SERVER"].String()+" ", "ARP: no reply from "+addrs["TFTP_SERVER"].String(), "tftpdnld: download failed", "")
	}
	if err := c.Println("", "Receiving "+file+" from "+addrs["TFTP_SERVER"].String()+" "); err != nil {
		return err
	}
	var img strings.Builder
	marks := &markWriter{w: c.Port, dst: &img, limit: maxROMMONBlocks}
	if blksize > 0 {
		marks.limit = 0
	}
	res, err := deviceTFTPGet(ctx, d, addrs["IP_ADDRESS"], addrs["TFTP_SERVER"], file, blksize, marks)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.Println("", tftpFailure(err, addrs["TFTP_SERVER"], res), "tftpdnld: download failed", "")
	}
	data := []byte(img.String())
	if err := c.Println("", "File reception completed.", "Validating checksum."); err != nil {
		return err
	}
	if opt == "-r" {
		return rommonLaunch(ctx, c, file, data)
	}
	if int64(len(data)) > d.Flash().Total()-flashRootUsed {
		return c.Println("Image is too large for flash ("+strconv.Itoa(len(data))+" bytes)", "")
	}
	files, _ := d.Flash().List("")
	for _, f := range files {
		if !f.Dir {
			d.Flash().Delete(f.Name)
		}
	}
	if err := d.Flash().Put(file, data); err != nil {
		return c.Println("program flash failed: "+err.Error(), "")
	}
	return c.Println(
		"Copying file "+file+" to flash.",
		"Erasing flash at 0x607c0000",
		"program flash location 0x60440000",
		"")
}

// tftpFailure words a failed device download the way the monitor reports
// it: the server's error code and text, or no answer.
func tftpFailure(err error, server netip.Addr, res TFTPResult) string {
	var se tftpServerError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("TFTP: error code %d received from %s - %s", se.code, server, se.msg)
	case errors.Is(err, errBlockLimit):
		return fmt.Sprintf("TFTP: timed out waiting for block %d from %s", maxROMMONBlocks+1, server)
	default:
		return fmt.Sprintf("TFTP: no answer from %s (%d bytes received)", server, res.Bytes)
	}
}

type tftpServerError struct {
	code int
	msg  string
}

func (e tftpServerError) Error() string { return fmt.Sprintf("tftp error %d: %s", e.code, e.msg) }

// deviceTFTPGet downloads file from server the way a device on the cable
// would: from its own address when this host has it (any 127.x address
// does), to port 69 or the port SetTFTPPort named.
func deviceTFTPGet(ctx context.Context, d *Device, local, server netip.Addr, file string, blksize int, w io.Writer) (TFTPResult, error) {
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{})
		if err != nil {
			return TFTPResult{}, err
		}
	}
	defer conn.Close()
	cl := &TFTPClient{Conn: conn, Server: netip.AddrPortFrom(server, d.tftpPort()), BlockSize: blksize, Retries: 7}
	res, err := cl.Get(ctx, file, w)
	if err != nil && errors.Is(err, ErrTFTPServer) {
		// "tftp server error 1: file not found" → code and text.
		msg := err.Error()
		if i := strings.Index(msg, ErrTFTPServer.Error()+" "); i >= 0 {
			rest := msg[i+len(ErrTFTPServer.Error())+1:]
			codeText, text, _ := strings.Cut(rest, ": ")
			code, _ := strconv.Atoi(codeText)
			return res, tftpServerError{code: code, msg: text}
		}
	}
	return res, err
}

// markWriter keeps the download and prints one "!" per datagram, as the
// monitor does; with a limit it stops at that many blocks.
type markWriter struct {
	w      io.Writer
	dst    io.Writer
	blocks int
	limit  int
}

func (m *markWriter) Write(p []byte) (int, error) {
	if m.limit > 0 && m.blocks >= m.limit {
		return 0, errBlockLimit
	}
	m.blocks++
	if _, err := m.dst.Write(p); err != nil {
		return 0, err
	}
	if _, err := m.w.Write([]byte{'!'}); err != nil {
		return 0, err
	}
	return len(p), nil
}

// rommonLaunch runs an image straight from memory (tftpdnld -r, xmodem -r).
func rommonLaunch(ctx context.Context, c *Call, name string, data []byte) error {
	if !isIOSImage(name, data) {
		return c.Println("launch: "+name+" is not a runnable image", "")
	}
	if err := c.Println(fmt.Sprintf("program load complete, entry point: 0x8000f000, size: 0x%x", len(data)),
		"Self decompressing the image : ###########################################################  [OK]"); err != nil {
		return err
	}
	return startIOS(ctx, c, "tftp:"+name)
}
