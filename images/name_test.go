package images

import (
	"testing"
)

// Names from the seeds (3750 upgrade guide, AP recovery write-ups, Smart
// Install guide) and the field notes.
func TestParseName(t *testing.T) {
	tests := []struct {
		in       string
		platform string
		feature  string
		typ      ImageType
		version  string
		kind     Kind
		mode     APMode
		ext      string
	}{
		{"c3750-ipbasek9-mz.122-25.SEB4.bin", "c3750", "ipbasek9", TypeRunnable, "12.2(25)SEB4", KindSwitch, APModeNone, ".bin"},
		{"c1240-k9w7-tar.124-25d.JA1.tar", "c1240", "k9w7", TypeBundle, "12.4(25d)JA1", KindAccessPoint, APModeAutonomous, ".tar"},
		{"c1240-k9w7-mx.124-25d.JA1", "c1240", "k9w7", TypeRunnable, "12.4(25d)JA1", KindAccessPoint, APModeAutonomous, ""},
		{"c1240-rcvk9w8-mx", "c1240", "rcvk9w8", TypeRunnable, "", KindAccessPoint, APModeRecovery, ""},
		{"c1240-k9w7-tar.default", "c1240", "k9w7", TypeBundle, "", KindAccessPoint, APModeAutonomous, ".default"},
		{"c1200-k9w7-tar.default", "c1200", "k9w7", TypeBundle, "", KindAccessPoint, APModeAutonomous, ".default"},
		{"ap3g2-k9w8-tar.default", "ap3g2", "k9w8", TypeBundle, "", KindAccessPoint, APModeLightweight, ".default"},
		{"ap3g2-k9w7-tar.153-3.JF5.tar", "ap3g2", "k9w7", TypeBundle, "15.3(3)JF5", KindAccessPoint, APModeAutonomous, ".tar"},
		{"c3700-k9w8-tar.153-3.JF.tar", "c3700", "k9w8", TypeBundle, "15.3(3)JF", KindAccessPoint, APModeLightweight, ".tar"},
		{"c2960-lanbasek9-mz.150-2.SE11.bin", "c2960", "lanbasek9", TypeRunnable, "15.0(2)SE11", KindSwitch, APModeNone, ".bin"},
		{"c2960s-universalk9-mz.152-2.E5.bin", "c2960s", "universalk9", TypeRunnable, "15.2(2)E5", KindSwitch, APModeNone, ".bin"},
		{"cbs30x0-ipbase-tar.122-46.SE.tar", "cbs30x0", "ipbase", TypeBundle, "12.2(46)SE", KindSwitch, APModeNone, ".tar"},
		{"c3750-advipservicesk9-tar.122-25.SEE1.tar", "c3750", "advipservicesk9", TypeBundle, "12.2(25)SEE1", KindSwitch, APModeNone, ".tar"},
		{"c3750-i5-mz.121-19.EA1d.bin", "c3750", "i5", TypeRunnable, "12.1(19)EA1d", KindSwitch, APModeNone, ".bin"},
		{"c3550-i9q3l2-mz.121-11.EA1", "c3550", "i9q3l2", TypeRunnable, "12.1(11)EA1", KindSwitch, APModeNone, ""},
		{"c2950lre-i6k2l2q4-mz.121-0.0.16.EA1.bin", "c2950lre", "i6k2l2q4", TypeRunnable, "12.1(0.0.16)EA1", KindSwitch, APModeNone, ".bin"},
		{"ies-lanbase-mz.122-44.EX.bin", "ies", "lanbase", TypeRunnable, "12.2(44)EX", KindSwitch, APModeNone, ".bin"},
		{"c2960-lanbase-tar.122-53.SE.tar", "c2960", "lanbase", TypeBundle, "12.2(53)SE", KindSwitch, APModeNone, ".tar"},
		{"c3560-ipbaselmk9-tar.122-52.SE.tar", "c3560", "ipbaselmk9", TypeBundle, "12.2(52)SE", KindSwitch, APModeNone, ".tar"},
		{"c1841-advipservicesk9-mz.124-15.T1.bin", "c1841", "advipservicesk9", TypeRunnable, "12.4(15)T1", KindRouter, APModeNone, ".bin"},
		{"c2900-universalk9-mz.SPA.157-3.M8.bin", "c2900", "universalk9", TypeRunnable, "15.7(3)M8", KindRouter, APModeNone, ".bin"},
		{"cat3k_caa-universalk9.16.03.06.SPA.bin", "cat3k_caa", "universalk9", TypeXE, "16.3.6", KindSwitch, APModeNone, ".bin"},
		{"cat3k_caa-universalk9.SPA.03.06.06.E.152-2.E6.bin", "cat3k_caa", "universalk9", TypeXE, "3.6.6E", KindSwitch, APModeNone, ".bin"},
		{"cat9k_iosxe.17.09.04a.SPA.bin", "cat9k", "iosxe", TypeXE, "17.9.4a", KindSwitch, APModeNone, ".bin"},
		{"isr4300-universalk9.16.09.04.SPA.bin", "isr4300", "universalk9", TypeXE, "16.9.4", KindRouter, APModeNone, ".bin"},
		{`C:\tftp\C3750-IPBASEK9-MZ.122-25.SEB4.BIN`, "c3750", "ipbasek9", TypeRunnable, "12.2(25)SEB4", KindSwitch, APModeNone, ".BIN"},
		{"images/c1240-k9w7-tar.124-25d.JA1.tar", "c1240", "k9w7", TypeBundle, "12.4(25d)JA1", KindAccessPoint, APModeAutonomous, ".tar"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n := ParseName(tt.in)
			if !n.OK() {
				t.Fatalf("ParseName(%q).OK() = false, want true", tt.in)
			}
			got := []string{n.Platform, n.FeatureSet, string(n.Type), n.Version.String(), string(n.Kind), string(n.APMode), n.Ext}
			want := []string{tt.platform, tt.feature, string(tt.typ), tt.version, string(tt.kind), string(tt.mode), tt.ext}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("ParseName(%q) = %q, want %q", tt.in, got, want)
					break
				}
			}
		})
	}
}

