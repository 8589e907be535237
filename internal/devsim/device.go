package devsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrUnknownProfile means no device profile has the requested name.
var ErrUnknownProfile = errors.New("unknown simulated device")

// maxLine caps a command line; a real loader's buffer is small too, and
// garbage at the wrong speed must not grow memory.
const maxLine = 512

// line is the device side of a serial line as a device uses it.
type line interface {
	io.ReadWriter
	SetReadDeadline(t time.Time) error
	SetDeadline(t time.Time) error
	// setBaud changes the device's speed once everything written so far
	// has left the line, as a UART finishes its shift register first.
	setBaud(ctx context.Context, baud int) error
}

// Device is a simulated Cisco device running a Profile on the device side of
// a line. Its state may be read from other goroutines while it runs.
type Device struct {
	p     *Profile
	ln    line
	flash *Flash

	mu    sync.Mutex
	env   map[string]string
	state map[string]string
	mode  string
	baud  int

	// Only the device goroutine touches these.
	pending []byte // input read but not consumed yet
	lastCR  bool   // the previous byte ended a line with CR
}

// newDevice prepares a device; run starts it.
func newDevice(p *Profile, ln line, baud int, files map[string][]byte, env map[string]string) (*Device, error) {
	if baud == 0 {
		baud = 9600
	}
	d := &Device{p: p, ln: ln, baud: baud, env: map[string]string{}, state: map[string]string{}, mode: p.Start}
	for k, v := range p.Env {
		d.env[k] = v
	}
	for k, v := range env {
		d.env[k] = v
	}
	for k, v := range p.State {
		d.state[k] = v
	}
	if p.BaudVar != "" && baud != p.defaultBaud() {
		if _, set := d.env[p.BaudVar]; !set {
			d.env[p.BaudVar] = strconv.Itoa(baud)
		}
	}
	if files == nil {
		files = p.Files
	}
	size := p.FlashSize
	if size == 0 {
		size = 32514048
	}
	d.flash = NewFlash(size)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := d.flash.Put(n, files[n]); err != nil {
			return nil, fmt.Errorf("simulated %s: initial flash: %w", p.Name, err)
		}
	}
	return d, nil
}

func (p *Profile) defaultBaud() int {
	if p.DefaultBaud == 0 {
		return 9600
	}
	return p.DefaultBaud
}

// run powers the device on and serves commands until ctx ends or the line
// breaks.
func (d *Device) run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { d.ln.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	err := d.PowerOn(ctx)
	for err == nil {
		if err = d.writePrompt(); err != nil {
			break
		}
		var text string
		if text, err = d.readLine(ctx); err != nil {
			break
		}
		err = d.exec(ctx, text)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// PowerOn prints the boot output and enters the first mode, as after a
// power cycle. Handlers call it for `reset` and `reload`.
func (d *Device) PowerOn(ctx context.Context) error {
	d.mu.Lock()
	d.state = map[string]string{}
	for k, v := range d.p.State {
		d.state[k] = v
	}
	d.mode = d.p.Start
	d.mu.Unlock()
	if d.p.BaudVar != "" {
		// The loader starts at the speed its BAUD variable names.
		if err := d.applyBaudVar(ctx); err != nil {
			return err
		}
	}
	if d.p.PowerOn != nil {
		return d.p.PowerOn(ctx, &Call{Device: d, Port: &Port{d: d}})
	}
	return d.Println(d.expandAll(d.p.Banner, nil)...)
}

// Profile is the name of the profile the device runs.
func (d *Device) Profile() string { return d.p.Name }

// Mode is the name of the current mode ("loader", "user", "priv", …).
func (d *Device) Mode() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mode
}

// SetMode switches to another mode of the profile.
func (d *Device) SetMode(name string) error {
	if _, ok := d.p.Modes[name]; !ok {
		return fmt.Errorf("simulated %s: no mode %q", d.p.Name, name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.mode = name
	return nil
}

// Baud is the device side's current speed.
func (d *Device) Baud() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.baud
}

// SetBaud changes the device's speed once everything it printed so far has
// left the line.
func (d *Device) SetBaud(ctx context.Context, baud int) error {
	if err := d.ln.setBaud(ctx, baud); err != nil {
		return fmt.Errorf("simulated %s: set speed %d: %w", d.p.Name, baud, err)
	}
	d.mu.Lock()
	d.baud = baud
	d.mu.Unlock()
	return nil
}

// Env returns a loader variable.
func (d *Device) Env(name string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.env[name]
	return v, ok
}

// SetEnv sets a loader variable. Setting the profile's BaudVar does not
// change the speed by itself; commands do that through rules.
func (d *Device) SetEnv(name, value string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.env[name] = value
}

// Unsetenv removes a loader variable.
func (d *Device) Unsetenv(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.env, name)
}

// EnvList returns the loader variables as NAME=value lines, sorted, as the
// loaders' `set` prints them.
func (d *Device) EnvList() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.env))
	for k, v := range d.env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// State returns hidden state ("" when unset).
func (d *Device) State(name string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state[name]
}

