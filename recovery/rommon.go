package recovery

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Router ROMMON strings and limits (field-notes §2(c)).
const (
	// rommonPrompt is "rommon 1 >" with its counter; some monitors print
	// "rommon1>" or omit the blank before ">".
	rommonPrompt = `(?:^|[\r\n])rommon ?\d+ ?> ?$`
	breakAborted = `monitor: command "boot" aborted due to user interrupt`
	// tftpdnldConfirm is the question after "all existing data in all
	// partitions on flash will be lost".
	tftpdnldConfirm = `Do you wish to continue\? y/n:?\s*\[n\]:\s*$`
	tftpdnldDone    = `File reception completed`
	// ROMMONBlockLimit is the most an old ROMMON's TFTP client takes with
	// 512-byte blocks and no block-number rollover: 65535 blocks. A 2650XM
	// stopped at exactly this many bytes (field-notes §2(c)).
	ROMMONBlockLimit = 65535 * 512
	// rommonBlksize is the block size asked for where the monitor takes
	// TFTP_BLKSIZE: 8192 bytes carry 512 MB in 65535 blocks.
	rommonBlksize = 8192
)

// ErrROMMONVariable means a monitor variable would not be read by tftpdnld:
// wrong case, a bad address, or a file name that differs from the served one.
var ErrROMMONVariable = errors.New("ROMMON variable would not work")

// ROMMONVariable is one NAME=value line for the router monitor.
type ROMMONVariable struct{ Name, Value string }

// tftpdnldVariables are the names tftpdnld reads, exactly as it spells them.
var tftpdnldVariables = []string{"IP_ADDRESS", "IP_SUBNET_MASK", "DEFAULT_GATEWAY", "TFTP_SERVER", "TFTP_FILE", "TFTP_BLKSIZE", "TFTP_VERBOSE", "TFTP_RETRY_COUNT", "TFTP_TIMEOUT", "TFTP_CHECKSUM"}

// CheckROMMONVariables checks what tftpdnld will read before anything is
// typed: the names are the monitor's, upper-case (the monitor takes any
// name, so ip_address=… is stored and silently ignored); the four addresses
// are IPv4, the mask contiguous, the gateway not the unit's own address
// (the download then fails); TFTP_FILE is exactly the name served,
// case included. served is the name the TFTP server answers to.
func CheckROMMONVariables(vars []ROMMONVariable, served string) error {
	got := map[string]string{}
	for _, v := range vars {
		canonical := ""
		for _, n := range tftpdnldVariables {
			if strings.EqualFold(n, v.Name) {
				canonical = n
			}
		}
		switch {
		case canonical == "":
			return fmt.Errorf("%w: %s is not a variable tftpdnld reads (it reads %s)", ErrROMMONVariable, v.Name, strings.Join(tftpdnldVariables[:5], ", "))
		case canonical != v.Name:
			return fmt.Errorf("%w: %s must be written %s: ROMMON variable names are case-sensitive, and it stores %s without ever reading it", ErrROMMONVariable, v.Name, canonical, v.Name)
		}
		got[v.Name] = v.Value
	}
	addr := map[string]netip.Addr{}
	for _, n := range tftpdnldVariables[:4] {
		val, ok := got[n]
		if !ok {
			return fmt.Errorf("%w: %s is missing; tftpdnld needs IP_ADDRESS, IP_SUBNET_MASK, DEFAULT_GATEWAY, TFTP_SERVER and TFTP_FILE", ErrROMMONVariable, n)
		}
		a, err := netip.ParseAddr(val)
		if err != nil || !a.Is4() {
			return fmt.Errorf("%w: %s=%s is not an IPv4 address", ErrROMMONVariable, n, val)
		}
		addr[n] = a
	}
	bits, ok := maskBits(addr["IP_SUBNET_MASK"])
	if !ok {
		return fmt.Errorf("%w: IP_SUBNET_MASK=%s is not a subnet mask", ErrROMMONVariable, addr["IP_SUBNET_MASK"])
	}
	if addr["DEFAULT_GATEWAY"] == addr["IP_ADDRESS"] {
		return fmt.Errorf("%w: DEFAULT_GATEWAY must not be the router's own IP_ADDRESS (the download fails); with no router between, set it to the TFTP server's address", ErrROMMONVariable)
	}
	subnet := netip.PrefixFrom(addr["IP_ADDRESS"], bits).Masked()
	if !subnet.Contains(addr["TFTP_SERVER"]) && !subnet.Contains(addr["DEFAULT_GATEWAY"]) {
		return fmt.Errorf("%w: neither TFTP_SERVER %s nor DEFAULT_GATEWAY %s is in the router's subnet %s", ErrROMMONVariable, addr["TFTP_SERVER"], addr["DEFAULT_GATEWAY"], subnet)
	}
	file, ok := got["TFTP_FILE"]
	switch {
	case !ok || file == "":
		return fmt.Errorf("%w: TFTP_FILE is missing", ErrROMMONVariable)
	case file != served && strings.EqualFold(file, served):
		return fmt.Errorf("%w: TFTP_FILE=%s differs from the served file %s only in case; the file name is case-sensitive and the server would answer file not found", ErrROMMONVariable, file, served)
	case file != served:
		return fmt.Errorf("%w: TFTP_FILE=%s is not the file being served (%s)", ErrROMMONVariable, file, served)
	}
	return nil
}

