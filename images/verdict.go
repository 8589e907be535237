package images

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Use is what the technician means to do with an image.
type Use string

// The uses a verdict can be asked for.
const (
	UseArchiveDownload Use = "archive-download-sw" // IOS `archive download-sw` (switch or LAP)
	UseLoaderBoot      Use = "loader-boot"         // copy to flash from the switch boot loader and boot
	UseAPTarXtract     Use = "ap-tar-xtract"       // `tar -xtract` at the ap: boot loader
	UseAPModeRecovery  Use = "ap-mode-recovery"    // MODE button held at power-on, TFTP broadcast
	UseROMMONTftpdnld  Use = "rommon-tftpdnld"     // router ROMMON `tftpdnld`
	UseSmartInstall    Use = "smart-install"       // an image in a Smart Install image list
)

// AllUses lists every Use in the order the TUI shows them.
func AllUses() []Use {
	return []Use{UseArchiveDownload, UseLoaderBoot, UseAPTarXtract, UseAPModeRecovery, UseROMMONTftpdnld, UseSmartInstall}
}

// ErrUnknownUse is returned by ParseUse.
var ErrUnknownUse = errors.New("unknown use")

// ParseUse reads a Use as written on the command line.
func ParseUse(s string) (Use, error) {
	for _, u := range AllUses() {
		if strings.EqualFold(s, string(u)) {
			return u, nil
		}
	}
	names := make([]string, 0, 6)
	for _, u := range AllUses() {
		names = append(names, string(u))
	}
	return "", fmt.Errorf("%w %q: pick one of %s", ErrUnknownUse, s, strings.Join(names, ", "))
}

// Describe says what the use is in the device's own words.
func (u Use) Describe() string {
	switch u {
	case UseArchiveDownload:
		return "archive download-sw"
	case UseLoaderBoot:
		return "boot from the switch boot loader"
	case UseAPTarXtract:
		return "tar -xtract at the ap: boot loader"
	case UseAPModeRecovery:
		return "AP MODE-button recovery"
	case UseROMMONTftpdnld:
		return "router ROMMON tftpdnld"
	case UseSmartInstall:
		return "Smart Install image list"
	}
	return string(u)
}

// Level is how a verdict ends.
type Level int

// Levels, from good to bad.
const (
	OK Level = iota
	Warning
	WillFail
)

func (l Level) String() string {
	switch l {
	case OK:
		return "OK"
	case Warning:
		return "warning"
	}
	return "will fail"
}

// MarshalText writes "ok", "warning" or "will-fail".
func (l Level) MarshalText() ([]byte, error) {
	return []byte(strings.ReplaceAll(strings.ToLower(l.String()), " ", "-")), nil
}

// UnmarshalText reads what MarshalText wrote.
func (l *Level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "ok":
		*l = OK
	case "warning":
		*l = Warning
	case "will-fail":
		*l = WillFail
	default:
		return fmt.Errorf("unknown verdict level %q", b)
	}
	return nil
}

// Device is what is known about the target; every field is optional.
type Device struct {
	// Platform is the platform code as image names spell it: "c3750",
	// "c1240", "ap3g2", "c3700", "cat3k_caa".
	Platform string
	// RunningVersion is the release it runs now ("12.2(25)SEB4", "03.07.04E").
	RunningVersion string
	// RunningImage is the image it booted ("flash:c3750-i5-mz.121-19.EA1d.bin").
	RunningImage string
	// AskedFor is the file name the device asked for over TFTP
	// ("c1240-k9w7-tar.default" in MODE-button recovery).
	AskedFor string
	// Want says which AP mode the technician is after, when known.
	Want APMode
	// Flash is the parsed `dir flash:`; FlashFree is used when Flash is nil or
	// has no totals, and counts only when positive.
	Flash     *FlashListing
	FlashFree int64
}

// Check is one finding behind a verdict.
type Check struct {
	Level  Level  `json:"level"`
	Reason string `json:"reason"`
	Fix    string `json:"fix,omitempty"`
	// DeviceSays is what the device prints when this goes wrong.
	DeviceSays string `json:"device_says,omitempty"`
}

