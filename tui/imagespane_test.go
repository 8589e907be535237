package tui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	bolt "go.etcd.io/bbolt"

	"fieldcon/images"
	"fieldcon/images/imagestest"
)

// syntheticImages are files of the kinds a technician's images folder
// holds: good bundles, a runnable image, a cut download, a saved web page.
func syntheticImages() map[string][]byte {
	sw := imagestest.Bundle{Platform: "c3750", FeatureSet: "ipbasek9", Version: "122-25.SEB4", ImageSize: 24 << 10, WebFiles: 2}
	ap := imagestest.Bundle{Platform: "c1240", FeatureSet: "k9w7", Runnable: "mx", Version: "124-25d.JA1", ImageSize: 20 << 10}
	cut := imagestest.Bundle{Platform: "c3560", FeatureSet: "ipservicesk9", Version: "122-55.SE", ImageSize: 16 << 10}
	cutBytes := cut.Bytes()
	return map[string][]byte{
		sw.FileName():                       sw.Bytes(),
		ap.FileName():                       ap.Bytes(),
		cut.FileName():                      cutBytes[:len(cutBytes)-3000],
		"c2960-lanbasek9-mz.150-2.SE11.bin": imagestest.Runnable(imagestest.MZIP, 12<<10),
		"download.html":                     []byte("<!DOCTYPE html><html><body>Sign in to download</body></html>\n"),
	}
}

// fakeCatalog is an ImageCatalog over files in memory, inspected with the
// real images.Inspect. A scan can be held at a file with hold.
type fakeCatalog struct {
	dir   string
	files map[string][]byte
	// hold, when set, stops Scan after its first progress report until
	// it is closed.
	hold chan struct{}

	mu       sync.Mutex
	cached   []images.Entry
	sel      images.Selection
	selected bool
	pending  []string
	scans    int
}

func (c *fakeCatalog) Dir() string { return c.dir }

func (c *fakeCatalog) Cached() ([]images.Entry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]images.Entry(nil), c.cached...), nil
}

func (c *fakeCatalog) Pending() ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending, nil
}

func (c *fakeCatalog) Scan(ctx context.Context, progress func(images.ScanProgress)) ([]images.Entry, error) {
	c.mu.Lock()
	c.scans++
	c.pending = nil
	c.mu.Unlock()
	var names []string
	for n := range c.files {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []images.Entry
	for i, n := range names {
		data := c.files[n]
		img, err := images.Inspect(ctx, bytes.NewReader(data), int64(len(data)), images.Options{Name: n, Progress: func(done, total int64) {
			progress(images.ScanProgress{File: n, Index: i + 1, Count: len(names), Done: done, Total: total})
		}})
		if err != nil {
			return out, err
		}
		if c.hold != nil && i == 0 {
			<-c.hold
		}
		c.mu.Lock()
		out = append(out, images.Entry{Name: n, Path: filepath.Join(c.dir, n), Size: int64(len(data)), State: images.StateNew, Image: img,
			Selected: c.selected && c.sel.Name == n})
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.cached = out
	c.mu.Unlock()
	return out, nil
}

func (c *fakeCatalog) Select(name string, use images.Use) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.files[name]; !ok {
		return images.ErrNotInCatalog
	}
	c.sel, c.selected = images.Selection{Name: name, Use: use}, true
	return nil
}

func (c *fakeCatalog) ClearSelection() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.selected = false
	return nil
}

func (c *fakeCatalog) Selection() (images.Selection, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.selected {
		return images.Selection{}, images.ErrNoSelection
	}
	return c.sel, nil
}

func (c *fakeCatalog) Recovery(ctx context.Context) (images.Entry, images.Selection, error) {
	sel, err := c.Selection()
	if err != nil {
		return images.Entry{}, sel, err
	}
	return images.Entry{Name: sel.Name, Path: filepath.Join(c.dir, sel.Name)}, sel, nil
}

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{dir: "/srv/fieldcon/images", files: syntheticImages()}
}

