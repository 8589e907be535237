package images

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"fieldcon/images/imagestest"
)

// sparseReaderAt is a file of size bytes that starts with head and is zero
// after it, so tests can inspect a 40 MB image without holding it.
type sparseReaderAt struct {
	head []byte
	size int64
}

func (s sparseReaderAt) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	if off < int64(len(s.head)) {
		copy(p, s.head[off:])
	}
	return len(p), nil
}

func mustInspect(t *testing.T, data []byte, name string) *Image {
	t.Helper()
	img, err := Inspect(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Name: name})
	if err != nil {
		t.Fatalf("Inspect(%s) error = %v", name, err)
	}
	return img
}

func apBundle(platform, feature, version string) imagestest.Bundle {
	return imagestest.Bundle{Platform: platform, FeatureSet: feature, Runnable: "mx", Version: version, ImageSize: 40 << 10}
}

func TestEvaluate(t *testing.T) {
	sw := bundle3750()
	tar3750 := mustInspect(t, sw.Bytes(), sw.FileName())
	bin3750 := mustInspect(t, imagestest.Runnable(imagestest.MZIP, 100<<10), "c3750-ipbasek9-mz.122-25.SEB4.bin")
	ap := apBundle("c1240", "k9w7", "124-25d.JA1")
	apK9w7 := mustInspect(t, ap.Bytes(), "c1240-k9w7-tar.default")
	lw := apBundle("c1240", "k9w8", "124-25d.JA1")
	apK9w8 := mustInspect(t, lw.Bytes(), lw.FileName())
	jf := apBundle("ap3g2", "k9w7", "153-3.JF5")
	ap3g2JF := mustInspect(t, jf.Bytes(), jf.FileName())
	ja := apBundle("ap3g2", "k9w7", "153-3.JA1")
	ap3g2JA := mustInspect(t, ja.Bytes(), ja.FileName())
	c37 := apBundle("c3700", "k9w7", "153-3.JF5")
	c3700 := mustInspect(t, c37.Bytes(), c37.FileName())
	cat3k := mustInspect(t, imagestest.Runnable(imagestest.ELF, 200<<10), "cat3k_caa-universalk9.16.03.06.SPA.bin")
	full := sw.Bytes()
	truncated := mustInspect(t, full[:len(full)/2], sw.FileName())
	html := mustInspect(t, []byte("<html><body>Sign in</body></html>"), "c3750-ipbasek9-mz.122-25.SEB4.bin")
	plainTar := mustInspect(t, imagestest.TarBytes([]imagestest.Member{{Name: "c3750.bin", Data: imagestest.Runnable(imagestest.MZIP, 4000)}}), "mine.tar")
	unknown := mustInspect(t, bytes.Repeat([]byte{0xde, 0xad, 0x00, 0x01}, 2000), "c3750-ipbasek9-mz.122-25.SEB4.bin")

	const big = 40 << 20
	bigBin, err := Inspect(context.Background(), sparseReaderAt{imagestest.RunnableHead(imagestest.ELF, big), big}, big,
		Options{Name: "c2800nm-adventerprisek9-mz.124-24.T4.bin", SkipHashes: true})
	if err != nil {
		t.Fatal(err)
	}

	listing, _ := ParseDirFlash(dir3750)
	full3750 := listing
	full3750.Free = 1000

	tests := []struct {
		name  string
		img   *Image
		use   Use
		dev   Device
		level Level
		// Each want string must appear in the reason, fix, device_says or
		// asked name, in that order of fields (empty skips).
		reason, fix, says, asked string
	}{
		{"bin to archive download-sw", bin3750, UseArchiveDownload, Device{}, WillFail, "only takes a .tar", "-tar- file", "%Tar checksum error", ""},
		{"bundle to archive download-sw", tar3750, UseArchiveDownload, Device{Platform: "c3750"}, OK, "archive download-sw will take it", "", "", ""},
		{"bundle for another platform", tar3750, UseArchiveDownload, Device{Platform: "c3560"}, WillFail, "for c3750 but the device is a c3560", "c3560 image", "", ""},
		{"bundle does not fit", tar3750, UseArchiveDownload, Device{FlashFree: 100000}, WillFail, "only 100,000 are free", "/overwrite", "", ""},
		{"bundle fits the dir flash listing", tar3750, UseArchiveDownload, Device{Flash: &listing}, OK, "", "", "", ""},
		{"bundle and a full flash", tar3750, UseArchiveDownload, Device{Flash: &full3750}, WillFail, "only 1,000 are free", "delete /force /recursive flash:c3750-ipbase-mz.122-25.SEC2.bin", "", ""},
		{"feature set change", tar3750, UseArchiveDownload, Device{RunningImage: "flash:c3750-ipservicesk9-mz.122-25.SEB4.bin"}, Warning, "", "", "", ""},
		{"IOS-XE bundle to archive download-sw", cat3k, UseArchiveDownload, Device{}, WillFail, "IOS-XE bundles", "software install", "", ""},
		{"truncated bundle", truncated, UseArchiveDownload, Device{}, WillFail, "cut short", "Download it again", "Premature end of tar file", ""},
		{"web page", html, UseLoaderBoot, Device{}, WillFail, "web page", "logged in", "", ""},
		{"hand-made tar", plainTar, UseArchiveDownload, Device{}, WillFail, "no Cisco info file", "", "flash:update/info", ""},
		{"tar to the boot loader", tar3750, UseLoaderBoot, Device{}, WillFail, "not bootable", "tar xf " + sw.FileName() + " " + sw.ImagePath(), "Error_Bad_Mzip", ""},
		{"bin to the boot loader", bin3750, UseLoaderBoot, Device{Platform: "c3750"}, OK, "boot loader can copy and boot it", "", "", ""},
		{"bin does not fit", bin3750, UseLoaderBoot, Device{FlashFree: 1000}, WillFail, "only 1,000 are free", "delete flash:", "", ""},
		{"downgrade", bin3750, UseLoaderBoot, Device{RunningVersion: "12.2(25)SEE1"}, Warning, "downgrade", "", "", ""},
		{"same release", bin3750, UseLoaderBoot, Device{RunningVersion: "12.2(25)SEB4"}, Warning, "already runs 12.2(25)SEB4", "", "", ""},
		{"unknown header with a Cisco name", unknown, UseLoaderBoot, Device{}, Warning, "header is none fieldcon knows", "MD5", "", ""},
		{"autonomous AP recovery", apK9w7, UseAPModeRecovery, Device{}, OK, "serve it as c1240-k9w7-tar.default", "", "", "c1240-k9w7-tar.default"},
		{"lightweight where autonomous is asked for", apK9w8, UseAPModeRecovery, Device{AskedFor: "c1240-k9w7-tar.default"}, WillFail, "lightweight (k9w8)", "k9w7", "", "c1240-k9w7-tar.default"},
		{"lightweight, nothing wanted", apK9w8, UseAPTarXtract, Device{}, Warning, "only work joined to a wireless controller", "k9w7", "", ""},
		{"autonomous where lightweight is wanted", apK9w7, UseAPTarXtract, Device{Want: APModeLightweight}, WillFail, "autonomous (k9w7)", "k9w8", "", ""},
		{"ap3g2 JF on a 3700", ap3g2JF, UseAPTarXtract, Device{Platform: "c3700"}, WillFail, "From 15.3(3)JF", "c3700 image", "not a valid IOS image archive", ""},
		{"ap3g2 JA on a 3700", ap3g2JA, UseAPTarXtract, Device{Platform: "c3700"}, Warning, "predates 15.3(3)JF", "", "", ""},
		{"c3700 on an ap3g2", c3700, UseAPModeRecovery, Device{Platform: "ap3g2"}, Warning, "c3700 images run only", "label", "", "ap3g2-k9w7-tar.default"},
		{"wrong AP platform", apK9w7, UseAPModeRecovery, Device{AskedFor: "c1140-k9w7-tar.default"}, WillFail, "for c1240 but the device is a c1140", "c1140", "not a valid IOS image archive", "c1140-k9w7-tar.default"},
		{"switch bundle to an AP", tar3750, UseAPTarXtract, Device{}, WillFail, "switch image", "", "", ""},
		{"bin to AP recovery", bin3750, UseAPModeRecovery, Device{}, WillFail, "fetches a .tar", "", "not a valid IOS image archive", ""},
		{"AP tar does not fit", apK9w7, UseAPTarXtract, Device{FlashFree: 1000}, WillFail, "only 1,000 are free", "", "", ""},
		{"AP recovery with little flash", apK9w7, UseAPModeRecovery, Device{FlashFree: 1000}, Warning, "only 1,000 are free", "", "", "c1240-k9w7-tar.default"},
		{"tar to ROMMON", tar3750, UseROMMONTftpdnld, Device{}, WillFail, "not bootable", "tar xf", "", ""},
		{"40 MB to an old ROMMON", bigBin, UseROMMONTftpdnld, Device{}, Warning, "33,553,920", "USB", "", "c2800nm-adventerprisek9-mz.124-24.T4.bin"},
		{"bigger than the whole flash", bigBin, UseROMMONTftpdnld, Device{Flash: &FlashListing{Total: 32 << 20, HasTotals: true}}, WillFail, "bigger than the whole flash", "", "", ""},
		{"switch bin to ROMMON", bin3750, UseROMMONTftpdnld, Device{}, Warning, "switch image", "", "", ""},
		{"bundle to Smart Install", tar3750, UseSmartInstall, Device{}, OK, "Smart Install can list it", "", "", sw.FileName()},
		{"bin to Smart Install", bin3750, UseSmartInstall, Device{}, WillFail, "take the .tar", "", "AUTOINSTALL: Error (1)", ""},
		{"3850 bin to Smart Install", cat3k, UseSmartInstall, Device{}, OK, "", "", "", ""},
		{"3.7.4E to 16.x by Smart Install", cat3k, UseSmartInstall, Device{RunningVersion: "03.07.04E"}, Warning, "CSCvd49193", "own CLI", "", ""},
		{"AP image to Smart Install", apK9w7, UseSmartInstall, Device{}, WillFail, "only upgrades switches", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(tt.img, tt.use, tt.dev)
			if v.Level != tt.level {
				t.Fatalf("Evaluate(%s, %s).Level = %s (%q), want %s", tt.img.Name, tt.use, v.Level, v.Reason, tt.level)
			}
			for _, c := range []struct{ field, got, want string }{
				{"Reason", v.Reason, tt.reason}, {"Fix", v.Fix, tt.fix}, {"DeviceSays", v.DeviceSays, tt.says}, {"AskedName", v.AskedName, tt.asked},
			} {
				if !strings.Contains(c.got, c.want) {
					t.Errorf("Evaluate(%s, %s).%s = %q, want it to contain %q", tt.img.Name, tt.use, c.field, c.got, c.want)
				}
			}
			if v.Level != OK && (v.Reason == "" || v.Fix == "") {
				t.Errorf("Evaluate(%s, %s) = %s with reason %q fix %q, want both", tt.img.Name, tt.use, v.Level, v.Reason, v.Fix)
			}
			if v.Level == OK && v.Reason == "" {
				t.Errorf("Evaluate(%s, %s) = OK with no reason", tt.img.Name, tt.use)
			}
		})
	}
}