// Verdict says whether an image will work for one use. Level, Reason, Fix and
// DeviceSays are those of the worst check.
type Verdict struct {
	Use        Use    `json:"use"`
	Level      Level  `json:"level"`
	Reason     string `json:"reason"`
	Fix        string `json:"fix,omitempty"`
	DeviceSays string `json:"device_says,omitempty"`
	// AskedName is the file name the device will ask for, where it asks
	// ("c1240-k9w7-tar.default"), or the name to type (TFTP_FILE).
	AskedName string `json:"asked_name,omitempty"`
	// BootPath is where the runnable image lands in flash, when known.
	BootPath string `json:"boot_path,omitempty"`
	// Checks are all findings, worst first.
	Checks []Check `json:"checks,omitempty"`
}

// tftpBlockLimit is the largest file a TFTP client that cannot roll its block
// counter over can fetch at 512-byte blocks: a 2650XM stopped at exactly
// 33,553,920 bytes with the server waiting for "Ack block #65536".
const tftpBlockLimit = 65535 * 512

// xmodemBytesPerSecond is XMODEM-1K at 115200 baud, about 11 KB/s.
const xmodemBytesPerSecond = 11 << 10

// apPlatformChange is the release from which 1700/2700/3700 APs use c3700
// images instead of ap3g2.
func apPlatformChange() Version { return Version{Major: 15, Minor: 3, Rebuild: "3", Train: "JF"} }

// EvaluateAll gives a verdict for every use.
func EvaluateAll(img *Image, dev Device) []Verdict {
	out := make([]Verdict, 0, 6)
	for _, u := range AllUses() {
		out = append(out, Evaluate(img, u, dev))
	}
	return out
}

// Evaluate says whether img will work for use on dev.
func Evaluate(img *Image, use Use, dev Device) Verdict {
	e := newEvaluation(img, use, dev)
	e.content()
	switch use {
	case UseArchiveDownload:
		e.archiveDownload()
	case UseLoaderBoot:
		e.loaderBoot()
	case UseAPTarXtract:
		e.apTarXtract()
	case UseAPModeRecovery:
		e.apModeRecovery()
	case UseROMMONTftpdnld:
		e.rommon()
	case UseSmartInstall:
		e.smartInstall()
	default:
		e.fail("fieldcon has no rules for this use.", "Pick one of "+strings.TrimSpace(fmt.Sprint(AllUses()))+".", "")
	}
	e.integrity()
	return e.verdict()
}

// evaluation collects checks for one image and use.
type evaluation struct {
	img *Image
	use Use
	dev Device
	v   Verdict

	id       Name
	platform string // image platform code
	family   string // info image_family, lower case
	devPlat  string // device platform code, from any fact that gives it
	want     APMode
	running  Version
	runName  Name
	okReason string
}

func newEvaluation(img *Image, use Use, dev Device) *evaluation {
	e := &evaluation{img: img, use: use, dev: dev, v: Verdict{Use: use}}
	e.id = img.Identity()
	e.platform = img.Platform()
	e.family = strings.ToLower(img.Info.Family())
	e.runName = ParseName(dev.RunningImage)
	e.running = ParseVersion(dev.RunningVersion)
	if e.running.IsZero() {
		e.running = e.runName.Version
	}
	asked := ParseName(dev.AskedFor)
	switch {
	case dev.Platform != "":
		e.devPlat = strings.ToLower(strings.TrimSpace(dev.Platform))
	case asked.OK():
		e.devPlat = asked.Platform
	case e.runName.OK():
		e.devPlat = e.runName.Platform
	}
	e.want = dev.Want
	if e.want == APModeNone && asked.OK() {
		e.want = asked.APMode
	}
	return e
}

func (e *evaluation) add(l Level, reason, fix, says string) {
	e.v.Checks = append(e.v.Checks, Check{Level: l, Reason: reason, Fix: fix, DeviceSays: says})
}
func (e *evaluation) fail(reason, fix, says string) { e.add(WillFail, reason, fix, says) }
func (e *evaluation) warn(reason, fix string)       { e.add(Warning, reason, fix, "") }

