package director

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProfileChanges(t *testing.T) {
	const base = `
director: {advertise-director: true}
default: {image: img-a.tar, config: seed.txt}
built-in:
  - {family: 2960x, ports: "24", image: s1.tar}
groups:
  - name: spares
    mac: ["0011.2233.4455"]
    config: spare.txt
  - name: lab
    product-id: [WS-C2960X-24TS-L]
    image: s2.tar
`
	tests := []struct {
		name, edited string
		want         []string
	}{
		{"nothing", base, nil},
		{"default image", strings.Replace(base, "image: img-a.tar", "image: s2.tar", 1),
			[]string{"default: image img-a.tar -> s2.tar"}},
		{"group removed, group added", strings.Replace(base, "name: lab\n    product-id: [WS-C2960X-24TS-L]", "name: lab2\n    product-id: [WS-C2960X-48TS-L]", 1),
			[]string{"group lab removed", "group lab2 added: product-id WS-C2960X-48TS-L; image s2.tar"}},
		{"group matches and files", strings.Replace(base, `mac: ["0011.2233.4455"]
    config: spare.txt`, `mac: ["0011.2233.4455", "00:11:22:33:44:66"]
    config: seed.txt
    script: post.txt`, 1),
			[]string{"group spares: mac 0011.2233.4455 -> mac 0011.2233.4455, 0011.2233.4466", "group spares: config spare.txt -> seed.txt", "group spares: script post.txt added"}},
		{"built-in group removed", strings.Replace(base, "built-in:\n  - {family: 2960x, ports: \"24\", image: s1.tar}\n", "", 1),
			[]string{"group built-in 2960x 24 removed"}},
		{"settings", strings.Replace(base, "director: {advertise-director: true}", "director: {address: 10.99.0.5, hostname-prefix: br, backup: false}\njoin-window: {mode: manual}", 1),
			[]string{
				"director address (the interface's) -> 10.99.0.5 (takes effect when the director restarts)",
				"advertise-director on -> off",
				"hostname-prefix (none) -> br",
				"backup on -> off",
				"join-window mode auto -> manual (takes effect when the director restarts)",
			}},
	}
	old := parse(t, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ProfileChanges(old, parse(t, tt.edited))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ProfileChanges() (-want +got):\n%s", diff)
			}
		})
	}
}

// An edited director.yaml in a workspace goes into effect through
// ReloadProfiles; a broken one is refused with its line and changes
// nothing.
func TestReloadProfilesFromTheWorkspace(t *testing.T) {
	root := t.TempDir()
	touchImages(t, root, "img-a.tar", "s1.tar", "seed.txt")
	// A post-install script with 21 commands on one line, which the linter refuses.
	if err := os.WriteFile(filepath.Join(root, ImagesDir, "post.txt"), []byte(`"vlan 10"`+strings.Repeat(` "name a"`, 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, ProfileFile)
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("default: {image: img-a.tar, config: seed.txt}\n")
	p, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	d, err := New(Config{Profiles: p, Root: root, Address: directorIP, Hook: log.hook})
	if err != nil {
		t.Fatal(err)
	}

	write("default: {image: s1.tar, config: seed.txt}\n")
	changes, err := d.ReloadProfiles(file)
	if err != nil {
		t.Fatalf("ReloadProfiles() = %v", err)
	}
	if want := []string{"default: image img-a.tar -> s1.tar"}; !cmp.Equal(changes, want) {
		t.Errorf("ReloadProfiles() = %q, want %q", changes, want)
	}
	if got := d.Profiles().Default.Image; got != "s1.tar" {
		t.Errorf("default image in effect = %q, want s1.tar", got)
	}
	inEffect := d.Profiles()

	for _, bad := range []struct{ name, text, line string }{
		{"invalid MAC", "default: {image: s1.tar, config: seed.txt}\ngroups:\n  - name: spares\n    mac: [not-a-mac]\n", "director.yaml:4:"},
		{"broken YAML", "default: {image: s1.tar\n  config: [\n", "director.yaml:"},
		{"unknown key", "default: {image: s1.tar, config: seed.txt}\ndefualt: {}\n", "director.yaml:2:"},
		{"script the linter refuses", "default: {image: s1.tar, config: seed.txt}\ngroups:\n  - name: lab\n    product-id: [WS-C2960X-24TS-L]\n    config: seed.txt\n    script: post.txt\n", "director.yaml:6:"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			write(bad.text)
			changes, err := d.ReloadProfiles(file)
			if !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), bad.line) || !strings.Contains(err.Error(), "the profiles in effect stay") {
				t.Errorf("ReloadProfiles() = %q, %v; want a profile error naming %s", changes, err, bad.line)
			}
			if d.Profiles() != inEffect {
				t.Error("a broken file replaced the profiles in effect")
			}
		})
	}
}