func maskBits(m netip.Addr) (int, bool) {
	b := m.As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	bits := 0
	for n&0x80000000 != 0 {
		bits++
		n <<= 1
	}
	return bits, n == 0 && bits > 0
}

var setLine = regexp.MustCompile(`(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$`)

// parseMonitorSet reads a `set` listing into NAME → value.
func parseMonitorSet(listing string) map[string]string {
	out := map[string]string{}
	for _, m := range setLine.FindAllStringSubmatch(stripCR(listing), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// reachROMMON gets to the rommon prompt: it may be there already; otherwise
// the technician power-cycles the router and fieldcon sends break during
// the first minute, as Cisco's break-key procedure says.
func reachROMMON(ctx context.Context, r *Run) error {
	prompt := regexp.MustCompile(rommonPrompt)
	r.Console.MarkRead()
	if err := r.Console.SendLine(""); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, _, err := r.Expect(wctx, prompt)
	cancel()
	if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// Nothing readable: the console may be at another speed (a register
	// such as 0x2124 moves it), which is cheaper to find than a reboot.
	if found, err := redetectSpeed(ctx, r, prompt); err == nil {
		r.Message(fmt.Sprintf("the router answers at %d baud", found))
		return nil
	} else if ctx.Err() != nil {
		return err
	}
	if _, err := r.Ask(ctx, Question{
		Prompt:  "The router is not at its ROMMON prompt. Turn its power off and on again and press Done at once: fieldcon sends break during the first minute of the boot.",
		Choices: []string{"Done", "Cancel"},
	}); err != nil {
		return err
	}
	return BreakUntil{Pattern: rommonPrompt, Every: 500 * time.Millisecond, What: "the rommon prompt"}.Do(ctx, r)
}

// RommonTFTP is router ROMMON recovery over Ethernet with tftpdnld: serve
// the image from the laptop, set the five monitor variables (checked first,
// then read back with set), run tftpdnld, answer its erase question, follow
// the download, reset and wait for IOS.
//
// The laptop's address comes from --iface (or --laptop); the router gets
// the next address of the same subnet and the laptop as its gateway,
// unless vars "ip" and "gateway" say otherwise.
func RommonTFTP(p Params, t Tools) (*Playbook, Vars, error) {
	if p.Image == "" {
		return nil, nil, errors.New("rommon-tftp needs --image FILE (the router's .bin)")
	}
	fs := &fileService{files: t.Files}
	vars := Vars{"image": p.Image, "iface": p.Iface, "laptop": p.Laptop, "listen": p.Listen, "file": filepath.Base(p.Image)}
	if p.FlashName != "" {
		vars["tftp_file"] = p.FlashName
	}
	watchFail := []*regexp.Regexp{
		regexp.MustCompile(`TFTP: error code \d+[^\r\n]*\r?\n`),
		regexp.MustCompile(`Missing or illegal ip address for variable \w+`),
		regexp.MustCompile(`tftpdnld: download failed`),
	}
	pb := &Playbook{
		Name:        "rommon-tftp",
		Title:       "Router ROMMON: image over TFTP (tftpdnld)",
		Description: "From rommon >: serves the image from the laptop, sets IP_ADDRESS, IP_SUBNET_MASK, DEFAULT_GATEWAY, TFTP_SERVER and TFTP_FILE, runs tftpdnld (which erases flash), resets and waits for IOS.",
		StartsAt:    []string{"rommon"},
		Steps: []Step{
			{Name: "check image", Action: CheckImageStep{Check: t.CheckImage, Use: "rommon-tftpdnld"}},
			{Name: "laptop address", Action: Func{What: "find the laptop's address on the router's cable", F: fs.checkLaptop(nil)}},
			{Name: "router address", Action: Func{What: "choose the router's address, mask and gateway", F: chooseRouterAddress}},
			{Name: "check variables", Action: Func{What: "check the ROMMON variables before typing them", F: checkTFTPVariables}},
			{Name: "start TFTP", Action: Func{What: "serve {image} over TFTP", F: fs.start()}},
			{Name: "reach ROMMON", Action: Func{What: "reach the rommon prompt (break at power-on if needed)", F: reachROMMON}, Timeout: 5 * time.Minute, Checkpoint: true},
			{Name: "block limit", Action: Func{What: "check the image fits the ROMMON's 65535 TFTP blocks", F: checkBlockLimit}, Timeout: 30 * time.Second},
			{Name: "set variables", Action: Func{What: "type IP_ADDRESS, IP_SUBNET_MASK, DEFAULT_GATEWAY, TFTP_SERVER, TFTP_FILE", F: setTFTPVariables}, Timeout: time.Minute},
			{Name: "verify variables", Action: Func{What: "read the variables back with set", F: verifyTFTPVariables}, Timeout: 30 * time.Second},
			{Name: "tftpdnld", Action: Func{What: "type tftpdnld and wait for its erase question", F: startTftpdnld}, Timeout: 30 * time.Second, Fail: watchFail},
			{Name: "erase and download", Action: Func{What: "answer y: tftpdnld erases all of flash and downloads {tftp_file}", F: answerAndWatchTFTP(fs)}, Timeout: 2 * time.Hour, Destructive: true, Fail: watchFail},
			{Name: "stop TFTP", Action: Func{What: "stop the TFTP server", F: fs.stop}},
			{Name: "reset", Action: Command{Line: "reset", Expect: []string{iosReady}}, Timeout: 20 * time.Minute},
			{Name: "reach IOS", Action: Func{What: "reach the IOS prompt", F: reachIOSUser}, Timeout: 3 * time.Minute},
		},
		Fail: []*regexp.Regexp{regexp.MustCompile(`boot: cannot (?:open|determine first file name)[^\r\n]*`)},
		Cleanup: []Step{
			{Name: "decline erase", Action: Func{What: "answer n if tftpdnld is still asking", F: declineIfAsked}},
			{Name: "stop TFTP", Action: Func{What: "stop the TFTP server", F: fs.stop}},
		},
	}
	return pb, vars, nil
}

// chooseRouterAddress fills {ip}, {mask} and {gateway} from the laptop's
// prefix where the caller did not: the router takes the next free-looking
// address, the laptop is its gateway (there is no router in between on a
// bench cable).
func chooseRouterAddress(_ context.Context, r *Run) error {
	pfx, err := netip.ParsePrefix(r.Vars["prefix"])
	if err != nil {
		return fmt.Errorf("the laptop's address %q has no prefix length: %w", r.Vars["prefix"], err)
	}
	laptop := pfx.Addr()
	if r.Vars["mask"] == "" {
		r.Vars["mask"] = prefixMask(pfx)
	}
	if r.Vars["gateway"] == "" {
		r.Vars["gateway"] = laptop.String()
	}
	if r.Vars["ip"] == "" {
		subnet := pfx.Masked()
		ip := laptop.Next()
		if !subnet.Contains(ip) || ip == lastAddr(subnet) {
			ip = laptop.Prev()
		}
		if !subnet.Contains(ip) || ip == subnet.Addr() {
			return fmt.Errorf("the laptop's subnet %s has no room for the router: give the laptop an address in a /30 or larger", subnet)
		}
		r.Vars["ip"] = ip.String()
	}
	if r.Vars["tftp_file"] == "" {
		r.Vars["tftp_file"] = r.Vars["file"]
	}
	r.Message(fmt.Sprintf("router: %s mask %s gateway %s; TFTP server %s", r.Vars["ip"], r.Vars["mask"], r.Vars["gateway"], r.Vars["laptop"]))
	return nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

func tftpVariables(v Vars) []ROMMONVariable {
	out := []ROMMONVariable{
		{"IP_ADDRESS", v["ip"]},
		{"IP_SUBNET_MASK", v["mask"]},
		{"DEFAULT_GATEWAY", v["gateway"]},
		{"TFTP_SERVER", v["laptop"]},
		{"TFTP_FILE", v["tftp_file"]},
	}
	if v["blksize"] != "" {
		out = append(out, ROMMONVariable{"TFTP_BLKSIZE", v["blksize"]})
	}
	return out
}

func checkTFTPVariables(_ context.Context, r *Run) error {
	if err := CheckROMMONVariables(tftpVariables(r.Vars), r.Vars["file"]); err != nil {
		return r.diagnosed(err, "rommon-variable-case", "")
	}
	return nil
}

// checkBlockLimit stops an image an old ROMMON cannot take in 512-byte
// blocks, unless this monitor lists TFTP_BLKSIZE in its tftpdnld usage;
// then it asks for larger blocks.
func checkBlockLimit(ctx context.Context, r *Run) error {
	size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
	if size <= ROMMONBlockLimit {
		return nil
	}
	r.Console.MarkRead()
	if err := r.Console.SendLine("tftpdnld -h"); err != nil {
		return err
	}
	_, g, err := r.Expect(ctx, regexp.MustCompile(`(?s)(usage: tftpdnld.*?)`+rommonPrompt))
	if err != nil {
		return fmt.Errorf("reading tftpdnld's usage: %w", err)
	}
	if strings.Contains(g[1], "TFTP_BLKSIZE") {
		r.Vars["blksize"] = strconv.Itoa(rommonBlksize)
		r.Message(fmt.Sprintf("the image is %d bytes, over 65535 blocks of 512; this ROMMON takes TFTP_BLKSIZE, using %d", size, rommonBlksize))
		return nil
	}
	return r.diagnosed(fmt.Errorf("the image is %d bytes but this ROMMON's TFTP takes at most 65535 blocks of 512 bytes (%d bytes) and knows no TFTP_BLKSIZE; copy it over XMODEM (rommon-xmodem), from a running IOS, or use a smaller image", size, ROMMONBlockLimit),
		"rommon-tftp-block-limit", "")
}

func setTFTPVariables(ctx context.Context, r *Run) error {
	prompt := regexp.MustCompile(rommonPrompt)
	for _, v := range tftpVariables(r.Vars) {
		r.Console.MarkRead()
		if err := r.Console.SendLine(v.Name + "=" + v.Value); err != nil {
			return err
		}
		if _, _, err := r.Expect(ctx, prompt); err != nil {
			return err
		}
	}
	return nil
}

// verifyTFTPVariables reads `set` and compares: a value the monitor did not
// keep stops the run; a stray lower-case twin (typed by hand earlier) is
// harmless but worth saying.
func verifyTFTPVariables(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine("set"); err != nil {
		return err
	}
	// From the echo of set: a prompt still in flight from the command
	// before must not end the listing early.
	_, g, err := r.Expect(ctx, regexp.MustCompile(`(?s)(?:^|[\r\n])[^\r\n]*set\r?\n(.*?)`+rommonPrompt))
	if err != nil {
		return err
	}
	got := parseMonitorSet(g[1])
	for _, v := range tftpVariables(r.Vars) {
		if got[v.Name] != v.Value {
			return r.diagnosed(fmt.Errorf("%w: set shows %s=%q, fieldcon typed %q; type it again or check the console for dropped characters", ErrROMMONVariable, v.Name, got[v.Name], v.Value), "rommon-variable-case", "")
		}
	}
	var stray []string
	for name := range got {
		for _, n := range tftpdnldVariables {
			if name != n && strings.EqualFold(name, n) {
				stray = append(stray, name)
			}
		}
	}
	if len(stray) > 0 {
		r.Message("note: " + strings.Join(stray, ", ") + " is also set; ROMMON names are case-sensitive, so tftpdnld ignores it and uses the upper-case one")
	}
	return nil
}

var tftpMarks = regexp.MustCompile(`!+`)

// answerAndWatchTFTP answers tftpdnld's question with y and follows the
// download: the device's "!" per datagram and the server's own count.
func answerAndWatchTFTP(fs *fileService) func(ctx context.Context, r *Run) error {
	return func(ctx context.Context, r *Run) error {
		r.Vars["asking"] = ""
		if err := r.Console.SendLine("y"); err != nil {
			return err
		}
		size, _ := strconv.ParseInt(r.Vars["size"], 10, 64)
		block := int64(512)
		if b, _ := strconv.ParseInt(r.Vars["blksize"], 10, 64); b > 0 {
			block = b
		}
		done := regexp.MustCompile(tftpdnldDone)
		var marks int64
		var last time.Time
		events := fs.events()
		for {
			i, g, err := r.Expect(ctx, tftpMarks, done)
			if err != nil {
				return err
			}
			if i == 1 {
				break
			}
			marks += int64(len(g[0]))
			drainFileEvents(r, events)
			if time.Since(last) > time.Second {
				last = time.Now()
				r.Transfer(TransferProgress{Bytes: min(marks*block, size), Total: size})
			}
		}
		r.Transfer(TransferProgress{Bytes: size, Total: size})
		drainFileEvents(r, events)
		r.Message("download complete; the router erases and programs flash")
		_, _, err := r.Expect(ctx, regexp.MustCompile(rommonPrompt))
		return err
	}
}

func drainFileEvents(r *Run, events <-chan FileEvent) {
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			reportFileEvent(r, ev)
		default:
			return
		}
	}
}

func startTftpdnld(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine("tftpdnld"); err != nil {
		return err
	}
	if _, _, err := r.Expect(ctx, regexp.MustCompile(tftpdnldConfirm)); err != nil {
		return err
	}
	r.Vars["asking"] = "yes"
	return nil
}

// declineIfAsked is cleanup: when the run stopped at tftpdnld's erase
// question (the technician said no), answer n so flash is left alone.
func declineIfAsked(ctx context.Context, r *Run) error {
	if r.Vars["asking"] != "yes" {
		return nil
	}
	r.Vars["asking"] = ""
	return r.Console.SendLine("n")
}

// diagnosed attaches the doctor's entry id to err, so the technician sees
// the cause and fix with the error.
func (r *Run) diagnosed(err error, id, line string) error {
	step := ""
	if r.step != nil {
		step = r.step.Name
	}
	for i := range symptoms {
		if symptoms[i].ID == id {
			return &StepError{Step: step, Err: err, Diagnosis: &Diagnosis{Symptom: &symptoms[i], Line: line}}
		}
	}
	return err
}
