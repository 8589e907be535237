package tui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"fieldcon/images"
	"fieldcon/recovery"
	"fieldcon/serialcon"
)

// recoveryPane is the Recovery tab: the playbooks that start at the prompt
// the device shows now, a checklist of the running playbook's steps with
// live status and transfer progress, the technician's part as dialogs, and
// the doctor's diagnosis of whatever failure string the device printed.
type recoveryPane struct {
	common *Common
	opts   *Options
	deps   *RecoveryDeps

	con    Console
	port   string
	prompt serialcon.PromptKind

	image    string // the image chosen for recovery, "" for none
	imageUse images.Use

	entries []recovery.Entry
	sel     int
	fast    bool
	// values are the typed settings by playbookInput key; form, when
	// not nil, is the settings of one playbook being typed.
	values map[string]string
	form   *recoveryForm

	run      *recoveryRun
	runSeq   int
	starting bool
	note     string
	noteBad  bool

	doctor    *recovery.Doctor
	diagnoses []recovery.Diagnosis
}

// recoveryRun is one playbook run as the pane shows it.
type recoveryRun struct {
	id       int
	title    string
	steps    []stepRow
	state    recovery.State
	transfer *recovery.TransferProgress
	xferStep int
	log      []string
	cancel   context.CancelFunc
	pump     *pump[recoveryReport]
	question *askRequest
	choice   int
	done     bool
	err      error
}

type stepRow struct {
	name, what string
	status     recovery.StepStatus
	message    string
}

// recoveryReport is one thing a run told the pane: progress or a question.
type recoveryReport struct {
	progress *recovery.Progress
	ask      *askRequest
}

// askRequest is a question from the playbook waiting for the technician.
type askRequest struct {
	q      recovery.Question
	answer chan askAnswer // capacity 1: the pane never blocks answering
}

type askAnswer struct {
	choice string
	err    error
}

// tuiAsker is the TUI's recovery.Asker: a question becomes a dialog in the
// Recovery pane and Ask waits for the key that answers it.
type tuiAsker struct{ pump *pump[recoveryReport] }

