package director

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A post-install script is a text file a Smart Install client runs after
// its upgrade: every command in double quotes, related commands (a vlan and
// its name and exit) on one line, at most MaxScriptCommands per line. The
// client runs only what is inside double quotes and ignores the rest, so a
// mistake shows up only as a missing setting on the switch; the linter
// catches it before a switch does.

// MaxScriptCommands is how many commands a client takes from one line.
const MaxScriptCommands = 20

// MaxScript is the largest post-install script fieldcon reads: a few lines
// of commands, never an image.
const MaxScript = 64 << 10

// ScriptLine is one line of a post-install script as the client runs it.
type ScriptLine struct {
	Line     int // from 1
	Commands []string
}

// ScriptProblem is one finding of the post-install script linter.
type ScriptProblem struct {
	Line int // line of the script, from 1
	// Warning: the switch runs the script, perhaps not as meant. Otherwise
	// it is an error: the switch would ignore or reject commands.
	Warning bool
	Msg     string
}

func (p ScriptProblem) String() string {
	if p.Warning {
		return fmt.Sprintf("line %d: warning: %s", p.Line, p.Msg)
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
}

// LintScript reads a post-install script the way a Smart Install client
// does and returns, line by line, the commands the client will run (the
// preview) and what is wrong with it. Errors: a command in single quotes,
// more than MaxScriptCommands commands on a line, an unclosed double
// quote, a non-empty line without a double-quoted command. Warnings: text
// outside double quotes other than blanks and commas, an empty command,
// unrelated commands sharing a line, and commands outside the ones the
// guide lists for post-install (system mtu, vlan with name and exit, sdm
// prefer, vtp).
func LintScript(data []byte) ([]ScriptLine, []ScriptProblem) {
	var lines []ScriptLine
	var probs []ScriptProblem
	for i, text := range strings.Split(string(data), "\n") {
		n := i + 1
		text = strings.TrimSuffix(text, "\r")
		bad := func(warning bool, format string, args ...any) {
			probs = append(probs, ScriptProblem{Line: n, Warning: warning, Msg: fmt.Sprintf(format, args...)})
		}
		cmds, stray, singles, unclosed := splitScriptLine(text)
		for _, s := range singles {
			bad(false, "'%s' is in single quotes, which the switch ignores; write it in double quotes: \"%s\"", s, s)
		}
		if unclosed != "" {
			bad(false, "the double quote before %q is never closed; the switch ignores that command; close it on the same line", unclosed)
		}
		if len(cmds) == 0 {
			if strings.TrimSpace(text) != "" && len(singles) == 0 && unclosed == "" {
				bad(false, "%q holds no command in double quotes, so the switch ignores the line; wrap each command in double quotes", strings.TrimSpace(text))
			}
			continue
		}
		if stray != "" {
			bad(true, "%q outside double quotes is ignored by the switch; remove it", stray)
		}
		if len(cmds) > MaxScriptCommands {
			bad(false, "%d commands on one line; a switch takes at most %d: put unrelated commands on lines of their own", len(cmds), MaxScriptCommands)
		}
		for _, c := range cmds {
			if strings.TrimSpace(c) == "" {
				bad(true, "an empty command \"\"; remove it")
			} else if !postInstallCommand(c) {
				bad(true, "%q is not among the post-install commands the guide lists (system mtu, vlan with name and exit, sdm prefer, vtp); the switch may reject it", c)
			}
		}
		if a, b, mixed := unrelated(cmds); mixed {
			bad(true, "%q and %q are unrelated commands on one line; put each on a line of its own (only a command's own sub-commands, such as name and exit after vlan, belong beside it)", a, b)
		}
		lines = append(lines, ScriptLine{Line: n, Commands: cmds})
	}
	return lines, probs
}

// splitScriptLine returns the double-quoted commands of one line, the
// text outside quotes other than blanks and commas, the single-quoted
// tokens, and the start of an unclosed double-quoted command.
func splitScriptLine(text string) (cmds []string, stray string, singles []string, unclosed string) {
	var out strings.Builder
	for i := 0; i < len(text); i++ {
		switch ch := text[i]; ch {
		case '"':
			end := strings.IndexByte(text[i+1:], '"')
			if end < 0 {
				return cmds, strings.TrimSpace(out.String()), singles, text[i+1:]
			}
			cmds = append(cmds, text[i+1:i+1+end])
			i += end + 1
		case '\'':
			end := strings.IndexByte(text[i+1:], '\'')
			if end < 0 {
				singles = append(singles, text[i+1:])
				return cmds, strings.TrimSpace(out.String()), singles, ""
			}
			singles = append(singles, text[i+1:i+1+end])
			i += end + 1
		case ' ', '\t', ',':
			if out.Len() > 0 {
				out.WriteByte(' ')
			}
		default:
			out.WriteByte(ch)
		}
	}
	return cmds, strings.Join(strings.Fields(out.String()), " "), singles, ""
}

func words(cmd string) (string, string) {
	f := strings.Fields(strings.ToLower(cmd))
	switch len(f) {
	case 0:
		return "", ""
	case 1:
		return f[0], ""
	}
	return f[0], f[1]
}

// postInstallCommand reports whether a command is one the guide lists for
// post-install scripts.
func postInstallCommand(cmd string) bool {
	first, second := words(cmd)
	switch first {
	case "vlan", "name", "exit", "vtp":
		return true
	case "system":
		return second == "mtu"
	case "sdm":
		return second == "prefer"
	}
	return false
}

// unrelated reports the first two top-level commands of a line that has
// more than one. A vlan opens a sub-mode whose name belongs to it until
// exit (or end) closes it.
func unrelated(cmds []string) (string, string, bool) {
	var top []string
	inVlan := false
	for _, c := range cmds {
		first, _ := words(c)
		switch {
		case first == "":
		case first == "exit" || first == "end":
			inVlan = false
		case inVlan && first != "vlan" && first != "system" && first != "sdm" && first != "vtp":
			// A sub-command of the vlan.
		default:
			top = append(top, c)
			inVlan = first == "vlan"
		}
	}
	if len(top) > 1 {
		return top[0], top[1], true
	}
	return "", "", false
}

// scriptRef is one profile's use of a post-install script.
type scriptRef struct {
	at, what, name string
}

func (p *Profiles) scriptRefs() []scriptRef {
	var refs []scriptRef
	if p.Default.Script != "" {
		refs = append(refs, scriptRef{"default.script", "the default profile", p.Default.Script})
	}
	for i, g := range p.BuiltIn {
		if g.Script != "" {
			refs = append(refs, scriptRef{fmt.Sprintf("built-in.%d.script", i), "built-in group " + strings.ToLower(g.Family) + " " + strings.ToLower(g.Ports), g.Script})
		}
	}
	for i, g := range p.Groups {
		if g.Script != "" {
			refs = append(refs, scriptRef{fmt.Sprintf("groups.%d.script", i), fmt.Sprintf("group %q", g.Name), g.Script})
		}
	}
	return refs
}

// LintScripts runs LintScript on every post-install script the profiles
// name, from the images/ folder under root. Each problem names the line of
// the profile file that names the script, and the script's own line.
// Errors in a script come back as a *ProfileError (the director refuses the
// profiles); warnings, and a script that is not there yet, as warnings.
func (p *Profiles) LintScripts(root string) (warnings []Problem, err error) {
	var errs []Problem
	seen := map[string]bool{}
	for _, r := range p.scriptRefs() {
		if seen[r.name] {
			continue // a script shared by several profiles is reported once
		}
		seen[r.name] = true
		at := Problem{File: p.file, Line: p.Line(r.at)}
		data, rerr := readScript(root, r.name)
		if rerr != nil {
			at.Msg = fmt.Sprintf("%s: post-install script %s: %v", r.what, r.name, rerr)
			if errors.Is(rerr, errScriptTooBig) {
				errs = append(errs, at)
			} else {
				warnings = append(warnings, at)
			}
			continue
		}
		_, probs := LintScript(data)
		for _, sp := range probs {
			pr := at
			pr.Msg = fmt.Sprintf("%s: post-install script %s, %s", r.what, r.name, sp)
			if sp.Warning {
				warnings = append(warnings, pr)
			} else {
				errs = append(errs, pr)
			}
		}
	}
	if len(errs) > 0 {
		return warnings, &ProfileError{Problems: errs}
	}
	return warnings, nil
}

var errScriptTooBig = fmt.Errorf("larger than %d bytes; a post-install script is a few lines of commands", MaxScript)

// readScript reads images/<name> under root without leaving root.
func readScript(root, name string) ([]byte, error) {
	f, err := os.OpenInRoot(filepath.Join(root, ImagesDir), filepath.FromSlash(name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("not in %s yet; switches given it fail their post-install step until it is copied there", filepath.Join(root, ImagesDir))
		}
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxScript+1))
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	if len(data) > MaxScript {
		return nil, errScriptTooBig
	}
	return data, nil
}
