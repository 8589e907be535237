package images

import (
	"fmt"
	"io"
	"strings"
)

// WriteReport writes an inspection and its verdicts as text for a terminal.
func WriteReport(w io.Writer, img *Image, verdicts []Verdict) error {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "  %-12s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(&b, "%s  (%s bytes)\n", img.Name, thousands(img.Size))

	format := img.Format.Describe()
	if t := img.Tar; t != nil {
		switch {
		case img.Format == FormatCiscoTar && t.InfoVerLast:
			format += ": info first, info.ver last"
		case img.Format == FormatCiscoTar && t.HasInfoVer:
			format += ": info first, info.ver not last"
		case img.Format == FormatCiscoTar:
			format += ": info first, no info.ver"
		}
		format += fmt.Sprintf(", %d members", t.Members)
	}
	line("format", "%s", format)

	id := img.Identity()
	if id.OK() {
		parts := []string{id.Platform}
		if id.Kind != KindUnknown {
			parts[0] += " (" + string(id.Kind) + ")"
		}
		if id.APMode != APModeNone {
			parts = append(parts, string(id.APMode))
		}
		parts = append(parts, "feature set "+id.FeatureSet)
		if v := id.Version.String(); v != "" {
			parts = append(parts, v)
		}
		if v := id.IOSVersion.String(); v != "" {
			parts = append(parts, "IOS "+v)
		}
		line("platform", "%s", strings.Join(parts, ", "))
	}
	if img.Tar != nil && img.Tar.ImageMember != "" {
		detail := ""
		if img.Bin != nil {
			detail = ", " + img.Bin.Detail
		}
		line("image", "%s, %s bytes%s", img.Tar.ImageMember, thousands(img.Tar.ImageMemberSize), detail)
	} else if img.Bin != nil {
		line("header", "%s", img.Bin.Detail)
	}
	if im := img.Info.Image(); im.Name != "" {
		if im.IOSImageSize > 0 || im.TotalSize > 0 {
			line("flash", "%s bytes for the image, %s bytes installed", thousands(im.IOSImageSize), thousands(im.TotalSize))
		}
		if im.MinDRAM > 0 {
			line("min DRAM", "%d MB", im.MinDRAM>>20)
		}
		if im.Family != "" {
			line("family", "%s", im.Family)
		}
		if im.Feature != "" {
			line("features", "%s", im.Feature)
		}
		if len(im.BoardIDs) > 0 {
			line("board ids", "%s", strings.Join(im.BoardIDs, " "))
		}
	}
	if img.MD5 != "" {
		line("MD5", "%s", img.MD5)
		line("SHA-512", "%s", img.SHA512)
	}
	for _, p := range img.Problems {
		line("problem", "%s", p)
	}
	if len(verdicts) > 0 {
		b.WriteString("\n")
	}
	for _, v := range verdicts {
		fmt.Fprintf(&b, "  %-20s %-10s %s\n", v.Use, v.Level, v.Reason)
		pad := strings.Repeat(" ", 34)
		if v.Fix != "" {
			fmt.Fprintf(&b, "%sfix: %s\n", pad, v.Fix)
		}
		if v.DeviceSays != "" {
			fmt.Fprintf(&b, "%sdevice says: %s\n", pad, v.DeviceSays)
		}
		if v.AskedName != "" && v.Use == UseAPModeRecovery {
			fmt.Fprintf(&b, "%sthe AP asks for: %s\n", pad, v.AskedName)
		}
		if v.BootPath != "" && v.Level != WillFail {
			fmt.Fprintf(&b, "%sboot: %s\n", pad, v.BootPath)
		}
		for _, c := range v.Checks[min(1, len(v.Checks)):] {
			fmt.Fprintf(&b, "%salso (%s): %s\n", pad, c.Level, c.Reason)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
