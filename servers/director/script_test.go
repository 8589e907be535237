package director

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fieldcon/servers"
)

// The guide's example of a well-formatted post-install file is accepted
// as it is, and the preview shows what the switch runs, line by line.
func TestLintScriptGuideExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "postinstall", "guide-example.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines, probs := LintScript(data)
	if len(probs) != 0 {
		t.Errorf("LintScript(guide example) problems = %v, want none", probs)
	}
	want := []ScriptLine{
		{1, []string{"system mtu 1600"}},
		{2, []string{"vlan 123", "name VLAN", "exit"}},
		{3, []string{"sdm prefer default"}},
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("LintScript(guide example) preview (-want +got):\n%s", diff)
	}
}

func TestLintScriptProblems(t *testing.T) {
	vlanWithNames := func(names int) string {
		return `"vlan 10" ` + strings.Repeat(`"name a" `, names) + `"exit"`
	}
	tests := []struct {
		name    string
		script  string
		errs    []string // substrings, one per error, in order
		warns   []string // substrings, one per warning, in order
		atLine  int      // line of every problem
		preview int      // lines in the preview
	}{
		{"single-quoted command", `'sdm prefer default'`, []string{`'sdm prefer default' is in single quotes`}, nil, 1, 0},
		{"single-quoted vlan block", `'vlan 123' , 'name VLAN' , 'exit'`, []string{"'vlan 123'", "'name VLAN'", "'exit'"}, nil, 1, 0},
		{"single and double quotes", `"system mtu 1600" 'sdm prefer default'`, []string{"'sdm prefer default'"}, nil, 1, 1},
		{"21 commands on a line", vlanWithNames(19), []string{"21 commands on one line; a switch takes at most 20"}, nil, 1, 1},
		{"20 commands on a line", vlanWithNames(18), nil, nil, 0, 1},
		{"unclosed quote", `"vlan 123" "name VLAN`, []string{`the double quote before "name VLAN" is never closed`}, nil, 1, 1},
		{"no quotes", "sdm prefer default", []string{`"sdm prefer default" holds no command in double quotes`}, nil, 1, 0},
		{"stray character", `>"vlan 123" "name VLAN" "exit"`, nil, []string{`">" outside double quotes`}, 1, 1},
		{"commas are fine", `"vlan 123", "name VLAN", "exit"`, nil, nil, 0, 1},
		{"unrelated commands", `"vlan 123" "system mtu 1600"`, nil, []string{`"vlan 123" and "system mtu 1600" are unrelated`}, 1, 1},
		{"two top-level commands", `"sdm prefer default" "vtp domain cisco"`, nil, []string{"are unrelated"}, 1, 1},
		{"unlisted command", `"hostname branch"`, nil, []string{`"hostname branch" is not among the post-install commands`}, 1, 1},
		{"empty command", `"vlan 5" ""`, nil, []string{`an empty command`}, 1, 1},
		{"apostrophe inside double quotes", `"vtp domain it's"`, nil, nil, 0, 1},
		{"problem on line 3", "\"system mtu 1600\"\r\n\r\n'sdm prefer default'\r\n", []string{"single quotes"}, nil, 3, 1},
		{"blank lines", "\n\n\"vtp domain cisco\"\n\n", nil, nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, probs := LintScript([]byte(tt.script))
			var errs, warns []ScriptProblem
			for _, p := range probs {
				if p.Line != tt.atLine {
					t.Errorf("problem %q on line %d, want line %d", p, p.Line, tt.atLine)
				}
				if p.Warning {
					warns = append(warns, p)
				} else {
					errs = append(errs, p)
				}
			}
			check := func(what string, got []ScriptProblem, want []string) {
				if len(got) != len(want) {
					t.Errorf("LintScript(%q) %s = %v, want %d: %q", tt.script, what, got, len(want), want)
					return
				}
				for i := range want {
					if !strings.Contains(got[i].Msg, want[i]) {
						t.Errorf("LintScript(%q) %s[%d] = %q, want it to contain %q", tt.script, what, i, got[i].Msg, want[i])
					}
				}
			}
			check("errors", errs, tt.errs)
			check("warnings", warns, tt.warns)
			if len(lines) != tt.preview {
				t.Errorf("LintScript(%q) preview = %v, want %d lines", tt.script, lines, tt.preview)
			}
		})
	}
}

