package recovery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"fieldcon/xmodem"
)

// Console is what a playbook needs from the serial console. The console
// engine satisfies it through a small adapter; tests use a scripted fake.
type Console interface {
	Send(p []byte) error
	SendLine(line string) error
	SendBreak(d time.Duration) error
	// Expect waits until one of patterns matches device output that no
	// earlier Expect consumed, and returns which one and its submatches.
	// It returns an error wrapping ErrDisconnected when the cable goes.
	Expect(ctx context.Context, patterns ...*regexp.Regexp) (int, []string, error)
	// WaitConnected returns at once while the console is connected, or when
	// the adapter comes back after a disconnect.
	WaitConnected(ctx context.Context) error
	// MarkRead drops output no Expect has consumed, so the next Expect
	// sees only what the device says after it (never a stale prompt).
	MarkRead()
	SetBaud(baud int) error
	Baud() int
}

// Asker puts a question to the technician: "hold MODE and power the AP on".
// It returns the chosen answer, one of choices (the first is the default).
type Asker interface {
	Ask(ctx context.Context, q Question) (string, error)
}

// Question is a human step.
type Question struct {
	Prompt  string   // what to do or decide, in one or two sentences
	Choices []string // e.g. "Done", "Cancel"; empty means just "OK"
}

// Sentinel errors.
var (
	ErrDisconnected = errors.New("console disconnected")
	ErrTimeout      = errors.New("step timed out")
	ErrDeclined     = errors.New("the technician declined")
	ErrFailure      = errors.New("device reported a failure")
)

// StepError says which step failed and why, with the doctor's diagnosis when
// the device printed a known failure string.
type StepError struct {
	Step      string
	Err       error
	Diagnosis *Diagnosis
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("step %q: %v", e.Step, e.Err)
	if e.Diagnosis != nil {
		msg += "\n  " + e.Diagnosis.String()
	}
	return msg
}

func (e *StepError) Unwrap() error { return e.Err }

// Playbook is a recovery procedure as data: steps run in order by a Runner.
type Playbook struct {
	Name        string // "catalyst-xmodem"
	Title       string // "Catalyst switch: image over XMODEM"
	Description string
	// Prompts the playbook starts from, for suggesting it in the UI
	// ("switch-loader", "ap-loader", …).
	StartsAt []string
	Steps    []Step
	// Fail lists device strings fatal in every step.
	Fail []*regexp.Regexp
	// Cleanup runs after an abort or a failure, with its own short context,
	// to leave the device at a known speed and state (restore 9600, …).
	Cleanup []Step
}

// Step is one named action with its limits.
type Step struct {
	Name   string
	Action Action
	// Timeout bounds the step; zero means DefaultStepTimeout.
	Timeout time.Duration
	// Fail lists device strings that end the step as failed (in addition to
	// every symptom the doctor knows).
	Fail []*regexp.Regexp
	// Destructive steps (erase, overwrite, reboot) ask before running when
	// they would run again after a disconnect; they are never re-run
	// silently.
	Destructive bool
	// Checkpoint marks a step the playbook can safely resume from after the
	// console comes back.
	Checkpoint bool
}

// DefaultStepTimeout bounds a step that sets none.
const DefaultStepTimeout = 60 * time.Second

// Action does the work of a step.
type Action interface {
	Do(ctx context.Context, r *Run) error
	// Describe says what the step does, for the checklist ("send flash_init").
	Describe(vars map[string]string) string
}

// Vars holds a playbook's parameters ({image}, {laptop}, …), substituted
// into every line sent and every pattern expected.
type Vars map[string]string

// Expand replaces {name} with its value; unknown names stay as they are.
func (v Vars) Expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		name := s[i+1 : i+j]
		if val, ok := v[name]; ok {
			b.WriteString(s[:i])
			b.WriteString(val)
		} else {
			b.WriteString(s[:i+j+1])
		}
		s = s[i+j+1:]
	}
}

// QuoteExpand is Expand for regular expressions: values are quoted.
func (v Vars) QuoteExpand(pattern string) string {
	q := make(Vars, len(v))
	for k, val := range v {
		q[k] = regexp.QuoteMeta(val)
	}
	return q.Expand(pattern)
}

// Stream is raw, exclusive access to the device's byte stream for a file
// transfer; closing it gives the console back.
type Stream interface {
	xmodem.Conn
	Close() error
}

// StreamConsole is a console that can lend its raw stream (for XMODEM).
type StreamConsole interface {
	Console
	OpenStream(ctx context.Context) (Stream, error)
}