func (e *evaluation) verdict() Verdict {
	v := e.v
	sort.SliceStable(v.Checks, func(i, j int) bool { return v.Checks[i].Level > v.Checks[j].Level })
	if len(v.Checks) == 0 {
		v.Level, v.Reason = OK, e.okReason
		return v
	}
	worst := v.Checks[0]
	v.Level, v.Reason, v.Fix, v.DeviceSays = worst.Level, worst.Reason, worst.Fix, worst.DeviceSays
	return v
}

func (e *evaluation) isBundle() bool { return e.img.Format == FormatCiscoTar }
func (e *evaluation) isTar() bool {
	return e.img.Format == FormatCiscoTar || e.img.Format == FormatTar
}
func (e *evaluation) isBin() bool { return e.img.Format == FormatIOSBin }
func (e *evaluation) describe() string {
	s := e.platform
	if v := e.id.Version.String(); v != "" {
		s += " " + v
	}
	if s == "" {
		return e.img.Name
	}
	return s
}

// content checks what the file is, whatever it is used for.
func (e *evaluation) content() {
	img := e.img
	switch img.Format {
	case FormatEmpty:
		e.fail("The file is empty.", "Download it again.", "")
	case FormatHTML:
		e.fail("This is a web page (a login or error page saved instead of the image).", "Download the image again while logged in to cisco.com.", "")
	case FormatGzip, FormatZip:
		e.fail("This is a compressed archive, not an image.", "Unpack it and use the .bin or .tar inside.", "")
	case FormatText:
		e.fail("This is a text file, not an image.", "Pick the image itself, not its README or an image list.", "")
	case FormatUnknown:
		if e.img.FileName.OK() {
			e.warn("The header is none fieldcon knows (ELF, MZIP, U-Boot or tar), so it cannot vouch for the file.",
				"Compare its MD5 with the one cisco.com publishes before sending it.")
		} else {
			e.fail("This does not look like a Cisco image: no ELF, MZIP, U-Boot or tar header.", "Pick the .bin or .tar downloaded from cisco.com.", "")
		}
	}
}

// integrity checks the file is whole; it runs after the use's own rules, so
// "this is a .bin, not a .tar" comes before "and it is cut short".
func (e *evaluation) integrity() {
	img := e.img
	if img.Corrupt {
		at := int64(0)
		if img.Tar != nil {
			at = img.Tar.CorruptAt
		}
		e.fail(fmt.Sprintf("The file is damaged (bad tar header at byte %d).", at), "Download it again and compare the MD5 with cisco.com.", "%Tar checksum error")
	}
	if img.Truncated {
		says := "Premature end of tar file"
		if e.isBin() {
			says = ""
			if img.Bin != nil && img.Bin.Kind == "MZIP" && e.use == UseLoaderBoot {
				says = "Error_Bad_Mzip"
			}
		}
		e.fail(fmt.Sprintf("The file is cut short (%s bytes): the download did not finish.", thousands(img.Size)),
			"Download it again and compare the MD5 with cisco.com.", says)
	}
	if !img.InfoVerMatches {
		e.fail("info.ver and info describe different images: the file was pieced together from two downloads.", "Download it again.", "")
	}
	if fn := img.FileName; fn.OK() && !fn.Default && e.id.OK() && fn.Platform != e.id.Platform {
		e.warn(fmt.Sprintf("The file name says %s but the content is for %s.", fn.Platform, e.id.Platform),
			"Rename the file after its content so nobody serves it to the wrong device.")
	}
}

