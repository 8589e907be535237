package devsim

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// APOptions describe a simulated Aironet access point: its boot loader
// (ap:) with MODE-button recovery and manual tar -xtract, and its IOS,
// lightweight (CAPWAP) when the image booted is a k9w8 one.
type APOptions struct {
	// Dir is where the host-side symlink goes ("" = a temporary folder).
	Dir string
	// Platform is the AP's platform code; default "c1200".
	Platform string
	// Flash, when not nil, is the flash content at power-on (default: only
	// env_vars, so the loader stops at ap:). Env adds loader variables
	// (BOOT naming an image in Flash makes the AP boot it).
	Flash map[string][]byte
	Env   map[string]string
	// Listen opens the AP's UDP socket, bound where the test wants it (in
	// a network namespace for broadcast, on loopback otherwise). Nil means
	// the AP has no network: downloads fail as with no cable.
	Listen func(ctx context.Context) (net.PacketConn, error)
	// TFTPPort is the port the AP sends its requests to; 0 means 69.
	TFTPPort uint16
	// Retransmit and Retries tune the AP's TFTP client (defaults 500 ms,
	// 10): how soon a stalled download ends in "Premature end of tar file".
	Retransmit time.Duration
	Retries    int
	// ModeButtonDisabled makes the AP ignore MODE, as when a controller
	// disabled it.
	ModeButtonDisabled bool
	// AskLightweight makes MODE-button recovery ask for the k9w8 name.
	AskLightweight bool
	// MoreEvery is how many extracting lines a manual tar -xtract prints
	// before its "-- MORE --" pager; default 20, negative never pages.
	MoreEvery int
	// CAPWAPBusy is how long after IOS starts a lightweight AP's own
	// controller download holds flash:/update, failing a manual archive
	// download-sw with FailureCode:7.
	CAPWAPBusy time.Duration
	// OnExtract, when set, is told how every extraction ended.
	OnExtract func(ExtractResult)
}

// AP is a simulated access point on its own link.
type AP struct {
	*Sim
	o APOptions

	mu        sync.Mutex
	power     int // pending power cycle: 0 none, 1 plain, 2 MODE held
	button    bool
	cancel    context.CancelFunc // of the command or boot in progress
	iosAt     time.Time          // when IOS last started
	extracted []ExtractResult
}

// errPowerCycled ends whatever the device was doing when the power went.
var errPowerCycled = errors.New("power cycled")

const (
	powerPlain = 1
	powerMode  = 2
)

// StartAP makes a link and powers an access point on at its far end.
func StartAP(ctx context.Context, o APOptions) (*AP, error) {
	a, p, err := newAP(o)
	if err != nil {
		return nil, err
	}
	l, err := NewLink(LinkConfig{Dir: o.Dir})
	if err != nil {
		return nil, err
	}
	d, err := newDevice(p, &linkLine{f: l.devSlave, l: l}, 9600, a.o.Flash, a.o.Env)
	if err != nil {
		l.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	a.Sim = &Sim{Link: l, Device: d, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.Sim.done)
		a.Sim.err = a.run(ctx)
	}()
	return a, nil
}

// newAP applies the defaults of o and compiles the AP's profile.
func newAP(o APOptions) (*AP, *Profile, error) {
	if o.Platform == "" {
		o.Platform = "c1200"
	}
	if o.MoreEvery == 0 {
		o.MoreEvery = 20
	}
	a := &AP{o: o}
	p := a.profile()
	if err := p.compile(); err != nil {
		return nil, nil, err
	}
	return a, p, nil
}

// PowerCycle pulls and restores the AP's power; with holdMode the MODE
// button is held through power-on, which starts image recovery.
func (a *AP) PowerCycle(holdMode bool) {
	a.mu.Lock()
	a.power = powerPlain
	if holdMode {
		a.power = powerMode
	}
	cancel := a.cancel
	a.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	// Wake the line editor, which may be waiting for a key.
	a.Device.ln.SetReadDeadline(time.Unix(1, 0))
}

// Extractions lists how every extraction since power-on of the simulator
// ended.
func (a *AP) Extractions() []ExtractResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]ExtractResult(nil), a.extracted...)
}

func (a *AP) takePower() (pending bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.power == 0 {
		return false
	}
	a.button = a.power == powerMode
	a.power = 0
	return true
}

func (a *AP) powerPending() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.power != 0
}

