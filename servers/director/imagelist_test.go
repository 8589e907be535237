package director

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func touchImages(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, ImagesDir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("image "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readList(t *testing.T, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

func TestListName(t *testing.T) {
	tests := []struct {
		profile string
		members []int
		want    string
	}{
		{"default", nil, "imagelists/default-imagelist.txt"},
		{"built-in 2960x 24", nil, "imagelists/built-in-2960x-24-imagelist.txt"},
		{"testgroup", []int{1, 2}, "imagelists/testgroup-m12-imagelist.txt"},
		{"Ünïcode group!", nil, "imagelists/n-code-group-imagelist.txt"},
	}
	for _, tt := range tests {
		if got := ListName(tt.profile, tt.members); got != tt.want {
			t.Errorf("ListName(%q, %v) = %q, want %q", tt.profile, tt.members, got, tt.want)
		}
	}
}

func TestEnsureWithholdsMissingImage(t *testing.T) {
	root := t.TempDir()
	log := &eventLog{}
	l, err := NewImageLists(root, newFakeClock(at("2024-05-01 12:00")), log.hook)
	if err != nil {
		t.Fatal(err)
	}
	touchImages(t, root, "a.tar")
	name := ListName("s", []int{1, 2})
	err = l.Ensure(name, []string{"a.tar", "b.tar"})
	if !errors.Is(err, ErrImageMissing) || !strings.Contains(err.Error(), "b.tar") {
		t.Fatalf("Ensure() with b.tar missing = %v, want ErrImageMissing naming b.tar", err)
	}
	if _, err := os.Stat(filepath.Join(root, name)); !os.IsNotExist(err) {
		t.Errorf("withheld list exists on disk: %v", err)
	}
	if e, ok := log.find(KindImageListFailed); !ok || !strings.Contains(e.Detail, "b.tar") {
		t.Errorf("IMAGELIST_FAILED event = %+v, %v", e, ok)
	}
	touchImages(t, root, "b.tar")
	if err := l.Ensure(name, []string{"a.tar", "b.tar"}); err != nil {
		t.Fatal(err)
	}
	if got, want := readList(t, root, name), "images/a.tar\nimages/b.tar\n"; got != want {
		t.Errorf("list = %q, want %q (two lines in member order)", got, want)
	}
}

func TestEnsureNeverRewritesDuringARead(t *testing.T) {
	root := t.TempDir()
	clock := newFakeClock(at("2024-05-01 12:00"))
	l, _ := NewImageLists(root, clock, nil)
	touchImages(t, root, "old.tar", "new.tar", "newer.tar")
	name := ListName("default", nil)
	if err := l.Ensure(name, []string{"old.tar"}); err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort("10.99.0.50:2000")
	b := netip.MustParseAddrPort("10.99.0.51:2000")
	l.BeginRead(name, a)
	l.BeginRead(name, b)
	if err := l.Ensure(name, []string{"new.tar"}); err != nil {
		t.Fatal(err)
	}
	if got := readList(t, root, name); got != "images/old.tar\n" {
		t.Fatalf("list rewritten during a read: %q", got)
	}
	if p := l.Pending(); len(p) != 1 || p[0] != name {
		t.Errorf("Pending() = %v, want [%s]", p, name)
	}
	l.EndRead(name, a)
	if got := readList(t, root, name); got != "images/old.tar\n" {
		t.Fatalf("list rewritten while b still reads: %q", got)
	}
	l.EndRead(name, b)
	if got := readList(t, root, name); got != "images/new.tar\n" {
		t.Errorf("after the last reader: %q, want the new content", got)
	}
	// A reader that went silent stops blocking after staleRead.
	l.BeginRead(name, a)
	if err := l.Ensure(name, []string{"newer.tar"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(staleRead + time.Second)
	if err := l.Ensure(name, []string{"newer.tar"}); err != nil {
		t.Fatal(err)
	}
	if got := readList(t, root, name); got != "images/newer.tar\n" {
		t.Errorf("with a stale reader: %q, want the new content", got)
	}
	entries, _ := os.ReadDir(filepath.Join(root, ImageListsDir))
	if len(entries) != 1 {
		t.Errorf("imagelists holds %d entries, want 1 (no temporary files left)", len(entries))
	}
}

func TestGenerateAll(t *testing.T) {
	root := t.TempDir()
	l, _ := NewImageLists(root, newFakeClock(at("2024-05-01 12:00")), nil)
	p := loadFull(t)
	touchImages(t, root, "c2960x-universalk9-tar.152-7.E10.tar", "c3750-ipbase-tar.122-52.SE.tar",
		"c3750-ipservices-tar.122-55.SE.tar", "c2960-lanbase-tar.122-52.SE.tar")
	written, errs := l.GenerateAll(p)
	// The 3850 bundle is missing: its list alone is withheld.
	if len(errs) != 1 || !errors.Is(errs[0], ErrImageMissing) {
		t.Errorf("GenerateAll errors = %v, want one missing image", errs)
	}
	want := map[string]string{
		"default":           "imagelists/default-imagelist.txt",
		"built-in 2960x 24": "imagelists/built-in-2960x-24-imagelist.txt",
		"textgroup3":        "imagelists/textgroup3-imagelist.txt",
		"testgroup":         "imagelists/testgroup-m12-imagelist.txt",
		"textgroup4":        "imagelists/textgroup4-imagelist.txt",
	}
	for profile, name := range want {
		if written[profile] != name {
			t.Errorf("GenerateAll()[%q] = %q, want %q", profile, written[profile], name)
		}
	}
	if len(written) != len(want) {
		t.Errorf("GenerateAll() wrote %v, want %v", written, want)
	}
	if got := readList(t, root, want["testgroup"]); got != "images/c3750-ipbase-tar.122-52.SE.tar\nimages/c3750-ipservices-tar.122-55.SE.tar\n" {
		t.Errorf("stack list = %q", got)
	}
}
