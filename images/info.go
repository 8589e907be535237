package images

import (
	"strconv"
	"strings"
)

// Info is the parsed `info` file at the start of a Cisco tar bundle (and its
// copy `info.ver` at the end). It looks like this:
//
//	version_suffix: ipbasek9-122-25.SEB4
//	version_directory: c3750-ipbasek9-mz.122-25.SEB4
//	image_name: c3750-ipbasek9-mz.122-25.SEB4.bin
//	ios_image_file_size: 6398464
//	total_image_file_size: 8113664
//	image_feature: IP|LAYER_3|PLUS|MIN_DRAM_MEG=128
//	image_family: C3750
//	board_ids: 0x00000009 0x0000000a
//	info_end:
//
// Newer bundles put a short header section (system_type, image_family,
// stacking_number) before the image section; a bundle for several families has
// one image section each. The same fields as a switch prints them during
// archive download-sw ("Ios Image File Size: 0x004BA200") parse too.
type Info struct {
	Sections []InfoSection `json:"sections"`
	// Images has one entry per section that names an image, in file order.
	Images []InfoImage `json:"images,omitempty"`
}

// InfoSection is one block of fields ended by "info_end:".
type InfoSection struct {
	Fields []InfoField `json:"fields"`
}

// InfoField is one "key: value" line; Key is lower case with underscores.
type InfoField struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// InfoImage is what an image section says about one IOS image.
type InfoImage struct {
	Name          string `json:"image_name,omitempty"`
	Directory     string `json:"image_directory,omitempty"`
	VersionSuffix string `json:"version_suffix,omitempty"`
	Family        string `json:"family,omitempty"`
	// IOSImageSize and TotalSize are Cisco's estimates of the flash needed for
	// the image alone and for everything the bundle installs.
	IOSImageSize int64    `json:"ios_image_file_size,omitempty"`
	TotalSize    int64    `json:"total_image_file_size,omitempty"`
	MinDRAM      int64    `json:"min_dram,omitempty"` // bytes
	Feature      string   `json:"image_feature,omitempty"`
	Features     []string `json:"features,omitempty"`
	BoardIDs     []string `json:"board_ids,omitempty"`
	SystemTypeID string   `json:"system_type_id,omitempty"`
	Stacking     string   `json:"stacking_number,omitempty"`
}

// Path is where the image sits inside the bundle: "<directory>/<name>".
func (im InfoImage) Path() string {
	switch {
	case im.Name == "":
		return ""
	case im.Directory == "":
		return im.Name
	}
	return im.Directory + "/" + im.Name
}