// step runs one piece of device work under a context a power cycle cancels.
func (a *AP) step(ctx context.Context, f func(ctx context.Context) error) error {
	cctx, cancel := context.WithCancel(ctx)
	a.mu.Lock()
	a.cancel = cancel
	pending := a.power != 0
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.cancel = nil
		a.mu.Unlock()
		cancel()
	}()
	if pending {
		return errPowerCycled
	}
	err := f(cctx)
	if a.powerPending() {
		return errPowerCycled
	}
	return err
}

// run is Device.run with power cycles: whatever the device is doing, a
// power cycle abandons it and boots again.
func (a *AP) run(ctx context.Context) error {
	d := a.Device
	stop := context.AfterFunc(ctx, func() { d.ln.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	err := a.step(ctx, d.PowerOn)
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if !a.takePower() {
				return err
			}
			d.ln.SetReadDeadline(time.Time{})
			d.pending = nil
			err = a.step(ctx, d.PowerOn)
			continue
		}
		if err = d.writePrompt(); err != nil {
			continue
		}
		var text string
		if text, err = d.readLine(ctx); err != nil {
			continue
		}
		err = a.step(ctx, func(ctx context.Context) error { return d.exec(ctx, text) })
	}
}

// profile is the AP as data: the Aironet loader of aironetProfile with the
// recovery commands, and lightweight AP IOS (ap_ios.go).
func (a *AP) profile() *Profile {
	p := aironetProfile()
	p.Name = "aironet-ap"
	p.Summary = "Aironet AP: ap: loader with MODE-button recovery and tar -xtract, lightweight IOS"
	for k, m := range a.iosModes() {
		p.Modes[k] = m
	}
	loader := p.Modes["loader"]
	loader.Rules = append([]Rule{
		{Match: `ether_init`, Output: etherInitLines, State: map[string]string{"ether": "on"}},
		{Match: `tftp_init`, State: map[string]string{"tftp": "on"}},
		{Match: `tar\s+-xtract\s+(tftp://\S+)\s+(flash:\S*)`, Handler: a.tarXtract},
		{Match: `boot(?:\s+(\S+))?`, Handler: a.bootCommand},
	}, loader.Rules...)
	p.PowerOn = a.powerOn
	return p
}

// powerOn is the loader's start: flash check, Ethernet, then MODE-button
// recovery when the button is held, else the image BOOT names.
func (a *AP) powerOn(ctx context.Context, c *Call) error {
	d := c.Device
	a.mu.Lock()
	held := a.button && !a.o.ModeButtonDisabled
	a.button = false
	a.mu.Unlock()
	lines := concat(
		[]string{"Xmodem file system is available."},
		flashfsLines("11"),
		[]string{"Reading cookie from flash parameter block...done.", "Base ethernet MAC Address: 00:16:c7:16:c4:53"},
		etherInitLines,
	)
	if err := c.Println(d.expandAll(lines, nil)...); err != nil {
		return err
	}
	if held {
		return a.modeRecovery(ctx, c)
	}
	boot, _ := d.Env("BOOT")
	return a.bootImage(ctx, c, boot)
}

// bootImage loads image from flash and starts IOS, or stops at ap:.
func (a *AP) bootImage(ctx context.Context, c *Call, image string) error {
	d := c.Device
	if image != "" {
		if data, ok := d.Flash().Get(image); ok && len(data) > 0 {
			if err := c.Println(`Loading "`+image+`"...`+strings.Repeat("#", min(max(len(data)/(64<<10), 1), 60)), "", `File "`+image+`" uncompressed and installed, entry point: 0x3000`, "executing..."); err != nil {
				return err
			}
			return a.startIOS(ctx, c, image)
		}
		if err := c.Println(`Loading "` + image + `"...` + image + `: no such file or directory`); err != nil {
			return err
		}
	}
	if err := c.Println(noBootableFiles...); err != nil {
		return err
	}
	return d.SetMode("loader")
}

func (a *AP) bootCommand(ctx context.Context, c *Call) error {
	image := c.Arg(1)
	if image == "" {
		image, _ = c.Device.Env("BOOT")
	}
	return a.bootImage(ctx, c, image)
}

