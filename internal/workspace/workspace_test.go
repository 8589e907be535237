package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestOpenCreatesFolders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	w, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%q) error: %v", dir, err)
	}
	defer w.Close()
	for _, sub := range []string{Images, Uploads, Backups, Logs} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			t.Errorf("Open(%q): %s missing (%v)", dir, sub, err)
		}
	}
	if got, want := w.Path("logs", "a.log"), filepath.Join(dir, "logs", "a.log"); got != want {
		t.Errorf("Path(logs, a.log) = %q, want %q", got, want)
	}
}

func TestStoreIsSharedAndExclusive(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	db1, err := w.Store()
	if err != nil {
		t.Fatalf("Store() error: %v", err)
	}
	db2, err := w.Store()
	if err != nil || db1 != db2 {
		t.Errorf("second Store() = %p, %v; want the same handle %p", db2, err, db1)
	}
	if err := db1.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("t"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// bbolt's file lock is per open file description, so a second opener in
	// the same process sees the lock the way another fieldcon would.
	other, _ := Open(dir)
	if _, err := other.Store(); !errors.Is(err, ErrStoreBusy) {
		t.Errorf("Store() while another holds it = %v, want ErrStoreBusy", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if _, err := other.Store(); err != nil {
		t.Errorf("Store() after the holder closed = %v, want success", err)
	}
	other.Close()
}
