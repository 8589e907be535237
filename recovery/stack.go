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

// StackMember is one row of `show switch`.
type StackMember struct {
	Number   int
	Master   bool // the row starts with "*" or the role is Master/Active
	Role     string
	MAC      string
	Priority int
	State    string // "Ready", "Version Mismatch", "Progressing", …
}

var stackRow = regexp.MustCompile(`^\s*(\*?)\s*(\d+)\s+(\S+)\s+([0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4})\s+(\d+)\s+(?:[Vv]?\d+\s+)?([A-Za-z][A-Za-z ]*?)\s*$`)

// ParseShowSwitch reads the member table of `show switch` (3750 and later
// stacks; an H/W version column is skipped). Lines that are not member
// rows are ignored.
func ParseShowSwitch(out string) []StackMember {
	var members []StackMember
	for _, line := range strings.Split(stripCR(out), "\n") {
		m := stackRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		prio, _ := strconv.Atoi(m[5])
		role := m[3]
		members = append(members, StackMember{
			Number: n, Master: m[1] == "*" || role == "Master" || role == "Active",
			Role: role, MAC: m[4], Priority: prio, State: m[6],
		})
	}
	return members
}

// StackVersionMismatch repairs a stack member that runs other software than
// the stack: it reads `show switch`, explains the Version Mismatch, copies
// the master's running image to the member with
// `archive copy-sw /overwrite /destination-system N M`, reloads the member
// with `reload slot N` and waits until the member is Ready (seed 000, the
// Cisco 3750 stack note).
func StackVersionMismatch(p Params, t Tools) (*Playbook, Vars, error) {
	pb := &Playbook{
		Name:        "stack-version-mismatch",
		Title:       "Switch stack: member in Version Mismatch",
		Description: "From the stack master's IOS: finds the member in Version Mismatch, copies the master's image to it with archive copy-sw /overwrite, reloads that member and waits until it is Ready.",
		StartsAt:    []string{"ios-user", "ios-privileged", "press-return"},
		Steps: []Step{
			{Name: "reach IOS", Action: Func{What: "reach the stack master's IOS prompt", F: reachIOSUser}, Timeout: 2 * time.Minute, Checkpoint: true},
			{Name: "enable", Action: Func{What: "enable (with the password when the switch asks)", F: enableWithPassword}, Timeout: 30 * time.Second},
			{Name: "show switch", Action: Func{What: "read the stack members with show switch", F: findMismatch}, Timeout: time.Minute},
			{Name: "archive copy-sw", Action: Command{Line: "archive copy-sw /overwrite /destination-system {member} {donor}", Expect: []string{`All software images installed`}}, Timeout: 45 * time.Minute, Destructive: true,
				Fail: []*regexp.Regexp{regexp.MustCompile(`%Error[^\r\n]*\r?\n`), regexp.MustCompile(`ERROR:[^\r\n]*\r?\n`)}},
			{Name: "reload slot", Action: Func{What: "reload slot {member} (the member restarts with the new image)", F: reloadSlot}, Timeout: time.Minute, Destructive: true},
			{Name: "wait Ready", Action: Func{What: "wait until member {member} is Ready", F: waitMemberReady}, Timeout: 20 * time.Minute},
		},
	}
	return pb, Vars{"password": p.Password}, nil
}

// enableWithPassword types enable and answers a Password: prompt with
// {password} when one is set.
func enableWithPassword(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine("enable"); err != nil {
		return err
	}
	i, _, err := r.Expect(ctx, regexp.MustCompile(iosPrivPrompt), regexp.MustCompile(`Password: *$`))
	if err != nil || i == 0 {
		return err
	}
	if r.Vars["password"] == "" {
		return errors.New("the switch asks for its enable password: run again with --password")
	}
	if err := r.Console.SendLine(r.Vars["password"]); err != nil {
		return err
	}
	i, _, err = r.Expect(ctx, regexp.MustCompile(iosPrivPrompt), regexp.MustCompile(`Password: *$|% Bad secrets`))
	if err == nil && i == 1 {
		return errors.New("the enable password was refused: check --password (or recover it with catalyst-password)")
	}
	return err
}

func showSwitch(ctx context.Context, r *Run) ([]StackMember, string, error) {
	r.Console.MarkRead()
	if err := r.Console.SendLine("show switch"); err != nil {
		return nil, "", err
	}
	_, g, err := r.Expect(ctx, regexp.MustCompile(`(?s)show switch\r?\n(.*?)`+iosPrivPrompt))
	if err != nil {
		return nil, "", err
	}
	return ParseShowSwitch(g[1]), g[1], nil
}

