package images

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"fieldcon/images/imagestest"
)

type catalogFixture struct {
	t    *testing.T
	dir  string
	db   *bolt.DB
	path string
}

func newCatalogFixture(t *testing.T) (*catalogFixture, *Catalog) {
	t.Helper()
	base := t.TempDir()
	f := &catalogFixture{t: t, dir: filepath.Join(base, "images"), path: filepath.Join(base, "state.db")}
	if err := os.Mkdir(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := f.open()
	t.Cleanup(func() { f.db.Close() })
	return f, c
}

func (f *catalogFixture) open() *Catalog {
	f.t.Helper()
	db, err := bolt.Open(f.path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		f.t.Fatal(err)
	}
	f.db = db
	c, err := NewCatalog(f.dir, db)
	if err != nil {
		f.t.Fatal(err)
	}
	c.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	return c
}

func (f *catalogFixture) reopen() *Catalog {
	f.t.Helper()
	if err := f.db.Close(); err != nil {
		f.t.Fatal(err)
	}
	return f.open()
}

func (f *catalogFixture) write(name string, data []byte, mtime time.Time) {
	f.t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		f.t.Fatal(err)
	}
}

func states(entries []Entry) map[string]EntryState {
	m := map[string]EntryState{}
	for _, e := range entries {
		m[e.Name] = e.State
	}
	return m
}

func TestCatalogScan(t *testing.T) {
	f, c := newCatalogFixture(t)
	day := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sw := bundle3750()
	f.write(sw.FileName(), sw.Bytes(), day)
	f.write("c3750-ipbasek9-mz.122-25.SEB4.bin", imagestest.Runnable(imagestest.MZIP, 50000), day)
	f.write(".hidden.bin", []byte("x"), day)
	if err := os.Mkdir(filepath.Join(f.dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}

	pending, err := c.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c3750-ipbasek9-mz.122-25.SEB4.bin", sw.FileName()}, pending); diff != "" {
		t.Errorf("Pending() before the first scan mismatch (-want +got):\n%s", diff)
	}

	var progressed []string
	entries, err := c.Scan(context.Background(), func(p ScanProgress) {
		if len(progressed) == 0 || progressed[len(progressed)-1] != p.File {
			progressed = append(progressed, p.File)
		}
		if p.Count != 2 || p.Total <= 0 {
			t.Errorf("ScanProgress = %+v, want 2 files to inspect", p)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]EntryState{sw.FileName(): StateNew, "c3750-ipbasek9-mz.122-25.SEB4.bin": StateNew}
	if diff := cmp.Diff(want, states(entries)); diff != "" {
		t.Errorf("first Scan() states mismatch (-want +got):\n%s", diff)
	}
	if len(progressed) != 2 {
		t.Errorf("Scan() progress named %q, want both files", progressed)
	}
	for _, e := range entries {
		if e.Image == nil || e.Image.SHA512 == "" || e.Path != filepath.Join(f.dir, e.Name) {
			t.Errorf("Scan() entry %s = image %v path %q, want a hashed image at its path", e.Name, e.Image != nil, e.Path)
		}
	}

	// Second scan, new process: everything comes from the store.
	c = f.reopen()
	if p, _ := c.Pending(); len(p) != 0 {
		t.Errorf("Pending() after a scan = %q, want none", p)
	}
	entries, err = c.Scan(context.Background(), func(p ScanProgress) { t.Errorf("Scan() inspected %s again", p.File) })
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]EntryState{sw.FileName(): StateCached, "c3750-ipbasek9-mz.122-25.SEB4.bin": StateCached}
	if diff := cmp.Diff(want, states(entries)); diff != "" {
		t.Errorf("second Scan() states mismatch (-want +got):\n%s", diff)
	}

	// A changed file, a new file and a removed file.
	f.write("c3750-ipbasek9-mz.122-25.SEB4.bin", imagestest.Runnable(imagestest.MZIP, 60000), day.Add(time.Hour))
	f.write("c1240-k9w7-tar.default", []byte("<html>oops</html>"), day)
	if err := os.Remove(filepath.Join(f.dir, sw.FileName())); err != nil {
		t.Fatal(err)
	}
	entries, err = c.Scan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]EntryState{"c3750-ipbasek9-mz.122-25.SEB4.bin": StateChanged, "c1240-k9w7-tar.default": StateNew}
	if diff := cmp.Diff(want, states(entries)); diff != "" {
		t.Errorf("third Scan() states mismatch (-want +got):\n%s", diff)
	}
	cached, err := c.Cached()
	if err != nil {
		t.Fatal(err)
	}
	if len(cached) != 2 || cached[0].Name != "c1240-k9w7-tar.default" || cached[1].Size != 60000 {
		t.Errorf("Cached() = %+v, want the two current files with new sizes", cached)
	}
}

