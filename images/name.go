package images

import (
	"regexp"
	"strings"
)

// Kind is the sort of device an image is for.
type Kind string

// Kinds an image name or info file can tell apart.
const (
	KindUnknown      Kind = ""
	KindSwitch       Kind = "switch"
	KindRouter       Kind = "router"
	KindAccessPoint  Kind = "access point"
	KindWLController Kind = "wireless controller"
)

// APMode is how an access point image runs.
type APMode string

// AP modes, from the feature set in the name: k9w7 autonomous, k9w8
// lightweight (CAPWAP, needs a controller), rcvk9w8 the small lightweight
// recovery image that only knows how to fetch a full one from a controller.
const (
	APModeNone        APMode = ""
	APModeAutonomous  APMode = "autonomous"
	APModeLightweight APMode = "lightweight"
	APModeRecovery    APMode = "lightweight recovery"
)

// ImageType is what the file is meant to be, as the name says it.
type ImageType string

// Image types.
const (
	TypeUnknown  ImageType = ""
	TypeRunnable ImageType = "runnable"   // -mz, -mx, -m: the image a loader boots
	TypeBundle   ImageType = "tar bundle" // -tar: for archive download-sw / tar -xtract
	TypeXE       ImageType = "IOS-XE bundle"
)

// Name is what a Cisco image file name says about the file.
//
//	c3750-ipbasek9-mz.122-25.SEB4.bin        c3750, ipbasek9, runnable, 12.2(25)SEB4
//	c1240-k9w7-tar.124-25d.JA1.tar           AP c1240, autonomous, bundle, 12.4(25d)JA1
//	cat3k_caa-universalk9.16.03.06.SPA.bin   cat3k_caa, universalk9, IOS-XE, 16.3.6
//	c1240-k9w7-tar.default                   what an AP asks for in MODE-button recovery
type Name struct {
	Raw        string `json:"raw"`
	Platform   string `json:"platform,omitempty"`
	FeatureSet string `json:"feature_set,omitempty"`
	// TypeCode is the third field as written: "mz", "tar", "mx".
	TypeCode string    `json:"type_code,omitempty"`
	Type     ImageType `json:"type,omitempty"`
	Version  Version   `json:"version,omitzero"`
	// IOSVersion is the IOS release inside an IOS-XE 3.x name
	// ("cat3k_caa-universalk9.SPA.03.06.06.E.152-2.E6.bin" → 15.2(2)E6).
	IOSVersion Version `json:"ios_version,omitzero"`
	// Ext is the extension as written: ".bin", ".tar", ".default" or "".
	Ext string `json:"ext,omitempty"`
	// Default marks the "<platform>-k9w7-tar.default" names APs ask for.
	Default bool   `json:"default,omitempty"`
	Signed  bool   `json:"signed,omitempty"` // SPA / SSA in the name
	Kind    Kind   `json:"kind,omitempty"`
	APMode  APMode `json:"ap_mode,omitempty"`
	XE      bool   `json:"xe,omitempty"` // IOS-XE naming
}

// OK reports whether the name looked like a Cisco image name at all.
func (n Name) OK() bool { return n.Platform != "" }

var (
	rePlatform = regexp.MustCompile(`^[a-z][a-z0-9_]{1,23}$`)
	reFeature  = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	reIOSToken = regexp.MustCompile(`^\d{3,4}-`)
)

// ParseName reads a Cisco image file name. A path is fine, including a
// device path like "flash:c3750-i5-mz.122-20.SE/c3750-i5-mz.122-20.SE.bin":
// only the last element counts. Names that do not follow Cisco's scheme give a Name with
// only Raw and Ext set.
func ParseName(s string) Name {
	if i := strings.LastIndexAny(s, `/\:`); i >= 0 {
		s = s[i+1:]
	}
	n := Name{Raw: s}
	if len(s) > 255 {
		return n
	}
	base := s
	lower := strings.ToLower(s)
	for _, ext := range []string{".bin", ".tar", ".default", ".pkg"} {
		if strings.HasSuffix(lower, ext) {
			n.Ext = s[len(s)-len(ext):]
			base = s[:len(s)-len(ext)]
			break
		}
	}
	n.Default = strings.EqualFold(n.Ext, ".default")

	head, rest, _ := strings.Cut(base, ".")
	head = strings.ToLower(head)
	fields := strings.Split(head, "-")
	switch {
	case len(fields) == 1 && strings.Contains(head, "_iosxe"):
		// cat9k_iosxe, cat9k_lite_iosxe
		n.Platform, n.FeatureSet = strings.TrimSuffix(head, "_iosxe"), "iosxe"
		n.XE = true
	case len(fields) == 2 || len(fields) == 3:
		n.Platform, n.FeatureSet = fields[0], fields[1]
		if len(fields) == 3 {
			n.TypeCode = fields[2]
		}
	default:
		return Name{Raw: n.Raw, Ext: n.Ext}
	}
	if !rePlatform.MatchString(n.Platform) || !reFeature.MatchString(n.FeatureSet) ||
		(n.TypeCode != "" && !reFeature.MatchString(n.TypeCode)) {
		return Name{Raw: n.Raw, Ext: n.Ext}
	}

	n.parseRest(rest)
	if n.TypeCode == "" && (n.Version.IsDotted() || n.XE) {
		n.XE = true
	}
	switch {
	case n.TypeCode == "tar":
		n.Type = TypeBundle
	case n.TypeCode != "":
		n.Type = TypeRunnable
	case n.XE:
		n.Type = TypeXE
	}
	n.APMode = apMode(n.FeatureSet)
	n.Kind = platformKind(n.Platform, n.APMode)
	return n
}