func TestParseNameDetails(t *testing.T) {
	n := ParseName("cat3k_caa-universalk9.SPA.03.06.06.E.152-2.E6.bin")
	if !n.Signed || !n.XE || n.IOSVersion.String() != "15.2(2)E6" {
		t.Errorf("ParseName(cat3k 3.x) = signed %v, xe %v, IOS %q; want true, true, 15.2(2)E6", n.Signed, n.XE, n.IOSVersion)
	}
	if n := ParseName("c1240-k9w7-tar.default"); !n.Default {
		t.Errorf("ParseName(c1240-k9w7-tar.default).Default = false, want true")
	}
}

func TestParseNameRejects(t *testing.T) {
	for _, in := range []string{"", "firmware.bin", "image", "a-b-c-d-e.bin", "-ipbase-mz.122-25.SE.bin", "c3750--mz.bin", "3750-ipbase-mz.bin", "c3750-ip base-mz.bin"} {
		t.Run(in, func(t *testing.T) {
			if n := ParseName(in); n.OK() {
				t.Errorf("ParseName(%q) = platform %q, want not OK", in, n.Platform)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12.2(25)SEB4", "12.2(25)SEB4"},
		{"Version 15.3(3)JA1", "15.3(3)JA1"},
		{"122-25.SEB4", "12.2(25)SEB4"},
		{"124-25d", "12.4(25d)"},
		{"03.07.04E", "3.7.4E"},
		{"16.03.06", "16.3.6"},
		{"8.10.185.0", "8.10.185.0"},
		{"banana", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ParseVersion(tt.in).String(); got != tt.want {
				t.Errorf("ParseVersion(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"15.3(3)JA1", "15.3(3)JF", -1, true},
		{"15.3(3)JF5", "15.3(3)JF", 1, true},
		{"15.3(3)JPK", "15.3(3)JF", 1, true},
		{"15.3(3)JBB", "15.3(3)JF", -1, true},
		{"12.2(25)SEB4", "12.2(25)SEB4", 0, true},
		{"12.2(25)SEE1", "12.2(25)SEB4", 1, true},
		{"12.4(25d)JA1", "12.4(25)JA1", 1, true},
		{"12.2(55)SE", "15.0(2)SE11", -1, true},
		{"12.1(19)EA1d", "12.1(19)EA1", 1, true},
		{"3.7.4E", "16.3.6", -1, true},
		{"16.3.6", "16.03.06", 0, true},
		{"3.7.4E", "15.2(2)E6", 0, false},
		{"", "15.2(2)E6", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			got, ok := CompareVersions(ParseVersion(tt.a), ParseVersion(tt.b))
			if got != tt.want || ok != tt.ok {
				t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestDefaultRecoveryName(t *testing.T) {
	tests := []struct {
		platform string
		mode     APMode
		want     string
	}{
		{"c1240", APModeAutonomous, "c1240-k9w7-tar.default"},
		{"C1200", APModeNone, "c1200-k9w7-tar.default"},
		{"ap3g2", APModeLightweight, "ap3g2-k9w8-tar.default"},
		{"", APModeAutonomous, ""},
	}
	for _, tt := range tests {
		if got := DefaultRecoveryName(tt.platform, tt.mode); got != tt.want {
			t.Errorf("DefaultRecoveryName(%q, %q) = %q, want %q", tt.platform, tt.mode, got, tt.want)
		}
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"c3750-ipbasek9-mz.122-25.SEB4.bin", "c1240-k9w7-tar.default", "cat3k_caa-universalk9.SPA.03.06.06.E.152-2.E6.bin", "x.y.z", "--..--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := ParseName(s)
		if n.OK() && n.Kind == KindAccessPoint && n.Platform == "" {
			t.Errorf("ParseName(%q) = AP without platform", s)
		}
		_ = n.Version.String()
	})
}