// Get returns the first value of key in the section.
func (s InfoSection) Get(key string) (string, bool) {
	for _, f := range s.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// Image returns the first image section, or the zero InfoImage.
func (in *Info) Image() InfoImage {
	if in == nil || len(in.Images) == 0 {
		return InfoImage{}
	}
	return in.Images[0]
}

// Family returns the image family from any section ("C3750").
func (in *Info) Family() string {
	if in == nil {
		return ""
	}
	if f := in.Image().Family; f != "" {
		return f
	}
	for _, s := range in.Sections {
		if v, ok := s.Get("image_family"); ok && v != "" {
			return v
		}
	}
	return ""
}

// Limits that keep a hostile info file from costing memory.
const (
	maxInfoSections = 64
	maxInfoFields   = 256
	maxInfoValue    = 4096
	maxBoardIDs     = 512
)

// keyAlias maps the spellings a switch prints during archive download-sw to
// the file's keys.
func keyAlias(k string) string {
	switch k {
	case "image_suffix":
		return "version_suffix"
	case "image_directory":
		return "version_directory"
	case "minimum_dram_required":
		return "image_min_dram"
	case "stacking_version_number":
		return "stacking_number"
	}
	return k
}

// ParseInfo parses an info or info.ver file. It never fails: lines it cannot
// read are skipped, and an info file with no known field gives an Info with
// no sections.
func ParseInfo(b []byte) *Info {
	in := &Info{}
	var cur *InfoSection
	flush := func() {
		if cur != nil && len(cur.Fields) > 0 && len(in.Sections) < maxInfoSections {
			in.Sections = append(in.Sections, *cur)
		}
		cur = nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(strings.TrimRight(line, "\r\x00"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, hasColon := strings.Cut(line, ":")
		key = normaliseKey(key)
		if key == "info_end" {
			flush()
			continue
		}
		if !hasColon || key == "" {
			// A wrapped board_ids line continues the previous field.
			if cur != nil && len(cur.Fields) > 0 && strings.HasPrefix(line, "0x") {
				last := &cur.Fields[len(cur.Fields)-1]
				if len(last.Value)+len(line) < maxInfoValue {
					last.Value += " " + line
				}
			}
			continue
		}
		if cur == nil {
			cur = &InfoSection{}
		}
		if len(cur.Fields) >= maxInfoFields {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) > maxInfoValue {
			value = value[:maxInfoValue]
		}
		cur.Fields = append(cur.Fields, InfoField{Key: key, Value: value})
	}
	flush()
	for _, s := range in.Sections {
		if _, ok := s.Get("image_name"); ok {
			in.Images = append(in.Images, imageFromSection(s))
		}
	}
	return in
}

func normaliseKey(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	if len(k) > 64 {
		return ""
	}
	return keyAlias(strings.Join(strings.Fields(k), "_"))
}

func imageFromSection(s InfoSection) InfoImage {
	var im InfoImage
	for _, f := range s.Fields {
		switch f.Key {
		case "image_name":
			im.Name = f.Value
		case "version_directory":
			im.Directory = strings.Trim(f.Value, "/")
		case "version_suffix":
			im.VersionSuffix = f.Value
		case "image_family":
			im.Family = f.Value
		case "ios_image_file_size":
			im.IOSImageSize = parseInfoNumber(f.Value)
		case "total_image_file_size":
			im.TotalSize = parseInfoNumber(f.Value)
		case "image_min_dram":
			n := parseInfoNumber(f.Value)
			if n > 0 && n < 1<<16 {
				n <<= 20 // a small number is megabytes
			}
			im.MinDRAM = n
		case "image_feature":
			im.Feature = f.Value
			for _, ft := range strings.Split(f.Value, "|") {
				ft = strings.TrimSpace(ft)
				if ft == "" {
					continue
				}
				if mb, ok := strings.CutPrefix(ft, "MIN_DRAM_MEG="); ok && im.MinDRAM == 0 {
					if n, err := strconv.ParseInt(mb, 10, 32); err == nil && n > 0 {
						im.MinDRAM = n << 20
					}
				}
				im.Features = append(im.Features, ft)
			}
		case "image_system_type_id":
			im.SystemTypeID = f.Value
		case "stacking_number":
			im.Stacking = f.Value
		case "board_ids":
			for _, id := range strings.Fields(f.Value) {
				if len(im.BoardIDs) < maxBoardIDs {
					im.BoardIDs = append(im.BoardIDs, id)
				}
			}
		}
	}
	return im
}

// parseInfoNumber reads "6398464" or "0x004BA200"; anything else is 0.
func parseInfoNumber(s string) int64 {
	s = strings.TrimSpace(s)
	if f := strings.Fields(s); len(f) > 0 {
		s = f[0]
	}
	var n int64
	var err error
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		n, err = strconv.ParseInt(h, 16, 64)
	} else {
		n, err = strconv.ParseInt(s, 10, 64)
	}
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// sameImage reports whether info and info.ver describe the same image; Cisco
// writes the same content into both, so a difference means the file was put
// together from two downloads.
func sameImage(a, b *Info) bool {
	x, y := a.Image(), b.Image()
	return x.Name == y.Name && x.Directory == y.Directory && x.TotalSize == y.TotalSize && x.IOSImageSize == y.IOSImageSize
}