// The cache is keyed by size and modification time: a file rewritten with
// the same size and time keeps its old inspection. That is what makes a
// rescan cheap; Recovery is where the hash is checked again.
func TestCatalogCacheKey(t *testing.T) {
	f, c := newCatalogFixture(t)
	day := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	a := imagestest.Runnable(imagestest.MZIP, 40000)
	f.write("x.bin", a, day)
	first, err := c.Scan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := imagestest.Runnable(imagestest.ELF, 40000)
	f.write("x.bin", b, day)
	second, err := c.Scan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if second[0].State != StateCached || second[0].Image.MD5 != first[0].Image.MD5 {
		t.Errorf("Scan() after a same-size same-time rewrite = %s %s, want the cached %s", second[0].State, second[0].Image.MD5, first[0].Image.MD5)
	}
}

func TestCatalogSelection(t *testing.T) {
	f, c := newCatalogFixture(t)
	day := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ap := apBundle("c1240", "k9w7", "124-25d.JA1")
	f.write(ap.FileName(), ap.Bytes(), day)

	if _, err := c.Selection(); !errors.Is(err, ErrNoSelection) {
		t.Errorf("Selection() on a new store error = %v, want ErrNoSelection", err)
	}
	if err := c.Select(ap.FileName(), UseAPModeRecovery); !errors.Is(err, ErrNotInCatalog) {
		t.Errorf("Select() before a scan error = %v, want ErrNotInCatalog", err)
	}
	entries, err := c.Scan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Select(ap.FileName(), UseAPModeRecovery); err != nil {
		t.Fatalf("Select() error = %v", err)
	}

	// Playbooks read the choice in another process later.
	c = f.reopen()
	sel, err := c.Selection()
	if err != nil {
		t.Fatal(err)
	}
	want := Selection{Name: ap.FileName(), Use: UseAPModeRecovery, Size: entries[0].Size, MD5: entries[0].Image.MD5,
		SHA512: entries[0].Image.SHA512, At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if diff := cmp.Diff(want, sel); diff != "" {
		t.Errorf("Selection() mismatch (-want +got):\n%s", diff)
	}
	e, _, err := c.Recovery(context.Background())
	if err != nil {
		t.Fatalf("Recovery() error = %v", err)
	}
	if e.Path != filepath.Join(f.dir, ap.FileName()) || !e.Selected || e.Image.Identity().Platform != "c1240" {
		t.Errorf("Recovery() = %s selected %v, want the chosen c1240 bundle", e.Path, e.Selected)
	}
	cached, _ := c.Cached()
	if len(cached) != 1 || !cached[0].Selected {
		t.Errorf("Cached() = %+v, want the chosen image marked", cached)
	}

	// Replaced by another file under the same name: hashed again, refused.
	other := apBundle("c1240", "k9w7", "124-25d.JA2")
	f.write(ap.FileName(), other.Bytes(), day.Add(time.Minute))
	if _, _, err := c.Recovery(context.Background()); !errors.Is(err, ErrSelectionChanged) {
		t.Errorf("Recovery() after the file was replaced error = %v, want ErrSelectionChanged", err)
	}
	entries, _ = c.Scan(context.Background(), nil)
	if entries[0].Selected {
		t.Errorf("Scan() marks a replaced file as the chosen one")
	}

	if err := os.Remove(filepath.Join(f.dir, ap.FileName())); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Recovery(context.Background()); !errors.Is(err, ErrSelectionMissing) {
		t.Errorf("Recovery() after the file was removed error = %v, want ErrSelectionMissing", err)
	}
	if err := c.ClearSelection(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Recovery(context.Background()); !errors.Is(err, ErrNoSelection) {
		t.Errorf("Recovery() after ClearSelection error = %v, want ErrNoSelection", err)
	}
}

func TestCatalogUnreadable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	f, c := newCatalogFixture(t)
	outside := filepath.Join(t.TempDir(), "elsewhere.bin")
	if err := os.WriteFile(outside, imagestest.Runnable(imagestest.MZIP, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(f.dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	entries, err := c.Scan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].State != StateUnreadable || !strings.Contains(entries[0].Err, "outside the images folder") {
		t.Errorf("Scan() = %+v, want link.bin unreadable because it points outside", entries)
	}
}

func TestCatalogScanCancelled(t *testing.T) {
	f, c := newCatalogFixture(t)
	day := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.write("a.bin", imagestest.Runnable(imagestest.MZIP, 3<<20), day)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Scan(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan(cancelled) error = %v, want context.Canceled", err)
	}
	if p, _ := c.Pending(); len(p) != 1 {
		t.Errorf("Pending() after a cancelled scan = %q, want a.bin still pending", p)
	}
}
