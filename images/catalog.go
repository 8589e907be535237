package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Catalog is the workspace images folder with every file's inspection cached
// in the state store, plus the image the technician chose for recovery.
//
// A cached inspection is reused while the file keeps its size and
// modification time; the SHA-512 it holds is what the recovery selection is
// checked against, so a file replaced under the same name is noticed.
type Catalog struct {
	dir string
	db  *bolt.DB
	now func() time.Time
}

// Store layout: one bucket of inspections keyed by file name, one bucket with
// the recovery selection.
const (
	bucketInspections = "images.inspections"
	bucketSelection   = "images.selection"
	selectionKey      = "recovery"
	// recordVersion changes when Image changes shape; older records are
	// inspected again instead of being misread.
	recordVersion = 1
)

// Errors from the catalog.
var (
	ErrNoSelection      = errors.New("no image is chosen for recovery; pick one in the Images pane or run `fieldcon image use NAME`")
	ErrSelectionMissing = errors.New("the image chosen for recovery is no longer in the images folder; choose another")
	ErrSelectionChanged = errors.New("the image chosen for recovery was replaced by a different file with the same name; check it and choose it again")
	ErrNotInCatalog     = errors.New("no such image in the images folder")
)

type record struct {
	V         int    `json:"v"`
	Size      int64  `json:"size"`
	ModTimeNS int64  `json:"mtime_ns"`
	Image     *Image `json:"image"`
}

// EntryState says how an entry's inspection was obtained.
type EntryState string

// Entry states.
const (
	StateNew        EntryState = "new"        // first seen in this scan
	StateChanged    EntryState = "changed"    // size or time changed since the last scan
	StateCached     EntryState = "cached"     // inspection reused from the store
	StateUnreadable EntryState = "unreadable" // could not be read; Err says why
)

// Entry is one file of the images folder.
type Entry struct {
	Name    string     `json:"name"`
	Path    string     `json:"path"`
	Size    int64      `json:"size"`
	ModTime time.Time  `json:"mtime"`
	State   EntryState `json:"state"`
	Image   *Image     `json:"image,omitempty"`
	Err     string     `json:"error,omitempty"`
	// Selected marks the image chosen for recovery.
	Selected bool `json:"selected,omitempty"`
}

// Selection is the image chosen for recovery, as stored.
type Selection struct {
	Name   string    `json:"name"`
	Use    Use       `json:"use,omitempty"`
	Size   int64     `json:"size"`
	MD5    string    `json:"md5"`
	SHA512 string    `json:"sha512"`
	At     time.Time `json:"at"`
}

// ScanProgress reports a scan: which file, and how far into it.
type ScanProgress struct {
	File  string
	Index int // 1-based
	Count int // files that need inspecting
	Done  int64
	Total int64
}

// NewCatalog opens the catalog of dir, keeping its state in db.
func NewCatalog(dir string, db *bolt.DB) (*Catalog, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketInspections, bucketSelection} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("image catalog: prepare store: %w", err)
	}
	return &Catalog{dir: dir, db: db, now: time.Now}, nil
}

// Dir is the images folder.
func (c *Catalog) Dir() string { return c.dir }

// file is what a directory listing says about one candidate.
type file struct {
	name string
	size int64
	mod  time.Time
	err  error
}

// list stats the regular files of the folder through an os.Root, so a
// symlink pointing outside it (which the TFTP server would refuse too) shows
// up as unreadable.
func (c *Catalog) list() ([]file, error) {
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return nil, fmt.Errorf("image catalog: open %s: %w", c.dir, err)
	}
	defer root.Close()
	des, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return nil, fmt.Errorf("image catalog: list %s: %w", c.dir, err)
	}
	var out []file
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") || de.IsDir() {
			continue
		}
		st, err := root.Stat(name)
		switch {
		case err != nil:
			out = append(out, file{name: name, err: err})
		case st.Mode().IsRegular():
			out = append(out, file{name: name, size: st.Size(), mod: st.ModTime()})
		}
	}
	return out, nil
}