// platform compares the image with the device's platform code.
func (e *evaluation) platformMatch() {
	dp, ip := e.devPlat, e.platform
	if dp == "" || ip == "" || dp == ip || dp == e.family {
		return
	}
	cmp, ok := CompareVersions(e.id.Version, apPlatformChange())
	switch {
	case dp == "c3700" && ip == "ap3g2":
		if ok && cmp >= 0 {
			e.fail("From 15.3(3)JF the 1700/2700/3700 APs take c3700 images; this ap3g2 image is for the 1600/2600/3600.",
				"Use the c3700 image of the same release.", "ERROR: Image is not a valid IOS image archive.")
			return
		}
		e.warn("This ap3g2 image predates 15.3(3)JF, the release from which 1700/2700/3700 APs use c3700 images.",
			"Prefer the c3700 image unless you really need this older release.")
	case dp == "ap3g2" && ip == "c3700":
		e.warn("c3700 images run only on 1700/2700/3700 APs (ap3g2 before 15.3(3)JF); a 1600/2600/3600 needs the ap3g2 image.",
			"Check the model on the AP's label: AIR-CAP37xx/27xx/17xx take c3700, 36xx/26xx/16xx keep ap3g2.")
	default:
		says := ""
		if e.use == UseAPModeRecovery || e.use == UseArchiveDownload {
			says = "ERROR: Image is not a valid IOS image archive."
		}
		e.fail(fmt.Sprintf("This image is for %s but the device is a %s.", ip, dp),
			fmt.Sprintf("Use a %s image.", dp), says)
	}
}

// apMode checks autonomous against lightweight.
func (e *evaluation) apMode() {
	mode := e.id.APMode
	if mode == APModeNone {
		return
	}
	switch {
	case e.want == APModeAutonomous && mode != APModeAutonomous:
		e.fail(fmt.Sprintf("This is a %s (k9w8) image but an autonomous one is wanted: the AP would only look for a controller.", mode),
			"Use the k9w7 image for the same platform.", "")
	case (e.want == APModeLightweight || e.want == APModeRecovery) && mode == APModeAutonomous:
		e.fail("This is an autonomous (k9w7) image but a lightweight one is wanted.",
			"Use the k9w8 image, or let the wireless controller load it.", "")
	case e.want == APModeNone && mode == APModeRecovery:
		e.warn("This is the lightweight recovery image (rcvk9w8): it only fetches a full image from a wireless controller.",
			"Use a k9w7 (autonomous) or full k9w8 image unless a controller is on this network.")
	case e.want == APModeNone && mode == APModeLightweight:
		e.warn("This is a lightweight (k9w8) image: the AP will only work joined to a wireless controller.",
			"If the AP has to work on its own, use the k9w7 image.")
	}
}

// needsAP complains when a non-AP image goes to an AP loader.
func (e *evaluation) needsAP() {
	switch e.id.Kind {
	case KindAccessPoint:
	case KindUnknown:
		if e.isTar() {
			e.warn("Nothing in the name or info file says this is an access point image.",
				"Check it is the k9w7 or k9w8 tar for the AP's platform.")
		}
	default:
		e.fail(fmt.Sprintf("This is %s image; the AP boot loader needs an access point tar (k9w7 or k9w8).", article(e.id.Kind)),
			"Use the -tar- file for the AP's platform.", "")
	}
}

// free is the free flash, when known.
func (e *evaluation) free() (int64, bool) {
	if l := e.dev.Flash; l != nil && l.HasTotals {
		return l.Free, true
	}
	return e.dev.FlashFree, e.dev.FlashFree > 0
}

// installBytes is what the image takes once in flash: the info file's total
// for a bundle (extracted, HTML files included), the file size otherwise.
func (e *evaluation) installBytes() int64 {
	if e.isTar() {
		if t := e.img.Info.Image().TotalSize; t > 0 {
			return t
		}
		if e.img.Tar != nil && e.img.Tar.ContentBytes > 0 {
			return e.img.Tar.ContentBytes
		}
	}
	return e.img.Size
}

// oldImage names an image already in flash, for the fix.
func (e *evaluation) oldImage() string {
	if l := e.dev.Flash; l != nil {
		for _, en := range l.Images() {
			return en.Name
		}
	}
	return ""
}

func (e *evaluation) fits(level Level, fix string) {
	free, ok := e.free()
	need := e.installBytes()
	if !ok || need <= free {
		return
	}
	reason := fmt.Sprintf("It needs %s bytes of flash but only %s are free.", thousands(need), thousands(free))
	if level == WillFail {
		e.fail(reason, fix, "")
	} else {
		e.warn(reason, fix)
	}
}

