package director

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Facts are what the director knows about a client when it picks a profile.
type Facts struct {
	MAC MAC
	PID string // product ID of a standalone switch (or the stack master)
	// Members lists the stack members by number; more than one member
	// makes the client a stack.
	Members []StackMember
	// Upstream is where the client is cabled, when a neighbour told us.
	Upstream Attachment
}

// StackMember is one member of a client stack.
type StackMember struct {
	Number int    `json:"number"`
	PID    string `json:"pid"`
	MAC    MAC    `json:"mac,omitempty"`
}

// IsStack reports whether the client is a stack of two or more switches.
func (f Facts) IsStack() bool { return len(f.Members) > 1 }

// Candidate is one profile considered for a client, and what became of it.
type Candidate struct {
	Kind  GroupKind
	Name  string // "lab", "built-in 2960x 24", "default"
	Line  int    // where it is defined in the profile file
	Match bool   // it matches the client
	Won   bool
	Why   string // why it matches, does not, or lost
}

// Resolution is the profile a client gets and the reasoning behind it.
type Resolution struct {
	Kind GroupKind
	Name string // empty when nothing resolved
	// Images lists the images to install: one for a standalone switch,
	// one per member in member order for a stack.
	Images []string
	Config string
	Script string
	// Candidates lists every profile considered, in precedence order.
	Candidates []Candidate
	// Failure is the INCORRECT_CFG text when nothing resolved:
	// "switch WS-C2960X-24TS-L" or "switch-stack 3750".
	Failure string
}

// Resolved reports whether a profile was found.
func (r Resolution) Resolved() bool { return r.Name != "" }

// Explain renders the reasoning, one candidate per line.
func (r Resolution) Explain() string {
	var b strings.Builder
	if r.Resolved() {
		fmt.Fprintf(&b, "profile: %s (%s)\n", r.Name, r.Kind)
	} else {
		fmt.Fprintf(&b, "profile: none: No image and config configured for this %s\n", r.Failure)
	}
	for _, c := range r.Candidates {
		mark := "  "
		switch {
		case c.Won:
			mark = "* "
		case c.Match:
			mark = "- "
		}
		where := ""
		if c.Line > 0 {
			where = fmt.Sprintf(" (line %d)", c.Line)
		}
		fmt.Fprintf(&b, "%s%-12s %s%s: %s\n", mark, c.Kind, c.Name, where, c.Why)
	}
	return b.String()
}