func (c *Catalog) records() (map[string]record, error) {
	recs := map[string]record{}
	err := c.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketInspections)).ForEach(func(k, v []byte) error {
			var r record
			if json.Unmarshal(v, &r) == nil && r.V == recordVersion && r.Image != nil {
				recs[string(k)] = r
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("image catalog: read store: %w", err)
	}
	return recs, nil
}

func (r record) matches(f file) bool {
	return r.Size == f.size && r.ModTimeNS == f.mod.UnixNano()
}

// Pending lists the files a Scan would have to inspect: new or changed since
// the last scan. It only stats files, so it is cheap enough to poll.
func (c *Catalog) Pending() ([]string, error) {
	files, err := c.list()
	if err != nil {
		return nil, err
	}
	recs, err := c.records()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if r, ok := recs[f.name]; f.err == nil && (!ok || !r.matches(f)) {
			out = append(out, f.name)
		}
	}
	return out, nil
}

// Scan lists the images folder, inspects (with hashes) every file that is new
// or changed, stores the results and forgets files that are gone. It returns
// the entries sorted by name; on cancellation it returns what it has with
// the context's error.
func (c *Catalog) Scan(ctx context.Context, progress func(ScanProgress)) ([]Entry, error) {
	files, err := c.list()
	if err != nil {
		return nil, err
	}
	recs, err := c.records()
	if err != nil {
		return nil, err
	}
	sel, _ := c.Selection()

	count := 0
	for _, f := range files {
		if r, ok := recs[f.name]; f.err == nil && (!ok || !r.matches(f)) {
			count++
		}
	}
	var entries []Entry
	index := 0
	var scanErr error
	for _, f := range files {
		e := Entry{Name: f.name, Path: filepath.Join(c.dir, f.name), Size: f.size, ModTime: f.mod}
		r, cached := recs[f.name]
		switch {
		case f.err != nil:
			e.State, e.Err = StateUnreadable, technicianError(f.err)
		case cached && r.matches(f):
			e.State, e.Image = StateCached, r.Image
		case scanErr != nil:
			continue // cancelled: leave the rest for the next scan
		default:
			index++
			e.State = StateNew
			if cached {
				e.State = StateChanged
			}
			img, err := c.inspect(ctx, f, func(done, total int64) {
				if progress != nil {
					progress(ScanProgress{File: f.name, Index: index, Count: count, Done: done, Total: total})
				}
			})
			switch {
			case ctx.Err() != nil:
				scanErr = ctx.Err()
				continue
			case err != nil:
				e.State, e.Err = StateUnreadable, technicianError(err)
			default:
				e.Image = img
				if err := c.put(f, img); err != nil {
					return entries, err
				}
			}
		}
		e.Selected = sel.Name != "" && sel.Name == e.Name && e.Image != nil && e.Image.SHA512 == sel.SHA512
		entries = append(entries, e)
	}
	if scanErr == nil {
		if err := c.forget(files); err != nil {
			return entries, err
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries, scanErr
}

func (c *Catalog) inspect(ctx context.Context, f file, progress func(done, total int64)) (*Image, error) {
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	fh, err := root.Open(f.name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() != f.size || !st.ModTime().Equal(f.mod) {
		return nil, ErrChanged
	}
	return Inspect(ctx, fh, f.size, Options{Name: f.name, Progress: progress})
}

func (c *Catalog) put(f file, img *Image) error {
	v, err := json.Marshal(record{V: recordVersion, Size: f.size, ModTimeNS: f.mod.UnixNano(), Image: img})
	if err != nil {
		return fmt.Errorf("image catalog: encode %s: %w", f.name, err)
	}
	err = c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketInspections)).Put([]byte(f.name), v)
	})
	if err != nil {
		return fmt.Errorf("image catalog: store %s: %w", f.name, err)
	}
	return nil
}