// parseRest reads what follows the first dot: the release, maybe signed.
func (n *Name) parseRest(rest string) {
	if rest == "" {
		return
	}
	var toks []string
	for _, t := range strings.Split(rest, ".") {
		switch strings.ToUpper(t) {
		case "SPA", "SSA":
			n.Signed = true
			continue
		}
		toks = append(toks, t)
	}
	ios := -1
	for i, t := range toks {
		if reIOSToken.MatchString(t) {
			ios = i
			break
		}
	}
	if ios >= 0 {
		v := ParseVersion(strings.Join(toks[ios:], "."))
		if ios == 0 {
			n.Version = v
			return
		}
		// IOS-XE 3.x: "03.06.06.E.152-2.E6" names both releases.
		n.IOSVersion = v
		n.Version = ParseVersion(strings.Join(toks[:ios], "."))
		n.XE = true
		return
	}
	n.Version = ParseVersion(strings.Join(toks, "."))
}

func apMode(feature string) APMode {
	switch {
	case strings.HasPrefix(feature, "rcv") && strings.Contains(feature, "w8"):
		return APModeRecovery
	case strings.Contains(feature, "w8"):
		return APModeLightweight
	case strings.Contains(feature, "w7"):
		return APModeAutonomous
	}
	return APModeNone
}

// isAPPlatform knows the AP platform codes that do not start with "ap".
// c3700 is the 1700/2700/3700 code from 15.3(3)JF on (before that they used
// ap3g2); c3750 is a switch, so a prefix match would be wrong.
func isAPPlatform(p string) bool {
	switch p {
	case "c1130", "c1140", "c1200", "c1240", "c1250", "c1260", "c1310", "c1410",
		"c1520", "c1550", "c1570", "c3700", "c350", "c520":
		return true
	}
	return false
}

// platformKind guesses the device kind from the platform code; the longest
// matching prefix wins.
func platformKind(platform string, mode APMode) Kind {
	if mode != APModeNone || isAPPlatform(platform) {
		return KindAccessPoint
	}
	prefixes := []struct {
		prefix string
		kind   Kind
	}{
		{"cat3k", KindSwitch}, {"cat4500", KindSwitch}, {"cat9k", KindSwitch},
		{"c29", KindSwitch}, {"c35", KindSwitch}, {"c36", KindSwitch}, {"c37", KindSwitch},
		{"c38", KindSwitch}, {"c45", KindSwitch}, {"c65", KindSwitch}, {"c68", KindSwitch},
		{"cbs", KindSwitch}, {"ies", KindSwitch}, {"ie", KindSwitch}, {"me3", KindSwitch}, {"me2", KindSwitch},
		{"c8", KindRouter}, {"c16", KindRouter}, {"c17", KindRouter}, {"c18", KindRouter},
		{"c19", KindRouter}, {"c2900", KindRouter}, {"c26", KindRouter}, {"c28", KindRouter},
		{"c39", KindRouter}, {"c7", KindRouter}, {"isr", KindRouter}, {"asr", KindRouter},
		{"ap", KindAccessPoint},
		{"air-ct", KindWLController}, {"ct5", KindWLController},
	}
	best, kind := 0, KindUnknown
	for _, p := range prefixes {
		if strings.HasPrefix(platform, p.prefix) && len(p.prefix) > best {
			best, kind = len(p.prefix), p.kind
		}
	}
	return kind
}

// DefaultRecoveryName is the file an AP asks for after MODE-button recovery:
// "c1240-k9w7-tar.default". Lightweight recovery uses the k9w8 name.
func DefaultRecoveryName(platform string, mode APMode) string {
	if platform == "" {
		return ""
	}
	fs := "k9w7"
	if mode == APModeLightweight || mode == APModeRecovery {
		fs = "k9w8"
	}
	return strings.ToLower(platform) + "-" + fs + "-tar.default"
}
