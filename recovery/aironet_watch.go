package recovery

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Strings of the Aironet boot loader and of AP IOS (field-notes §2(b),
// §2(d); seed 000 console output).
const (
	apPrompt        = `(?:^|[\r\n])ap: *$`
	apMore          = `-- ?MORE ?-- *`
	apExtracting    = `extracting (\S+) \((\d+) bytes\)`
	apButton        = `(?i)button is pressed, wait for button to be released|button pressed for (\d+) seconds`
	apImageRecovery = `image_recovery: Download default IOS tar image tftp://255\.255\.255\.255/(\S+?)[\r\n]`
	apLoading       = `Loading "(flash:\S+?)"`
	apIOSReady      = `Press RETURN to get started|initial configuration dialog\? \[yes/no\]|(?:^|[\r\n])[\w.-]+[>#] *$`
)

// symptomPatterns returns the doctor's patterns for the given symptom IDs,
// so a step fails on exactly the strings the doctor can explain.
func symptomPatterns(ids ...string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, id := range ids {
		for i := range symptoms {
			if symptoms[i].ID == id {
				out = append(out, symptoms[i].Match)
			}
		}
	}
	return out
}

// apFailures are the strings that end an AP image download or extraction.
var apFailures = symptomPatterns(
	"tar-checksum", "premature-end-of-tar", "failure-code-3", "update-dir-busy",
	"tftp-broadcast-unanswered", "archive-open-failed", "update-info-missing", "not-valid-archive",
)

// watcher waits for device output while reporting the file server's events,
// all from the step's own goroutine so progress reports stay in order.
type watcher struct {
	r      *Run
	events <-chan FileEvent
	// onEvent handles one server event; nil reports it as a message.
	onEvent func(FileEvent)
}

type expectResult struct {
	i      int
	groups []string
	err    error
}

// next waits for one of res. It does not add the step's failure patterns:
// callers list the failures they handle.
func (w *watcher) next(ctx context.Context, res []*regexp.Regexp) (int, []string, error) {
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan expectResult, 1)
	go func() {
		i, g, err := w.r.Console.Expect(ectx, res...)
		ch <- expectResult{i, g, err}
	}()
	for {
		select {
		case m := <-ch:
			return m.i, m.groups, m.err
		case ev, ok := <-w.events:
			if !ok {
				w.events = nil
				continue
			}
			if w.onEvent != nil {
				w.onEvent(ev)
			} else {
				reportFileEvent(w.r, ev)
			}
		}
	}
}

// failureError turns a matched failure string into the step's error with the
// doctor's diagnosis.
func failureError(r *Run, text string) *StepError {
	se := &StepError{Step: r.step.Name, Err: fmt.Errorf("%w: %q", ErrFailure, cleanLine(text))}
	if d, ok := diagnoseLine(cleanLine(text), nil); ok {
		se.Diagnosis = &d
	}
	return se
}

// extractProgress follows `extracting NAME (N bytes)` lines as transfer
// progress against the image's size.
type extractProgress struct {
	total int64
	bytes int64
	files int
	start time.Time
	last  map[string]int64 // member → size, for the verify step
}

func newExtractProgress(total int64) *extractProgress {
	return &extractProgress{total: total, start: time.Now(), last: map[string]int64{}}
}

func (p *extractProgress) add(r *Run, name, size string) {
	n, _ := strconv.ParseInt(size, 10, 64)
	// Count the file as it sits in the tar (a 512-byte header and data
	// padded to 512), so the sum approaches the bundle's size.
	p.bytes += 512 + (n+511)/512*512
	p.files++
	p.last[name] = n
	tp := TransferProgress{Bytes: p.bytes, Total: p.total}
	if el := time.Since(p.start).Seconds(); el > 0 {
		tp.Rate = float64(p.bytes) / el
		if tp.Rate > 0 && p.total > p.bytes {
			tp.ETA = time.Duration(float64(p.total-p.bytes) / tp.Rate * float64(time.Second))
		}
	}
	if p.total > 0 && tp.Bytes > p.total {
		tp.Bytes = p.total
	}
	r.Transfer(tp)
}

func compileAll(r *Run, patterns ...string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		re, err := regexp.Compile(r.Vars.QuoteExpand(p))
		if err != nil {
			return nil, fmt.Errorf("playbook pattern %q: %w", p, err)
		}
		out[i] = re
	}
	return out, nil
}