// workspaceWith makes a workspace whose images/ folder holds files.
func workspaceWith(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		p := filepath.Join(root, ImagesDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// Script problems name the director.yaml line that names the script, and
// the script's own line.
func TestLintScriptsNameTheProfileLine(t *testing.T) {
	const profile = `default:
  image: img-a.tar
  script: post.txt
groups:
  - name: lab
    product-id: [WS-C2960X-24TS-L]
    config: seed.txt
    script: lab-post.txt
  - name: spare
    product-id: [WS-C2960-24TT-L]
    config: seed.txt
    script: post.txt
`
	tests := []struct {
		name  string
		files map[string]string
		errs  []string // "line: text" of each error
		warns []string
	}{
		{"both good", map[string]string{"post.txt": `"system mtu 1600"`, "lab-post.txt": `"vtp domain lab"`}, nil, nil},
		{"single quotes in the default's script", map[string]string{"post.txt": "\"system mtu 1600\"\n'sdm prefer default'\n", "lab-post.txt": `"vtp domain lab"`},
			[]string{"director.yaml:3: the default profile: post-install script post.txt, line 2: 'sdm prefer default' is in single quotes"}, nil},
		{"21 commands in a group's script", map[string]string{"post.txt": `"system mtu 1600"`, "lab-post.txt": `"vlan 10"` + strings.Repeat(` "name a"`, 20)},
			[]string{`director.yaml:8: group "lab": post-install script lab-post.txt, line 1: 21 commands on one line`}, nil},
		{"warning only", map[string]string{"post.txt": `"system mtu 1600"`, "lab-post.txt": `"vlan 10" "system mtu 1500"`},
			nil, []string{`director.yaml:8: group "lab": post-install script lab-post.txt, line 1: warning: "vlan 10" and "system mtu 1500" are unrelated`}},
		{"script not there yet", map[string]string{"post.txt": `"system mtu 1600"`},
			nil, []string{`director.yaml:8: group "lab": post-install script lab-post.txt: not in `}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parse(t, profile)
			warns, err := p.LintScripts(workspaceWith(t, tt.files))
			var got []string
			if err != nil {
				var pe *ProfileError
				if !errors.As(err, &pe) || !errors.Is(err, ErrProfile) {
					t.Fatalf("LintScripts() = %v, want a *ProfileError", err)
				}
				for _, pr := range pe.Problems {
					got = append(got, pr.String())
				}
			}
			matchAll(t, "errors", got, tt.errs)
			got = nil
			for _, w := range warns {
				got = append(got, w.String())
			}
			matchAll(t, "warnings", got, tt.warns)
		})
	}
}

func matchAll(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %d like %q", what, got, len(want), want)
		return
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("%s[%d] = %q, want it to start with %q", what, i, got[i], want[i])
		}
	}
}

// The director refuses profiles whose scripts have errors, at start and
// when an edited file is put into effect; warnings become events.
func TestDirectorRefusesBadScripts(t *testing.T) {
	const profile = "default:\n  image: img-a.tar\n  config: seed.txt\n  script: post.txt\n"
	root := workspaceWith(t, map[string]string{"img-a.tar": "tar", "seed.txt": "end\n", "post.txt": "'sdm prefer default'\n"})
	_, err := New(Config{Profiles: parse(t, profile), Root: root, Address: directorIP, Clock: newFakeClock(at("2024-05-01 12:00"))})
	if !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), "director.yaml:4:") || !strings.Contains(err.Error(), "single quotes") {
		t.Fatalf("New() with a single-quoted script = %v, want a refusal naming director.yaml:4", err)
	}

	if err := os.WriteFile(filepath.Join(root, ImagesDir, "post.txt"), []byte(`"sdm prefer default" "vtp domain x"`), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	d, err := New(Config{Profiles: parse(t, profile), Root: root, Address: directorIP, Clock: newFakeClock(at("2024-05-01 12:00")), Hook: log.hook})
	if err != nil {
		t.Fatalf("New() with a script that only warns = %v", err)
	}
	if e, ok := log.find(servers.Warning); !ok || !strings.Contains(e.Detail, "director.yaml:4:") || !strings.Contains(e.Detail, "unrelated") {
		t.Errorf("warning event = %+v (found %v), want the lint warning naming director.yaml:4", e, ok)
	}

	edited := parse(t, profile+"groups:\n  - {name: lab, mac: [0011.2233.4455], config: seed.txt, script: lab.txt}\n")
	if err := os.WriteFile(filepath.Join(root, ImagesDir, "lab.txt"), []byte(`"vlan 10"`+strings.Repeat(` "name a"`, 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.SetProfiles(edited); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), "director.yaml:6:") {
		t.Errorf("SetProfiles() with 21 commands on a line = %v, want a refusal naming director.yaml:6", err)
	}
	if got := len(d.Profiles().Groups); got != 0 {
		t.Errorf("after the refusal the director has %d groups, want the old profiles (none)", got)
	}
}

// A profile with a post-install script but no image and no configuration
// cannot be loaded, wherever the script is; a stack group whose members
// carry the images may have a script.
func TestScriptOnlyProfilesRefused(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int // 0: accepted
	}{
		{"default", "default:\n  script: post.txt\n", 2},
		{"built-in group", "built-in:\n  - family: 2960x\n    ports: '24'\n    script: post.txt\n", 4},
		{"product-id group", "groups:\n  - name: g\n    product-id: [WS-C2960X-24TS-L]\n    script: post.txt\n", 4},
		{"mac group", "groups:\n  - name: g\n    mac: [0011.2233.4455]\n    script: post.txt\n", 4},
		{"stack group without images", "groups:\n  - name: s\n    stack:\n      - {member: 1, family: '3750', ports: 24poe}\n    script: post.txt\n", 5},
		{"stack group with member images", "groups:\n  - name: s\n    stack:\n      - {member: 1, family: '3750', ports: 24poe, image: a.tar}\n    script: post.txt\n", 0},
		{"with a config", "default:\n  config: seed.txt\n  script: post.txt\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("director.yaml", []byte(tt.yaml))
			if tt.line == 0 {
				if err != nil {
					t.Errorf("Parse() = %v, want it accepted", err)
				}
				return
			}
			var pe *ProfileError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse() = %v, want a *ProfileError", err)
			}
			for _, p := range pe.Problems {
				if p.Line == tt.line && strings.Contains(p.Msg, "post-install script but no image and no configuration") {
					return
				}
			}
			t.Errorf("Parse() = %v, want the script-only problem on line %d", err, tt.line)
		})
	}
}
