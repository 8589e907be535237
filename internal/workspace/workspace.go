// Package workspace is fieldcon's folder on the technician's laptop: images,
// uploads, backups, session logs, the director profile and the state store.
//
// It does not decide what goes in the store; packages that keep state are
// handed the *bbolt.DB and manage their own buckets.
package workspace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Workspace is an opened workspace folder.
type Workspace struct {
	Dir string

	mu sync.Mutex
	db *bolt.DB
}

// Subfolders created on first use.
const (
	Images  = "images"
	Uploads = "uploads"
	Backups = "backups"
	Logs    = "logs"
)

// DefaultDir is the per-user data folder: $XDG_DATA_HOME/fieldcon or
// ~/.local/share/fieldcon on Linux, ~/Library/Application Support/fieldcon on
// macOS, %LocalAppData%\fieldcon on Windows.
func DefaultDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "fieldcon"), nil
		}
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Application Support", "fieldcon"), nil
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "fieldcon"), nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home folder to put the workspace in; pass --workspace DIR: %w", err)
	}
	return filepath.Join(home, ".local", "share", "fieldcon"), nil
}

// DefaultDirHint is DefaultDir for help texts.
func DefaultDirHint() string {
	switch runtime.GOOS {
	case "windows":
		return `%LocalAppData%\fieldcon`
	case "darwin":
		return "~/Library/Application Support/fieldcon"
	}
	return "$XDG_DATA_HOME/fieldcon or ~/.local/share/fieldcon"
}

// Open opens dir (DefaultDir when empty), creating it and its subfolders.
func Open(dir string) (*Workspace, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	for _, sub := range []string{"", Images, Uploads, Backups, Logs} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("workspace: cannot create %s: %w", filepath.Join(dir, sub), err)
		}
	}
	return &Workspace{Dir: dir}, nil
}

// Path joins elem onto the workspace folder.
func (w *Workspace) Path(elem ...string) string {
	return filepath.Join(append([]string{w.Dir}, elem...)...)
}

// ErrStoreBusy means another fieldcon holds the state store.
var ErrStoreBusy = errors.New("the workspace state store is in use by another fieldcon; stop it or use another --workspace")

// Store opens state.db on first call and returns the same handle afterwards.
func (w *Workspace) Store() (*bolt.DB, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.db != nil {
		return w.db, nil
	}
	db, err := bolt.Open(w.Path("state.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, ErrStoreBusy
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: open state store: %w", err)
	}
	w.db = db
	return db, nil
}

// Close closes the store if it was opened.
func (w *Workspace) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.db == nil {
		return nil
	}
	err := w.db.Close()
	w.db = nil
	return err
}
