//go:build linux

package recovery_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fieldcon/internal/devsim"
	"fieldcon/recovery"
)

func TestStackVersionMismatchOnSimulator(t *testing.T) {
	ctx := simContext(t)
	g := startRig(t, ctx, devsim.Options{Profile: "c3750-stack"}, 9600, `Press RETURN to get started`)
	pb, vars, err := recovery.StackVersionMismatch(recovery.Params{Password: "forgotten"}, recovery.Tools{})
	if err != nil {
		t.Fatal(err)
	}
	asker := &askAll{answer: "Yes"}
	progress, err := g.run(t, ctx, pb, vars, asker)
	if err != nil {
		t.Fatalf("Run() = %v\n%s", err, g.transcript())
	}
	cmds := g.con.Commands()
	want := []string{"enable", "forgotten", "show switch", "archive copy-sw /overwrite /destination-system 3 1", "reload slot 3", "show switch", "show switch"}
	if diff := cmp.Diff(want, cmds); diff != "" {
		t.Errorf("commands sent (-want +got):\n%s", diff)
	}
	if got := g.sim.Device.StackMemberState(3); got != "Ready" {
		t.Errorf("member 3 is %q after the run, want Ready", got)
	}
	if !hasDiagnosis(progress, "stack-version-mismatch") {
		t.Errorf("no stack-version-mismatch diagnosis; messages:\n%s", messages(progress))
	}
	// Both destructive steps asked first.
	if len(asker.questions) != 2 {
		t.Errorf("asked %d questions, want 2 (archive copy-sw, reload slot): %q", len(asker.questions), asker.questions)
	}
}

// askAll answers every question the same way and records them.
type askAll struct {
	answer    string
	questions []string
}

func (a *askAll) Ask(_ context.Context, q recovery.Question) (string, error) {
	a.questions = append(a.questions, q.Prompt)
	return a.answer, nil
}
