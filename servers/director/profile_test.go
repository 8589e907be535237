package director

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func loadFull(t *testing.T) *Profiles {
	t.Helper()
	p, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatalf("Load(full.yaml) = %v, want no error", err)
	}
	return p
}

func TestLoadFull(t *testing.T) {
	p := loadFull(t)
	if got, want := len(p.Groups), 4; got != want {
		t.Fatalf("groups = %d, want %d", got, want)
	}
	kinds := []GroupKind{KindMAC, KindConnectivity, KindStack, KindProductID}
	for i, g := range p.Groups {
		if g.Kind() != kinds[i] {
			t.Errorf("group %s Kind() = %s, want %s", g.Name, g.Kind(), kinds[i])
		}
	}
	if got := p.KeepalivePeriod().String(); got != "30s" {
		t.Errorf("KeepalivePeriod() = %s, want 30s", got)
	}
	if !p.BackupOn() {
		t.Error("BackupOn() = false, want true by default")
	}
	if got := p.Line("groups.1.connectivity.0"); got != 33 {
		t.Errorf("Line(groups.1.connectivity.0) = %d, want 33", got)
	}
}

func TestParseProblemsNameTheLine(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"unknown key", "director:\n  adress: 10.0.0.1\n", 2, "field adress not found"},
		{"bad address", "director:\n  address: 10.0.0\n", 2, "not an IPv4 address"},
		{"bin default", "default:\n  image: c2960-lanbase.bin\n", 2, "is a .bin"},
		{"bin 3850 builtin ok but zip not", "built-in:\n  - family: 3850\n    ports: '24'\n    image: x.zip\n", 4, "not a .tar image"},
		{"script alone", "default:\n  script: post.txt\n", 2, "post-install script but no image and no configuration"},
		{"flash location", "default:\n  config: flash:seed.txt\n", 2, "not a flash: location"},
		{"dotdot", "default:\n  config: ../state.db\n", 2, "no .."},
		{"two match kinds", "groups:\n  - name: g\n    mac: [0011.2233.4455]\n    product-id: [WS-C2960-24TT-L]\n    config: a.txt\n", 2, "exactly one of"},
		{"bad mac", "groups:\n  - name: g\n    config: a.txt\n    mac:\n      - 0011.2233.4455\n      - 0011.2233.44zz\n", 6, "not a MAC address"},
		{"mac in two groups", "groups:\n  - name: a\n    config: a.txt\n    mac: [0011.2233.4455]\n  - name: b\n    config: b.txt\n    mac: ['00:11:22:33:44:55']\n", 7, "in group \"a\" and in group \"b\""},
		{"duplicate name", "groups:\n  - name: a\n    config: a.txt\n    mac: [0011.2233.4455]\n  - name: A\n    config: b.txt\n    product-id: [X]\n", 5, "used twice (first on line 2)"},
		{"no files", "groups:\n  - name: a\n    product-id: [WS-C2960-24TT-L]\n", 2, "no image and no configuration"},
		{"stack member number", "groups:\n  - name: s\n    config: s.txt\n    stack:\n      - {member: 10, family: '3750', ports: 24poe}\n", 5, "not between 1 and 9"},
		{"stack family", "groups:\n  - name: s\n    config: s.txt\n    stack:\n      - {member: 1, family: '9999', ports: 24}\n", 5, "not one IOS knows"},
		{"connectivity host", "groups:\n  - name: c\n    config: c.txt\n    connectivity:\n      - {host: closet, interface: Gi1/0/1}\n", 5, "not an IPv4 address"},
		{"builtin family", "built-in:\n  - family: 9300\n    ports: '24'\n    config: a.txt\n", 2, "not one IOS knows"},
		{"mode", "join-window:\n  mode: sometimes\n", 2, "write auto or manual"},
		{"schedule duration", "join-window:\n  schedule:\n    start: '10:00'\n    duration: 25h\n", 2, "not between 00:01 and 24:00"},
		{"prefix", "director:\n  hostname-prefix: 1abc\n", 2, "hostname prefix"},
		{"yaml syntax", "director:\n  address: [\n", 2, "did not find"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("director.yaml", []byte(tt.yaml))
			var pe *ProfileError
			if !errors.As(err, &pe) || !errors.Is(err, ErrProfile) {
				t.Fatalf("Parse() = %v, want a *ProfileError wrapping ErrProfile", err)
			}
			for _, p := range pe.Problems {
				if p.Line == tt.line && strings.Contains(p.Msg, tt.want) {
					if !strings.HasPrefix(p.String(), "director.yaml:") {
						t.Errorf("Problem.String() = %q, want it to start with the file name", p)
					}
					return
				}
			}
			t.Errorf("Parse() = %v, want a problem on line %d containing %q", err, tt.line, tt.want)
		})
	}
}