func TestEvaluateAll(t *testing.T) {
	sw := bundle3750()
	img := mustInspect(t, sw.Bytes(), sw.FileName())
	vs := EvaluateAll(img, Device{})
	if len(vs) != len(AllUses()) {
		t.Fatalf("EvaluateAll() = %d verdicts, want %d", len(vs), len(AllUses()))
	}
	for i, v := range vs {
		if v.Use != AllUses()[i] {
			t.Errorf("EvaluateAll()[%d].Use = %s, want %s", i, v.Use, AllUses()[i])
		}
		for j := 1; j < len(v.Checks); j++ {
			if v.Checks[j].Level > v.Checks[j-1].Level {
				t.Errorf("EvaluateAll()[%d].Checks not worst first: %+v", i, v.Checks)
			}
		}
	}
}

func TestParseUse(t *testing.T) {
	for _, u := range AllUses() {
		got, err := ParseUse(strings.ToUpper(string(u)))
		if err != nil || got != u {
			t.Errorf("ParseUse(%q) = %q, %v; want %q", strings.ToUpper(string(u)), got, err, u)
		}
	}
	if _, err := ParseUse("copy-tftp"); !errors.Is(err, ErrUnknownUse) {
		t.Errorf("ParseUse(copy-tftp) error = %v, want ErrUnknownUse", err)
	}
}

func TestLevelText(t *testing.T) {
	for _, l := range []Level{OK, Warning, WillFail} {
		b, _ := l.MarshalText()
		var back Level
		if err := back.UnmarshalText(b); err != nil || back != l {
			t.Errorf("Level %s round trip = %s, %v", l, back, err)
		}
	}
	if got := thousands(33553920); got != "33,553,920" {
		t.Errorf("thousands(33553920) = %q, want 33,553,920", got)
	}
}