func (e *evaluation) versionAgainstRunning() {
	cmp, ok := CompareVersions(e.id.Version, e.running)
	switch {
	case !ok:
	case cmp == 0:
		e.warn(fmt.Sprintf("The device already runs %s.", e.running), "Nothing to do unless you mean to reinstall the same release.")
	case cmp < 0:
		e.warn(fmt.Sprintf("This is older than the running %s: a downgrade.", e.running),
			"Make sure you mean to go back; the saved config may use commands the older release lacks.")
	}
}

// tftpSize warns about clients that cannot roll the block counter over.
func (e *evaluation) tftpSize(who string) {
	if e.img.Size <= tftpBlockLimit {
		return
	}
	e.warn(fmt.Sprintf("Older %s stop at 33,553,920 bytes (block 65535 at 512-byte TFTP blocks); this file is %s bytes.", who, thousands(e.img.Size)),
		"If the transfer stalls there, boot a smaller image first and copy this one from IOS, or use a USB stick or CompactFlash.")
}

func (e *evaluation) archiveDownload() {
	switch {
	case e.isBin() && (e.id.XE || e.id.Version.IsDotted()):
		e.fail("IOS-XE bundles are not installed with archive download-sw.",
			"Use `software install file flash:NAME` on 16.x, or `request platform software package install switch all file flash:NAME` on 3.x.", "")
	case e.isBin():
		e.fail("archive download-sw only takes a .tar bundle; this is a .bin.",
			"Download the -tar- file of the same release, or copy this .bin with `copy tftp: flash:` and point `boot system` at it.",
			"%Tar checksum error … %Error opening flash:update/info (No such file or directory) … ERROR: Image is not a valid IOS image archive.")
	case e.img.Format == FormatTar:
		e.fail("This tar has no Cisco info file at its start, so the device cannot read it as an image archive.",
			"Use the -tar- bundle from cisco.com; a tar made by hand will not install.",
			"%Error opening flash:update/info (No such file or directory)")
	case !e.isTar():
		e.fail("archive download-sw only takes a Cisco .tar bundle; this is not a tar archive.",
			"Download the -tar- file for the device from cisco.com.", "ERROR: Image is not a valid IOS image archive.")
	}
	if !e.isTar() {
		return
	}
	switch e.id.Kind {
	case KindRouter, KindWLController:
		e.warn(fmt.Sprintf("This is %s image; archive download-sw is for Catalyst switches and access points.", article(e.id.Kind)),
			"Check the image is meant for this device.")
	}
	e.platformMatch()
	e.apMode()
	fix := "Run archive download-sw /overwrite to replace the old image, or delete the old image first."
	if old := e.oldImage(); old != "" {
		fix = fmt.Sprintf("Run archive download-sw /overwrite to replace the old image, or free space with `delete /force /recursive flash:%s`.", old)
	}
	e.fits(WillFail, fix)
	e.versionAgainstRunning()
	if rf, f := e.runName.FeatureSet, e.id.FeatureSet; rf != "" && f != "" && rf != f && e.id.Kind != KindAccessPoint {
		e.warn(fmt.Sprintf("The device runs the %s feature set and this image is %s: archive download-sw refuses a feature-set change by default.", rf, f),
			"Add /allow-feature-upgrade (12.2(35)SE and later).")
	}
	e.okReason = fmt.Sprintf("Cisco bundle for %s with info and info.ver intact; archive download-sw will take it.", e.describe())
}

func (e *evaluation) bootPath() string {
	if e.isTar() && e.img.Tar != nil && e.img.Tar.ImageMember != "" {
		return "flash:/" + e.img.Tar.ImageMember
	}
	if e.isBin() && e.img.Name != "" {
		return "flash:" + e.img.Name
	}
	return ""
}

func (e *evaluation) extractFix() string {
	if e.img.Tar != nil && e.img.Tar.ImageMember != "" {
		return fmt.Sprintf("Extract the image from it (`tar xf %s %s`) and send %s.", e.img.Name, e.img.Tar.ImageMember, lastElem(e.img.Tar.ImageMember))
	}
	return "Extract the .bin from it and send that."
}

