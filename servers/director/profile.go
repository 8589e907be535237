package director

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ProfileFile is the profile file's name in the workspace.
const ProfileFile = "director.yaml"

// DefaultKeepalive is how often a client is expected to be heard from; three
// silent periods make it inactive. The guide does not give the period; 60 s
// matches the CDP timer.
const DefaultKeepalive = 60 * time.Second

// Profiles is director.yaml: who gets which image, configuration and
// post-install script, and the director's own settings.
type Profiles struct {
	Director Settings     `yaml:"director"`
	Window   WindowConfig `yaml:"join-window"`
	// Default applies to standalone switches no group claims.
	Default Files `yaml:"default"`
	// BuiltIn are groups keyed by product family and port configuration,
	// the `vstack group built-in` groups.
	BuiltIn []BuiltInGroup `yaml:"built-in"`
	// Groups are the custom groups: each matches by exactly one of MAC
	// list, connectivity, stack or product ID.
	Groups []Group `yaml:"groups"`
	// Families pins product IDs the built-in table reads wrongly or does
	// not know.
	Families []FamilyRule `yaml:"families"`

	file  string
	lines map[string]int // YAML path ("groups.1.mac.0") → line
}

// Settings are the director's own settings.
type Settings struct {
	// Address is fieldcon's address on the switch VLAN, for options 150
	// and 125/16; empty means the address of the interface it serves.
	Address string `yaml:"address"`
	// AdvertiseDirector puts option 125 sub-option 16 (director address)
	// into offers.
	AdvertiseDirector bool `yaml:"advertise-director"`
	// HostnamePrefix names clients "<prefix>-xx.xxxx" by option 12.
	HostnamePrefix string `yaml:"hostname-prefix"`
	// Keepalive is the health period (Go duration, default 60s).
	Keepalive string `yaml:"keepalive"`
	// Backup keeps client configuration backups (default on).
	Backup *bool `yaml:"backup"`
}

// WindowConfig is the join window as configured.
type WindowConfig struct {
	Mode     string    `yaml:"mode"` // auto (default) or manual
	Schedule *Schedule `yaml:"schedule"`
}

// Schedule opens the window at Start for Duration (to the end of that day
// when unset), every day when Recurring, until End.
type Schedule struct {
	Start     string `yaml:"start"`    // "10:00" (daily) or "2009-07-07 10:00"
	Duration  string `yaml:"duration"` // "4h" or "04:00", at most 24h
	End       string `yaml:"end"`      // "2009-07-10": the window stays shut from that day on
	Recurring bool   `yaml:"recurring"`
}

// Files are what a profile hands out. All names are relative to the
// workspace images/ folder.
type Files struct {
	Image  string `yaml:"image"`
	Config string `yaml:"config"`
	Script string `yaml:"script"`
}

// Empty reports whether no file is set.
func (f Files) Empty() bool { return f.Image == "" && f.Config == "" && f.Script == "" }

// BuiltInGroup is a `vstack group built-in <family> <ports>` group.
type BuiltInGroup struct {
	Family string `yaml:"family"`
	Ports  string `yaml:"ports"`
	Files  `yaml:",inline"`
}

// Name is how the group is shown: "built-in 2960x 24".
func (g BuiltInGroup) Name() string { return "built-in " + g.Family + " " + g.Ports }

// Group is a custom group (`vstack group custom <name> <type>`).
type Group struct {
	Name         string       `yaml:"name"`
	MAC          []string     `yaml:"mac"`
	Connectivity []Attachment `yaml:"connectivity"`
	Stack        []Member     `yaml:"stack"`
	ProductID    []string     `yaml:"product-id"`
	Files        `yaml:",inline"`
}

// Attachment is where a switch is cabled: its upstream neighbour's address
// and the neighbour's interface.
type Attachment struct {
	Host      string `yaml:"host"`
	Interface string `yaml:"interface"`
}

// Valid reports whether both halves are known.
func (a Attachment) Valid() bool { return a.Host != "" && a.Interface != "" }

// Key is the normalised form two attachments compare by.
func (a Attachment) Key() string {
	h := a.Host
	if ip, err := netip.ParseAddr(h); err == nil {
		h = ip.String()
	}
	return h + " " + NormalizeInterface(a.Interface)
}

// Member is one stack member entry: `match <n> <family> <ports>`, with an
// optional image of its own (else the group's).
type Member struct {
	Number int    `yaml:"member"`
	Family string `yaml:"family"`
	Ports  string `yaml:"ports"`
	Image  string `yaml:"image"`
}

