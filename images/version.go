package images

import (
	"regexp"
	"strconv"
	"strings"
)

// Version is a Cisco software release in either of its two spellings.
//
// Classic IOS releases are written "12.2(25)SEB4" on the device and
// "122-25.SEB4" in file names: major 12, minor 2, rebuild "25", train "SEB4".
// IOS-XE and AireOS releases are dotted ("16.03.06", "03.06.06E", "8.10.185.0")
// and keep their numbers in Dotted.
type Version struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
	// Rebuild is the part in parentheses: "25", "25d", "0.0.16".
	Rebuild string `json:"rebuild,omitempty"`
	// Train is what follows the parentheses: "SEB4", "JA1", "E5", "" for mainline.
	Train string `json:"train,omitempty"`
	// Dotted holds the numbers of a dotted release; empty for classic IOS.
	Dotted []int `json:"dotted,omitempty"`
	// Suffix is the letters after a dotted release ("E" in 03.06.06E, "a" in 17.09.04a).
	Suffix string `json:"suffix,omitempty"`
}

// IsZero reports whether no version was found.
func (v Version) IsZero() bool {
	return v.Major == 0 && v.Minor == 0 && v.Rebuild == "" && v.Train == "" && len(v.Dotted) == 0
}

// IsDotted reports whether v is an IOS-XE/AireOS style release.
func (v Version) IsDotted() bool { return len(v.Dotted) > 0 }

// String writes v the way `show version` prints it: "12.2(25)SEB4", "16.3.6",
// "3.6.6E".
func (v Version) String() string {
	if v.IsZero() {
		return ""
	}
	if v.IsDotted() {
		parts := make([]string, len(v.Dotted))
		for i, n := range v.Dotted {
			parts[i] = strconv.Itoa(n)
		}
		return strings.Join(parts, ".") + v.Suffix
	}
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor)
	if v.Rebuild != "" {
		s += "(" + v.Rebuild + ")"
	}
	return s + v.Train
}

// MarshalText makes a Version read as "12.2(25)SEB4" in JSON.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses what MarshalText wrote.
func (v *Version) UnmarshalText(b []byte) error {
	*v = ParseVersion(string(b))
	return nil
}

var (
	// "12.2(25)SEB4", "15.3(3)JF5", "12.4(25d)JA1", "15.0(2)SE11", "12.1(0.0.16)EA1"
	reIOSDisplay = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\((\d+(?:\.\d+)*[a-z]?)\)([A-Za-z]+\d*[a-z]?)?$`)
	// "122-25.SEB4", "150-2.SE11", "124-25d.JA1", "124-25d", "121-0.0.16.EA1"
	reIOSFile = regexp.MustCompile(`^(\d{2})(\d{1,2})-(\d+(?:\.\d+)*[a-z]?)(?:\.([A-Za-z]+\d*[a-z]?))?$`)
	// "16.03.06", "03.06.06E", "03.06.06.E", "17.09.04a", "8.10.185.0"
	reDotted = regexp.MustCompile(`^(\d{1,3}(?:\.\d{1,4}){1,4})\.?([A-Za-z]{0,3})$`)
)

// ParseVersion reads a release in any spelling Cisco uses in file names or
// `show version`; it returns the zero Version when s is not one.
func ParseVersion(s string) Version {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "Version "), "version ")
	s = strings.TrimRight(s, ",")
	if len(s) > 64 {
		return Version{}
	}
	if m := reIOSDisplay.FindStringSubmatch(s); m != nil {
		return Version{Major: atoi(m[1]), Minor: atoi(m[2]), Rebuild: m[3], Train: m[4]}
	}
	if m := reIOSFile.FindStringSubmatch(s); m != nil {
		// "1510" does not exist; the first two digits are the major release.
		return Version{Major: atoi(m[1]), Minor: atoi(m[2]), Rebuild: m[3], Train: m[4]}
	}
	if m := reDotted.FindStringSubmatch(s); m != nil {
		var v Version
		for _, p := range strings.Split(m[1], ".") {
			v.Dotted = append(v.Dotted, atoi(p))
		}
		v.Suffix = m[2]
		return v
	}
	return Version{}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// leadingInt splits "25d" into 25 and "d".
func leadingInt(s string) (int, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(s[:i])
	return n, s[i:]
}

// splitTrain splits "SEB4" into "SEB", 4, "" and "EA1d" into "EA", 1, "d".
func splitTrain(t string) (letters string, num int, rest string) {
	i := 0
	for i < len(t) && (t[i] < '0' || t[i] > '9') {
		i++
	}
	letters = t[:i]
	num, rest = leadingInt(t[i:])
	return letters, num, rest
}

// CompareVersions orders two releases: -1 if a is older, 1 if newer, 0 if
// equal. ok is false when they cannot be compared (one classic IOS, one
// dotted, or either missing), because IOS-XE 3.x and IOS 15.x numbers do not
// line up.
func CompareVersions(a, b Version) (cmp int, ok bool) {
	if a.IsZero() || b.IsZero() || a.IsDotted() != b.IsDotted() {
		return 0, false
	}
	if a.IsDotted() {
		for i := 0; i < max(len(a.Dotted), len(b.Dotted)); i++ {
			var x, y int
			if i < len(a.Dotted) {
				x = a.Dotted[i]
			}
			if i < len(b.Dotted) {
				y = b.Dotted[i]
			}
			if c := compareInt(x, y); c != 0 {
				return c, true
			}
		}
		return strings.Compare(strings.ToLower(a.Suffix), strings.ToLower(b.Suffix)), true
	}
	if c := compareInt(a.Major, b.Major); c != 0 {
		return c, true
	}
	if c := compareInt(a.Minor, b.Minor); c != 0 {
		return c, true
	}
	ar, arest := leadingInt(a.Rebuild)
	br, brest := leadingInt(b.Rebuild)
	if c := compareInt(ar, br); c != 0 {
		return c, true
	}
	if c := strings.Compare(arest, brest); c != 0 {
		return c, true
	}
	al, an, ar2 := splitTrain(a.Train)
	bl, bn, br2 := splitTrain(b.Train)
	if c := strings.Compare(strings.ToUpper(al), strings.ToUpper(bl)); c != 0 {
		return c, true
	}
	if c := compareInt(an, bn); c != 0 {
		return c, true
	}
	return strings.Compare(ar2, br2), true
}

func compareInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