func (e *evaluation) loaderBoot() {
	if e.isTar() {
		e.fail("A .tar is not bootable; only the .bin inside it is.", e.extractFix(), "Error_Bad_Mzip")
		return
	}
	if !e.isBin() {
		return
	}
	e.v.BootPath = e.bootPath()
	switch e.id.Kind {
	case KindRouter:
		e.warn("This looks like a router image; the switch boot loader cannot run it.", "Use the image for the switch's platform.")
	}
	e.platformMatch()
	fix := "Delete an old image first (`delete flash:NAME`)."
	if old := e.oldImage(); old != "" {
		fix = fmt.Sprintf("Delete an old image first (`delete flash:%s`).", old)
	}
	e.fits(WillFail, fix)
	if minutes := e.img.Size / xmodemBytesPerSecond / 60; minutes >= 45 {
		e.warn(fmt.Sprintf("Over XMODEM at 115200 baud this takes about %d minutes.", minutes),
			"If the loader has an Ethernet management port, copy it over TFTP instead.")
	}
	e.versionAgainstRunning()
	e.okReason = fmt.Sprintf("Runnable %s image %s; the boot loader can copy and boot it.", e.describe(), e.binDetail())
}

func (e *evaluation) binDetail() string {
	if e.img.Bin != nil {
		return "with a whole " + e.img.Bin.Kind + " header"
	}
	return "with no header fieldcon knows"
}

func (e *evaluation) apTarXtract() {
	if e.isBin() {
		e.fail("tar -xtract needs the .tar bundle; this is a runnable .bin.",
			"Use the -tar- file of the same release for the AP's platform.", "")
		return
	}
	if !e.isTar() {
		e.fail("tar -xtract needs a .tar bundle; this is not a tar archive.", "Use the -tar- file for the AP's platform.", "")
		return
	}
	if e.img.Format == FormatTar {
		e.warn("This tar has no Cisco info file; the AP will unpack it but you must find the image to boot yourself.",
			"Prefer the -tar- bundle from cisco.com.")
	}
	e.v.BootPath = e.bootPath()
	e.needsAP()
	e.platformMatch()
	e.apMode()
	e.fits(WillFail, "Delete the old image directory first, or `format flash:` if nothing else is needed on it.")
	e.tftpSize("AP boot loaders")
	e.versionAgainstRunning()
	e.okReason = fmt.Sprintf("Access point bundle for %s (%s); tar -xtract will unpack it into flash.", e.describe(), e.id.APMode)
}

func (e *evaluation) apModeRecovery() {
	platform := e.devPlat
	if platform == "" {
		platform = e.platform
	}
	want := e.want
	if want == APModeNone {
		want = APModeAutonomous
		if e.id.APMode == APModeLightweight {
			want = APModeLightweight
		}
	}
	e.v.AskedName = e.dev.AskedFor
	if e.v.AskedName == "" && platformKind(platform, e.id.APMode) == KindAccessPoint {
		e.v.AskedName = DefaultRecoveryName(platform, want)
	}
	if e.isBin() {
		e.fail("MODE-button recovery fetches a .tar bundle; this is a runnable .bin.",
			"Use the k9w7 -tar- file for the AP's platform.", "ERROR: Image is not a valid IOS image archive.")
		return
	}
	if e.img.Format == FormatTar {
		e.fail("This tar has no Cisco info file, which recovery reads first.",
			"Use the -tar- bundle from cisco.com.", "Error opening flash:/update/info (no such file or directory)")
	}
	if !e.isTar() {
		e.fail("MODE-button recovery fetches a .tar bundle; this is not a tar archive.",
			"Use the k9w7 -tar- file for the AP's platform.", "ERROR: Image is not a valid IOS image archive.")
		return
	}
	e.v.BootPath = e.bootPath()
	e.needsAP()
	e.platformMatch()
	e.apMode()
	e.fits(Warning, "Recovery replaces the old image, but if it stops with a flash error, format flash: from the ap: prompt and extract again.")
	e.tftpSize("AP boot loaders")
	e.okReason = fmt.Sprintf("Access point bundle for %s (%s); serve it as %s.", e.describe(), e.id.APMode, e.v.AskedName)
}

