package devsim

import (
	"context"
	"fmt"
	"regexp"
	"sort"
)

// Profile is a simulated device as data: its modes (each a prompt and a list
// of rules), its loader variables, hidden state and flash at power-on. Later
// work adds behaviour by adding rules; Go code is needed only for a Handler.
type Profile struct {
	Name    string
	Summary string // one line for `fieldcon sim --help`
	// Start is the mode after power-on unless PowerOn picks another.
	Start string
	Modes map[string]*Mode
	// Env holds the loader's environment variables at power-on (`set`).
	Env map[string]string
	// State holds hidden state at power-on: hostname, whether flash is
	// initialised, the ROMMON prompt counter, ….
	State map[string]string
	// FlashSize is the flash file system's size in bytes; Files its content
	// at power-on (names may contain "/" for folders).
	FlashSize int64
	Files     map[string][]byte
	// Banner is printed at power-on when PowerOn is nil.
	Banner []string
	// PowerOn, when set, prints the boot output and picks the first mode
	// itself (a loader that tries to boot BOOT first).
	PowerOn Handler
	// BaudVar names the environment variable that sets the console speed
	// (BAUD on Catalyst and Aironet loaders): setting it changes the
	// device's speed right after the command, unsetting it restores
	// DefaultBaud.
	BaudVar     string
	DefaultBaud int
}

// Mode is one command-line context: a loader prompt, IOS user, privileged
// or config mode, a "Press RETURN" screen.
type Mode struct {
	// Prompt is printed, without a newline, when the mode waits for a
	// command; a template (see Rule).
	Prompt string
	// Rules are tried in order; the first whose pattern and conditions
	// match runs.
	Rules []Rule
	// Unknown is printed when no rule matches a non-empty line. Templates
	// may use ${cmd} (first word), ${line} and ${caret} (a "^" under the
	// start of the command).
	Unknown []string
	// Counter makes every line entered increment the "counter" state, as
	// the ROMMON prompt number does.
	Counter bool
	// NoEcho hides typed characters (password prompts).
	NoEcho bool
	// More is the pager prompt for paged output; "" means " --More-- ".
	More string
}

// Rule is one behaviour: when a command line matches, print, change state,
// maybe switch mode, maybe run a Handler.
//
// Strings marked as templates expand ${name}: $1…$9 are the pattern's
// submatches; flash.total, flash.used, flash.free, flash.files and
// flash.dirs describe the flash; other names are hidden state first, then
// environment variables.
type Rule struct {
	// Match is an RE2 pattern matched against the whole command line with
	// surrounding blanks removed.
	Match string
	// When lists conditions: "name" is hidden state, "env:NAME" a loader
	// variable; the value "" means unset or empty.
	When map[string]string
	// Confirm is printed first (template, no newline); the rule goes on
	// only if the answer is Return or y, as IOS treats "[confirm]".
	Confirm string
	// Output is printed line by line (templates).
	Output []string
	// Paged sends Output through the --More-- pager.
	Paged bool
	// Env sets loader variables, Unset removes them (templates, also the
	// names).
	Env   map[string]string
	Unset []string
	// State sets hidden state (templates).
	State map[string]string
	// Mode is the mode after the command; "" stays.
	Mode string
	// Handler runs after Output, Env and State, before the mode switch.
	Handler Handler

	re *regexp.Regexp
}

// Handler is the Go hook for what a rule cannot say as data. It runs in the
// device's own goroutine while the line editor is suspended, so it owns the
// raw device side of the line (Call.Port) until it returns: it may print,
// read single bytes, run a whole protocol such as an XMODEM receive into the
// device's flash, or reboot the device into another mode. The device prints
// the prompt of its current mode when the handler returns.
//
// A handler reports a failed command to the technician as output and
// returns nil; a returned error stops the device and is meant for a broken
// line or a cancelled context.
type Handler func(ctx context.Context, c *Call) error

// compile checks every pattern and mode reference of p.
func (p *Profile) compile() error {
	if _, ok := p.Modes[p.Start]; !ok {
		return fmt.Errorf("profile %s: start mode %q does not exist", p.Name, p.Start)
	}
	for name, m := range p.Modes {
		for i := range m.Rules {
			r := &m.Rules[i]
			re, err := regexp.Compile(`^(?:` + r.Match + `)$`)
			if err != nil {
				return fmt.Errorf("profile %s mode %s rule %q: %w", p.Name, name, r.Match, err)
			}
			r.re = re
			if r.Mode != "" {
				if _, ok := p.Modes[r.Mode]; !ok {
					return fmt.Errorf("profile %s mode %s rule %q: mode %q does not exist", p.Name, name, r.Match, r.Mode)
				}
			}
		}
	}
	return nil
}

// extensions holds behaviour that other files of this package add from
// their init functions, so a feature such as `copy xmodem:` lives in its
// own file (xmodem_loader.go) without editing the profile tables. It is
// written only during package initialisation and read-only afterwards.
var extensions struct {
	rules    []extraRules
	profiles map[string]func() *Profile
}

type extraRules struct {
	profile, mode string
	rules         []Rule
}

// registerRules adds rules to one mode of a built-in profile, ahead of the
// profile's own rules. Call it only from an init function:
//
//	func init() {
//		registerRules("catalyst", "loader", Rule{
//			Match:   `copy\s+xmodem:\S*\s+(flash:\S+)`,
//			Handler: copyXmodem,
//		})
//	}
func registerRules(profile, mode string, rules ...Rule) {
	extensions.rules = append(extensions.rules, extraRules{profile, mode, rules})
}

// registerProfile adds a whole profile. Call it only from an init function.
func registerProfile(name string, build func() *Profile) {
	if extensions.profiles == nil {
		extensions.profiles = map[string]func() *Profile{}
	}
	extensions.profiles[name] = build
}

// builtinProfiles are the profiles defined in this package's profile files.
func builtinProfiles() map[string]func() *Profile {
	return map[string]func() *Profile{
		"catalyst": catalystProfile,
		"aironet":  aironetProfile,
		"rommon":   rommonProfile,
		"ios":      iosProfile,
	}
}

// ProfileNames lists the devices the simulator can play, sorted.
func ProfileNames() []string {
	var names []string
	for n := range builtinProfiles() {
		names = append(names, n)
	}
	for n := range extensions.profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ProfileSummary is a one-line description of a profile, "" if unknown.
func ProfileSummary(name string) string {
	build, ok := builtinProfiles()[name]
	if !ok {
		build, ok = extensions.profiles[name]
	}
	if !ok {
		return ""
	}
	return build().Summary
}

// loadProfile builds a fresh copy of a profile with extension rules added.
func loadProfile(name string) (*Profile, error) {
	build, ok := builtinProfiles()[name]
	if !ok {
		build, ok = extensions.profiles[name]
	}
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownProfile, name, ProfileNames())
	}
	p := build()
	for _, x := range extensions.rules {
		if x.profile != name {
			continue
		}
		m, ok := p.Modes[x.mode]
		if !ok {
			return nil, fmt.Errorf("profile %s: extension rules for missing mode %q", name, x.mode)
		}
		m.Rules = append(append([]Rule(nil), x.rules...), m.Rules...)
	}
	if err := p.compile(); err != nil {
		return nil, err
	}
	return p, nil
}
