package serialcon

import (
	"bytes"
	"regexp"
	"strconv"
)

// PromptKind names what the device is waiting for.
type PromptKind int

const (
	PromptNone          PromptKind = iota
	PromptROMMON                   // router ROM monitor: "rommon 1 >"
	PromptSwitchLoader             // Catalyst boot loader: "switch:"
	PromptAPLoader                 // Aironet boot loader: "ap:"
	PromptUBoot                    // U-Boot on Wave-2 APs: "u-boot>>", "=>"
	PromptIOSUser                  // "Switch>"
	PromptIOSPrivileged            // "Switch#"
	PromptIOSConfig                // "Switch(config-if)#"
	PromptMore                     // pager: "--More--", " -- MORE -- "
	PromptConfirm                  // "[confirm]"
	PromptYesNo                    // "[yes/no]:", "y/n:  [n]:", "(y/n)?"
	PromptUsername                 // "Username:"
	PromptPassword                 // "Password:"
	PromptPressReturn              // "Press RETURN to get started!"
)

var promptNames = [...]string{
	PromptNone:          "none",
	PromptROMMON:        "rommon",
	PromptSwitchLoader:  "switch-loader",
	PromptAPLoader:      "ap-loader",
	PromptUBoot:         "u-boot",
	PromptIOSUser:       "ios-user",
	PromptIOSPrivileged: "ios-privileged",
	PromptIOSConfig:     "ios-config",
	PromptMore:          "more",
	PromptConfirm:       "confirm",
	PromptYesNo:         "yes-no",
	PromptUsername:      "username",
	PromptPassword:      "password",
	PromptPressReturn:   "press-return",
}

func (k PromptKind) String() string {
	if k >= 0 && int(k) < len(promptNames) {
		return promptNames[k]
	}
	return "prompt(" + strconv.Itoa(int(k)) + ")"
}

// BootLoader reports whether the prompt belongs to a boot loader or ROM
// monitor rather than a running IOS.
func (k PromptKind) BootLoader() bool {
	return k == PromptROMMON || k == PromptSwitchLoader || k == PromptAPLoader || k == PromptUBoot
}

// hostname is an IOS hostname as it appears in a prompt: starts and ends with
// a letter or digit ("3750", "AP84b8.02aa.bbcc", "Stack_Switch1"), at most
// 63 characters, no spaces. Requiring the whole line to be hostname+">" keeps
// output lines such as "Progress --->" or "Switch#  Role" from counting.
const hostname = `[A-Za-z0-9](?:[\w.\-/]{0,61}[A-Za-z0-9_])?`

// promptTable is matched, in order, against the last line of the output with
// trailing blanks removed: a prompt is only a prompt when nothing follows it,
// and boot loaders print no newline after theirs. Order matters where rules
// overlap: U-Boot's "ath>" before the IOS user prompt.
var promptTable = []struct {
	kind PromptKind
	re   *regexp.Regexp
}{
	{PromptMore, regexp.MustCompile(`(?i)(?:^|\s)(?:<-+ ?more ?-+>|-+ ?more ?-+)$`)},
	{PromptConfirm, regexp.MustCompile(`\[confirm\]$`)},
	{PromptYesNo, regexp.MustCompile(`(?i)(?:\[yes/no\]|\(yes/no\)|\[y/n\]|\(y/n\)|y/n:\s*\[[yn]\]|\[(?:yes|no)\])\s*[:?]?$`)},
	{PromptUsername, regexp.MustCompile(`(?i)^(?:username|user name|login):$`)},
	{PromptPassword, regexp.MustCompile(`(?i)^(?:enter )?password:$`)},
	{PromptROMMON, regexp.MustCompile(`(?i)^rommon ?\d* ?>$`)},
	{PromptSwitchLoader, regexp.MustCompile(`^switch:$`)},
	{PromptAPLoader, regexp.MustCompile(`^ap:$`)},
	{PromptUBoot, regexp.MustCompile(`^(?:=>|[Uu]-[Bb]oot>{1,2}|ath>|ar7240>|Marvell>>)$`)},
	{PromptIOSConfig, regexp.MustCompile(`^` + hostname + `\(config[\w.\-/]*\)#$`)},
	{PromptIOSPrivileged, regexp.MustCompile(`^` + hostname + `#$`)},
	{PromptIOSUser, regexp.MustCompile(`^` + hostname + `>$`)},
}