// SetState sets hidden state.
func (d *Device) SetState(name, value string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.state[name] = value
}

// Flash is the device's simulated flash.
func (d *Device) Flash() *Flash { return d.flash }

// Println writes lines, each ended with CR LF as Cisco devices do.
func (d *Device) Println(lines ...string) error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	return d.write(b.String())
}

// Expand expands a template (see Rule) with args as $0…$9.
func (d *Device) Expand(tmpl string, args []string) string {
	return os.Expand(tmpl, func(k string) string { return d.lookup(k, args) })
}

func (d *Device) expandAll(tmpls []string, args []string) []string {
	out := make([]string, len(tmpls))
	for i, t := range tmpls {
		out[i] = d.Expand(t, args)
	}
	return out
}

func (d *Device) lookup(k string, args []string) string {
	if i, err := strconv.Atoi(k); err == nil {
		if i >= 0 && i < len(args) {
			return args[i]
		}
		return ""
	}
	switch k {
	case "flash.total":
		return strconv.FormatInt(d.flash.Total(), 10)
	case "flash.used":
		return strconv.FormatInt(d.flash.Used(), 10)
	case "flash.free":
		return strconv.FormatInt(d.flash.Free(), 10)
	case "flash.files":
		n, _ := d.flash.Counts()
		return strconv.Itoa(n)
	case "flash.dirs":
		_, n := d.flash.Counts()
		return strconv.Itoa(n)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.state[k]; ok {
		return v
	}
	return d.env[k]
}

func (d *Device) write(s string) error {
	if s == "" {
		return nil
	}
	_, err := io.WriteString(d.ln, s)
	return err
}

func (d *Device) currentMode() *Mode {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.p.Modes[d.mode]
}

func (d *Device) promptText() string {
	return d.Expand(d.currentMode().Prompt, nil)
}

func (d *Device) writePrompt() error { return d.write(d.promptText()) }

// readByte returns the next input byte.
func (d *Device) readByte(ctx context.Context) (byte, error) {
	for len(d.pending) == 0 {
		buf := make([]byte, 256)
		n, err := d.ln.Read(buf)
		d.pending = append(d.pending, buf[:n]...)
		if n > 0 {
			break
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err != nil {
			return 0, err
		}
	}
	b := d.pending[0]
	d.pending = d.pending[1:]
	return b, nil
}

// readLine edits one command line: printable characters are echoed,
// backspace and delete erase, CR or LF ends the line (LF right after CR is
// the same line ending), anything else is ignored as a loader does.
func (d *Device) readLine(ctx context.Context) (string, error) {
	echo := !d.currentMode().NoEcho
	var buf []byte
	for {
		b, err := d.readByte(ctx)
		if err != nil {
			return "", err
		}
		wasCR := d.lastCR
		d.lastCR = b == '\r'
		switch {
		case b == '\n' && wasCR:
		case b == '\r' || b == '\n':
			return string(buf), d.write("\r\n")
		case b == 0x08 || b == 0x7f:
			if len(buf) > 0 {
				buf = buf[:len(buf)-1]
				if echo {
					if err := d.write("\b \b"); err != nil {
						return "", err
					}
				}
			}
		case b >= 0x20 && b < 0x7f && len(buf) < maxLine:
			buf = append(buf, b)
			if echo {
				if err := d.write(string(b)); err != nil {
					return "", err
				}
			}
		}
	}
}

// readKey waits for one key, as --More-- and [confirm] do; a LF following
// a CR is skipped.
func (d *Device) readKey(ctx context.Context) (byte, error) {
	for {
		b, err := d.readByte(ctx)
		if err != nil {
			return 0, err
		}
		wasCR := d.lastCR
		d.lastCR = b == '\r'
		if b == '\n' && wasCR {
			continue
		}
		return b, nil
	}
}

// exec runs the first rule of the current mode that matches text.
func (d *Device) exec(ctx context.Context, text string) error {
	m := d.currentMode()
	if m.Counter {
		n, _ := strconv.Atoi(d.State("counter"))
		d.SetState("counter", strconv.Itoa(n+1))
	}
	cmd := strings.TrimSpace(text)
	for i := range m.Rules {
		r := &m.Rules[i]
		if !d.when(r.When) {
			continue
		}
		args := r.re.FindStringSubmatch(cmd)
		if args == nil {
			continue
		}
		return d.apply(ctx, r, cmd, args)
	}
	if cmd == "" || len(m.Unknown) == 0 {
		return nil
	}
	word, _, _ := strings.Cut(cmd, " ")
	caret := strings.Repeat(" ", len(d.promptText())) + "^"
	var out []string
	for _, t := range m.Unknown {
		out = append(out, os.Expand(t, func(k string) string {
			switch k {
			case "cmd":
				return word
			case "line":
				return cmd
			case "caret":
				return caret
			}
			return d.lookup(k, nil)
		}))
	}
	return d.Println(out...)
}

func (d *Device) when(conds map[string]string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, want := range conds {
		var got string
		if name, ok := strings.CutPrefix(k, "env:"); ok {
			got = d.env[name]
		} else {
			got = d.state[k]
		}
		if got != want {
			return false
		}
	}
	return true
}

func (d *Device) apply(ctx context.Context, r *Rule, cmd string, args []string) error {
	if r.Confirm != "" {
		if err := d.write(d.Expand(r.Confirm, args)); err != nil {
			return err
		}
		k, err := d.readKey(ctx)
		if err != nil {
			return err
		}
		if err := d.write("\r\n"); err != nil {
			return err
		}
		if k != '\r' && k != '\n' && k != 'y' && k != 'Y' {
			return nil
		}
	}
	baudBefore, _ := d.Env(d.p.BaudVar)
	out := d.expandAll(r.Output, args)
	var err error
	if r.Paged {
		err = d.page(ctx, out)
	} else {
		err = d.Println(out...)
	}
	if err != nil {
		return err
	}
	for k, v := range r.Env {
		d.SetEnv(d.Expand(k, args), d.Expand(v, args))
	}
	for _, k := range r.Unset {
		d.Unsetenv(d.Expand(k, args))
	}
	for k, v := range r.State {
		d.SetState(d.Expand(k, args), d.Expand(v, args))
	}
	if r.Handler != nil {
		c := &Call{Device: d, Line: cmd, Args: args, Port: &Port{d: d}}
		err := r.Handler(ctx, c)
		d.ln.SetReadDeadline(time.Time{})
		if err != nil {
			return err
		}
	}
	if r.Mode != "" {
		if err := d.SetMode(r.Mode); err != nil {
			return err
		}
	}
	if d.p.BaudVar == "" {
		return nil
	}
	if after, _ := d.Env(d.p.BaudVar); after != baudBefore {
		return d.applyBaudVar(ctx)
	}
	return nil
}

// applyBaudVar moves the console to the speed BaudVar names, or back to the
// default when it is unset. A value that is no baud rate is stored but
// leaves the speed alone.
func (d *Device) applyBaudVar(ctx context.Context) error {
	v, ok := d.Env(d.p.BaudVar)
	baud := d.p.defaultBaud()
	if ok {
		n, err := strconv.Atoi(v)
		if err != nil || !supportedBaud(n) {
			return nil
		}
		baud = n
	}
	if baud == d.Baud() {
		return nil
	}
	return d.SetBaud(ctx, baud)
}

// supportedBaud lists the console speeds Cisco loaders accept.
func supportedBaud(n int) bool {
	switch n {
	case 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200:
		return true
	}
	return false
}

// page prints lines through the pager: a screen at a time (the "length"
// state, default 24 lines, 0 = no paging), Space for the next screen,
// Return for one more line, any other key stops.
func (d *Device) page(ctx context.Context, lines []string) error {
	length, err := strconv.Atoi(d.State("length"))
	if err != nil {
		length = 24
	}
	if length <= 1 {
		return d.Println(lines...)
	}
	more := d.currentMode().More
	if more == "" {
		more = " --More-- "
	}
	erase := strings.Repeat("\b", len(more)) + strings.Repeat(" ", len(more)) + strings.Repeat("\b", len(more))
	shown := 0
	for _, l := range lines {
		if shown == length-1 {
			if err := d.write(more); err != nil {
				return err
			}
			k, err := d.readKey(ctx)
			if err != nil {
				return err
			}
			if err := d.write(erase); err != nil {
				return err
			}
			switch k {
			case ' ':
				shown = 0
			case '\r', '\n':
				shown = length - 2
			default:
				return nil
			}
		}
		if err := d.Println(l); err != nil {
			return err
		}
		shown++
	}
	return nil
}

// Call is what a Handler gets: the device, the command and the raw line.
type Call struct {
	Device *Device
	// Line is the command as typed, surrounding blanks removed.
	Line string
	// Args are the rule pattern's matches: Args[0] the whole line, then
	// the submatches.
	Args []string
	// Port is the raw device side of the line, exclusively the handler's
	// until it returns.
	Port *Port
}

// Println writes lines ended with CR LF.
func (c *Call) Println(lines ...string) error { return c.Device.Println(lines...) }

// Arg returns submatch i, or "" when the rule has fewer.
func (c *Call) Arg(i int) string {
	if i < len(c.Args) {
		return c.Args[i]
	}
	return ""
}

// Port is raw access to the device side of the line for a Handler: bytes in
// and out with no echo and no line editing. It satisfies the xmodem
// package's Conn (io.ReadWriter plus SetReadDeadline).
type Port struct{ d *Device }

// Read returns input bytes, starting with any the line editor had read
// ahead.
func (p *Port) Read(b []byte) (int, error) {
	if len(p.d.pending) > 0 {
		n := copy(b, p.d.pending)
		p.d.pending = p.d.pending[n:]
		return n, nil
	}
	return p.d.ln.Read(b)
}

// Write sends bytes to the host at the device's speed.
func (p *Port) Write(b []byte) (int, error) { return p.d.ln.Write(b) }

// SetReadDeadline bounds the next Reads; the device clears it when the
// handler returns.
func (p *Port) SetReadDeadline(t time.Time) error { return p.d.ln.SetReadDeadline(t) }