func TestImagesPaneGolden(t *testing.T) {
	tests := []struct {
		name string
		opts func() Options
		do   func(h *harness)
	}{
		{"table", func() Options { return Options{Images: newFakeCatalog()} }, func(h *harness) {
			h.press("ctrl+t", "3")
		}},
		{"table_cursor_on_cut_download", func() Options { return Options{Images: newFakeCatalog()} }, func(h *harness) {
			h.press("ctrl+t", "3", "down", "down")
		}},
		{"used_for_recovery", func() Options { return Options{Images: newFakeCatalog()} }, func(h *harness) {
			h.press("ctrl+t", "3", "u")
		}},
		{"detail_ap_bundle", func() Options { return Options{Images: newFakeCatalog()} }, func(h *harness) {
			h.press("ctrl+t", "3", "enter", "down", "down", "down")
		}},
		{"detail_used_for_mode_recovery", func() Options { return Options{Images: newFakeCatalog()} }, func(h *harness) {
			h.press("ctrl+t", "3", "enter", "down", "down", "down", "u")
		}},
		{"scanning", func() Options {
			c := newFakeCatalog()
			c.hold = make(chan struct{})
			return Options{Images: c}
		}, func(h *harness) {
			h.press("ctrl+t", "3")
		}},
		{"no_workspace", func() Options { return Options{} }, func(h *harness) {
			h.press("ctrl+t", "3")
		}},
		{"empty_folder", func() Options { return Options{Images: &fakeCatalog{dir: "/srv/fieldcon/images"}} }, func(h *harness) {
			h.press("ctrl+t", "3")
		}},
	}
	for _, tt := range tests {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, sz.w, sz.h), func(t *testing.T) {
				run(t, func(t *testing.T) {
					o := tt.opts()
					if c, ok := o.Images.(*fakeCatalog); ok && c.hold != nil {
						defer close(c.hold)
					}
					o.ImagesPoll = -1
					h := newHarness(t, sz.w, sz.h, o)
					tt.do(h)
					view := ansi.Strip(h.app.Render())
					checkScreen(t, view, sz.w, sz.h)
					golden.RequireEqual(t, view)
				})
			})
		}
	}
}

func TestImagesPaneUse(t *testing.T) {
	run(t, func(t *testing.T) {
		cat := newFakeCatalog()
		h := newHarness(t, 120, 40, Options{Images: cat, ImagesPoll: -1})
		h.press("ctrl+t", "3", "down", "u")
		sel, err := cat.Selection()
		if err != nil || sel.Name != "c2960-lanbasek9-mz.150-2.SE11.bin" || sel.Use != "" {
			t.Errorf("Selection() = %+v, %v; want the runnable image with no use", sel, err)
		}
		if s := h.screen(); !strings.Contains(s, "▸ ★c2960-lanbasek9") {
			t.Errorf("the table does not star the chosen image:\n%s", s)
		}
		// In the detail view, u chooses the image for the verdict's use.
		h.press("enter", "down")
		h.press("u")
		sel, _ = cat.Selection()
		if sel.Use != images.AllUses()[1] {
			t.Errorf("Selection().Use = %q, want %q", sel.Use, images.AllUses()[1])
		}
		h.press("U")
		if _, err := cat.Selection(); err == nil {
			t.Error("U did not forget the recovery image")
		}
		if s := h.screen(); strings.Contains(s, "★ chosen for recovery") {
			t.Errorf("detail still shows the star after U:\n%s", s)
		}
		h.press("esc")
		if s := h.screen(); !strings.Contains(s, "NAME") {
			t.Errorf("esc did not go back to the table:\n%s", s)
		}
	})
}

func TestImagesPanePollsForNewFiles(t *testing.T) {
	run(t, func(t *testing.T) {
		cat := newFakeCatalog()
		h := newHarness(t, 80, 24, Options{Images: cat, ImagesPoll: -1})
		cat.mu.Lock()
		cat.pending = []string{"new.bin"}
		cat.files = map[string][]byte{"new.bin": imagestest.Runnable(imagestest.ELF, 4096)}
		cat.mu.Unlock()
		h.send(imagesPollTick{})
		h.press("ctrl+t", "3")
		if s := h.screen(); !strings.Contains(s, "new.bin") || strings.Contains(s, "c3750") {
			t.Errorf("poll did not rescan the folder:\n%s", s)
		}
		if cat.scans != 2 {
			t.Errorf("scans = %d, want 2 (start and after the poll)", cat.scans)
		}
	})
}

// TestProgramImagesOnRealCatalog runs the Images pane on the real catalog
// over a folder of synthetic images: the table lists them, u marks one
// for recovery, and the choice is in the store and on the Recovery tab.
func TestProgramImagesOnRealCatalog(t *testing.T) {
	dir := t.TempDir()
	imgDir := filepath.Join(dir, "images")
	if err := os.Mkdir(imgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, data := range syntheticImages() {
		if err := os.WriteFile(filepath.Join(imgDir, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := images.NewCatalog(imgDir, db)
	if err != nil {
		t.Fatalf("NewCatalog: %v", err)
	}
	con := newFakeConsole()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := New(Options{Ctx: ctx, Console: con, Port: "/dev/ttyUSB0", Images: cat, ImagesPoll: -1})
	tm := startProgram(t, app, 120, 40)
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("3"))
	waitScreen(t, tm, "5 files")
	waitScreen(t, tm, "12.4(25d)JA1")
	tm.Send(keyPress("u")) // the cursor starts on the first file: the c1240 bundle
	waitScreen(t, tm, "is the image for recovery")
	sel, err := cat.Selection()
	if err != nil || sel.Name != "c1240-k9w7-tar.124-25d.JA1.tar" {
		t.Errorf("Selection() = %+v, %v; want the c1240 bundle", sel, err)
	}
	tm.Send(keyPress("ctrl+t"))
	tm.Send(keyPress("2"))
	waitScreen(t, tm, "image ★ c1240-k9w7-tar.124-25d.JA1.tar")
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitGuard))
}