func (e *evaluation) rommon() {
	if e.isTar() {
		e.fail("ROMMON boots a runnable .bin; a .tar is not bootable.", e.extractFix(), "")
		return
	}
	if !e.isBin() {
		return
	}
	e.v.AskedName = e.img.Name
	switch e.id.Kind {
	case KindSwitch, KindAccessPoint:
		e.warn(fmt.Sprintf("This looks like %s image; tftpdnld is the router ROMMON command.", article(e.id.Kind)),
			"Use the image for the router's platform.")
	}
	e.platformMatch()
	e.tftpSize("ROMMONs")
	// tftpdnld erases the whole flash, so only the total size counts.
	if l := e.dev.Flash; l != nil && l.Total > 0 && e.img.Size > l.Total {
		e.fail(fmt.Sprintf("The image (%s bytes) is bigger than the whole flash (%s bytes).", thousands(e.img.Size), thousands(l.Total)),
			"Use a smaller feature set or a bigger flash card.", "")
	}
	e.versionAgainstRunning()
	e.okReason = fmt.Sprintf("Runnable %s image %s; set TFTP_FILE=%s and run tftpdnld.", e.describe(), e.binDetail(), e.img.Name)
}

// takesBin says whether Smart Install takes a .bin for this platform
// (Catalyst 3850/3650 images exist only as .bin bundles).
func takesBin(n Name, family string) bool {
	p := n.Platform
	return strings.HasPrefix(p, "cat3k") || p == "c3850" || p == "c3650" ||
		strings.Contains(family, "3850") || strings.Contains(family, "3650")
}

func (e *evaluation) smartInstall() {
	e.v.AskedName = e.img.Name
	switch {
	case e.isBin() && takesBin(e.id, e.family):
	case e.isBin():
		e.fail("Smart Install image lists take the .tar bundle; only Catalyst 3850/3650 take a .bin.",
			"Use the -tar- file of the same release.",
			"AUTOINSTALL: Error (1) Image is not a valid IOS image archive or not existing")
		return
	case e.img.Format == FormatTar:
		e.fail("This tar has no Cisco info file, so the client cannot install it.",
			"Use the -tar- bundle from cisco.com.", "%Error opening flash:update/info (No such file or directory)")
	}
	if !e.isTar() && !e.isBin() {
		e.fail("Smart Install needs a .tar bundle (a .bin for 3850/3650); this is neither.", "Use the -tar- file for the switch.", "")
		return
	}
	switch e.id.Kind {
	case KindAccessPoint, KindRouter, KindWLController:
		e.fail(fmt.Sprintf("This is %s image; Smart Install only upgrades switches.", article(e.id.Kind)), "Use the switch's -tar- image.", "")
	}
	e.platformMatch()
	if e.running.IsDotted() && len(e.running.Dotted) > 0 && e.running.Dotted[0] == 3 &&
		e.id.Version.IsDotted() && e.id.Version.Dotted[0] >= 16 {
		e.warn(fmt.Sprintf("Smart Install upgrades from IOS-XE 3.x to 16.x are known to fail (3.7.4E to 16.3.6, CSCvd49193); the client runs %s.", e.running),
			"Upgrade this switch from its own CLI instead.")
	}
	e.fits(Warning, "Free flash on the client before the join window opens, or its upgrade will fail.")
	e.versionAgainstRunning()
	e.okReason = fmt.Sprintf("Image for %s; Smart Install can list it as %s.", e.describe(), e.img.Name)
}

// article puts "a" or "an" before a kind.
func article(k Kind) string {
	if strings.ContainsAny(string(k)[:1], "aeiou") {
		return "an " + string(k)
	}
	return "a " + string(k)
}

func lastElem(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// thousands writes 33553920 as "33,553,920", the way sizes are easiest to
// compare with `dir flash:`.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
