package director

import (
	"regexp"
	"slices"
	"strings"
)

// BuiltInFamilies are the product families of `vstack group built-in` in
// IOS XE 3.6.0E, lower case as the CLI takes them.
var BuiltInFamilies = []string{
	"1783", "1783bms", "2918", "2960", "2960c", "2960cg", "2960g", "2960plus",
	"2960s", "2960s-fe", "2960x", "2960xr", "2975", "3560", "3560c", "3560cg",
	"3560e", "3560g", "3560x", "3650", "3750", "3750e", "3750g", "3750x", "3850",
	"4500", "4500x", "4900", "ie2000", "ie3000", "ie3010", "nme-es", "sm-d-es2",
	"sm-d-es3", "sm-d-es3g", "sm-es2", "sm-es3", "sm-es3g",
}

// Hardware is what a product ID says about a switch for group matching:
// the built-in family and the port configuration.
type Hardware struct {
	Family string // "2960x"
	Ports  string // "24", "48poe"
}

func (h Hardware) String() string { return h.Family + " " + h.Ports }

// FamilyRule pins a product ID to a family and port configuration, for PIDs
// the built-in rules read wrongly or do not know.
type FamilyRule struct {
	PID    string `yaml:"pid"`
	Family string `yaml:"family"`
	Ports  string `yaml:"ports"`
}

var (
	// WS-C2960X-24PD-L, WS-C3750-24PS-S, WS-C3850-48P-E, WS-C2960+24TC-L.
	catalystPID = regexp.MustCompile(`^WS-C(\d{4}[A-Z]*\+?)-?(\d+)([A-Z]*)`)
	// IE-2000-8TC-G-B, IE-3000-4TC.
	industrialPID = regexp.MustCompile(`^IE-(\d{4})-(\d+)([A-Z]*)`)
)

// HardwareOf reads family and port configuration from a product ID, with
// rules first (exact PID, case-insensitive). Port configurations follow the
// CLI's simple forms ("24", "24poe"); unknown PIDs give ok=false and then
// only custom product-ID, MAC and connectivity groups or the default apply.
func HardwareOf(pid string, rules []FamilyRule) (Hardware, bool) {
	pid = strings.ToUpper(strings.TrimSpace(pid))
	for _, r := range rules {
		if strings.EqualFold(r.PID, pid) {
			return Hardware{Family: strings.ToLower(r.Family), Ports: strings.ToLower(r.Ports)}, true
		}
	}
	var fam, ports, suffix string
	if m := catalystPID.FindStringSubmatch(pid); m != nil {
		fam, ports, suffix = strings.ToLower(strings.ReplaceAll(m[1], "+", "plus")), m[2], m[3]
	} else if m := industrialPID.FindStringSubmatch(pid); m != nil {
		fam, ports, suffix = "ie"+m[1], m[2], m[3]
	} else {
		return Hardware{}, false
	}
	if !slices.Contains(BuiltInFamilies, fam) {
		return Hardware{}, false
	}
	// P (PoE), FP/LP (full/limited PoE), U (UPOE) in the model suffix.
	if strings.HasPrefix(suffix, "P") || strings.HasPrefix(suffix, "FP") || strings.HasPrefix(suffix, "LP") || strings.HasPrefix(suffix, "U") {
		ports += "poe"
	}
	return Hardware{Family: fam, Ports: ports}, true
}

// binFamily reports whether a family installs .bin bundles instead of tar
// images (Catalyst 3850 and 3650).
func binFamily(family string) bool {
	f := strings.ToLower(family)
	return f == "3850" || f == "3650"
}
