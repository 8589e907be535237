package devsim

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// TarExtract is how an Aironet boot loader or AP IOS unpacks a -tar- bundle
// while it arrives: "examining image...", "extracting info (N bytes)", one
// "extracting NAME (N bytes)" line per file, and the failure strings of the
// field transcripts when the bundle is not one (field-notes §2(b), seed
// 000): "%Tar checksum error", "Premature end of tar file", "ERROR: Image is
// not a valid IOS image archive.".
type TarExtract struct {
	// Platform is the AP's platform code ("c1200"); a bundle whose info
	// names another platform is refused after its info file. "" accepts
	// any.
	Platform string
	// Source names the archive in messages ("tftp://10.0.0.2/x.tar").
	Source string
	// Print writes device lines.
	Print func(lines ...string) error
	// More, when set, is called after every MoreEvery extracting lines:
	// the loader's "-- MORE --" pager, which blocks the download until a
	// key comes.
	More      func() error
	MoreEvery int
	// Put stores an extracted file.
	Put func(name string, data []byte) error
}

// ExtractResult says how an extraction ended.
type ExtractResult struct {
	Files int
	Bytes int64
	// Image is the runnable image among the files ("DIR/DIR"), "" if none.
	Image string
	// Failure is the device's failure line, "" on success.
	Failure string
}

// OK says whether the bundle was unpacked whole.
func (r ExtractResult) OK() bool { return r.Failure == "" }

// Device strings.
const (
	notValidArchive = "ERROR: Image is not a valid IOS image archive."
	prematureEnd    = "Premature end of tar file"
)

// errStopped is returned by Print or More when the line broke; Run passes it
// on as is.
var errStopped = errors.New("extraction stopped")

// Run reads the bundle from r to its end. It returns an error only when
// Print, More or Put failed (the line broke); everything the bundle or the
// download does wrong is in the result, as the device says it.
func (x *TarExtract) Run(r io.Reader) (ExtractResult, error) {
	var res ExtractResult
	fail := func(lines ...string) (ExtractResult, error) {
		res.Failure = lines[0]
		return res, x.Print(lines...)
	}
	if err := x.Print("examining image..."); err != nil {
		return res, err
	}
	br := bufio.NewReaderSize(r, 4096)
	// A tar header is 512 bytes whose checksum covers itself; the loader
	// checks the first one before anything else.
	head, err := br.Peek(512)
	switch {
	case len(head) == 0 && err != nil:
		return fail(prematureEnd, notValidArchive)
	case len(head) < 512:
		return fail(prematureEnd, notValidArchive)
	case !tarChecksumOK(head):
		return fail("%Tar checksum error in "+x.Source, notValidArchive)
	}
	tr := tar.NewReader(br)
	lines := 0
	sawInfoVer := false
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, tar.ErrHeader) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return fail("%Tar checksum error in "+x.Source, notValidArchive)
			}
			return fail(prematureEnd, notValidArchive)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if i == 0 && name != "info" {
			return fail("Error opening flash:/update/info (no such file or directory)", notValidArchive)
		}
		if hdr.Typeflag == tar.TypeDir {
			if err := x.Print(strings.TrimSuffix(name, "/") + "/ (directory)"); err != nil {
				return res, err
			}
			continue
		}
		if hdr.Size < 0 || hdr.Size > 1<<30 {
			return fail("%Tar checksum error in "+x.Source, notValidArchive)
		}
		if err := x.Print(fmt.Sprintf("extracting %s (%d bytes)", name, hdr.Size)); err != nil {
			return res, err
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil || int64(len(data)) < hdr.Size {
			return fail(prematureEnd, notValidArchive)
		}
		if i == 0 && x.Platform != "" {
			if plat := infoPlatform(data); plat != "" && !strings.EqualFold(plat, x.Platform) {
				return fail(notValidArchive)
			}
		}
		if name == "info.ver" {
			sawInfoVer = true
		}
		if x.Put != nil {
			if err := x.Put(name, data); err != nil {
				return fail("%Error writing flash:/"+name+" (device full)", notValidArchive)
			}
		}
		res.Files++
		res.Bytes += hdr.Size
		if dir, file, ok := strings.Cut(name, "/"); ok && dir == file {
			res.Image = name
		}
		lines++
		if x.More != nil && x.MoreEvery > 0 && lines%x.MoreEvery == 0 {
			if err := x.More(); err != nil {
				return res, err
			}
		}
	}
	if !sawInfoVer {
		// Cisco bundles end with info.ver; a download that stopped at a
		// file boundary lacks it.
		return fail(prematureEnd, notValidArchive)
	}
	return res, nil
}

// tarChecksumOK checks a tar header block the way tar itself does (unsigned
// sum with the checksum field as blanks).
func tarChecksumOK(h []byte) bool {
	var sum int64
	for i, b := range h[:512] {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += int64(b)
	}
	field := strings.TrimRight(strings.TrimLeft(string(h[148:156]), " \x00"), " \x00")
	var want int64
	if field == "" {
		return false
	}
	for _, c := range field {
		if c < '0' || c > '7' {
			return false
		}
		want = want*8 + int64(c-'0')
	}
	return sum == want
}

// infoPlatform is the platform code of the image an info file describes
// (image_name: c1200-k9w7-mx.123-8.JA → c1200).
func infoPlatform(info []byte) string {
	for _, line := range strings.Split(string(info), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != "image_name" {
			continue
		}
		plat, _, _ := strings.Cut(strings.TrimSpace(v), "-")
		return plat
	}
	return ""
}
