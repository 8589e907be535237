package director

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parse(t *testing.T, text string) *Profiles {
	t.Helper()
	p, err := Parse("director.yaml", []byte(text))
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	return p
}

// Scenario 5 of the digest: a MAC group beats a product-ID group, which
// beats a built-in group; deleting the winner hands the client down.
func TestResolvePrecedenceScenario5(t *testing.T) {
	const builtIn = `
built-in:
  - {family: 2960x, ports: "24", image: bi.tar, config: bi.txt}
`
	const pidGroup = `
  - name: pid
    product-id: [WS-C2960X-24TS-L]
    config: pid.txt
`
	const macGroup = `
  - name: macs
    mac: [0011.2233.4455]
    image: mac.tar
    config: mac.txt
`
	x := Facts{MAC: "0011.2233.4455", PID: "WS-C2960X-24TS-L"}
	tests := []struct {
		name, text string
		want       string
		wantKind   GroupKind
		config     string
		beaten     []string
	}{
		{"all three", builtIn + "groups:" + macGroup + pidGroup, "macs", KindMAC, "mac.txt", []string{"pid", "built-in 2960x 24"}},
		{"mac deleted", builtIn + "groups:" + pidGroup, "pid", KindProductID, "pid.txt", []string{"built-in 2960x 24"}},
		{"only built-in", builtIn, "built-in 2960x 24", KindBuiltIn, "bi.txt", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parse(t, tt.text).Resolve(x)
			if r.Name != tt.want || r.Kind != tt.wantKind || r.Config != tt.config {
				t.Fatalf("Resolve() = %s (%s) config %q, want %s (%s) config %q\n%s", r.Name, r.Kind, r.Config, tt.want, tt.wantKind, tt.config, r.Explain())
			}
			var beaten []string
			for _, c := range r.Candidates {
				if c.Match && !c.Won {
					beaten = append(beaten, c.Name)
					if !strings.Contains(c.Why, "loses to") {
						t.Errorf("beaten candidate %s: Why = %q, want it to say what it lost to", c.Name, c.Why)
					}
				}
			}
			if diff := cmp.Diff(tt.beaten, beaten); diff != "" {
				t.Errorf("beaten candidates (-want +got):\n%s", diff)
			}
		})
	}
}

// Scenario 6: a connectivity group applies to a standalone switch on the
// port, not to a stack on the same port, and a stack with no group fails.
func TestResolveConnectivityAndStacks(t *testing.T) {
	p := parse(t, `
default: {config: seed.txt, image: d.tar}
groups:
  - name: G
    connectivity:
      - {host: 10.0.0.2, interface: GigabitEthernet1/0/3}
    config: g.txt
`)
	up := Attachment{Host: "10.0.0.2", Interface: "Gi1/0/3"}
	standalone := p.Resolve(Facts{MAC: "0011.2233.4455", PID: "WS-C2960X-24TS-L", Upstream: up})
	if standalone.Name != "G" {
		t.Errorf("standalone on Gi1/0/3 resolved to %q, want G\n%s", standalone.Name, standalone.Explain())
	}
	elsewhere := p.Resolve(Facts{MAC: "0011.2233.4455", PID: "WS-C2960X-24TS-L", Upstream: Attachment{Host: "10.0.0.2", Interface: "Gi1/0/4"}})
	if elsewhere.Name != "default" {
		t.Errorf("standalone on Gi1/0/4 resolved to %q, want default", elsewhere.Name)
	}
	stack := p.Resolve(Facts{MAC: "0011.2233.4455", Upstream: up, Members: []StackMember{{1, "WS-C3750-24PS-S", ""}, {2, "WS-C3750-24PS-S", ""}}})
	if stack.Resolved() {
		t.Fatalf("stack resolved to %q, want no profile", stack.Name)
	}
	if want := "switch-stack WS-C3750-24PS-S"; stack.Failure != want {
		t.Errorf("stack Failure = %q, want %q", stack.Failure, want)
	}
	if !strings.Contains(stack.Explain(), "not eligible: connectivity groups apply to standalone switches only") ||
		!strings.Contains(stack.Explain(), "stack members never use the default profile") {
		t.Errorf("stack explanation lacks the eligibility reasons:\n%s", stack.Explain())
	}
}