// GroupKind is the kind of profile a client can resolve to.
type GroupKind int

const (
	KindMAC GroupKind = iota
	KindConnectivity
	KindStack
	KindProductID
	KindBuiltIn
	KindDefault
)

// Precedence is the order in which profiles are tried, highest first: the
// command reference's order (the overview page of the guide contradicts it,
// see the digest's Q-05).
var Precedence = []GroupKind{KindMAC, KindConnectivity, KindStack, KindProductID, KindBuiltIn, KindDefault}

func (k GroupKind) String() string {
	switch k {
	case KindMAC:
		return "mac"
	case KindConnectivity:
		return "connectivity"
	case KindStack:
		return "stack"
	case KindProductID:
		return "product-id"
	case KindBuiltIn:
		return "built-in"
	case KindDefault:
		return "default"
	}
	return "unknown"
}

// Kind says which match the group uses; a valid group has exactly one.
func (g Group) Kind() GroupKind {
	switch {
	case len(g.MAC) > 0:
		return KindMAC
	case len(g.Connectivity) > 0:
		return KindConnectivity
	case len(g.Stack) > 0:
		return KindStack
	}
	return KindProductID
}

// ErrProfile is wrapped by every problem Load and Parse report.
var ErrProfile = errors.New("director profile")

// Problem is one thing wrong in the profile file, with its line.
type Problem struct {
	File string
	Line int // 0 when the problem has no single line
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// ProfileError lists every problem found, each naming its line.
type ProfileError struct{ Problems []Problem }

func (e *ProfileError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "\n")
}

func (e *ProfileError) Unwrap() error { return ErrProfile }

// Load reads and validates a profile file.
func Load(file string) (*Profiles, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist; create a starter with `fieldcon director init`: %w", ErrProfile, file, err)
		}
		return nil, fmt.Errorf("%w: read %s: %w", ErrProfile, file, err)
	}
	return Parse(file, data)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Parse reads and validates profile text; file only names it in messages.
func Parse(file string, data []byte) (*Profiles, error) {
	p := &Profiles{file: file, lines: map[string]int{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlProblems(file, err)
	}
	walkLines(&root, "", p.lines)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlProblems(file, err)
	}
	if probs := p.validate(); len(probs) > 0 {
		return nil, &ProfileError{Problems: probs}
	}
	return p, nil
}

func yamlProblems(file string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	pe := &ProfileError{}
	for _, m := range msgs {
		pr := Problem{File: file, Msg: m}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			pr.Line, _ = strconv.Atoi(g[1])
			pr.Msg = g[2]
		}
		if strings.Contains(pr.Msg, "not found in type") {
			pr.Msg += " (unknown setting; check its spelling and indentation against `fieldcon director init`)"
		}
		pe.Problems = append(pe.Problems, pr)
	}
	return pe
}

