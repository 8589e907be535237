package devsim

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrFlashFull means a file does not fit in the simulated flash.
var ErrFlashFull = errors.New("not enough space in flash")

// ErrNoSuchFile means the simulated flash has no file of that name.
var ErrNoSuchFile = errors.New("no such file or directory")

// flashBlock is the allocation unit of the simulated flash file system;
// with the root folder's 1024 bytes it makes `Bytes used` look like real
// flashfs output (1536 for one small file).
const (
	flashBlock    = 512
	flashRootUsed = 1024
)

// Flash is a device's simulated flash file system: files by name, a fixed
// size, and index numbers that stay with a file as `dir` shows them.
type Flash struct {
	mu    sync.Mutex
	total int64
	files map[string]*flashFile
	dirs  map[string]int // folder → index; folders stay when emptied
	next  int            // index for the next new entry
}

type flashFile struct {
	data  []byte
	index int
}

// FlashFile describes one entry of a listing.
type FlashFile struct {
	Index int
	Name  string // relative to the listed folder; folders end without "/"
	Size  int64
	Dir   bool
}

// NewFlash returns an empty flash of total bytes.
func NewFlash(total int64) *Flash {
	return &Flash{total: total, files: map[string]*flashFile{}, dirs: map[string]int{}, next: 2}
}

func cleanFlashName(name string) string {
	name = strings.TrimPrefix(name, "flash:")
	return strings.Trim(name, "/")
}

// Put stores a file, replacing one of the same name.
func (f *Flash) Put(name string, data []byte) error {
	name = cleanFlashName(name)
	if name == "" {
		return fmt.Errorf("flash: %w", ErrNoSuchFile)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	old, had := f.files[name]
	used := f.usedLocked()
	newDirs := 0
	for d := range parents(name) {
		if _, ok := f.dirs[d]; !ok {
			newDirs++
		}
	}
	used += int64(newDirs) * flashBlock
	if had {
		used -= roundBlock(int64(len(old.data)))
	}
	if used+roundBlock(int64(len(data))) > f.total {
		return fmt.Errorf("flash:%s (%d bytes): %w", name, len(data), ErrFlashFull)
	}
	for _, d := range sortedParents(name) {
		if _, ok := f.dirs[d]; !ok {
			f.dirs[d] = f.next
			f.next++
		}
	}
	idx := f.next
	if had {
		idx = old.index
	} else {
		f.next++
	}
	f.files[name] = &flashFile{data: append([]byte(nil), data...), index: idx}
	return nil
}

// Get returns a copy of a file's content.
func (f *Flash) Get(name string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ff, ok := f.files[cleanFlashName(name)]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), ff.data...), true
}

// Delete removes a file.
func (f *Flash) Delete(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	name = cleanFlashName(name)
	if _, ok := f.files[name]; !ok {
		return fmt.Errorf("flash:%s: %w", name, ErrNoSuchFile)
	}
	delete(f.files, name)
	return nil
}

// Total is the size of the flash in bytes.
func (f *Flash) Total() int64 { return f.total }

// Used is the space taken, including the file system's own.
func (f *Flash) Used() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.usedLocked()
}

// Free is Total minus Used.
func (f *Flash) Free() int64 { return f.total - f.Used() }

func (f *Flash) usedLocked() int64 {
	used := int64(flashRootUsed)
	for _, ff := range f.files {
		used += roundBlock(int64(len(ff.data)))
	}
	return used + int64(len(f.dirs))*flashBlock
}

func roundBlock(n int64) int64 {
	return (n + flashBlock - 1) / flashBlock * flashBlock
}

// parents returns the folders a file name lies in.
func parents(name string) map[string]bool {
	out := map[string]bool{}
	for _, d := range sortedParents(name) {
		out[d] = true
	}
	return out
}

// sortedParents returns the folders of a name, outermost first.
func sortedParents(name string) []string {
	var out []string
	for i, c := range name {
		if c == '/' {
			out = append(out, name[:i])
		}
	}
	return out
}

// Counts returns the number of files and folders (the root included), as
// flashfs reports them at initialisation.
func (f *Flash) Counts() (files, dirs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.files), len(f.dirs) + 1
}

// List returns the entries directly inside folder ("" for the root) in
// index order.
func (f *Flash) List(folder string) ([]FlashFile, error) {
	folder = cleanFlashName(folder)
	f.mu.Lock()
	defer f.mu.Unlock()
	prefix := ""
	if folder != "" {
		if _, ok := f.dirs[folder]; !ok {
			return nil, fmt.Errorf("flash:%s: %w", folder, ErrNoSuchFile)
		}
		prefix = folder + "/"
	}
	var out []FlashFile
	for name, ff := range f.files {
		rest, ok := strings.CutPrefix(name, prefix)
		if ok && !strings.Contains(rest, "/") {
			out = append(out, FlashFile{Index: ff.index, Name: rest, Size: int64(len(ff.data))})
		}
	}
	for d, idx := range f.dirs {
		rest, ok := strings.CutPrefix(d, prefix)
		if ok && !strings.Contains(rest, "/") {
			// flashfs shows folders with a size of 192.
			out = append(out, FlashFile{Index: idx, Name: rest, Size: 192, Dir: true})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Index != out[j].Index {
			return out[i].Index < out[j].Index
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