// findMismatch picks the member to repair and the donor: the master, or
// the first Ready member when the master's row is not marked.
func findMismatch(ctx context.Context, r *Run) error {
	members, out, err := showSwitch(ctx, r)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return fmt.Errorf("show switch printed no stack members; is this a stack master?\n%s", strings.TrimSpace(out))
	}
	var bad []StackMember
	donor := 0
	for _, m := range members {
		switch {
		case strings.EqualFold(m.State, "Version Mismatch"):
			bad = append(bad, m)
		case m.Master && strings.EqualFold(m.State, "Ready"):
			donor = m.Number
		}
	}
	if donor == 0 {
		for _, m := range members {
			if strings.EqualFold(m.State, "Ready") {
				donor = m.Number
				break
			}
		}
	}
	if len(bad) == 0 {
		return fmt.Errorf("no member is in Version Mismatch (%s): nothing for this playbook to do", memberSummary(members))
	}
	if donor == 0 {
		return errors.New("no member is Ready to give its software: fix the master first")
	}
	m := bad[0]
	r.Vars["member"] = strconv.Itoa(m.Number)
	r.Vars["donor"] = strconv.Itoa(donor)
	if s := symptomByID("stack-version-mismatch"); s != nil {
		r.report(Progress{State: StateRunning, Status: StepRunning, Diagnosis: &Diagnosis{Symptom: s, Line: fmt.Sprintf("%d  %s  %s  %s", m.Number, m.Role, m.MAC, m.State)},
			Message: fmt.Sprintf("switch %d (%s) is in Version Mismatch: it runs other software than the stack, so it cannot join; fieldcon copies switch %d's image to it and reloads it", m.Number, m.MAC, donor)})
	}
	if len(bad) > 1 {
		r.Message(fmt.Sprintf("%d members are in Version Mismatch; this run repairs switch %d, run it again for the next", len(bad), m.Number))
	}
	return nil
}

func memberSummary(members []StackMember) string {
	var parts []string
	for _, m := range members {
		parts = append(parts, fmt.Sprintf("%d %s", m.Number, m.State))
	}
	return strings.Join(parts, ", ")
}

// reloadSlot reloads the member and answers IOS's [confirm] with Return.
func reloadSlot(ctx context.Context, r *Run) error {
	r.Console.MarkRead()
	if err := r.Console.SendLine(r.Vars.Expand("reload slot {member}")); err != nil {
		return err
	}
	if _, _, err := r.Expect(ctx, regexp.MustCompile(`\[confirm\] *$`)); err != nil {
		return err
	}
	if err := r.Console.SendLine(""); err != nil {
		return err
	}
	_, _, err := r.Expect(ctx, regexp.MustCompile(iosPrivPrompt))
	return err
}

// waitMemberReady polls show switch until the member is Ready again; a
// member that comes back in Version Mismatch did not take the image.
func waitMemberReady(ctx context.Context, r *Run) error {
	n, _ := strconv.Atoi(r.Vars["member"])
	for {
		members, _, err := showSwitch(ctx, r)
		if err != nil {
			return err
		}
		state := ""
		for _, m := range members {
			if m.Number == n {
				state = m.State
			}
		}
		switch {
		case strings.EqualFold(state, "Ready"):
			r.Message(fmt.Sprintf("switch %d is Ready: the stack runs one version again", n))
			return nil
		case strings.EqualFold(state, "Version Mismatch") && r.Vars["seen_progress"] == "yes":
			return fmt.Errorf("switch %d came back in Version Mismatch: the copy did not take; check flash%d: with dir flash%d: and its BOOT variable (boot system switch %d flash:IMAGE)", n, n, n, n)
		case state != "" && !strings.EqualFold(state, "Version Mismatch"):
			r.Vars["seen_progress"] = "yes"
		}
		r.Message(fmt.Sprintf("switch %d: %s", n, orUnknown(state)))
		// A member takes minutes to reload: look often at first, then
		// every ten seconds.
		polls, _ := strconv.Atoi(r.Vars["polls"])
		r.Vars["polls"] = strconv.Itoa(polls + 1)
		every := 10 * time.Second
		if polls < 3 {
			every = 2 * time.Second
		}
		wctx, cancel := context.WithTimeout(ctx, every)
		<-wctx.Done()
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "not in the stack yet"
	}
	return s
}
