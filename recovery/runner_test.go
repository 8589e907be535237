package recovery_test

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"fieldcon/recovery"
	"fieldcon/recovery/recoverytest"
)

const switchPrompt = `(?:^|\n)switch: *$`

// progressLog records states and step statuses as a run reports them.
type progressLog struct {
	mu     sync.Mutex
	states []string
}

func (l *progressLog) add(p recovery.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := p.State.String()
	if p.Step >= 0 && p.StepName != "" && p.Message == "" {
		s += " " + p.StepName + " " + p.Status.String()
	}
	if n := len(l.states); n == 0 || l.states[n-1] != s {
		l.states = append(l.states, s)
	}
}

func (l *progressLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.states...)
}

func loaderPlaybook() *recovery.Playbook {
	return &recovery.Playbook{
		Name:  "test-loader",
		Title: "test loader",
		Steps: []recovery.Step{
			{Name: "prompt", Action: recovery.Expect{Patterns: []string{switchPrompt}}, Checkpoint: true},
			{Name: "flash_init", Action: recovery.Command{Line: "flash_init", Expect: []string{switchPrompt}}},
			{Name: "boot var", Action: recovery.Command{Line: "set BOOT flash:{image}", Expect: []string{switchPrompt}}, Destructive: true},
			{Name: "dir", Action: recovery.Command{Line: "dir flash:", Expect: []string{`(\d+) bytes free`}, Capture: []string{"free"}}},
		},
		Fail:    []*regexp.Regexp{regexp.MustCompile(`Error_Bad_Mzip`)},
		Cleanup: []recovery.Step{{Name: "restore speed", Action: recovery.Command{Line: "unset BAUD"}}},
	}
}

func TestRunSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New().
			On(`^flash_init$`, "Initializing Flash...\r\n...done Initializing Flash.\r\nswitch: ").
			On(`^set BOOT`, "switch: ").
			On(`^dir flash:$`, "32514048 bytes total (20000000 bytes free)\r\nswitch: ")
		c.Emit("The system is unable to boot automatically.\r\nswitch: ")
		var log progressLog
		rn := &recovery.Runner{Console: c, Progress: log.add, Yes: true}
		vars := recovery.Vars{"image": "c3560-ipbasek9-mz.122-55.SE.bin"}
		if err := rn.Run(context.Background(), loaderPlaybook(), vars); err != nil {
			t.Fatalf("Run() = %v, want success", err)
		}
		want := []string{"flash_init", "set BOOT flash:c3560-ipbasek9-mz.122-55.SE.bin", "dir flash:"}
		if diff := cmp.Diff(want, c.Sent()); diff != "" {
			t.Errorf("lines sent (-want +got):\n%s", diff)
		}
		if vars["free"] != "20000000" {
			t.Errorf("captured free = %q, want 20000000", vars["free"])
		}
		states := log.get()
		if states[len(states)-1] != "succeeded" {
			t.Errorf("final state = %q, want succeeded (all: %q)", states[len(states)-1], states)
		}
	})
}

func TestRunFailureIsDiagnosedAndCleanedUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New().
			On(`^flash_init$`, "switch: ").
			On(`^set BOOT`, "switch: ").
			On(`^dir flash:$`, "Error_Bad_Mzip\r\nswitch: ")
		c.Emit("switch: ")
		rn := &recovery.Runner{Console: c, Yes: true}
		err := rn.Run(context.Background(), loaderPlaybook(), recovery.Vars{"image": "x.bin"})
		var se *recovery.StepError
		if !errors.As(err, &se) || !errors.Is(err, recovery.ErrFailure) {
			t.Fatalf("Run() = %v, want a StepError wrapping ErrFailure", err)
		}
		if se.Step != "dir" || se.Diagnosis == nil || se.Diagnosis.Symptom.ID != "bad-mzip" {
			t.Errorf("StepError = step %q diagnosis %+v, want step dir with bad-mzip", se.Step, se.Diagnosis)
		}
		sent := c.Sent()
		if sent[len(sent)-1] != "unset BAUD" {
			t.Errorf("last line sent = %q, want the cleanup's unset BAUD", sent[len(sent)-1])
		}
	})
}

func TestStepTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New() // the device never answers
		pb := &recovery.Playbook{Name: "t", Steps: []recovery.Step{
			{Name: "wait", Action: recovery.Expect{Patterns: []string{switchPrompt}}, Timeout: 90 * time.Second},
		}}
		start := time.Now()
		err := (&recovery.Runner{Console: c}).Run(context.Background(), pb, nil)
		if !errors.Is(err, recovery.ErrTimeout) {
			t.Fatalf("Run() = %v, want ErrTimeout", err)
		}
		if got := time.Since(start); got != 90*time.Second {
			t.Errorf("timed out after %v (fake clock), want exactly 90s", got)
		}
	})
}

