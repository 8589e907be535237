package recovery

import (
	"bytes"
	"regexp"
)

// A Symptom is one failure string a Cisco device prints, with what it means
// and what to do about it. Every entry names the source where the string and
// its cause were documented.
type Symptom struct {
	ID    string         // stable name, used in events and tests
	Match *regexp.Regexp // matched against one line of device output
	// After, when set, must match one of the few lines before the matching
	// line (the string means something only after a certain command).
	After  *regexp.Regexp
	Title  string // what happened, in a few words
	Cause  string // why, in one or two sentences
	Fix    string // what to do, in one sentence
	Source string // where the string and the cause come from
}

// Diagnosis is a symptom seen on the console.
type Diagnosis struct {
	Symptom *Symptom
	Line    string // the device line that matched
}

func (d Diagnosis) String() string {
	return d.Symptom.Title + ": " + d.Symptom.Cause + " Fix: " + d.Symptom.Fix
}

const (
	srcSeedAP       = "seed 000 (it-playground.eu lightweight AP manual upgrade: console output)"
	srcFieldAironet = "field-notes §2(b) failure table (wozney.ca, mostlynetworks.com 2012, it-playground.eu, FreeZTP issues #42/#62)"
)

// symptoms is the doctor's knowledge, most specific first: when one line
// matches several entries only the first is reported.
var symptoms = []Symptom{
	{
		ID:     "tar-checksum",
		Match:  regexp.MustCompile(`%Tar checksum error`),
		Title:  "Not a tar archive",
		Cause:  "The device was given a file that is not a Cisco .tar bundle; archive download-sw and tar -xtract only unpack the .tar, a plain .bin fails its tar header checksum.",
		Fix:    "Serve the .tar bundle of the same release (check it with: fieldcon image inspect FILE --for archive-download-sw).",
		Source: "field-notes §2(b) (FreeZTP issues #62 and #42: .bin given to archive download-sw); seed 000 console output",
	},
	{
		ID:     "premature-end-of-tar",
		Match:  regexp.MustCompile(`Premature end of tar file`),
		Title:  "Download cut short",
		Cause:  "The archive stopped arriving before its end: the TFTP server stopped answering (typically it ignored the broadcast request or the broadcast ACKs), a -- MORE -- prompt was left unanswered until the transfer timed out, or the file on the server is itself truncated.",
		Fix:    "Serve the file with fieldcon's TFTP server (it answers broadcast requests), let fieldcon answer -- MORE -- prompts, and check the file with: fieldcon image inspect FILE.",
		Source: srcFieldAironet + "; seed 000 console output",
	},
	{
		ID:     "failure-code-3",
		Match:  regexp.MustCompile(`FailureCode:\s*3\b`),
		Title:  "AP rejected the image",
		Cause:  "The access point could not verify or install the archive; the documented case is an image for another platform code (the 3700 moved from ap3g2 to c3700 in 15.3(3)JF).",
		Fix:    "Use an image whose platform code matches the AP (fieldcon image inspect FILE --for ap-tar-xtract --platform CODE), or an intermediate release.",
		Source: srcSeedAP + "; field-notes §2(b)",
	},
	{
		ID:     "update-dir-busy",
		Match:  regexp.MustCompile(`Unable to create temp dir "?flash:/?update|FailureCode:\s*7\b`),
		Title:  "AP busy downloading from its controller",
		Cause:  "The lightweight AP keeps joining its controller and its own image download holds flash:/update, so a manual archive download-sw cannot start (Cisco: no archive download while a CAPWAP image download is in progress, CSCvn74377).",
		Fix:    "Keep the AP away from any controller (no option 43, isolated cable), wait for the CAPWAP download attempt to stop, then retry; fieldcon retries when the %CAPWAP lines stop.",
		Source: srcSeedAP + "; field-notes §2(d) (Cisco 7.4 conversion chapter)",
	},
	{
		ID:     "tftp-broadcast-unanswered",
		Match:  regexp.MustCompile(`%Error opening tftp://255\.255\.255\.255/`),
		Title:  "No TFTP server answered the AP",
		Cause:  "In MODE-button recovery the AP asks 255.255.255.255 for its default image; nobody answered, or the server had no file under that name.",
		Fix:    "Give the laptop an address in 10.0.0.2-10.0.0.30 on the AP's cable and serve the image under the exact name the AP printed (fieldcon does both in the Aironet recovery playbook).",
		Source: "field-notes §2(b) failure table (ap1g2 pages) and MODE-button facts (Cisco WLC guide)",
	},
	{
		ID:     "archive-open-failed",
		Match:  regexp.MustCompile(`ERROR: Failed to open archive file tftp://|examining image.*no such file`),
		Title:  "Image not found on the TFTP server",
		Cause:  "The device reached a TFTP server but the file it asked for is not there, or its name differs (names are case-sensitive, the AP wants <platform>-k9w7-tar.default).",
		Fix:    "Serve the image under the name the device asks for (fieldcon's TFTP aliases map *-k9w7-tar.default to the chosen image).",
		Source: "seed 000 (Aironet 1200 MODE-button recovery console output); field-notes §2(b)",
	},
	{
		ID:     "update-info-missing",
		Match:  regexp.MustCompile(`%?Error opening flash:/?update/info`),
		Title:  "Archive could not be unpacked",
		Cause:  "The archive's info file never reached flash:update: the file was not a valid tar bundle, the download failed, or flash is full.",
		Fix:    "Check the lines before this one; verify the file with fieldcon image inspect and the free space with dir flash:.",
		Source: "field-notes §2(b) failure table (FreeZTP issue #62); seed 000 console output",
	},
	{
		ID:     "not-valid-archive",
		Match:  regexp.MustCompile(`(?i)Image is not a valid IOS image archive`),
		Title:  "Not a valid IOS image archive",
		Cause:  "The device rejected the archive: usually a .bin where a .tar is needed, a truncated download, or an image for another platform (the line before says which).",
		Fix:    "Run fieldcon image inspect FILE --for the intended use, and serve the .tar bundle for this platform with fieldcon's TFTP server.",
		Source: srcFieldAironet + "; seed 000 console output",
	},
	{
		ID:     "bad-mzip",
		Match:  regexp.MustCompile(`Error_Bad_Mzip`),
		Title:  "Corrupt compressed image",
		Cause:  "The loader could not decompress the image: it is damaged (a bad transfer or download) or built for another platform.",
		Fix:    "Compare the file's MD5 with Cisco's published value (fieldcon image inspect FILE), transfer it again, and boot it only after the copy verifies.",
		Source: "seed 000 (Cisco tech note on Error_Bad_Mzip, as quoted)",
	},
	{
		ID:     "stack-version-mismatch",
		Match:  regexp.MustCompile(`Version Mismatch`),
		Title:  "Stack member runs another IOS version",
		Cause:  "A stack member's software differs from the master's, so it cannot join the stack.",
		Fix:    "Copy the master's image to it with archive copy-sw /overwrite /destination-system N M, then reload slot N.",
		Source: "seed 000 (show switch output with Version Mismatch); field-notes §2",
	},
	{
		ID:     "xmodem-io-error",
		Match:  regexp.MustCompile(`xmodem:: I/O error`),
		Title:  "XMODEM transfer did not start in time",
		Cause:  "The boot loader gave up waiting: the sender did not start within the loader's window after 'Begin the Xmodem ... transfer now', or the line speed did not match.",
		Fix:    "Start the transfer right after the copy xmodem: command (fieldcon does this), and check the console speed matches the loader's BAUD.",
		Source: "field-notes §2(a) (c3560cx thread: CCCCCCCCCCxmodem:: I/O error)",
	},
	{
		ID:     "archive-hidden-on-lap",
		Match:  regexp.MustCompile(`% Unrecognized command`),
		After:  regexp.MustCompile(`(?i)\barchive\b`),
		Title:  "archive is hidden on a lightweight AP",
		Cause:  "A lightweight AP hides the archive command until the CAPWAP debug CLI is enabled.",
		Fix:    "In enable mode (default password Cisco) type debug capwap console cli, then run archive download-sw again.",
		Source: srcSeedAP + "; field-notes §2(d)",
	},
	{
		ID:     "unable-to-boot",
		Match:  regexp.MustCompile(`The system is unable to boot automatically`),
		Title:  "No bootable image",
		Cause:  "The loader found no image to boot: BOOT is unset or points at a missing or broken file.",
		Fix:    "Look at dir flash:; if a good image is there, set BOOT flash:NAME and boot, otherwise recover an image over XMODEM or TFTP.",
		Source: "field-notes §2(a) (stelfox banner) and §2(b); seed 000 console output",
	},
	{
		ID:     "error-loading-image",
		Match:  regexp.MustCompile(`Error loading "?flash:`),
		Title:  "Image failed to load",
		Cause:  "The image BOOT points at is missing, truncated or corrupt.",
		Fix:    "Check it with dir flash: and its size against the original; recover a fresh copy.",
		Source: "field-notes §2(a) (stelfox banner)",
	},
	{
		ID:     "password-recovery-disabled",
		Match:  regexp.MustCompile(`password-recovery mechanism has been triggered, but\s*is currently disabled`),
		Title:  "Password recovery is disabled",
		Cause:  "The switch was configured with no service password-recovery, so the MODE button does not give the boot loader prompt with flash intact.",
		Fix:    "Answer the loader's question to reset the system to defaults (the configuration is lost), or recover with the known password.",
		Source: "field-notes §2(a) (3750 hardware guide)",
	},
	{
		ID:     "capwap-downloading",
		Match:  regexp.MustCompile(`%CAPWAP-6-AP_IMG_DWNLD`),
		Title:  "AP is downloading from its controller",
		Cause:  "The AP joined a controller and is fetching the controller's image; a manual upgrade now will collide with it (FailureCode:7).",
		Fix:    "Let it finish, or isolate the AP from the controller before a manual upgrade.",
		Source: srcSeedAP + "; field-notes §2(d)",
	},
	{
		ID:     "rommon-variable-case",
		Match:  regexp.MustCompile(`Missing or illegal ip address for variable \w+`),
		Title:  "tftpdnld is missing a variable",
		Cause:  "ROMMON variable names are upper-case and case-sensitive: ip_address=... is stored but tftpdnld only reads IP_ADDRESS, so it finds the variable missing; the same happens with a value that is not an IPv4 address.",
		Fix:    "Type IP_ADDRESS, IP_SUBNET_MASK, DEFAULT_GATEWAY, TFTP_SERVER and TFTP_FILE exactly so (fieldcon checks them, then reads them back with set).",
		Source: "field-notes §2(c) (Cisco tftpdnld document 12714 and usage text; Cisco community document 12441: variables upper-case, file name case-sensitive)",
	},
	{
		ID:     "rommon-tftp-block-limit",
		Match:  regexp.MustCompile(`TIMEOUT waiting for Ack block #?65536`),
		Title:  "Image too big for the ROMMON's TFTP",
		Cause:  "An old ROMMON takes TFTP in 512-byte blocks and cannot count past block 65535, so a download stops at 33553920 bytes (32 MB).",
		Fix:    "Use XMODEM (rommon-xmodem), copy the image from a running IOS, or a ROMMON whose tftpdnld takes TFTP_BLKSIZE (fieldcon sets it where the usage lists it).",
		Source: "field-notes §2(c) (Cisco community thread 1866153: 2650XM stopped at 33553920 bytes, Tftpd32 'TIMEOUT waiting for Ack block #65536')",
	},
	{
		ID:     "tftp-file-not-found",
		Match:  regexp.MustCompile(`(?i)\bTFTP\b.*\b(?:error code 1\b|file not found)`),
		Title:  "File not found on the TFTP server",
		Cause:  "The device reached the TFTP server but the server has no file of the name the device asked for: TFTP error code 1. File names are case-sensitive and must sit in the server's root folder.",
		Fix:    "Serve the image under exactly the name the device asks for (fieldcon serves the chosen image under its own name and checks TFTP_FILE against it).",
		Source: "RFC 1350 (TFTP error code 1, File not found); field-notes §2(c) (Cisco community document 12441 checklist: file in the server's root folder, name case-sensitive)",
	},
	{
		ID:     "console-speed-changed",
		Match:  regexp.MustCompile(`console baud:\s*(?:1200|2400|4800|19200|38400|57600|115200)\b`),
		Title:  "Console speed is not 9600",
		Cause:  "The configuration register (a mistyped 0x2124 instead of 0x2142 gives 19200) or a transfer at a raised speed left the console at another rate; at 9600 the router looks dead or prints garbage.",
		Fix:    "fieldcon re-detects the speed; set the register back with confreg 0x2142 (password recovery) or 0x2102 and reset to return to 9600.",
		Source: "field-notes §2(c) (Cisco community threads 500129 and 3817090 on confreg 0x2124; Cisco doc 15085 on xmodem -s)",
	},
	{
		ID:     "stack-auto-copy-failed",
		Match:  regexp.MustCompile(`Software (?:could not be|was not) copied`),
		Title:  "Stack auto-upgrade did not copy the software",
		Cause:  "The stack's automatic upgrade of a new member with other software failed (the donor could not determine the running image), so the member stays in Version Mismatch.",
		Fix:    "Copy the master's image by hand: archive copy-sw /overwrite /destination-system N M, then reload slot N (fieldcon's stack-version-mismatch playbook).",
		Source: "seed 000 (%IMAGEMGR-6-AUTO_COPY_SW console output, Cisco 3750 stack troubleshooting note)",
	},
	{
		// After tftp-broadcast-unanswered, which explains the same line for
		// MODE-button recovery.
		ID:     "tftp-timed-out",
		Match:  regexp.MustCompile(`%Error opening tftp://\S*\s*\((?i:timed out)\)`),
		Title:  "TFTP server did not answer",
		Cause:  "archive download-sw (or tar -xtract) sent its request and no TFTP server answered: the device cannot reach the laptop's address, the server is not running, or a firewall on the laptop drops TFTP.",
		Fix:    "Ping the laptop from the device, make sure fieldcon's TFTP server runs on the interface of the device's cable and that the laptop's firewall lets UDP port 69 in, then run the download again.",
		Source: "seed 000 (Cisco 3750 troubleshooting note: archive download-sw ending in %Error opening tftp:// (Timed out); its steps: ping the TFTP server, check it runs, try another)",
	},
}

