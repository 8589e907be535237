package recovery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// BaudDetector is a console that can find the device's speed by itself
// (serialcon's DetectBaud: it scores the answer to a carriage return at
// each rate). Playbooks use it when the device stops answering readably;
// a console without it is probed prompt by prompt.
type BaudDetector interface {
	DetectBaud(ctx context.Context, rates ...int) (int, error)
}

// consoleRates are the speeds a router register or a loader BAUD can give,
// the usual ones first.
var consoleRates = []int{9600, 115200, 19200, 38400, 57600, 4800, 2400, 1200}

// anyPrompt matches what a router or switch shows when it is listening:
// ROMMON, the loaders, IOS, Press RETURN, the setup dialog.
const anyPrompt = rommonPrompt + `|` + switchPrompt + `|Press RETURN to get started|initial configuration dialog\? \[yes/no\]: *$|(?:^|[\r\n])[\w.-]+[>#] *$`

// redetectSpeed finds the speed the device answers at and leaves the host
// there. want is the prompt the caller hopes for; any known prompt counts
// as readable. It says, with the doctor's entry, when the speed is not
// 9600.
func redetectSpeed(ctx context.Context, r *Run, want *regexp.Regexp) (int, error) {
	before := r.Console.Baud()
	var found int
	if bd, ok := r.Console.(BaudDetector); ok {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		got, err := bd.DetectBaud(dctx, consoleRates...)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrSpeedUnknown, err)
		}
		found = got
	} else {
		d := BaudDance{Prompt: regexp.MustCompile(anyPrompt), Verify: 1500 * time.Millisecond}.withDefaults()
		got, err := d.find(ctx, r.Console, append([]int{before}, consoleRates...)...)
		if err != nil {
			return 0, err
		}
		found = got
	}
	r.Vars["baud"] = strconv.Itoa(found)
	if found != before {
		r.Message(fmt.Sprintf("console speed re-detected: the device talks at %d baud, not %d", found, before))
	}
	if found != 9600 {
		if d := symptomByID("console-speed-changed"); d != nil {
			r.report(Progress{State: StateRunning, Status: StepRunning, Diagnosis: &Diagnosis{Symptom: d, Line: fmt.Sprintf("console answers at %d baud", found)},
				Message: d.Title + ": " + d.Cause + " Fix: " + d.Fix})
		}
	}
	return found, nil
}

func symptomByID(id string) *Symptom {
	for i := range symptoms {
		if symptoms[i].ID == id {
			return &symptoms[i]
		}
	}
	return nil
}

// ConfregSummary is what a configuration register value means for a
// technician.
type ConfregSummary struct {
	Value        uint16
	ConsoleBaud  int  // bits 5, 11, 12
	IgnoreConfig bool // bit 6: the startup configuration is not loaded
	BreakEnabled bool // bit 8 clear
	BootField    int  // 0 ROMMON, 1 boot helper, 2-15 boot system / flash
}

// ErrConfreg means a configuration register value is not one to type.
var ErrConfreg = errors.New("configuration register value refused")

// ParseConfreg decodes a register value such as 0x2142.
func ParseConfreg(s string) (ConfregSummary, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(strings.ToLower(t), "0x") {
		return ConfregSummary{}, fmt.Errorf("%w: %q must be hexadecimal with 0x, as 0x2102", ErrConfreg, s)
	}
	v, err := strconv.ParseUint(t[2:], 16, 16)
	if err != nil {
		return ConfregSummary{}, fmt.Errorf("%w: %q is not a 16-bit hexadecimal value", ErrConfreg, s)
	}
	u := uint16(v)
	idx := (u>>11)&3 | (u>>5&1)<<2
	return ConfregSummary{
		Value:        u,
		ConsoleBaud:  [...]int{9600, 4800, 1200, 2400, 19200, 38400, 57600, 115200}[idx],
		IgnoreConfig: u&0x0040 != 0,
		BreakEnabled: u&0x0100 == 0,
		BootField:    int(u & 0xf),
	}, nil
}

// CheckConfreg refuses a register value that would not do what purpose
// says ("password": skip the startup configuration; "normal": load it and
// boot from flash), in particular one that moves the console off 9600: the
// classic mistyped 0x2124 gives 19200 baud and still loads the password.
func CheckConfreg(value, purpose string) (ConfregSummary, error) {
	c, err := ParseConfreg(value)
	if err != nil {
		return c, err
	}
	var problems []string
	if c.ConsoleBaud != 9600 {
		problems = append(problems, fmt.Sprintf("it sets the console to %d baud (the screen goes blank or shows garbage at 9600)", c.ConsoleBaud))
	}
	switch purpose {
	case "password":
		if !c.IgnoreConfig {
			problems = append(problems, "it does not skip the startup configuration (bit 0x0040), so the old password stays")
		}
	case "normal":
		if c.IgnoreConfig {
			problems = append(problems, "it skips the startup configuration at every boot")
		}
	}
	if c.BootField < 2 {
		problems = append(problems, "it does not boot IOS from flash (boot field "+strconv.Itoa(c.BootField)+")")
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("%w: %s: %s; use 0x2142 for password recovery and 0x2102 afterwards", ErrConfreg, value, strings.Join(problems, "; "))
	}
	return c, nil
}
