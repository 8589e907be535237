package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// PrefsFile is the name of the file in the workspace that remembers the
// technician's last port and speed.
const PrefsFile = "tui.json"

// Prefs is what the TUI remembers between runs.
type Prefs struct {
	Last PortChoice `json:"last"`
}

// LoadPrefs reads path; a missing file is not an error, just no memory.
func LoadPrefs(path string) (Prefs, error) {
	var p Prefs
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return Prefs{}, fmt.Errorf("read %s: not valid JSON, delete it to start afresh: %w", path, err)
	}
	return p, nil
}

// SavePrefs writes p to path through a temporary file, so a crash never
// leaves half a file behind.
func SavePrefs(path string, p Prefs) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tui-*.json")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}