func TestStarterParses(t *testing.T) {
	for _, tt := range []struct{ image, config string }{{"", ""}, {"c2960x-universalk9-tar.152-7.E10.tar", "seed.txt"}} {
		text := Starter(tt.image, tt.config)
		p, err := Parse("director.yaml", []byte(text))
		if err != nil {
			t.Fatalf("Parse(Starter(%q, %q)) = %v, want no error", tt.image, tt.config, err)
		}
		if p.Default.Image != tt.image || p.Default.Config != tt.config {
			t.Errorf("Starter(%q, %q) default = %+v", tt.image, tt.config, p.Default)
		}
		if p.Window.Mode != "auto" {
			t.Errorf("Starter mode = %q, want auto", p.Window.Mode)
		}
	}
	// Every commented example must be valid once uncommented.
	var b strings.Builder
	for _, l := range strings.Split(Starter("a.tar", "b.txt"), "\n") {
		switch {
		case strings.HasPrefix(l, "built-in: []"), strings.HasPrefix(l, "groups: []"):
			l = strings.TrimSuffix(l, " []")
		case strings.HasPrefix(l, "#  "):
			l = l[1:]
		}
		b.WriteString(l + "\n")
	}
	p, err := Parse("director.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("uncommented starter: %v\n%s", err, b.String())
	}
	if len(p.Groups) != 4 || len(p.BuiltIn) != 1 {
		t.Errorf("uncommented starter has %d groups and %d built-in, want 4 and 1", len(p.Groups), len(p.BuiltIn))
	}
}

func TestPrecedence(t *testing.T) {
	want := []GroupKind{KindMAC, KindConnectivity, KindStack, KindProductID, KindBuiltIn, KindDefault}
	if diff := cmp.Diff(want, Precedence); diff != "" {
		t.Errorf("Precedence (-want +got):\n%s", diff)
	}
}

func TestVStackGolden(t *testing.T) {
	golden(t, "vstack.golden", loadFull(t).VStack("10.99.0.1"))
}

func TestParseMAC(t *testing.T) {
	tests := []struct {
		in   string
		want MAC
		ok   bool
	}{
		{"0023.34ca.c180", "0023.34ca.c180", true},
		{"00:1B:54:44:C6:00", "001b.5444.c600", true},
		{"00-1b-54-44-c6-00", "001b.5444.c600", true},
		{"001B5444C600", "001b.5444.c600", true},
		{"001b.5444.c6", "", false},
		{"001b.5444.c6zz", "", false},
	}
	for _, tt := range tests {
		got, err := ParseMAC(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseMAC(%q) = %q, %v, want %q (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestNormalizeInterface(t *testing.T) {
	tests := map[string]string{
		"Gi1/0/3":                 "GigabitEthernet1/0/3",
		"GigabitEthernet 1/0/3":   "GigabitEthernet1/0/3",
		"gigabitethernet0/1":      "GigabitEthernet0/1",
		"Gig 1/0/19":              "GigabitEthernet1/0/19",
		"Fas 0/7":                 "FastEthernet0/7",
		"Fa0/7":                   "FastEthernet0/7",
		"Te1/1/1":                 "TenGigabitEthernet1/1/1",
		"TenGigabitEthernet1/1/1": "TenGigabitEthernet1/1/1",
		"Vlan1":                   "Vlan1",
	}
	for in, want := range tests {
		if got := NormalizeInterface(in); got != want {
			t.Errorf("NormalizeInterface(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHardwareOf(t *testing.T) {
	rules := []FamilyRule{{PID: "C9200L-24T-4G", Family: "2960X", Ports: "24"}}
	tests := []struct {
		pid  string
		want Hardware
		ok   bool
	}{
		{"WS-C2960X-24TS-L", Hardware{"2960x", "24"}, true},
		{"WS-C2960X-24PD-L", Hardware{"2960x", "24poe"}, true},
		{"WS-C3750-24PS-S", Hardware{"3750", "24poe"}, true},
		{"WS-C2960-48TC-L", Hardware{"2960", "48"}, true},
		{"WS-C3850-24P-S", Hardware{"3850", "24poe"}, true},
		{"WS-C2960+24TC-L", Hardware{"2960plus", "24"}, true},
		{"IE-2000-8TC-G-B", Hardware{"ie2000", "8"}, true},
		{"c9200l-24t-4g", Hardware{"2960x", "24"}, true},
		{"WS-C9999-24T", Hardware{}, false},
		{"AIR-CAP3702I-E-K9", Hardware{}, false},
	}
	for _, tt := range tests {
		got, ok := HardwareOf(tt.pid, rules)
		if got != tt.want || ok != tt.ok {
			t.Errorf("HardwareOf(%q) = %v, %v, want %v, %v", tt.pid, got, ok, tt.want, tt.ok)
		}
	}
}