// Symptoms returns the doctor's table.
func Symptoms() []Symptom {
	return append([]Symptom(nil), symptoms...)
}

// Doctor reads device output as it arrives and reports the symptoms it
// recognises. It keeps only the current partial line and a few recent lines,
// so it is safe to feed forever.
type Doctor struct {
	notify  func(Diagnosis)
	partial []byte
	recent  []string // last few complete lines, newest last
}

const (
	doctorMaxLine = 4096 // longer lines are cut; no symptom is that long
	doctorRecent  = 5
)

// NewDoctor returns a doctor that calls notify for every symptom it sees.
func NewDoctor(notify func(Diagnosis)) *Doctor {
	return &Doctor{notify: notify}
}

// Feed gives the doctor the next bytes from the device.
func (d *Doctor) Feed(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			d.appendPartial(p)
			return
		}
		d.appendPartial(p[:i])
		p = p[i+1:]
		if len(d.partial) > 0 {
			d.line(string(d.partial))
			d.partial = d.partial[:0]
		}
	}
}

func (d *Doctor) appendPartial(p []byte) {
	if room := doctorMaxLine - len(d.partial); len(p) > room {
		p = p[:room]
	}
	d.partial = append(d.partial, p...)
}

func (d *Doctor) line(raw string) {
	line := cleanLine(raw)
	if diag, ok := diagnoseLine(line, d.recent); ok && d.notify != nil {
		d.notify(diag)
	}
	d.recent = append(d.recent, line)
	if len(d.recent) > doctorRecent {
		d.recent = d.recent[1:]
	}
}

// Diagnose runs the doctor over a whole transcript and returns what it found,
// in order.
func Diagnose(transcript string) []Diagnosis {
	var out []Diagnosis
	d := NewDoctor(func(x Diagnosis) { out = append(out, x) })
	d.Feed([]byte(transcript))
	d.Feed([]byte("\n"))
	return out
}

func diagnoseLine(line string, recent []string) (Diagnosis, bool) {
	for i := range symptoms {
		s := &symptoms[i]
		if !s.Match.MatchString(line) {
			continue
		}
		if s.After != nil && !anyMatch(s.After, recent) {
			continue
		}
		return Diagnosis{Symptom: s, Line: line}, true
	}
	return Diagnosis{}, false
}

func anyMatch(re *regexp.Regexp, lines []string) bool {
	for _, l := range lines {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

var ansiSeq = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]`)

// cleanLine removes what a terminal would not show: escape sequences, NULs,
// backspaced characters and other control bytes.
func cleanLine(s string) string {
	s = ansiSeq.ReplaceAllString(s, "")
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\b':
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case r < 0x20 && r != '\t', r == 0x7f:
		default:
			out = append(out, r)
		}
	}
	return string(out)
}
