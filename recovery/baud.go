package recovery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// BaudDance takes a boot loader to a faster console speed for a transfer and
// back again: `set BAUD N`, the host follows, the prompt must answer at the
// new speed, or fieldcon falls back and tries the next rung. Restore puts the
// loader back at Home and checks with `set` that no other BAUD is stored.
//
// Whatever fails, the dance ends with the device at a speed fieldcon has seen
// a prompt at, and says which.
type BaudDance struct {
	Ladder []int          // fastest first; default 115200, 57600, 38400
	Home   int            // default 9600
	Prompt *regexp.Regexp // the loader prompt; default `switch:`
	// Verify bounds each look for the prompt after a speed change.
	Verify time.Duration // default 3 s
	// Tries is how many carriage returns to send per look (the first is
	// often eaten by the speed change).
	Tries int // default 3
}

// LoaderPrompt matches the Catalyst boot loader prompt at the end of output.
var LoaderPrompt = regexp.MustCompile(`(?:^|[\r\n])switch: *$`)

// ErrSpeedUnknown means no prompt answered at any speed tried: the device's
// console speed is not known. The error text lists the speeds tried.
var ErrSpeedUnknown = errors.New("no prompt at any speed tried")

func (d BaudDance) withDefaults() BaudDance {
	if len(d.Ladder) == 0 {
		d.Ladder = []int{115200, 57600, 38400}
	}
	if d.Home == 0 {
		d.Home = 9600
	}
	if d.Prompt == nil {
		d.Prompt = LoaderPrompt
	}
	if d.Verify == 0 {
		d.Verify = 3 * time.Second
	}
	if d.Tries == 0 {
		d.Tries = 3
	}
	return d
}

// speedCommand types a command that changes the loader's speed and waits
// (briefly) for its echo before the host changes speed: bytes still on
// their way would otherwise be re-read at the new speed and garbled. A
// missing echo is not an error; the prompt check that follows decides.
func (d BaudDance) speedCommand(ctx context.Context, c Console, line string) error {
	c.MarkRead()
	if err := c.SendLine(line); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, d.Verify/time.Duration(d.Tries))
	defer cancel()
	_, _, err := c.Expect(wctx, regexp.MustCompile(regexp.QuoteMeta(line)+`\r?\n`))
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// promptAt sets the host to baud and looks for the prompt.
func (d BaudDance) promptAt(ctx context.Context, c Console, baud int) (bool, error) {
	if err := c.SetBaud(baud); err != nil {
		return false, fmt.Errorf("set host speed %d: %w", baud, err)
	}
	for i := 0; i < d.Tries; i++ {
		if err := c.SendLine(""); err != nil {
			return false, err
		}
		wctx, cancel := context.WithTimeout(ctx, d.Verify/time.Duration(d.Tries))
		_, _, err := c.Expect(wctx, d.Prompt)
		cancel()
		if err == nil {
			return true, nil
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return false, err
		}
	}
	return false, nil
}

