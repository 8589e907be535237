// Package imagestest builds synthetic Cisco image files for tests and
// benchmarks: tar bundles laid out the way Cisco ships them (info first, the
// image directory, info.ver last) and runnable images with fake ELF or MZIP
// headers. Nothing it writes is, or contains, a real Cisco image.
//
// It does not inspect anything; that is package images.
package imagestest

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// Member is one entry of a synthetic tar.
type Member struct {
	Name string
	Dir  bool
	// Data is the content. When Size is larger than len(Data), filler
	// bytes follow Data up to Size, generated while writing, so a 300 MB
	// member costs no memory.
	Data []byte
	Size int64
}

func (m Member) size() int64 { return max(m.Size, int64(len(m.Data))) }

// mtime is fixed so that bundles are byte-for-byte reproducible.
func mtime() time.Time { return time.Date(1993, 3, 12, 8, 13, 57, 0, time.UTC) }

// WriteTar writes members as a ustar archive with its end marker.
func WriteTar(w io.Writer, members []Member) error {
	tw := tar.NewWriter(w)
	for i, m := range members {
		hdr := &tar.Header{Name: m.Name, Mode: 0o644, ModTime: mtime(), Format: tar.FormatUSTAR}
		if m.Dir {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
			if !strings.HasSuffix(hdr.Name, "/") {
				hdr.Name += "/"
			}
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, m.size()
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("imagestest: member %d %q: %w", i, m.Name, err)
		}
		if m.Dir {
			continue
		}
		if _, err := tw.Write(m.Data); err != nil {
			return fmt.Errorf("imagestest: member %q: %w", m.Name, err)
		}
		if rest := m.size() - int64(len(m.Data)); rest > 0 {
			if _, err := io.CopyN(tw, Filler(uint64(i)), rest); err != nil {
				return fmt.Errorf("imagestest: member %q: %w", m.Name, err)
			}
		}
	}
	return tw.Close()
}

// TarBytes is WriteTar into memory.
func TarBytes(members []Member) []byte {
	var b bytes.Buffer
	if err := WriteTar(&b, members); err != nil {
		panic(err) // only a programming error in a test can get here
	}
	return b.Bytes()
}

// Filler returns an endless stream of pseudo-random bytes, the same for the
// same seed.
func Filler(seed uint64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed+1)
	return rand.NewChaCha8(key)
}

// Header is the kind of runnable image header to fake.
type Header int

// Headers.
const (
	MZIP Header = iota
	ELF
	NoHeader
)

// RunnableHead returns the first bytes of a runnable image of size bytes with
// a header that declares exactly size bytes, so that cutting the file is
// detectable from the header alone.
func RunnableHead(h Header, size int64) []byte {
	switch h {
	case MZIP:
		b := make([]byte, 0x70)
		copy(b, "MZIP")
		be := binary.BigEndian
		be.PutUint32(b[4:], 1)          // version
		be.PutUint32(b[8:], 0x80008000) // entry point
		be.PutUint32(b[12:], 1)
		be.PutUint32(b[16:], 1)
		be.PutUint32(b[56:], 0x70) // header size
		be.PutUint32(b[60:], 0x80008000)
		be.PutUint32(b[64:], 1)
		be.PutUint32(b[68:], uint32(max(size-0x70, 0))) // packed code
		be.PutUint32(b[72:], uint32(size*2))            // unpacked code
		be.PutUint32(b[76:], uint32(size*2))
		return b
	case ELF:
		// 32-bit big-endian PowerPC executable, one PT_LOAD segment from
		// 0x100 to the end of the file.
		b := make([]byte, 0x100)
		copy(b, []byte{0x7f, 'E', 'L', 'F', 1, 2, 1})
		be := binary.BigEndian
		be.PutUint16(b[16:], 2)  // ET_EXEC
		be.PutUint16(b[18:], 20) // EM_PPC
		be.PutUint32(b[20:], 1)
		be.PutUint32(b[24:], 0x80008000) // entry
		be.PutUint32(b[28:], 52)         // phoff
		be.PutUint16(b[40:], 52)         // ehsize
		be.PutUint16(b[42:], 32)         // phentsize
		be.PutUint16(b[44:], 1)          // phnum
		be.PutUint32(b[52:], 1)          // PT_LOAD
		be.PutUint32(b[56:], 0x100)      // p_offset
		be.PutUint32(b[68:], uint32(max(size-0x100, 0)))
		return b
	}
	return nil
}

// Runnable returns a whole fake runnable image of size bytes.
func Runnable(h Header, size int64) []byte {
	b := RunnableHead(h, size)
	if int64(len(b)) >= size {
		return b[:size]
	}
	out := make([]byte, size)
	copy(out, b)
	_, _ = io.ReadFull(Filler(7), out[len(b):])
	return out
}

// InfoLayout is where a bundle keeps its image section.
type InfoLayout int