// Resolve picks the profile for a client: MAC > connectivity > stack >
// product ID > built-in > default. Every profile that could apply is listed
// with why it won, lost, did not match or was not eligible.
func (p *Profiles) Resolve(f Facts) Resolution {
	var cands []Candidate
	var winner *Candidate
	var res Resolution
	hw, hwOK := HardwareOf(f.PID, p.Families)
	consider := func(c Candidate, files func() (images []string, config, script string)) {
		if c.Match && winner == nil {
			c.Won = true
			c.Why = "wins: " + c.Why
			res.Kind, res.Name = c.Kind, c.Name
			res.Images, res.Config, res.Script = files()
		} else if c.Match {
			c.Why = fmt.Sprintf("matches (%s) but loses to %s group %s, which comes first", c.Why, winner.Kind, winner.Name)
		}
		cands = append(cands, c)
		if c.Won {
			winner = &cands[len(cands)-1]
		}
	}
	groupFiles := func(g Group) func() ([]string, string, string) {
		return func() ([]string, string, string) { return imagesFor(g, f), g.Config, g.Script }
	}
	for _, kind := range Precedence[:4] {
		for i, g := range p.Groups {
			if g.Kind() != kind {
				continue
			}
			c := Candidate{Kind: kind, Name: g.Name, Line: p.Line(fmt.Sprintf("groups.%d", i))}
			c.Match, c.Why = matchGroup(g, f, p.Families)
			consider(c, groupFiles(g))
		}
	}
	// A stack resolves through a MAC or stack group only; it never falls
	// back to product ID, built-in or default profiles.
	if f.IsStack() {
		if winner == nil {
			res.Failure = "switch-stack " + stackModel(f)
		}
		if winner == nil || winner.Kind <= KindStack {
			for i, g := range p.BuiltIn {
				cands = append(cands, Candidate{Kind: KindBuiltIn, Name: g.Name(), Line: p.Line(fmt.Sprintf("built-in.%d", i)), Why: "not eligible: built-in groups apply to standalone switches only"})
			}
			if !p.Default.Empty() {
				cands = append(cands, Candidate{Kind: KindDefault, Name: "default", Line: p.Line("default"), Why: "not eligible: stack members never use the default profile"})
			}
		}
		res.Candidates = cands
		return res
	}
	for i, g := range p.BuiltIn {
		c := Candidate{Kind: KindBuiltIn, Name: g.Name(), Line: p.Line(fmt.Sprintf("built-in.%d", i))}
		switch {
		case f.PID == "":
			c.Why = "no match: the product ID is not known yet"
		case !hwOK:
			c.Why = fmt.Sprintf("no match: %s is not in the built-in family table", f.PID)
		case strings.EqualFold(g.Family, hw.Family) && strings.EqualFold(g.Ports, hw.Ports):
			c.Match, c.Why = true, fmt.Sprintf("%s is a %s", f.PID, hw)
		default:
			c.Why = fmt.Sprintf("no match: %s is a %s", f.PID, hw)
		}
		g := g
		consider(c, func() ([]string, string, string) { return nonEmpty(g.Image), g.Config, g.Script })
	}
	if !p.Default.Empty() {
		c := Candidate{Kind: KindDefault, Name: "default", Line: p.Line("default"), Match: true, Why: "applies to any standalone switch"}
		consider(c, func() ([]string, string, string) {
			return nonEmpty(p.Default.Image), p.Default.Config, p.Default.Script
		})
	}
	if winner == nil {
		model := f.PID
		if model == "" {
			model = "(product ID unknown)"
		}
		res.Failure = "switch " + model
	}
	res.Candidates = cands
	return res
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func stackModel(f Facts) string {
	var pids []string
	for _, m := range f.Members {
		if !slices.Contains(pids, m.PID) {
			pids = append(pids, m.PID)
		}
	}
	return strings.Join(pids, "+")
}

// imagesFor lists a group's images for this client: per member for a stack
// group, else the group image (one line per member for a stack in a MAC
// group, which installs the same image everywhere).
func imagesFor(g Group, f Facts) []string {
	if g.Kind() == KindStack {
		var out []string
		members := slices.Clone(f.Members)
		slices.SortFunc(members, func(a, b StackMember) int { return a.Number - b.Number })
		for _, m := range members {
			img := g.Image
			for _, e := range g.Stack {
				if e.Number == m.Number && e.Image != "" {
					img = e.Image
				}
			}
			if img != "" {
				out = append(out, img)
			}
		}
		return out
	}
	if g.Image == "" {
		return nil
	}
	if f.IsStack() {
		out := make([]string, len(f.Members))
		for i := range out {
			out[i] = g.Image
		}
		return out
	}
	return []string{g.Image}
}

func matchGroup(g Group, f Facts, rules []FamilyRule) (bool, string) {
	switch g.Kind() {
	case KindMAC:
		for _, s := range g.MAC {
			if m, _ := ParseMAC(s); m != "" && m == f.MAC {
				return true, fmt.Sprintf("MAC %s is listed", f.MAC)
			}
			for _, mem := range f.Members {
				if m, _ := ParseMAC(s); m != "" && m == mem.MAC {
					return true, fmt.Sprintf("member %d MAC %s is listed", mem.Number, mem.MAC)
				}
			}
		}
		return false, fmt.Sprintf("no match: MAC %s is not listed", f.MAC)
	case KindConnectivity:
		if f.IsStack() {
			return false, "not eligible: connectivity groups apply to standalone switches only"
		}
		if !f.Upstream.Valid() {
			return false, "no match: the upstream neighbour and port are not known"
		}
		for _, a := range g.Connectivity {
			if a.Key() == f.Upstream.Key() {
				return true, fmt.Sprintf("cabled to %s %s", f.Upstream.Host, NormalizeInterface(f.Upstream.Interface))
			}
		}
		return false, fmt.Sprintf("no match: cabled to %s %s", f.Upstream.Host, NormalizeInterface(f.Upstream.Interface))
	case KindStack:
		if !f.IsStack() {
			return false, "not eligible: stack groups apply to stacks only"
		}
		for _, m := range f.Members {
			mh, ok := HardwareOf(m.PID, rules)
			found := false
			for _, e := range g.Stack {
				if e.Number == m.Number && ok && strings.EqualFold(e.Family, mh.Family) && strings.EqualFold(e.Ports, mh.Ports) {
					found = true
				}
			}
			if !found {
				return false, fmt.Sprintf("no match: member %d (%s) has no entry in the group", m.Number, m.PID)
			}
		}
		return true, fmt.Sprintf("every member (%d) has an entry", len(f.Members))
	case KindProductID:
		if f.IsStack() {
			return false, "not eligible: product-ID groups apply to standalone switches only"
		}
		if f.PID == "" {
			return false, "no match: the product ID is not known yet"
		}
		for _, pid := range g.ProductID {
			if strings.EqualFold(strings.TrimSpace(pid), f.PID) {
				return true, fmt.Sprintf("product ID %s is listed", f.PID)
			}
		}
		return false, fmt.Sprintf("no match: %s is not listed", f.PID)
	}
	return false, "unknown group kind"
}

// upstreamOf builds an Attachment from a neighbour's address and port.
func upstreamOf(host netip.Addr, port string) Attachment {
	if !host.IsValid() || port == "" {
		return Attachment{}
	}
	return Attachment{Host: host.String(), Interface: NormalizeInterface(port)}
}