// find looks for the prompt at each speed in turn and leaves the host at the
// one that answered.
func (d BaudDance) find(ctx context.Context, c Console, speeds ...int) (int, error) {
	seen := map[int]bool{}
	for _, s := range speeds {
		if seen[s] {
			continue
		}
		seen[s] = true
		ok, err := d.promptAt(ctx, c, s)
		if err != nil {
			return 0, err
		}
		if ok {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w (%v)", ErrSpeedUnknown, speeds)
}

// Raise climbs the ladder from the current speed and returns the speed the
// loader answers at: the first rung that worked, or the speed it started at
// when none did (that is not an error: the transfer is just slower).
func (d BaudDance) Raise(ctx context.Context, c Console, report func(string)) (int, error) {
	d, report = d.withDefaults(), orDiscard(report)
	start := c.Baud()
	for _, rung := range d.Ladder {
		if rung == start {
			return start, nil
		}
		if err := d.speedCommand(ctx, c, "set BAUD "+strconv.Itoa(rung)); err != nil {
			return 0, err
		}
		ok, err := d.promptAt(ctx, c, rung)
		if err != nil {
			return 0, err
		}
		if ok {
			report(fmt.Sprintf("loader answers at %d baud", rung))
			return rung, nil
		}
		// The loader did not answer at the new speed. It may not have
		// changed at all (some builds apply BAUD only after a reload), or
		// it changed and the line cannot carry it: find it again.
		got, err := d.find(ctx, c, start, rung)
		if err != nil {
			return 0, fmt.Errorf("after set BAUD %d: %w", rung, err)
		}
		report(fmt.Sprintf("no prompt at %d baud; loader is at %d", rung, got))
		if got != start {
			// It moved but answers only now: use it.
			return got, nil
		}
	}
	report(fmt.Sprintf("staying at %d baud", start))
	return start, nil
}

// Restore brings the loader back to Home, with `unset BAUD` when `set BAUD`
// does not take, and checks with `set` that no other BAUD is stored. It
// returns the speed the device was verified at.
func (d BaudDance) Restore(ctx context.Context, c Console, report func(string)) (int, error) {
	d, report = d.withDefaults(), orDiscard(report)
	cur := c.Baud()
	home := strconv.Itoa(d.Home)
	if cur != d.Home {
		if err := d.speedCommand(ctx, c, "set BAUD "+home); err != nil {
			return cur, err
		}
		ok, err := d.promptAt(ctx, c, d.Home)
		if err != nil {
			return 0, err
		}
		if !ok {
			// `set BAUD 9600` did not bring it down (3750, 2950 reports):
			// go back to where it was and try unset BAUD.
			back, err := d.find(ctx, c, cur, d.Home)
			if err != nil {
				return 0, err
			}
			if back == d.Home {
				ok = true
			} else {
				report(fmt.Sprintf("set BAUD %s did not take; trying unset BAUD", home))
			}
		}
		if !ok {
			if err := d.speedCommand(ctx, c, "unset BAUD"); err != nil {
				return cur, err
			}
			got, err := d.find(ctx, c, d.Home, cur)
			if err != nil {
				return 0, err
			}
			if got != d.Home {
				return got, fmt.Errorf("the loader stays at %d baud after set BAUD %s and unset BAUD; it needs a reload to return to %s", got, home, home)
			}
		}
	}
	// Leave no BAUD behind: a stored BAUD other than Home makes the next
	// boot come up at a speed nobody expects.
	if err := d.speedCommand(ctx, c, "unset BAUD"); err != nil {
		return d.Home, err
	}
	if _, err := d.find(ctx, c, d.Home); err != nil {
		return 0, fmt.Errorf("after unset BAUD: %w", err)
	}
	stored, err := d.storedBaud(ctx, c)
	if err != nil {
		return d.Home, err
	}
	if stored != "" && stored != home {
		return d.Home, fmt.Errorf("the loader still stores BAUD=%s; run unset BAUD and check with set before booting", stored)
	}
	report(fmt.Sprintf("loader back at %d baud, no other BAUD stored", d.Home))
	return d.Home, nil
}

var baudVar = regexp.MustCompile(`(?m)^BAUD=(\d*)\s*$`)

// storedBaud runs `set` and returns the BAUD variable ("" when unset).
func (d BaudDance) storedBaud(ctx context.Context, c Console) (string, error) {
	if err := c.SendLine("set"); err != nil {
		return "", err
	}
	wctx, cancel := context.WithTimeout(ctx, d.Verify)
	defer cancel()
	// The listing ends at the prompt; capture everything before it.
	re := regexp.MustCompile(`(?s)^(.*?)` + d.Prompt.String())
	_, groups, err := c.Expect(wctx, re)
	if err != nil {
		return "", fmt.Errorf("reading set: %w", err)
	}
	if m := baudVar.FindStringSubmatch(normalizeNewlines(groups[1])); m != nil {
		return m[1], nil
	}
	return "", nil
}

func orDiscard(report func(string)) func(string) {
	if report == nil {
		return func(string) {}
	}
	return report
}

func normalizeNewlines(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\r' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// RaiseBaud is the playbook step around BaudDance.Raise; the reached speed
// goes into the var "baud".
type RaiseBaud struct{ Dance BaudDance }

func (a RaiseBaud) Do(ctx context.Context, r *Run) error {
	got, err := a.Dance.Raise(ctx, r.Console, r.Message)
	if err != nil {
		return err
	}
	r.Vars["baud"] = strconv.Itoa(got)
	return nil
}

func (a RaiseBaud) Describe(map[string]string) string {
	return "raise the console speed for the transfer"
}

// RestoreBaud is the playbook step around BaudDance.Restore.
type RestoreBaud struct {
	Dance BaudDance
	// OnlyIfRaised skips the step unless a RaiseBaud step raised the speed
	// (for cleanup after a failure that may come before the raise).
	OnlyIfRaised bool
}

func (a RestoreBaud) Do(ctx context.Context, r *Run) error {
	if a.OnlyIfRaised {
		home := a.Dance.withDefaults().Home
		if b, _ := strconv.Atoi(r.Vars["baud"]); b == 0 || b == home {
			return nil
		}
	}
	got, err := a.Dance.Restore(ctx, r.Console, r.Message)
	r.Vars["baud"] = strconv.Itoa(got)
	return err
}

func (a RestoreBaud) Describe(map[string]string) string {
	return "restore the console speed to 9600 and check no BAUD is left"
}
