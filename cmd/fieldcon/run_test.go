package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runArgs(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	code = exitCode(err, &errb, func() {})
	return out.String(), errb.String(), code
}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, _, code := runArgs(t, args...)
		if code != 0 {
			t.Errorf("run(%q) exit = %d, want 0", args, code)
		}
		for _, c := range commands() {
			if !strings.Contains(out, "  "+c.Name+" ") {
				t.Errorf("run(%q) output does not list %q:\n%s", args, c.Name, out)
			}
		}
	}
}

func TestHelpForEachCommand(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.Name, func(t *testing.T) {
			if c.Summary == "" || c.Usage == "" || c.Run == nil {
				t.Fatalf("command %q lacks a summary, usage or Run", c.Name)
			}
			out, _, code := runArgs(t, "help", c.Name)
			if code != 0 || !strings.Contains(out, strings.TrimRight(c.Usage, "\n")) {
				t.Errorf("help %s = %q (exit %d), want its usage", c.Name, out, code)
			}
		})
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := [][]string{
		{"no-such-command"},
		{"--no-such-flag"},
		{"help", "no-such-command"},
	}
	for _, c := range commands() {
		if c.Name != "help" {
			cases = append(cases, []string{c.Name, "--no-such-flag"})
		}
	}
	for _, args := range cases {
		_, errOut, code := runArgs(t, args...)
		if code != 2 {
			t.Errorf("run(%q) exit = %d, want 2", args, code)
		}
		first, rest, _ := strings.Cut(errOut, "\n")
		if !strings.HasPrefix(first, "fieldcon: ") || !strings.Contains(rest, "fieldcon") {
			t.Errorf("run(%q) stderr = %q, want a one-line error then the usage", args, errOut)
		}
	}
}

func TestParseFlagsAcceptsWorkspaceAndTrailingFlags(t *testing.T) {
	e := &Env{Stdout: &bytes.Buffer{}}
	fs := newFlags("x")
	jsonOut := fs.Bool("json", false, "")
	if err := parseFlags(e, "x", fs, []string{"FILE", "--json", "--workspace", "/tmp/ws", "MORE"}); err != nil {
		t.Fatalf("parseFlags error: %v", err)
	}
	if !*jsonOut || e.WorkspaceDir != "/tmp/ws" {
		t.Errorf("parseFlags: json=%v workspace=%q, want true and /tmp/ws", *jsonOut, e.WorkspaceDir)
	}
	if got := fs.Args(); len(got) != 2 || got[0] != "FILE" || got[1] != "MORE" {
		t.Errorf("fs.Args() = %q, want [FILE MORE]", got)
	}
}