func (a tuiAsker) Ask(ctx context.Context, q recovery.Question) (string, error) {
	if len(q.Choices) == 0 {
		q.Choices = []string{"OK"}
	}
	req := &askRequest{q: q, answer: make(chan askAnswer, 1)}
	a.pump.put(recoveryReport{ask: req})
	select {
	case ans := <-req.answer:
		return ans.choice, ans.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

const maxRunLog = 50

func newRecoveryPane(c *Common, o *Options) Pane {
	p := &recoveryPane{common: c, opts: o, deps: o.Recovery, con: o.Console, port: o.Port, values: map[string]string{}}
	if o.Console != nil {
		p.prompt = o.Console.Prompt()
	}
	p.entries = p.deps.playbooks()
	p.doctor = recovery.NewDoctor(p.diagnosed)
	p.suggestFirst()
	return p
}

// diagnosed keeps what the doctor found, once per symptom and line.
func (p *recoveryPane) diagnosed(d recovery.Diagnosis) {
	for _, old := range p.diagnoses {
		if old.Symptom.ID == d.Symptom.ID && old.Line == d.Line {
			return
		}
	}
	p.diagnoses = append(p.diagnoses, d)
	if len(p.diagnoses) > 8 {
		p.diagnoses = p.diagnoses[len(p.diagnoses)-8:]
	}
}

// suggested reports whether e starts at the prompt the device shows.
func (p *recoveryPane) suggested(e recovery.Entry) bool {
	for _, s := range e.StartsAt {
		if s == p.prompt.String() && p.prompt != serialcon.PromptNone {
			return true
		}
	}
	return false
}

// suggestFirst orders the list: what fits the prompt first, then the rest
// by name, keeping the cursor on the same playbook.
func (p *recoveryPane) suggestFirst() {
	var cur string
	if p.sel < len(p.entries) {
		cur = p.entries[p.sel].Name
	}
	var fit, rest []recovery.Entry
	for _, e := range p.deps.playbooks() {
		if p.suggested(e) {
			fit = append(fit, e)
		} else {
			rest = append(rest, e)
		}
	}
	p.entries = append(fit, rest...)
	p.sel = 0
	if len(fit) == 0 {
		for i, e := range p.entries {
			if e.Name == cur {
				p.sel = i
			}
		}
	}
}

// recoverySelectionMsg is the stored recovery image, read at start.
type recoverySelectionMsg struct {
	sel images.Selection
	err error
}

// recoveryReadyMsg is a playbook built and a console adapted for it.
type recoveryReadyMsg struct {
	seq     int
	pb      *recovery.Playbook
	vars    recovery.Vars
	con     recovery.Console
	release func()
	err     error
}

// recoveryReportsMsg carries a run's reports.
type recoveryReportsMsg struct {
	run     int
	reports []recoveryReport
}

// recoveryDoneMsg ends a run.
type recoveryDoneMsg struct {
	run int
	err error
}

func (p *recoveryPane) Init() tea.Cmd {
	cat := p.opts.Images
	if cat == nil {
		return nil
	}
	return func() tea.Msg {
		sel, err := cat.Selection()
		return recoverySelectionMsg{sel: sel, err: err}
	}
}

func (p *recoveryPane) Title() string { return "Recovery" }

// TakesTyping is true while settings are typed, so letters reach them.
func (p *recoveryPane) TakesTyping() bool { return p.form != nil && p.run == nil }

func (p *recoveryPane) SetSize(w, h int) { p.common.SetSize(w, h) }

func (p *recoveryPane) Commands() []Command { return nil }

func (p *recoveryPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ConsoleChangedMsg:
		p.con, p.port, p.prompt = msg.Console, msg.Port, msg.Prompt
		p.suggestFirst()
		if msg.Console == nil && p.run != nil && !p.run.done {
			p.run.cancel()
			p.note, p.noteBad = "The console was closed, so the run was stopped.", true
		}
		return nil
	case DataMsg:
		for _, e := range msg.Events {
			switch e.Kind {
			case serialcon.EventData:
				p.doctor.Feed(e.Data)
			case serialcon.EventPrompt:
				if e.Prompt != p.prompt {
					p.prompt = e.Prompt
					if p.run == nil {
						p.suggestFirst()
					}
				}
			}
		}
		return nil
	case recoverySelectionMsg:
		if msg.err == nil {
			p.image, p.imageUse = msg.sel.Name, msg.sel.Use
		}
		return nil
	case RecoveryImageMsg:
		if msg.Err == nil {
			p.image, p.imageUse = msg.Name, msg.Use
		}
		return nil
	case recoveryReadyMsg:
		if msg.seq != p.runSeq || !p.starting {
			if msg.release != nil {
				msg.release()
			}
			return nil
		}
		p.starting = false
		if msg.err != nil {
			p.note, p.noteBad = "✗ "+msg.err.Error(), true
			return nil
		}
		return p.startRun(msg)
	case recoveryReportsMsg:
		if p.run == nil || msg.run != p.run.id {
			return nil
		}
		for _, r := range msg.reports {
			p.report(r)
		}
		if p.run.done {
			return nil
		}
		return p.waitReports()
	case recoveryDoneMsg:
		if p.run == nil || msg.run != p.run.id {
			return nil
		}
		r := p.run
		r.done, r.err, r.question = true, msg.err, nil
		r.cancel()
		switch {
		case msg.err == nil:
			r.state = recovery.StateSucceeded
		case errors.Is(msg.err, context.Canceled):
			r.state = recovery.StateAborted
		default:
			r.state = recovery.StateFailed
			var se *recovery.StepError
			if errors.As(msg.err, &se) && se.Diagnosis != nil {
				p.diagnosed(*se.Diagnosis)
			}
		}
		// Reports still queued belong to this run; take them.
		return p.waitReports()
	case tea.KeyPressMsg:
		return p.key(msg)
	case tea.PasteMsg:
		if p.form != nil && p.run == nil {
			first, _, _ := strings.Cut(msg.Content, "\n")
			p.form.fields[p.form.field].Insert(strings.TrimSpace(first))
		}
		return nil
	}
	return nil
}

func (p *recoveryPane) waitReports() tea.Cmd {
	r := p.run
	id := r.id
	return r.pump.next(func(rs []recoveryReport) tea.Msg { return recoveryReportsMsg{run: id, reports: rs} })
}

// start builds the playbook with the recovery image and the typed
// settings and adapts the console, in a command (the catalog reads the
// store and hashes a changed file).
func (p *recoveryPane) start(entry recovery.Entry) tea.Cmd {
	switch {
	case p.deps == nil || p.deps.Adapt == nil:
		p.note, p.noteBad = "✗ this build cannot run playbooks from the TUI; use fieldcon recover", true
		return nil
	case p.con == nil:
		p.note, p.noteBad = "✗ no console is open: pick the port in the Console tab first", true
		return nil
	case p.starting:
		return nil
	}
	setup, _ := playbookSetupFor(entry.Name)
	if _, err := setup.validate(p.values); err != nil {
		p.note, p.noteBad = "✗ "+err.Error(), true
		return nil
	}
	params, extra := setup.params(p.values, "", p.fast)
	p.runSeq++
	p.starting = true
	p.note, p.noteBad = "Preparing "+entry.Title+"…", false
	seq, cat, ctx, deps, con := p.runSeq, p.opts.Images, p.common.Ctx, p.deps, p.con
	return func() tea.Msg {
		if setup.image && cat != nil {
			e, _, err := cat.Recovery(ctx)
			switch {
			case err == nil:
				params.Image = e.Path
			case !errors.Is(err, images.ErrNoSelection):
				return recoveryReadyMsg{seq: seq, err: err}
			}
		}
		if setup.image && params.Image == "" {
			return recoveryReadyMsg{seq: seq, err: errors.New(entry.Name + " needs an image: choose one in the Images tab (u marks it for recovery)")}
		}
		pb, vars, err := entry.Build(params, deps.Tools)
		if err != nil {
			return recoveryReadyMsg{seq: seq, err: err}
		}
		if vars == nil {
			vars = recovery.Vars{}
		}
		for k, v := range extra {
			vars[k] = v
		}
		rc, release, err := deps.Adapt(con)
		if err != nil {
			return recoveryReadyMsg{seq: seq, err: fmt.Errorf("use the console for %s: %w", entry.Name, err)}
		}
		return recoveryReadyMsg{seq: seq, pb: pb, vars: vars, con: rc, release: release}
	}
}

func (p *recoveryPane) startRun(m recoveryReadyMsg) tea.Cmd {
	ctx, cancel := context.WithCancel(p.common.Ctx)
	pm := newPump(func(last, next recoveryReport) bool {
		// Only transfer progress of the same step is worth merging.
		return last.progress != nil && next.progress != nil && last.progress.Transfer != nil && next.progress.Transfer != nil &&
			last.progress.Step == next.progress.Step && last.progress.Message == "" && next.progress.Message == "" &&
			last.progress.Diagnosis == nil && last.progress.Status == next.progress.Status
	})
	r := &recoveryRun{id: m.seq, title: m.pb.Title, cancel: cancel, pump: pm, state: recovery.StateRunning, xferStep: -1}
	for _, s := range m.pb.Steps {
		r.steps = append(r.steps, stepRow{name: s.Name, what: s.Action.Describe(m.vars)})
	}
	p.run = r
	p.form, p.note = nil, ""
	p.diagnoses = nil
	rn := &recovery.Runner{
		Console:  m.con,
		Asker:    tuiAsker{pump: pm},
		Progress: func(pr recovery.Progress) { pm.put(recoveryReport{progress: &pr}) },
	}
	pb, vars, release, id := m.pb, m.vars, m.release, r.id
	run := func() tea.Msg {
		err := rn.Run(ctx, pb, vars)
		if release != nil {
			release()
		}
		pm.close()
		return recoveryDoneMsg{run: id, err: err}
	}
	return tea.Batch(run, p.waitReports())
}

// report applies one report of the run.
func (p *recoveryPane) report(rep recoveryReport) {
	r := p.run
	if rep.ask != nil {
		if r.done {
			rep.ask.answer <- askAnswer{err: context.Canceled}
			return
		}
		r.question, r.choice = rep.ask, 0
		return
	}
	pr := rep.progress
	if pr.State != recovery.StateIdle && !r.done {
		r.state = pr.State
	}
	if pr.Step >= 0 && pr.Step < len(r.steps) {
		s := &r.steps[pr.Step]
		s.status = pr.Status
		if pr.Message != "" && pr.Message != s.what && pr.State != recovery.StateWaitingForTechnician {
			s.message = pr.Message
		}
		if pr.Transfer != nil {
			t := *pr.Transfer
			r.transfer, r.xferStep = &t, pr.Step
		}
	}
	if pr.Message != "" {
		prefix := ""
		if pr.StepName != "" {
			prefix = pr.StepName + ": "
		}
		r.log = append(r.log, prefix+pr.Message)
		if len(r.log) > maxRunLog {
			r.log = r.log[len(r.log)-maxRunLog:]
		}
	}
	if pr.Diagnosis != nil {
		p.diagnosed(*pr.Diagnosis)
	}
}

func (p *recoveryPane) key(k tea.KeyPressMsg) tea.Cmd {
	keys := p.common.Keys
	r := p.run
	if r != nil && r.question != nil {
		n := len(r.question.q.Choices)
		switch {
		case key.Matches(k, keys.Left), key.Matches(k, keys.Up):
			r.choice = (r.choice + n - 1) % n
		case key.Matches(k, keys.Right), key.Matches(k, keys.Down):
			r.choice = (r.choice + 1) % n
		case key.Matches(k, keys.Accept):
			p.answer(askAnswer{choice: r.question.q.Choices[r.choice]})
		case key.Matches(k, keys.Cancel):
			p.answer(askAnswer{err: fmt.Errorf("%w: %q", recovery.ErrDeclined, r.question.q.Prompt)})
		case k.Code >= '1' && k.Code <= '9' && int(k.Code-'1') < n && k.Mod == 0:
			p.answer(askAnswer{choice: r.question.q.Choices[k.Code-'1']})
		case key.Matches(k, keys.Abort):
			r.cancel()
		}
		return nil
	}
	if r != nil && !r.done {
		if key.Matches(k, keys.Abort) {
			r.cancel()
			p.note, p.noteBad = "Aborting: the playbook puts the device back at a known speed first…", false
		}
		return nil
	}
	if r != nil && r.done {
		if key.Matches(k, keys.Accept) || key.Matches(k, keys.Cancel) {
			p.run = nil
			p.suggestFirst()
		}
		return nil
	}
	if p.form != nil {
		return p.formKey(k)
	}
	if len(p.entries) == 0 {
		return nil
	}
	entry := p.entries[p.sel]
	setup, _ := playbookSetupFor(entry.Name)
	switch {
	case key.Matches(k, keys.Up):
		p.sel = max(p.sel-1, 0)
	case key.Matches(k, keys.Down):
		p.sel = min(p.sel+1, len(p.entries)-1)
	case key.Matches(k, keys.Fast) && setup.fast:
		p.fast = !p.fast
	case key.Matches(k, keys.Fast):
		p.note, p.noteBad = entry.Name+" has no console transfer to speed up", false
	case key.Matches(k, keys.Accept) && len(setup.inputs) > 0:
		p.openForm(entry, setup)
	case key.Matches(k, keys.Accept):
		return p.start(entry)
	}
	return nil
}

func (p *recoveryPane) answer(a askAnswer) {
	q := p.run.question
	p.run.question = nil
	q.answer <- a // capacity 1 and answered once: never blocks
}

// Status puts a waiting question and the run's state in the status bar,
// so the technician sees it from any tab.
func (p *recoveryPane) Status() []StatusItem {
	r := p.run
	switch {
	case r == nil:
		return nil
	case r.question != nil:
		return []StatusItem{{Text: "answer in Recovery", Warn: true}}
	case !r.done:
		done := 0
		for _, s := range r.steps {
			if s.status == recovery.StepDone {
				done++
			}
		}
		return []StatusItem{{Text: fmt.Sprintf("recovery %d/%d", done, len(r.steps))}}
	case r.state == recovery.StateFailed:
		return []StatusItem{{Text: "recovery failed", Warn: true}}
	}
	return []StatusItem{{Text: "recovery " + r.state.String()}}
}

func (p *recoveryPane) View() string {
	w, h := p.common.Width, p.common.Height
	st := p.common.Styles
	var lines []string
	lines = append(lines, st.OverlayTitle.Render(truncate(p.header(), w)))
	lines = append(lines, "")
	foot := p.footer(w)
	doctor := p.doctorLines(w, false)
	if p.run == nil && len(doctor) > 0 {
		// The list or the settings come first: a doctor's box that
		// crowds them out shrinks to its title and fix.
		var body []string
		if p.form != nil {
			body, _, _ = p.formLines(w)
		} else {
			body = p.listLines(w, math.MaxInt)
		}
		if h-len(foot)-len(lines)-len(doctor) < len(body) {
			doctor = p.doctorLines(w, true)
		}
	}
	room := h - len(foot) - len(doctor) - len(lines)
	switch {
	case p.run != nil:
		lines = append(lines, p.runLines(w, room)...)
	case p.form != nil:
		form, _, _ := p.formLines(w)
		lines = append(lines, form...)
	default:
		lines = append(lines, p.listLines(w, room)...)
	}
	lines = append(lines, doctor...)

	return fitBlock(strings.Join(lines, "\n"), w, max(h-len(foot), 0)) + "\n" + strings.Join(foot, "\n")
}

// runError is how a finished run's error reads under the checklist; the
// doctor's box says the rest.
func runError(err error) string {
	var se *recovery.StepError
	if errors.As(err, &se) {
		return fmt.Sprintf("step %q: %v", se.Step, se.Err)
	}
	return err.Error()
}

func (p *recoveryPane) header() string {
	dev := "no console open"
	if p.con != nil {
		dev = "device at " + p.prompt.String()
		if p.prompt == serialcon.PromptNone {
			dev = "prompt not recognised yet"
		}
	}
	img := "no recovery image (choose one in Images)"
	if p.image != "" {
		img = "image ★ " + p.image
		if p.imageUse != "" {
			img += " for " + p.imageUse.Describe()
		}
	}
	return "Recovery · " + dev + " · " + img
}

// listLines is the playbooks, those for the prompt first, with the one
// under the cursor explained: what it does, where it starts, what it will
// run with. When they do not fit in room lines, the list scrolls to keep
// the cursor's playbook in view.
func (p *recoveryPane) listLines(w, room int) []string {
	st := p.common.Styles
	if len(p.entries) == 0 {
		return []string{"  No playbooks in this build."}
	}
	nameW := 0
	for _, e := range p.entries {
		nameW = max(nameW, len([]rune(e.Name)))
	}
	nameW = min(nameW, 24)
	var lines []string
	var named []bool // the line names a playbook
	add := func(l string, name bool) {
		lines = append(lines, l)
		named = append(named, name)
	}
	headed := false
	selFrom, selTo := 0, 0
	for i, e := range p.entries {
		fit := p.suggested(e)
		switch {
		case i == 0 && fit:
			add("Playbooks for the "+p.prompt.String()+" prompt:", false)
		case !fit && !headed:
			headed = true
			if i == 0 {
				add("Playbooks (none starts at the prompt the device shows now):", false)
			} else {
				add("", false)
				add("Other playbooks:", false)
			}
		}
		mark := "  "
		if i == p.sel {
			mark = "▸ "
			selFrom = len(lines)
		}
		line := truncate(mark+padRight(truncate(e.Name, nameW), nameW)+" "+e.Title, w)
		switch {
		case i == p.sel:
			line = st.Selected.Render(line)
		case !fit:
			line = st.Dim.Render(line)
		}
		add(line, true)
		if i == p.sel {
			for _, l := range p.details(e, w) {
				add(l, false)
			}
			selTo = len(lines)
		}
	}
	if len(lines) <= room {
		return lines
	}
	window := func(n int) (int, int) {
		from := min(max(selTo-n, 0), selFrom)
		return from, min(from+max(n, 1), len(lines))
	}
	// Each "more" line takes a row from the window; two rounds settle it.
	from, to := window(room)
	for range 2 {
		n := room
		if from > 0 {
			n--
		}
		if to < len(lines) {
			n--
		}
		from, to = window(n)
	}
	count := func(ls []bool) int {
		n := 0
		for _, b := range ls {
			if b {
				n++
			}
		}
		return n
	}
	var out []string
	if n := count(named[:from]); n > 0 {
		out = append(out, st.Dim.Render(truncate(fmt.Sprintf("  ↑ %d more", n), w)))
	}
	out = append(out, lines[from:to]...)
	if n := count(named[to:]); n > 0 {
		out = append(out, st.Dim.Render(truncate(fmt.Sprintf("  ↓ %d more", n), w)))
	}
	return out
}

// details explains the playbook under the cursor.
func (p *recoveryPane) details(e recovery.Entry, w int) []string {
	st := p.common.Styles
	setup, _ := playbookSetupFor(e.Name)
	var lines []string
	for _, l := range wrap(tuiWording(e.Summary), w-6) {
		lines = append(lines, st.Dim.Render("      "+l))
	}
	if len(e.StartsAt) > 0 {
		lines = append(lines, st.Dim.Render(truncate("      starts at: "+strings.Join(e.StartsAt, ", "), w)))
	}
	if len(setup.inputs) > 0 {
		for _, l := range wrap("settings: "+p.settingsSummary(setup), w-6) {
			lines = append(lines, "      "+l)
		}
	}
	if setup.fast {
		fast := "off · f turns it on"
		if p.fast {
			fast = "on: the speed is raised for the transfer, then restored"
		}
		lines = append(lines, truncate("      Fast transfer: "+fast, w))
	}
	return lines
}

// tuiWording turns the catalog's words for fieldcon recover's flags into
// the pane's.
func tuiWording(s string) string {
	return strings.NewReplacer("--fast", "fast transfer", "--iface", "the interface setting", "--password", "(new secret)").Replace(s)
}

// runLines is the checklist and the run's outcome in at most room lines:
// when the screen is short, the steps already done fold into one line.
func (p *recoveryPane) runLines(w, room int) []string {
	st := p.common.Styles
	r := p.run
	done := 0
	for _, s := range r.steps {
		if s.status == recovery.StepDone {
			done++
		}
	}
	head := truncate(fmt.Sprintf("%s — %s (%d of %d steps done)", r.title, r.state, done, len(r.steps)), w)

	var tail []string
	switch {
	case r.done && r.err == nil:
		tail = append(tail, "", st.Selected.Render(truncate("✓ Done: the device is verified recovered.", w)))
	case r.done && r.state == recovery.StateAborted:
		tail = append(tail, "", st.Banner.Render(truncate("Aborted.", w)))
	case r.done:
		tail = append(tail, "")
		for _, l := range wrap("✗ "+runError(r.err), w) {
			tail = append(tail, st.Error.Render(l))
		}
	case len(r.log) > 0:
		tail = append(tail, "", st.Dim.Render(truncate("  "+r.log[len(r.log)-1], w)))
	}

	nameW := 0
	for _, s := range r.steps {
		nameW = max(nameW, len([]rune(s.name)))
	}
	nameW = min(nameW, 18)
	var steps []string
	for i, s := range r.steps {
		steps = append(steps, p.stepLine(s, nameW, w))
		if i == r.xferStep && r.transfer != nil && (s.status == recovery.StepRunning || !r.done) {
			steps = append(steps, p.transferLine(nameW, w))
		}
	}
	// Fold the leading done steps when everything does not fit.
	if over := 1 + len(steps) + len(tail) - room; over > 0 {
		fold := 0
		for fold < len(r.steps) && r.steps[fold].status == recovery.StepDone {
			fold++
		}
		fold = min(fold, over+1)
		if fold > 1 {
			line := fmt.Sprintf(" ✓ %s … %s (%d steps done)", r.steps[0].name, r.steps[fold-1].name, fold)
			steps = append([]string{truncate(line, w)}, steps[fold:]...)
		}
	}
	return append(append([]string{head}, steps...), tail...)
}

func (p *recoveryPane) stepLine(s stepRow, nameW, w int) string {
	st := p.common.Styles
	mark := "·"
	switch s.status {
	case recovery.StepRunning:
		mark = "▸"
	case recovery.StepDone:
		mark = "✓"
	case recovery.StepFailed:
		mark = "✗"
	}
	text := fmt.Sprintf(" %s %s  %s", mark, padRight(truncate(s.name, nameW), nameW), s.what)
	if s.message != "" && s.status != recovery.StepPending {
		text += " — " + s.message
	}
	line := truncate(text, w)
	switch s.status {
	case recovery.StepRunning:
		line = st.Selected.Render(line)
	case recovery.StepFailed:
		line = st.Error.Render(line)
	case recovery.StepPending:
		line = st.Dim.Render(line)
	}
	return line
}

// transferLine is the running transfer's progress bar under its step.
func (p *recoveryPane) transferLine(nameW, w int) string {
	t := p.run.transfer
	info := " " + percent(t.Bytes, t.Total) + " " + humanBytes(t.Bytes)
	if t.Total > 0 {
		info += "/" + humanBytes(t.Total)
	}
	if rt := humanRate(t.Rate); rt != "" {
		info += " " + rt
	}
	if e := humanETA(t.ETA); e != "" && t.Bytes < t.Total {
		info += " " + e
	}
	indent := strings.Repeat(" ", nameW+5)
	bw := max(min(40, w-len(indent)-len([]rune(info))), 5)
	return truncate(indent+progressBar(bw, t.Bytes, t.Total)+info, w)
}

// doctorLines is the doctor's latest finding; compact keeps its title and
// the first line of the fix.
func (p *recoveryPane) doctorLines(w int, compact bool) []string {
	if len(p.diagnoses) == 0 {
		return nil
	}
	st := p.common.Styles
	d := p.diagnoses[len(p.diagnoses)-1]
	s := d.Symptom
	lines := []string{"", st.Banner.Render(truncate("Doctor: "+s.Title, w))}
	if compact {
		return append(lines, truncate("  fix: "+s.Fix, w))
	}
	lines = append(lines, truncate("  device said: "+sanitizeLine(strings.TrimSpace(d.Line)), w))
	for _, l := range wrap("why: "+s.Cause, w-2) {
		lines = append(lines, "  "+l)
	}
	for _, l := range wrap("fix: "+s.Fix, w-2) {
		lines = append(lines, "  "+l)
	}
	if s.Source != "" {
		lines = append(lines, st.Dim.Render(truncate("  source: "+s.Source, w)))
	}
	switch n := len(p.diagnoses); {
	case n == 2:
		lines = append(lines, st.Dim.Render(truncate("  (and one earlier finding: "+p.diagnoses[0].Symptom.Title+")", w)))
	case n > 2:
		lines = append(lines, st.Dim.Render(truncate(fmt.Sprintf("  (and %d earlier findings)", n-1), w)))
	}
	return lines
}

func (p *recoveryPane) footer(w int) []string {
	st := p.common.Styles
	r := p.run
	if r != nil && r.question != nil {
		return p.dialogLines(w)
	}
	note := ""
	if p.note != "" {
		note = truncate("  "+p.note, w)
		if p.noteBad {
			note = st.Error.Render(note)
		}
	}
	hint := "  enter run · ↑/↓ choose"
	switch {
	case r != nil && !r.done:
		hint = "  a abort (the device is left at a known speed)"
	case r != nil:
		hint = "  enter or esc back to the playbooks"
	case p.form != nil:
		hint = "  enter run · ↑/↓ or tab next setting · esc back to the list"
	case len(p.entries) > 0:
		setup, _ := playbookSetupFor(p.entries[p.sel].Name)
		switch {
		case len(setup.inputs) > 0:
			hint = "  enter settings, then run · ↑/↓ choose"
		case setup.fast:
			hint = "  enter run · ↑/↓ choose · f fast on/off"
		}
	}
	return []string{note, st.Dim.Render(truncate(hint, w))}
}

// dialogLines is the question box: the question, the choices, the keys.
func (p *recoveryPane) dialogLines(w int) []string {
	st := p.common.Styles
	r := p.run
	inner := max(w-4, 10)
	var body []string
	body = append(body, wrap(r.question.q.Prompt, inner)...)
	body = append(body, "")
	var cs []string
	for i, c := range r.question.q.Choices {
		label := fmt.Sprintf("%d %s", i+1, c)
		if i == r.choice {
			cs = append(cs, st.Match.Render("[ "+label+" ]"))
		} else {
			cs = append(cs, "  "+label+"  ")
		}
	}
	body = append(body, truncate(strings.Join(cs, " "), inner))
	body = append(body, st.Dim.Render(truncate("←/→ choose · enter answers · esc declines", inner)))
	box := st.Overlay.Width(min(w, inner+4)).Render(strings.Join(body, "\n"))
	return strings.Split(box, "\n")
}

// wrap breaks s into lines of at most width cells.
func wrap(s string, width int) []string {
	if width < 10 {
		width = 10
	}
	return strings.Split(ansi.Wrap(s, width, ""), "\n")
}

func (p *recoveryPane) ShortHelp() []key.Binding {
	k := p.common.Keys
	return []key.Binding{k.Accept, k.Fast, k.Abort}
}

func (p *recoveryPane) FullHelp() [][]key.Binding {
	k := p.common.Keys
	return [][]key.Binding{{k.Up, k.Down, k.Accept, k.Fast, k.Abort, k.Left, k.Right, k.Cancel}}
}
