package recovery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// State is where a run is.
type State int

const (
	StateIdle State = iota
	StateRunning
	StateWaitingForTechnician
	StatePaused // console disconnected; waiting for it to come back
	StateSucceeded
	StateFailed
	StateAborted
)

var stateNames = [...]string{"idle", "running", "waiting for technician", "paused", "succeeded", "failed", "aborted"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// StepStatus is where one step is.
type StepStatus int

const (
	StepPending StepStatus = iota
	StepRunning
	StepDone
	StepFailed
)

var stepStatusNames = [...]string{"pending", "running", "done", "failed"}

func (s StepStatus) String() string {
	if int(s) < len(stepStatusNames) {
		return stepStatusNames[s]
	}
	return fmt.Sprintf("StepStatus(%d)", int(s))
}

// TransferProgress is how far a file transfer inside a step is.
type TransferProgress struct {
	Bytes, Total int64
	Rate         float64 // bytes per second
	ETA          time.Duration
}

// Progress is one report from a run: a state change, a step change, a
// message, transfer progress or a diagnosis.
type Progress struct {
	Playbook  string
	State     State
	Step      int // index into the playbook's steps; -1 outside them
	StepName  string
	Status    StepStatus
	Message   string
	Transfer  *TransferProgress
	Diagnosis *Diagnosis
}

// Runner executes playbooks. One Runner runs one playbook at a time.
type Runner struct {
	Console Console
	Asker   Asker
	// Progress receives every report; it must not block.
	Progress func(Progress)
	// Yes confirms destructive steps without asking (headless --yes). A
	// destructive step re-run after a disconnect is still announced.
	Yes bool
	// CleanupTimeout bounds the cleanup steps after a failure or abort.
	CleanupTimeout time.Duration
}

// Run is one execution of a playbook, handed to every action.
type Run struct {
	Console Console
	Vars    Vars

	runner   *Runner
	playbook *Playbook
	step     *Step
	index    int
}

// Run executes pb with vars until it succeeds, fails or ctx is cancelled.
// On failure or abort it runs the playbook's cleanup steps, so the device is
// left at a speed and state the run verified.
func (rn *Runner) Run(ctx context.Context, pb *Playbook, vars Vars) error {
	if vars == nil {
		vars = Vars{}
	}
	r := &Run{Console: rn.Console, Vars: vars, runner: rn, playbook: pb, index: -1}
	r.report(Progress{State: StateRunning, Message: "starting " + pb.Title})

	done := make([]bool, len(pb.Steps))
	resumeFrom := 0
	for i := 0; i < len(pb.Steps); {
		st := &pb.Steps[i]
		if st.Checkpoint {
			resumeFrom = i
		}
		err := r.runStep(ctx, i, done[i])
		switch {
		case err == nil:
			done[i] = true
			i++
			continue
		case errors.Is(err, ErrDisconnected) && ctx.Err() == nil:
			if werr := r.waitReconnect(ctx, i, resumeFrom); werr != nil {
				return r.finish(ctx, werr)
			}
			i = resumeFrom
			continue
		default:
			return r.finish(ctx, err)
		}
	}
	r.index = -1
	r.report(Progress{State: StateSucceeded, Message: pb.Title + ": done"})
	return nil
}

func (r *Run) waitReconnect(ctx context.Context, failed, resumeFrom int) error {
	r.report(Progress{State: StatePaused, Status: StepFailed, Message: "console disconnected: reconnect the cable; fieldcon resumes when it is back"})
	if err := r.Console.WaitConnected(ctx); err != nil {
		return &StepError{Step: r.playbook.Steps[failed].Name, Err: err}
	}
	r.index = resumeFrom
	r.step = &r.playbook.Steps[resumeFrom]
	r.report(Progress{State: StateRunning, Status: StepPending,
		Message: fmt.Sprintf("console is back; resuming from step %q", r.step.Name)})
	return nil
}

// runStep runs step i. rerun is true when it already completed once and the
// run came back to it after a disconnect.
func (r *Run) runStep(ctx context.Context, i int, rerun bool) error {
	st := &r.playbook.Steps[i]
	r.step, r.index = st, i
	if st.Destructive {
		if err := r.confirmDestructive(ctx, rerun); err != nil {
			return &StepError{Step: st.Name, Err: err}
		}
	}
	r.report(Progress{State: StateRunning, Status: StepRunning, Message: st.Action.Describe(r.Vars)})
	timeout := st.Timeout
	if timeout == 0 {
		timeout = DefaultStepTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	err := st.Action.Do(sctx, r)
	timedOut := sctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
	cancel()
	if err == nil {
		r.report(Progress{State: StateRunning, Status: StepDone})
		return nil
	}
	var se *StepError
	if !errors.As(err, &se) {
		if timedOut && !errors.Is(err, ErrDisconnected) {
			err = fmt.Errorf("%w after %s", ErrTimeout, timeout)
		}
		se = &StepError{Step: st.Name, Err: err}
	}
	r.report(Progress{State: StateRunning, Status: StepFailed, Message: se.Error(), Diagnosis: se.Diagnosis})
	return se
}

func (r *Run) confirmDestructive(ctx context.Context, rerun bool) error {
	what := r.step.Action.Describe(r.Vars)
	if r.runner.Yes {
		if rerun {
			r.Message("running again after the disconnect (confirmed by --yes): " + what)
		}
		return nil
	}
	prompt := "This step changes the device and cannot be undone: " + what + ". Go ahead?"
	if rerun {
		prompt = "The console dropped after this step had already run: " + what + ". Run it again?"
	}
	ans, err := r.Ask(ctx, Question{Prompt: prompt, Choices: []string{"Yes", "No"}})
	if err != nil {
		return err
	}
	if ans != "Yes" {
		return ErrDeclined
	}
	return nil
}

// finish ends a run that did not succeed: it runs the cleanup steps with a
// fresh context and reports the final state.
func (r *Run) finish(ctx context.Context, err error) error {
	state := StateFailed
	if ctx.Err() != nil {
		state = StateAborted
		err = fmt.Errorf("aborted: %w", ctx.Err())
	}
	if len(r.playbook.Cleanup) > 0 {
		timeout := r.runner.CleanupTimeout
		if timeout == 0 {
			timeout = 2 * time.Minute
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		for i := range r.playbook.Cleanup {
			st := &r.playbook.Cleanup[i]
			r.step, r.index = st, -1
			r.Message("cleanup: " + st.Action.Describe(r.Vars))
			if cerr := st.Action.Do(cctx, r); cerr != nil {
				err = fmt.Errorf("%w; cleanup %q also failed: %v", err, st.Name, cerr)
				break
			}
		}
		cancel()
	}
	r.index = -1
	r.report(Progress{State: state, Message: err.Error()})
	return err
}

func (r *Run) report(p Progress) {
	if r.runner.Progress == nil {
		return
	}
	p.Playbook = r.playbook.Name
	p.Step = r.index
	if r.index >= 0 && r.step != nil {
		p.StepName = r.step.Name
	}
	r.runner.Progress(p)
}

// Message reports a line of progress for the current step.
func (r *Run) Message(msg string) {
	r.report(Progress{State: StateRunning, Status: StepRunning, Message: msg})
}

// Transfer reports transfer progress for the current step.
func (r *Run) Transfer(t TransferProgress) {
	r.report(Progress{State: StateRunning, Status: StepRunning, Transfer: &t})
}

// Ask puts a question to the technician.
func (r *Run) Ask(ctx context.Context, q Question) (string, error) {
	if r.runner.Asker == nil {
		return "", fmt.Errorf("%w: no one to ask %q (run with a console UI, or --yes where allowed)", ErrDeclined, q.Prompt)
	}
	r.report(Progress{State: StateWaitingForTechnician, Status: StepRunning, Message: q.Prompt})
	ans, err := r.runner.Asker.Ask(ctx, q)
	r.report(Progress{State: StateRunning, Status: StepRunning})
	return ans, err
}

// Expect waits for one of patterns, also watching for the step's and the
// playbook's failure strings: when one of those comes first, it returns a
// StepError with the doctor's diagnosis.
func (r *Run) Expect(ctx context.Context, patterns ...*regexp.Regexp) (int, []string, error) {
	all := append(append(append([]*regexp.Regexp(nil), patterns...), r.step.Fail...), r.playbook.Fail...)
	i, groups, err := r.Console.Expect(ctx, all...)
	if err != nil {
		return -1, nil, err
	}
	if i >= len(patterns) {
		text := ""
		if len(groups) > 0 {
			text = groups[0]
		}
		se := &StepError{Step: r.step.Name, Err: fmt.Errorf("%w: %q", ErrFailure, text)}
		if d, ok := diagnoseLine(cleanLine(text), nil); ok {
			se.Diagnosis = &d
		}
		return -1, nil, se
	}
	return i, groups, nil
}