// pressReturn is the one prompt IOS follows with blank lines (and, a moment
// later, log messages): it counts while only blank lines come after it.
var pressReturn = regexp.MustCompile(`Press RETURN to get started`)

// promptWindow is how much of the tail DetectPrompt looks at; prompts are
// short and the last line is all that matters.
const promptWindow = 512

// DetectPrompt reports the prompt at the end of tail, the latest console
// output, and the prompt line as the device drew it. Control characters,
// ANSI escapes, backspaces and carriage-return overwrites are applied the way
// a terminal would before matching.
func DetectPrompt(tail []byte) (PromptKind, string) {
	k, text, _ := detectPrompt(tail)
	return k, text
}

// detectPrompt also returns where in tail the prompt's line starts.
func detectPrompt(tail []byte) (PromptKind, string, int) {
	off := 0
	if len(tail) > promptWindow {
		off = len(tail) - promptWindow
		tail = tail[off:]
	}
	last, lastStart, prev, prevStart := lastLines(tail)
	if len(last) > 0 {
		for _, r := range promptTable {
			if r.re.Match(last) {
				return r.kind, string(last), off + lastStart
			}
		}
		if pressReturn.Match(last) {
			return PromptPressReturn, string(last), off + lastStart
		}
		return PromptNone, "", 0
	}
	if prev != nil && pressReturn.Match(prev) {
		return PromptPressReturn, string(prev), off + prevStart
	}
	return PromptNone, "", 0
}

// maxLine caps how much of one line the terminal emulation keeps.
const maxLine = 256

// lastLines renders the lines of p like a terminal and returns the last line
// and the last non-blank line before it, trailing blanks removed, with the
// offsets in p where they start.
func lastLines(p []byte) (last []byte, lastStart int, prev []byte, prevStart int) {
	line := make([]byte, 0, 64)
	col := 0
	start := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\n':
			if t := bytes.TrimRight(line, " \t"); len(t) > 0 {
				prev, prevStart = append([]byte(nil), t...), start
			}
			line, col, start = line[:0], 0, i+1
		case c == '\r':
			col = 0
		case c == '\b':
			if col > 0 {
				col--
			}
		case c == 0x1b:
			i = skipEscape(p, i)
		case c == '\t':
			c = ' '
			fallthrough
		case c >= 0x20 && c != 0x7f:
			if col < len(line) {
				line[col] = c
			} else if len(line) < maxLine {
				line = append(line, c)
			}
			if col < maxLine {
				col++
			}
		}
		// Other control characters (NUL, BEL, XON/XOFF…) draw nothing.
	}
	return bytes.TrimRight(line, " \t"), start, prev, prevStart
}

// skipEscape returns the index of the last byte of the ANSI escape sequence
// starting at p[i] == ESC.
func skipEscape(p []byte, i int) int {
	if i+1 >= len(p) {
		return i
	}
	// A control character ends an unfinished sequence and then acts as
	// itself, so line noise that looks like the start of an escape cannot
	// swallow the line ends after it.
	switch p[i+1] {
	case '[': // CSI: parameters, then one final byte 0x40..0x7e
		for j := i + 2; j < len(p); j++ {
			switch {
			case p[j] < 0x20:
				return j - 1
			case p[j] >= 0x40 && p[j] <= 0x7e:
				return j
			}
		}
		return len(p) - 1
	case ']': // OSC: up to BEL or ESC '\'
		for j := i + 2; j < len(p); j++ {
			switch {
			case p[j] == 0x07:
				return j
			case p[j] == 0x1b && j+1 < len(p) && p[j+1] == '\\':
				return j + 1
			case p[j] < 0x20:
				return j - 1
			}
		}
		return len(p) - 1
	}
	if p[i+1] < 0x20 {
		return i
	}
	return i + 1 // two-byte escape such as ESC 7
}
