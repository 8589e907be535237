package tftp

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Alias maps what a device asks for to the file the technician picked. An
// Aironet in MODE-button recovery asks for "<platform>-k9w7-tar.default"; the
// alias {"*-k9w7-tar.default", "images/c1240-k9w7-tar.124-25d.JA1.tar"}
// answers whatever platform it is with the chosen image.
type Alias struct {
	// Pattern uses path.Match syntax (*, ?, [a-z]). A pattern without a
	// slash is also tried against the last element of the requested name.
	Pattern string
	// File is relative to the server root.
	File string
}

// ErrAlias is wrapped by errors about an alias definition.
var ErrAlias = errors.New("alias")

// ParseAlias reads PATTERN=FILE as typed on the command line.
func ParseAlias(s string) (Alias, error) {
	pattern, file, ok := strings.Cut(s, "=")
	if !ok || pattern == "" || file == "" {
		return Alias{}, fmt.Errorf("%w %q: write it as PATTERN=FILE, e.g. '*-k9w7-tar.default=images/ap.tar'", ErrAlias, s)
	}
	return Alias{Pattern: pattern, File: file}, nil
}

func (a Alias) check(maxNameLen int) error {
	if _, err := path.Match(a.Pattern, ""); err != nil {
		return fmt.Errorf("%w %q: the pattern is not valid (use * and ? as wildcards)", ErrAlias, a.Pattern)
	}
	if _, err := cleanName(a.File, maxNameLen); err != nil {
		return fmt.Errorf("%w %q: file %q must be a name inside the TFTP root (%v)", ErrAlias, a.Pattern, a.File, err)
	}
	return nil
}

func (a Alias) matches(name string) bool {
	if ok, _ := path.Match(a.Pattern, name); ok {
		return true
	}
	if !strings.Contains(a.Pattern, "/") {
		ok, _ := path.Match(a.Pattern, path.Base(name))
		return ok
	}
	return false
}

// resolveAlias returns the file to serve for a cleaned name and the alias
// that chose it (nil when the name is served as is).
func resolveAlias(aliases []Alias, name string) (string, *Alias) {
	for i := range aliases {
		if aliases[i].matches(name) {
			clean, err := cleanName(aliases[i].File, 1024)
			if err != nil {
				continue // Validate refuses these; never serve one
			}
			return clean, &aliases[i]
		}
	}
	return name, nil
}