// forget drops records of files that are no longer in the folder.
func (c *Catalog) forget(files []file) error {
	present := map[string]bool{}
	for _, f := range files {
		present[f.name] = true
	}
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketInspections))
		var gone [][]byte
		if err := b.ForEach(func(k, _ []byte) error {
			if !present[string(k)] {
				gone = append(gone, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("image catalog: tidy store: %w", err)
	}
	return nil
}

// Cached returns the entries as last scanned, from the store only: no file
// is read, so the TUI can show the table at once and scan afterwards.
func (c *Catalog) Cached() ([]Entry, error) {
	recs, err := c.records()
	if err != nil {
		return nil, err
	}
	sel, _ := c.Selection()
	entries := make([]Entry, 0, len(recs))
	for name, r := range recs {
		entries = append(entries, Entry{
			Name: name, Path: filepath.Join(c.dir, name), Size: r.Size,
			ModTime: time.Unix(0, r.ModTimeNS), State: StateCached, Image: r.Image,
			Selected: sel.Name == name && r.Image.SHA512 == sel.SHA512,
		})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries, nil
}

// Select chooses the scanned image name for recovery; use may be empty.
func (c *Catalog) Select(name string, use Use) error {
	recs, err := c.records()
	if err != nil {
		return err
	}
	r, ok := recs[name]
	if !ok || r.Image.SHA512 == "" {
		return fmt.Errorf("choose %q: %w (scan the folder first)", name, ErrNotInCatalog)
	}
	sel := Selection{Name: name, Use: use, Size: r.Size, MD5: r.Image.MD5, SHA512: r.Image.SHA512, At: c.now().UTC()}
	v, err := json.Marshal(sel)
	if err != nil {
		return fmt.Errorf("choose %q: %w", name, err)
	}
	err = c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketSelection)).Put([]byte(selectionKey), v)
	})
	if err != nil {
		return fmt.Errorf("choose %q: store: %w", name, err)
	}
	return nil
}

// ClearSelection forgets the recovery choice.
func (c *Catalog) ClearSelection() error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketSelection)).Delete([]byte(selectionKey))
	})
	if err != nil {
		return fmt.Errorf("image catalog: clear choice: %w", err)
	}
	return nil
}

// Selection returns the stored recovery choice, or ErrNoSelection.
func (c *Catalog) Selection() (Selection, error) {
	var sel Selection
	found := false
	err := c.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bucketSelection)).Get([]byte(selectionKey))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &sel)
	})
	switch {
	case err != nil:
		return Selection{}, fmt.Errorf("image catalog: read choice: %w", err)
	case !found:
		return Selection{}, ErrNoSelection
	}
	return sel, nil
}

// Recovery returns the image chosen for recovery after making sure the file
// on disk is still the one chosen: same size and time as when it was hashed,
// or, if not, the same SHA-512 after hashing it again.
func (c *Catalog) Recovery(ctx context.Context) (Entry, Selection, error) {
	sel, err := c.Selection()
	if err != nil {
		return Entry{}, Selection{}, err
	}
	files, err := c.list()
	if err != nil {
		return Entry{}, sel, err
	}
	var f *file
	for i := range files {
		if files[i].name == sel.Name && files[i].err == nil {
			f = &files[i]
		}
	}
	if f == nil {
		return Entry{}, sel, fmt.Errorf("%s: %w", sel.Name, ErrSelectionMissing)
	}
	e := Entry{Name: f.name, Path: filepath.Join(c.dir, f.name), Size: f.size, ModTime: f.mod, State: StateCached, Selected: true}
	recs, err := c.records()
	if err != nil {
		return Entry{}, sel, err
	}
	if r, ok := recs[f.name]; ok && r.matches(*f) {
		e.Image = r.Image
	} else {
		img, err := c.inspect(ctx, *f, nil)
		if err != nil {
			return Entry{}, sel, fmt.Errorf("check %s: %w", f.name, err)
		}
		if err := c.put(*f, img); err != nil {
			return Entry{}, sel, err
		}
		e.Image, e.State = img, StateChanged
	}
	if e.Image.SHA512 != sel.SHA512 {
		return Entry{}, sel, fmt.Errorf("%s: %w", sel.Name, ErrSelectionChanged)
	}
	return e, sel, nil
}

// technicianError says why a file could not be read without Go jargon.
func technicianError(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "permission denied: make the file readable by your user"
	case errors.Is(err, fs.ErrNotExist):
		return "the file disappeared while scanning"
	case errors.Is(err, ErrChanged):
		return "the file changed while it was being read; wait for the copy to finish"
	case strings.Contains(err.Error(), "escapes from parent") || strings.Contains(err.Error(), "path escapes"):
		return "it is a link to a file outside the images folder; copy the file in instead"
	}
	return err.Error()
}