// modeRecovery is what the loader does with MODE held: reset to 10.0.0.1,
// ask 255.255.255.255 for <platform>-k9w7-tar.default, sending every ACK
// to the broadcast address too (the AIR-AP1231G trace in seed 000), extract
// it, and boot the new image.
func (a *AP) modeRecovery(ctx context.Context, c *Call) error {
	d := c.Device
	kind := "k9w7"
	if a.o.AskLightweight {
		kind = "k9w8"
	}
	name := a.o.Platform + "-" + kind + "-tar.default"
	src := "tftp://255.255.255.255/" + name
	if err := c.Println(
		"button is pressed, wait for button to be released...",
		"button pressed for 20 seconds",
		"process_config_recovery: set IP address and config to default 10.0.0.1",
		"process_config_recovery: image recovery",
		"image_recovery: Download default IOS tar image "+src,
	); err != nil {
		return err
	}
	d.SetEnv("IP_ADDR", "10.0.0.1")
	d.SetEnv("NETMASK", "255.255.255.0")
	bcast := netip.AddrFrom4([4]byte{255, 255, 255, 255})
	res, err := a.download(ctx, c, netip.AddrPortFrom(bcast, a.port()), TFTPTarget{IP: bcast}, name, src, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		return a.bootImage(ctx, c, "")
	}
	boot := "flash:/" + res.Image
	old, _ := d.Env("BOOT")
	d.SetEnv("BOOT", boot)
	if err := replaceImage(d.Flash(), old, boot); err != nil {
		return err
	}
	return a.bootImage(ctx, c, boot)
}

func (a *AP) port() uint16 {
	if a.o.TFTPPort != 0 {
		return a.o.TFTPPort
	}
	return 69
}

// tarXtract is `tar -xtract tftp://HOST/FILE flash:` at ap:, paging its
// output with "-- MORE --".
func (a *AP) tarXtract(ctx context.Context, c *Call) error {
	d := c.Device
	url := c.Arg(1)
	if d.State("ether") != "on" || d.State("tftp") != "on" {
		return c.Println("%Error opening " + url + " (network not initialized: run ether_init and tftp_init)")
	}
	if _, ok := d.Env("IP_ADDR"); !ok {
		return c.Println("%Error opening " + url + " (no IP address: set IP_ADDR)")
	}
	hostFile := strings.TrimPrefix(url, "tftp://")
	host, file, ok := strings.Cut(hostFile, "/")
	ip, err := netip.ParseAddr(host)
	if !ok || err != nil || file == "" {
		return c.Println("%Error opening " + url + " (invalid URL)")
	}
	var more func() error
	if a.o.MoreEvery > 0 {
		more = func() error {
			if err := d.write("-- MORE -- "); err != nil {
				return err
			}
			if _, err := d.readKey(ctx); err != nil {
				return err
			}
			return d.write("\r           \r")
		}
	}
	_, err = a.download(ctx, c, netip.AddrPortFrom(ip, a.port()), TFTPTarget{}, file, url, more)
	return err
}

// download fetches name from server over TFTP and extracts it into flash
// as it arrives. Failures are printed as the device prints them.
func (a *AP) download(ctx context.Context, c *Call, server netip.AddrPort, ackTo TFTPTarget, name, src string, more func() error) (ExtractResult, error) {
	d := c.Device
	if a.o.Listen == nil {
		return a.result(ExtractResult{Failure: "%Error opening"}), c.Println("examining image...", "%Error opening "+src+" (network is unreachable)", notValidArchive)
	}
	conn, err := a.o.Listen(ctx)
	if err != nil {
		return a.result(ExtractResult{Failure: "%Error opening"}), c.Println("examining image...", "%Error opening "+src+" (network is unreachable)", notValidArchive)
	}
	defer conn.Close()
	client := &TFTPClient{Conn: conn, Server: server, AckTo: ackTo, Retransmit: a.o.Retransmit, Retries: a.o.Retries}
	pr, pw := io.Pipe()
	got := make(chan error, 1)
	go func() {
		_, err := client.Get(ctx, name, pw)
		pw.CloseWithError(err)
		got <- err
	}()
	defer func() {
		pr.CloseWithError(errStopped)
		<-got
	}()
	br := bufio.NewReaderSize(pr, 4096)
	if _, err := br.Peek(1); err != nil {
		why := "timed out"
		if errors.Is(err, ErrTFTPServer) {
			why = "no such file or directory"
		}
		return a.result(ExtractResult{Failure: "%Error opening"}), c.Println("examining image...", "%Error opening "+src+" ("+why+")", "ERROR: Failed to open archive file "+src)
	}
	x := &TarExtract{
		Platform: a.o.Platform, Source: src, Print: c.Println,
		More: more, MoreEvery: a.o.MoreEvery,
		Put: func(n string, data []byte) error { return d.Flash().Put(n, data) },
	}
	res, err := x.Run(br)
	return a.result(res), err
}

func (a *AP) result(r ExtractResult) ExtractResult {
	a.mu.Lock()
	a.extracted = append(a.extracted, r)
	a.mu.Unlock()
	if a.o.OnExtract != nil {
		a.o.OnExtract(r)
	}
	return r
}