func TestDisconnectResumesFromCheckpointAndAsksBeforeDestructiveRerun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New().
			On(`^flash_init$`, "switch: ").
			On(`^set BOOT`, "switch: ")
		// The first dir flash: never answers: the cable is pulled instead.
		c.Emit("switch: ")
		asker := &recoverytest.Asker{Answers: []string{"Yes", "Yes"}}
		var log progressLog
		rn := &recovery.Runner{Console: c, Asker: asker, Progress: log.add}
		done := make(chan error)
		go func() { done <- rn.Run(context.Background(), loaderPlaybook(), recovery.Vars{"image": "x.bin"}) }()

		synctest.Wait() // blocked in the dir step
		c.Disconnect()
		synctest.Wait() // paused
		c.On(`^dir flash:$`, "100 bytes free\r\nswitch: ")
		c.Reconnect()
		c.Emit("\r\nswitch: ")
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v, want success after the reconnect", err)
		}
		want := []string{"flash_init", "set BOOT flash:x.bin", "dir flash:", "flash_init", "set BOOT flash:x.bin", "dir flash:"}
		if diff := cmp.Diff(want, c.Sent()); diff != "" {
			t.Errorf("lines sent (-want +got):\n%s", diff)
		}
		if len(asker.Questions) != 2 {
			t.Fatalf("asked %d questions, want 2 (confirm, then confirm the re-run)", len(asker.Questions))
		}
		if !regexp.MustCompile(`already run`).MatchString(asker.Questions[1].Prompt) {
			t.Errorf("second question = %q, want it to say the step already ran", asker.Questions[1].Prompt)
		}
		found := false
		for _, s := range log.get() {
			found = found || s == "paused"
		}
		if !found {
			t.Errorf("states %q never include paused", log.get())
		}
	})
}

func TestDeclinedDestructiveStepStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New().On(`^flash_init$`, "switch: ")
		c.Emit("switch: ")
		asker := &recoverytest.Asker{Answers: []string{"No"}}
		err := (&recovery.Runner{Console: c, Asker: asker}).Run(context.Background(), loaderPlaybook(), recovery.Vars{"image": "x"})
		if !errors.Is(err, recovery.ErrDeclined) {
			t.Fatalf("Run() = %v, want ErrDeclined", err)
		}
		for _, l := range c.Sent() {
			if regexp.MustCompile(`^set BOOT`).MatchString(l) {
				t.Errorf("sent %q after the technician said no", l)
			}
		}
	})
}

func TestAbortRunsCleanup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New()
		ctx, cancel := context.WithCancel(context.Background())
		var log progressLog
		done := make(chan error)
		go func() {
			done <- (&recovery.Runner{Console: c, Progress: log.add}).Run(ctx, loaderPlaybook(), nil)
		}()
		synctest.Wait()
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run() = %v, want context.Canceled", err)
		}
		if diff := cmp.Diff([]string{"unset BAUD"}, c.Sent()); diff != "" {
			t.Errorf("lines sent (-want +got):\n%s", diff)
		}
		states := log.get()
		if states[len(states)-1] != "aborted" {
			t.Errorf("final state %q, want aborted", states[len(states)-1])
		}
	})
}

func TestBreakUntilPrompt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New()
		go func() {
			time.Sleep(900 * time.Millisecond)
			c.Emit("monitor: command \"boot\" aborted due to user interrupt\r\nrommon 1 > ")
		}()
		pb := &recovery.Playbook{Name: "b", Steps: []recovery.Step{
			{Name: "break", Action: recovery.BreakUntil{Pattern: `rommon \d+ ?> ?$`}, Timeout: 60 * time.Second},
		}}
		if err := (&recovery.Runner{Console: c}).Run(context.Background(), pb, nil); err != nil {
			t.Fatalf("Run() = %v", err)
		}
		if got := c.Breaks(); got != 4 {
			t.Errorf("breaks sent = %d, want 4 (every 250ms until the prompt at 900ms)", got)
		}
	})
}

func TestVarsExpand(t *testing.T) {
	v := recovery.Vars{"image": "a.b+c", "ip": "10.0.0.2"}
	tests := []struct{ in, want, wantQuoted string }{
		{"copy xmodem: flash:{image}", "copy xmodem: flash:a.b+c", `copy xmodem: flash:a\.b\+c`},
		{"tftp://{ip}/{missing}", "tftp://10.0.0.2/{missing}", `tftp://10\.0\.0\.2/{missing}`},
		{"no vars {", "no vars {", "no vars {"},
	}
	for _, tt := range tests {
		if got := v.Expand(tt.in); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := v.QuoteExpand(tt.in); got != tt.wantQuoted {
			t.Errorf("QuoteExpand(%q) = %q, want %q", tt.in, got, tt.wantQuoted)
		}
	}
}
