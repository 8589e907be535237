package director

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fieldcon/servers"
)

// ErrImageMissing means an image list was withheld because an image it
// names is not in the images folder.
var ErrImageMissing = errors.New("image missing")

// staleRead is how long a read with no sign of life keeps an image list
// from being rewritten; a client that vanished mid-transfer must not block
// the director for ever.
const staleRead = 2 * time.Minute

// ImageLists writes the image list files clients fetch through option 125
// sub-option 5: one image per line, stack members in member order, each
// line the image's name in the TFTP root. A list is written atomically, and
// never while a client is reading it: the new content waits until the last
// reader is done.
type ImageLists struct {
	root  string // the TFTP root (workspace folder)
	clock Clock
	hook  servers.Hook

	mu      sync.Mutex
	readers map[string]map[netip.AddrPort]time.Time // list → reader → last sign of life
	pending map[string][]byte
}

// NewImageLists manages lists under root/imagelists.
func NewImageLists(root string, clock Clock, hook servers.Hook) (*ImageLists, error) {
	if err := os.MkdirAll(filepath.Join(root, ImageListsDir), 0o755); err != nil {
		return nil, fmt.Errorf("image lists: %w", err)
	}
	return &ImageLists{root: root, clock: clock, hook: hook, readers: map[string]map[netip.AddrPort]time.Time{}, pending: map[string][]byte{}}, nil
}

var slugDrop = regexp.MustCompile(`[^a-z0-9._-]+`)

// ListName is the deterministic file name (relative to the TFTP root) of a
// profile's image list: "imagelists/<slug>-imagelist.txt", with the stack
// member numbers added for stacks ("…-m12-imagelist.txt").
func ListName(profile string, members []int) string {
	slug := strings.Trim(slugDrop.ReplaceAllString(strings.ToLower(profile), "-"), "-.")
	if slug == "" {
		slug = "profile"
	}
	if len(slug) > 40 {
		slug = slug[:40]
	}
	if len(members) > 1 {
		var b strings.Builder
		for _, m := range members {
			b.WriteString(strconv.Itoa(m))
		}
		slug += "-m" + b.String()
	}
	return ImageListsDir + "/" + slug + "-imagelist.txt"
}

// Content is a list's text: each image as a TFTP root name, LF-terminated.
func Content(images []string) []byte {
	var b bytes.Buffer
	for _, img := range images {
		b.WriteString(ImagesDir + "/" + img + "\n")
	}
	return b.Bytes()
}

// Ensure makes the list file hold images. It withholds the list (error
// wrapping ErrImageMissing, and an event naming the missing file) when an
// image is not in the images folder. When a client is reading the current
// list, the new content is written once the last reader finishes.
func (l *ImageLists) Ensure(name string, images []string) error {
	if len(images) == 0 {
		return fmt.Errorf("image list %s: no image to list", name)
	}
	for _, img := range images {
		st, err := os.Stat(filepath.Join(l.root, ImagesDir, filepath.FromSlash(img)))
		if err != nil || !st.Mode().IsRegular() {
			l.hook.Emit(ev(KindImageListFailed, "", name, "Default imagelist creation failed. %s is not in the images folder; the image list %s is withheld until it is copied there", img, name))
			return fmt.Errorf("image list %s: %w: %s is not in %s; copy it there", name, ErrImageMissing, img, filepath.Join(l.root, ImagesDir))
		}
	}
	want := Content(images)
	l.mu.Lock()
	defer l.mu.Unlock()
	file := filepath.Join(l.root, filepath.FromSlash(name))
	if have, err := os.ReadFile(file); err == nil && bytes.Equal(have, want) {
		delete(l.pending, name)
		return nil
	}
	if l.busyLocked(name) {
		l.pending[name] = want
		return nil
	}
	return l.writeLocked(name, want)
}

func (l *ImageLists) writeLocked(name string, data []byte) error {
	dir, base := filepath.Split(filepath.Join(l.root, filepath.FromSlash(name)))
	if err := writeAtomic(dir, base, data); err != nil {
		l.hook.Emit(ev(KindImageListFailed, "", name, "Default imagelist creation failed. %v", err))
		return fmt.Errorf("image list %s: %w", name, err)
	}
	delete(l.pending, name)
	return nil
}

// busyLocked reports live readers of name, forgetting stale ones.
func (l *ImageLists) busyLocked(name string) bool {
	now := l.clock.Now()
	for peer, seen := range l.readers[name] {
		if now.Sub(seen) > staleRead {
			delete(l.readers[name], peer)
		}
	}
	return len(l.readers[name]) > 0
}

// IsList reports whether a TFTP name is an image list.
func IsList(name string) bool { return strings.HasPrefix(name, ImageListsDir+"/") }

// BeginRead records that peer started reading name.
func (l *ImageLists) BeginRead(name string, peer netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.readers[name] == nil {
		l.readers[name] = map[netip.AddrPort]time.Time{}
	}
	l.readers[name][peer] = l.clock.Now()
}

// EndRead records that peer's read of name ended, and writes content that
// waited for it.
func (l *ImageLists) EndRead(name string, peer netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.readers[name], peer)
	if data, ok := l.pending[name]; ok && !l.busyLocked(name) {
		_ = l.writeLocked(name, data) // reported by event
	}
}

// Pending lists lists waiting for readers, for status views.
func (l *ImageLists) Pending() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for n := range l.pending {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// GenerateAll writes the list of every profile that has an image: the
// default, each built-in group, each custom group (for stack groups, every
// member entry in member order). It returns the lists written and the
// problems met; a missing image withholds only its own list.
func (l *ImageLists) GenerateAll(p *Profiles) (map[string]string, []error) {
	written := map[string]string{}
	var errs []error
	do := func(profile string, members []int, images []string) {
		if len(images) == 0 {
			return
		}
		name := ListName(profile, members)
		if err := l.Ensure(name, images); err != nil {
			errs = append(errs, err)
			return
		}
		written[profile] = name
	}
	if p.Default.Image != "" {
		do("default", nil, []string{p.Default.Image})
	}
	for _, g := range p.BuiltIn {
		if g.Image != "" {
			do(g.Name(), nil, []string{g.Image})
		}
	}
	for _, g := range p.Groups {
		if g.Kind() != KindStack {
			if g.Image != "" {
				do(g.Name, nil, []string{g.Image})
			}
			continue
		}
		members := slices.Clone(g.Stack)
		slices.SortFunc(members, func(a, b Member) int { return a.Number - b.Number })
		var nums []int
		var images []string
		for _, m := range members {
			img := m.Image
			if img == "" {
				img = g.Image
			}
			if img != "" {
				nums = append(nums, m.Number)
				images = append(images, img)
			}
		}
		do(g.Name, nums, images)
	}
	return written, errs
}