// Layouts seen in Cisco bundles.
const (
	// InfoSingle: the top-level info is one image section (2950-era).
	InfoSingle InfoLayout = iota
	// InfoHeaderAndImage: a system_type header section, then the image
	// section, both in the top-level info (2960-X guide example).
	InfoHeaderAndImage
	// InfoSplit: the top-level info holds only the header section and the
	// image section is in <image directory>/info (the 98-byte info a 3750
	// extracts first, then "<dir>/info (435 bytes)").
	InfoSplit
)

// Bundle describes a synthetic Cisco tar bundle.
type Bundle struct {
	Platform   string // "c3750"
	FeatureSet string // "ipbasek9", "k9w7"
	// Runnable is the type code of the image inside: "mz" for switches,
	// "mx" for access points (whose images have no extension).
	Runnable string
	Version  string // as in file names: "122-25.SEB4"
	Family   string // image_family; default upper-case Platform
	// ImageSize is the size of the runnable image inside.
	ImageSize int64
	Header    Header
	// WebFiles is how many small device-manager files to add.
	WebFiles    int
	Layout      InfoLayout
	OmitInfoVer bool
	// InfoVerImage, when set, is the image name info.ver claims (to model
	// a bundle pieced together from two downloads).
	InfoVerImage string
}

func (b Bundle) runnable() string {
	if b.Runnable == "" {
		return "mz"
	}
	return b.Runnable
}

// Dir is the image directory: "c3750-ipbasek9-mz.122-25.SEB4".
func (b Bundle) Dir() string {
	return fmt.Sprintf("%s-%s-%s.%s", b.Platform, b.FeatureSet, b.runnable(), b.Version)
}

// ImageName is the runnable inside: Dir plus ".bin" for switches.
func (b Bundle) ImageName() string {
	if b.runnable() == "mx" {
		return b.Dir()
	}
	return b.Dir() + ".bin"
}

// ImagePath is where the runnable sits in the tar.
func (b Bundle) ImagePath() string { return b.Dir() + "/" + b.ImageName() }

// FileName is Cisco's name for the bundle: "c3750-ipbasek9-tar.122-25.SEB4.tar".
func (b Bundle) FileName() string {
	return fmt.Sprintf("%s-%s-tar.%s.tar", b.Platform, b.FeatureSet, b.Version)
}

func (b Bundle) family() string {
	if b.Family != "" {
		return b.Family
	}
	return strings.ToUpper(b.Platform)
}

func roundBlock(n int64) int64 { return (n + 511) / 512 * 512 }

func (b Bundle) webFiles() []Member {
	var out []Member
	for i := range b.WebFiles {
		out = append(out, Member{
			Name: fmt.Sprintf("%s/html/page%03d.htm", b.Dir(), i),
			Data: []byte(strings.Repeat(fmt.Sprintf("<p>device manager page %d</p>\n", i), 20+i%7)),
		})
	}
	return out
}

func (b Bundle) imageSection(name string) string {
	total := roundBlock(b.ImageSize)
	for _, m := range b.webFiles() {
		total += roundBlock(m.size())
	}
	total += 1024 // the directory's own info file
	suffix := b.FeatureSet + "-" + b.Version
	return fmt.Sprintf(`version_suffix: %s
version_directory: %s
image_system_type_id: 0x00000000
image_name: %s
ios_image_file_size: %d
total_image_file_size: %d
image_feature: IP|LAYER_3|PLUS|MIN_DRAM_MEG=128
image_family: %s
stacking_number: 1.4
board_ids: 0x00000009 0x0000000a 0x0000000c
 0x0000000d 0x0000000e
info_end:
`, suffix, b.Dir(), name, roundBlock(b.ImageSize), total, b.family())
}

func (b Bundle) headerSection() string {
	return fmt.Sprintf("system_type:0x00000000:%s\nimage_family:%s\nstacking_number:1.4\ninfo_end:\n", b.Dir(), b.family())
}

// Info is the content of the top-level info file.
func (b Bundle) Info() string {
	switch b.Layout {
	case InfoHeaderAndImage:
		return b.headerSection() + b.imageSection(b.ImageName())
	case InfoSplit:
		return b.headerSection()
	}
	return b.imageSection(b.ImageName())
}

// Members lists the bundle in Cisco's order.
func (b Bundle) Members() []Member {
	ms := []Member{
		{Name: "info", Data: []byte(b.Info())},
		{Name: b.Dir(), Dir: true},
		{Name: b.Dir() + "/html", Dir: true},
	}
	ms = append(ms, b.webFiles()...)
	ms = append(ms, Member{Name: b.ImagePath(), Data: RunnableHead(b.Header, b.ImageSize), Size: b.ImageSize})
	ms = append(ms, Member{Name: b.Dir() + "/info", Data: []byte(b.imageSection(b.ImageName()))})
	if !b.OmitInfoVer {
		ver := b.Info()
		if b.InfoVerImage != "" {
			ver = b.imageSection(b.InfoVerImage)
		}
		ms = append(ms, Member{Name: "info.ver", Data: []byte(ver)})
	}
	return ms
}

// Write streams the bundle to w.
func (b Bundle) Write(w io.Writer) error { return WriteTar(w, b.Members()) }

// Bytes is the bundle in memory; keep ImageSize small when using it.
func (b Bundle) Bytes() []byte { return TarBytes(b.Members()) }
