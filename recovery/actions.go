package recovery

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SendLine types a line (followed by a carriage return) at the device.
type SendLine struct {
	Line string // may use {vars}
}

func (a SendLine) Do(ctx context.Context, r *Run) error {
	return r.Console.SendLine(r.Vars.Expand(a.Line))
}

func (a SendLine) Describe(v map[string]string) string {
	return "type " + Vars(v).Expand(a.Line)
}

// Expect waits for one of Patterns in the device output. Capture names the
// submatches of the pattern that matched, storing them as vars: Capture[0]
// receives group 1.
type Expect struct {
	Patterns []string // regular expressions; {vars} are quoted in
	Capture  []string
	What     string // for the checklist: "the switch: prompt"
}

func (a Expect) Do(ctx context.Context, r *Run) error {
	_, err := expect(ctx, r, a.Patterns, a.Capture)
	return err
}

func (a Expect) Describe(map[string]string) string {
	if a.What != "" {
		return "wait for " + a.What
	}
	return "wait for " + strings.Join(a.Patterns, " or ")
}

// Command types a line and waits for the answer: the usual loader step.
type Command struct {
	Line    string
	Expect  []string // regular expressions; empty means just send
	Capture []string
}

func (a Command) Do(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine(r.Vars.Expand(a.Line)); err != nil {
		return err
	}
	if len(a.Expect) == 0 {
		return nil
	}
	_, err := expect(ctx, r, a.Expect, a.Capture)
	return err
}

func (a Command) Describe(v map[string]string) string {
	return "type " + Vars(v).Expand(a.Line)
}

func expect(ctx context.Context, r *Run, patterns, capture []string) (int, error) {
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		re, err := regexp.Compile(r.Vars.QuoteExpand(p))
		if err != nil {
			return -1, fmt.Errorf("playbook pattern %q: %w", p, err)
		}
		res[i] = re
	}
	i, groups, err := r.Expect(ctx, res...)
	if err != nil {
		return -1, err
	}
	for k, name := range capture {
		if k+1 < len(groups) && groups[k+1] != "" {
			r.Vars[name] = groups[k+1]
		}
	}
	return i, nil
}

// BreakUntil sends a break every Every until Pattern appears, for at most
// the step's timeout: the way into ROMMON or a loader during the boot window.
type BreakUntil struct {
	Pattern string
	Every   time.Duration // default 250 ms
	Length  time.Duration // break length, default 250 ms
	What    string
}

func (a BreakUntil) Do(ctx context.Context, r *Run) error {
	re, err := regexp.Compile(r.Vars.QuoteExpand(a.Pattern))
	if err != nil {
		return fmt.Errorf("playbook pattern %q: %w", a.Pattern, err)
	}
	every, length := a.Every, a.Length
	if every == 0 {
		every = 250 * time.Millisecond
	}
	if length == 0 {
		length = 250 * time.Millisecond
	}
	for {
		if err := r.Console.SendBreak(length); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, every)
		_, _, err := r.Expect(wctx, re)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || wctx.Err() == nil {
			return err
		}
	}
}

func (a BreakUntil) Describe(map[string]string) string {
	what := a.What
	if what == "" {
		what = a.Pattern
	}
	return "send break until " + what
}

// Ask is a human step: the technician presses a button or decides. The first
// choice continues; any other ends the run as declined.
type Ask struct {
	Prompt  string
	Choices []string // default "Done", "Cancel"
}

func (a Ask) Do(ctx context.Context, r *Run) error {
	choices := a.Choices
	if len(choices) == 0 {
		choices = []string{"Done", "Cancel"}
	}
	ans, err := r.Ask(ctx, Question{Prompt: r.Vars.Expand(a.Prompt), Choices: choices})
	if err != nil {
		return err
	}
	if ans != choices[0] {
		return ErrDeclined
	}
	return nil
}

func (a Ask) Describe(v map[string]string) string {
	return "ask: " + Vars(v).Expand(a.Prompt)
}

// Func is a step written in Go, for work a table cannot say (a transfer,
// starting a server, a check against the image).
type Func struct {
	What string
	F    func(ctx context.Context, r *Run) error
}

func (a Func) Do(ctx context.Context, r *Run) error { return a.F(ctx, r) }

func (a Func) Describe(v map[string]string) string { return Vars(v).Expand(a.What) }