// walkLines records the line of every mapping key and sequence item under
// its dotted path, so validation can say where a value was written.
func walkLines(n *yaml.Node, prefix string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkLines(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := join(prefix, n.Content[i].Value)
			out[k] = n.Content[i].Line
			walkLines(n.Content[i+1], k, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			k := join(prefix, strconv.Itoa(i))
			out[k] = c.Line
			walkLines(c, k, out)
		}
	}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// Line returns the line a YAML path was written on, or of its nearest
// written parent; 0 when nothing of it is in the file.
func (p *Profiles) Line(path string) int {
	for path != "" {
		if l, ok := p.lines[path]; ok {
			return l
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// File is the name the profile was read from.
func (p *Profiles) File() string { return p.file }

type checker struct {
	p     *Profiles
	probs []Problem
}

func (c *checker) bad(at string, format string, args ...any) {
	c.probs = append(c.probs, Problem{File: c.p.file, Line: c.p.Line(at), Msg: fmt.Sprintf(format, args...)})
}

var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (p *Profiles) validate() []Problem {
	c := &checker{p: p}
	d := p.Director
	if d.Address != "" {
		if a, err := netip.ParseAddr(d.Address); err != nil || !a.Is4() {
			c.bad("director.address", "address %q is not an IPv4 address; give fieldcon's address on the switch VLAN or leave it out", d.Address)
		}
	}
	if d.HostnamePrefix != "" && !validPrefix(d.HostnamePrefix) {
		c.bad("director.hostname-prefix", "hostname prefix %q: use 1-40 letters, digits and hyphens, starting with a letter", d.HostnamePrefix)
	}
	if d.Keepalive != "" {
		if k, err := time.ParseDuration(d.Keepalive); err != nil || k < time.Second || k > time.Hour {
			c.bad("director.keepalive", "keepalive %q is not a period between 1s and 1h such as 60s", d.Keepalive)
		}
	}
	switch p.Window.Mode {
	case "", "auto", "manual":
	default:
		c.bad("join-window.mode", "join window mode %q: write auto or manual", p.Window.Mode)
	}
	if s := p.Window.Schedule; s != nil {
		if _, err := s.compile(); err != nil {
			c.bad("join-window.schedule", "%v", err)
		}
	}
	c.files("default", p.Default, "", "the default profile", false)
	seenBuiltIn := map[string]int{}
	for i, g := range p.BuiltIn {
		at := fmt.Sprintf("built-in.%d", i)
		fam := strings.ToLower(g.Family)
		switch {
		case g.Family == "":
			c.bad(at, "built-in group without a family; give one such as family: 2960x")
		case !slices.Contains(BuiltInFamilies, fam):
			c.bad(at+".family", "built-in family %q is not one IOS knows (%s)", g.Family, strings.Join(BuiltInFamilies, ", "))
		}
		if g.Ports == "" {
			c.bad(at, "built-in group %s without a port configuration; give one such as ports: 24poe", g.Family)
		}
		key := fam + " " + strings.ToLower(g.Ports)
		if j, dup := seenBuiltIn[key]; dup {
			c.bad(at, "built-in group %s is defined twice (first on line %d)", key, p.Line(fmt.Sprintf("built-in.%d", j)))
		}
		seenBuiltIn[key] = i
		if g.Files.Empty() {
			c.bad(at, "built-in group %s gives no image and no configuration", key)
		}
		c.files(at, g.Files, fam, "built-in group "+key, false)
	}
	names := map[string]int{}
	macOwner := map[MAC]string{}
	for i, g := range p.Groups {
		at := fmt.Sprintf("groups.%d", i)
		if !groupName.MatchString(g.Name) {
			c.bad(at+".name", "group name %q: use 1-64 letters, digits, dots, hyphens and underscores", g.Name)
		}
		if j, dup := names[strings.ToLower(g.Name)]; dup && g.Name != "" {
			c.bad(at+".name", "group name %q is used twice (first on line %d)", g.Name, p.Line(fmt.Sprintf("groups.%d", j)))
		}
		names[strings.ToLower(g.Name)] = i
		kinds := 0
		for _, n := range []int{len(g.MAC), len(g.Connectivity), len(g.Stack), len(g.ProductID)} {
			if n > 0 {
				kinds++
			}
		}
		if kinds != 1 {
			c.bad(at, "group %q must match by exactly one of mac, connectivity, stack or product-id (it has %d)", g.Name, kinds)
			continue
		}
		if g.Files.Empty() && !(g.Kind() == KindStack && g.Config != "") {
			hasMemberImage := false
			for _, m := range g.Stack {
				hasMemberImage = hasMemberImage || m.Image != ""
			}
			if !hasMemberImage {
				c.bad(at, "group %q gives no image and no configuration", g.Name)
			}
		}
		family := ""
		switch g.Kind() {
		case KindMAC:
			for j, s := range g.MAC {
				m, err := ParseMAC(s)
				if err != nil {
					c.bad(fmt.Sprintf("%s.mac.%d", at, j), "group %q: %v", g.Name, err)
					continue
				}
				if other, dup := macOwner[m]; dup {
					c.bad(fmt.Sprintf("%s.mac.%d", at, j), "MAC %s is in group %q and in group %q; a switch can be in one MAC group only", m, other, g.Name)
				}
				macOwner[m] = g.Name
			}
		case KindConnectivity:
			for j, a := range g.Connectivity {
				aat := fmt.Sprintf("%s.connectivity.%d", at, j)
				if ip, err := netip.ParseAddr(a.Host); err != nil || !ip.Is4() {
					c.bad(aat, "group %q: upstream host %q is not an IPv4 address", g.Name, a.Host)
				}
				if strings.TrimSpace(a.Interface) == "" {
					c.bad(aat, "group %q: give the upstream interface, such as GigabitEthernet1/0/3", g.Name)
				}
			}
		case KindStack:
			seen := map[int]bool{}
			for j, m := range g.Stack {
				mat := fmt.Sprintf("%s.stack.%d", at, j)
				if m.Number < 1 || m.Number > 9 {
					c.bad(mat, "group %q: stack member number %d is not between 1 and 9", g.Name, m.Number)
				}
				if seen[m.Number] {
					c.bad(mat, "group %q: stack member %d is listed twice", g.Name, m.Number)
				}
				seen[m.Number] = true
				if !slices.Contains(BuiltInFamilies, strings.ToLower(m.Family)) {
					c.bad(mat, "group %q: member %d family %q is not one IOS knows", g.Name, m.Number, m.Family)
				}
				if m.Ports == "" {
					c.bad(mat, "group %q: member %d needs a port configuration such as ports: 24poe", g.Name, m.Number)
				}
				if m.Image == "" && g.Image == "" && hasAnyImage(g) {
					c.bad(mat, "group %q: member %d has no image while other members do; give it one or set the group's image", g.Name, m.Number)
				}
				if m.Image != "" {
					c.image(mat+".image", m.Image, strings.ToLower(m.Family), fmt.Sprintf("group %q member %d", g.Name, m.Number))
				}
				family = strings.ToLower(m.Family)
			}
		case KindProductID:
			for j, pid := range g.ProductID {
				if strings.TrimSpace(pid) == "" {
					c.bad(fmt.Sprintf("%s.product-id.%d", at, j), "group %q: empty product ID", g.Name)
				}
				if h, ok := HardwareOf(pid, p.Families); ok {
					family = h.Family
				}
			}
		}
		// A stack group's images may all be on its members; a script
		// goes with them.
		c.files(at, g.Files, family, fmt.Sprintf("group %q", g.Name), hasAnyImage(g))
	}
	for i, r := range p.Families {
		if r.PID == "" || r.Family == "" || r.Ports == "" {
			c.bad(fmt.Sprintf("families.%d", i), "a family rule needs pid, family and ports")
		}
	}
	return c.probs
}

func hasAnyImage(g Group) bool {
	if g.Image != "" {
		return true
	}
	for _, m := range g.Stack {
		if m.Image != "" {
			return true
		}
	}
	return false
}

// files checks one profile's file names. family is the product family the
// profile is for, when it is known; hasImage says an image is given
// elsewhere (on a stack group's members).
func (c *checker) files(at string, f Files, family, what string, hasImage bool) {
	if f.Script != "" && f.Image == "" && f.Config == "" && !hasImage {
		c.bad(at+".script", "%s has a post-install script but no image and no configuration; a script only runs with an upgrade", what)
	}
	if f.Image != "" {
		c.image(at+".image", f.Image, family, what)
	}
	if f.Config != "" {
		c.name(at+".config", f.Config, what)
	}
	if f.Script != "" {
		c.name(at+".script", f.Script, what)
	}
}

func (c *checker) image(at, name, family, what string) {
	if !c.name(at, name, what) {
		return
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".tar"):
	case strings.HasSuffix(lower, ".bin"):
		// 3850/3650 install .bin bundles; their images are named cat3k_….
		if !(binFamily(family) || family == "" && strings.HasPrefix(path.Base(lower), "cat3k_")) {
			c.bad(at, "%s: image %q is a .bin; Smart Install installs .tar images (a .bin only on Catalyst 3850/3650); pick the -tar. image", what, name)
		}
	default:
		c.bad(at, "%s: image %q is not a .tar image; Smart Install installs .tar images", what, name)
	}
}

// name checks a file name is a plain relative name inside images/.
func (c *checker) name(at, name, what string) bool {
	if scheme, _, ok := strings.Cut(name, ":"); ok {
		c.bad(at, "%s: %q: give a file name in the workspace images folder, not a %s: location (fieldcon serves the files itself)", what, name, scheme)
		return false
	}
	if !validFileName(name) {
		c.bad(at, "%s: file name %q: use letters, digits and . _ - + / only, no .. and no leading /", what, name)
		return false
	}
	return true
}

func validFileName(name string) bool {
	if name == "" || len(name) > 200 || strings.HasPrefix(name, "/") {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("._-+/", ch) >= 0
		if !ok {
			return false
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

func validPrefix(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// KeepalivePeriod is the configured keepalive, or the default.
func (p *Profiles) KeepalivePeriod() time.Duration {
	if k, err := time.ParseDuration(p.Director.Keepalive); err == nil && k > 0 {
		return k
	}
	return DefaultKeepalive
}

// BackupOn reports whether client backups are kept (default on).
func (p *Profiles) BackupOn() bool { return p.Director.Backup == nil || *p.Director.Backup }