// Scenario 7 / EX-9: a stack group gives one image per member in member
// order; a member without an entry fails the whole stack.
func TestResolveStackImages(t *testing.T) {
	p := loadFull(t)
	members := []StackMember{{2, "WS-C3750-24PS-S", ""}, {1, "WS-C3750-24PS-S", ""}}
	r := p.Resolve(Facts{MAC: "0000.0000.0001", Members: members})
	want := []string{"c3750-ipbase-tar.122-52.SE.tar", "c3750-ipservices-tar.122-55.SE.tar"}
	if r.Name != "testgroup" || !slices.Equal(r.Images, want) {
		t.Fatalf("Resolve(stack) = %s %v, want testgroup %v\n%s", r.Name, r.Images, want, r.Explain())
	}
	r = p.Resolve(Facts{MAC: "0000.0000.0001", Members: append(members, StackMember{3, "WS-C3750-24PS-S", ""})})
	if r.Resolved() || !strings.HasPrefix(r.Failure, "switch-stack") {
		t.Errorf("3-member stack against a 2-member group = %q %q, want a switch-stack failure", r.Name, r.Failure)
	}
}

func TestResolveExamples(t *testing.T) {
	p := loadFull(t)
	tests := []struct {
		name  string
		facts Facts
		want  string
	}{
		{"EX-8 colon MAC", Facts{MAC: "001b.5444.c600", PID: "WS-C2960-48TC-L"}, "textgroup3"},
		{"EX-10 product-id beats built-in", Facts{MAC: "0000.0000.0002", PID: "WS-C2960-48TC-L"}, "textgroup4"},
		{"built-in by family", Facts{MAC: "0000.0000.0003", PID: "WS-C2960X-24TS-L"}, "built-in 2960x 24"},
		{"family rule", Facts{MAC: "0000.0000.0003", PID: "C9200L-24T-4G"}, "built-in 2960x 24"},
		{"unknown PID gets default", Facts{MAC: "0000.0000.0004", PID: "WS-C9999-8P"}, "default"},
		{"PID not known yet gets default", Facts{MAC: "0000.0000.0005"}, "default"},
		{"connectivity by abbreviation", Facts{MAC: "0000.0000.0006", PID: "WS-C2960-48TC-L", Upstream: Attachment{"1.1.1.10", "Gig 1/0/3"}}, "testgroup2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := p.Resolve(tt.facts); r.Name != tt.want {
				t.Errorf("Resolve(%+v) = %q, want %q\n%s", tt.facts, r.Name, tt.want, r.Explain())
			}
		})
	}
}

func TestResolveNothing(t *testing.T) {
	p := parse(t, "groups:\n  - {name: a, product-id: [WS-C3560-24TS-S], config: a.txt}\n")
	r := p.Resolve(Facts{MAC: "0000.0000.0001", PID: "WS-C2960X-24TS-L"})
	if r.Resolved() || r.Failure != "switch WS-C2960X-24TS-L" {
		t.Errorf("Resolve() = %q failure %q, want none with failure %q", r.Name, r.Failure, "switch WS-C2960X-24TS-L")
	}
	if !strings.Contains(r.Explain(), "No image and config configured for this switch WS-C2960X-24TS-L") {
		t.Errorf("Explain() = %q, want the INCORRECT_CFG text", r.Explain())
	}
}

func TestRenderWhy(t *testing.T) {
	p := parse(t, `
built-in:
  - {family: 2960x, ports: "24", image: bi.tar}
groups:
  - {name: macs, mac: [0011.2233.4455], config: mac.txt}
`)
	got := RenderWhy(p, []Client{
		{Index: 1, MAC: "0011.2233.4455", PID: "WS-C2960X-24TS-L"},
		{Index: 2, MAC: "0011.2233.4466"},
	})
	want := `Switch 1 0011.2233.4455 (WS-C2960X-24TS-L):
  profile: macs (mac)
  * mac          macs (line 5): wins: MAC 0011.2233.4455 is listed
  - built-in     built-in 2960x 24 (line 3): matches (WS-C2960X-24TS-L is a 2960x 24) but loses to mac group macs, which comes first
Switch 2 0011.2233.4466 (product ID unknown):
  profile: none: No image and config configured for this switch (product ID unknown)
    mac          macs (line 5): no match: MAC 0011.2233.4466 is not listed
    built-in     built-in 2960x 24 (line 3): no match: the product ID is not known yet
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RenderWhy() (-want +got):\n%s", diff)
	}
}
