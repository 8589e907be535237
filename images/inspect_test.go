package images

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"fieldcon/images/imagestest"
)

// countingReaderAt records what Inspect reads: total bytes, and whether any
// read went backwards (a second pass) or past the end.
type countingReaderAt struct {
	r    io.ReaderAt
	size int64

	mu        sync.Mutex
	total     int64
	calls     int
	lastEnd   int64
	backwards bool
	pastEnd   bool
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.total += int64(len(p))
	c.calls++
	if off < c.lastEnd {
		c.backwards = true
	}
	if off+int64(len(p)) > c.size {
		c.pastEnd = true
	}
	c.lastEnd = off + int64(len(p))
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}

func inspectBytes(t testing.TB, data []byte, name string, skip bool) (*Image, *countingReaderAt) {
	t.Helper()
	cr := &countingReaderAt{r: bytes.NewReader(data), size: int64(len(data))}
	img, err := Inspect(context.Background(), cr, int64(len(data)), Options{Name: name, SkipHashes: skip, ChunkSize: minChunkSize})
	if err != nil {
		t.Fatalf("Inspect(%s) error = %v", name, err)
	}
	return img, cr
}

func hashes(data []byte) (string, string) {
	m := md5.Sum(data)
	s := sha512.Sum512(data)
	return hex.EncodeToString(m[:]), hex.EncodeToString(s[:])
}

func bundle3750() imagestest.Bundle {
	return imagestest.Bundle{Platform: "c3750", FeatureSet: "ipbasek9", Version: "122-25.SEB4", ImageSize: 300 << 10, WebFiles: 6}
}

func TestInspectBundles(t *testing.T) {
	tests := []struct {
		name   string
		b      imagestest.Bundle
		header string
	}{
		{"switch, single info section, MZIP", bundle3750(), "MZIP"},
		{"switch, header and image sections, ELF", imagestest.Bundle{Platform: "c3560", FeatureSet: "ipbasek9", Version: "122-55.SE5", ImageSize: 200 << 10, WebFiles: 3, Header: imagestest.ELF, Layout: imagestest.InfoHeaderAndImage}, "ELF"},
		{"switch, image section in the directory's info", imagestest.Bundle{Platform: "c3750", FeatureSet: "i5", Version: "122-20.SE", ImageSize: 150 << 10, WebFiles: 20, Layout: imagestest.InfoSplit}, "MZIP"},
		{"access point, runnable without extension", imagestest.Bundle{Platform: "c1240", FeatureSet: "k9w7", Runnable: "mx", Version: "124-25d.JA1", ImageSize: 100 << 10, WebFiles: 2}, "MZIP"},
		{"image larger than one chunk", imagestest.Bundle{Platform: "ap3g2", FeatureSet: "k9w7", Runnable: "mx", Version: "153-3.JF5", ImageSize: 3<<20 + 17}, "MZIP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.b.Bytes()
			img, cr := inspectBytes(t, data, tt.b.FileName(), false)
			if img.Format != FormatCiscoTar {
				t.Fatalf("Inspect().Format = %q, want %q; problems %q", img.Format, FormatCiscoTar, img.Problems)
			}
			if len(img.Problems) != 0 || img.Truncated || img.Corrupt {
				t.Errorf("Inspect() problems = %q, truncated %v, corrupt %v; want none", img.Problems, img.Truncated, img.Corrupt)
			}
			im := img.Info.Image()
			if im.Name != tt.b.ImageName() || im.Directory != tt.b.Dir() {
				t.Errorf("Info image = %q in %q, want %q in %q", im.Name, im.Directory, tt.b.ImageName(), tt.b.Dir())
			}
			if img.Tar.ImageMember != tt.b.ImagePath() || img.Tar.ImageMemberSize != tt.b.ImageSize {
				t.Errorf("Tar.ImageMember = %q (%d), want %q (%d)", img.Tar.ImageMember, img.Tar.ImageMemberSize, tt.b.ImagePath(), tt.b.ImageSize)
			}
			if !img.Tar.HasInfo || !img.Tar.HasInfoVer || !img.Tar.InfoVerLast || !img.Tar.EndMarker {
				t.Errorf("Tar = %+v, want info, info.ver last and the end marker", *img.Tar)
			}
			if img.Bin == nil || img.Bin.Kind != tt.header {
				t.Errorf("Bin = %+v, want kind %s", img.Bin, tt.header)
			}
			id := img.Identity()
			if id.Platform != tt.b.Platform || id.Type != TypeBundle || id.Version.String() != ParseVersion(tt.b.Version).String() {
				t.Errorf("Identity() = %s %s %s, want %s bundle %s", id.Platform, id.Type, id.Version, tt.b.Platform, ParseVersion(tt.b.Version))
			}
			md, sh := hashes(data)
			if img.MD5 != md || img.SHA512 != sh {
				t.Errorf("hashes = %s / %.16s…, want %s / %.16s…", img.MD5, img.SHA512, md, sh)
			}
			if cr.total != int64(len(data)) || cr.backwards || cr.pastEnd {
				t.Errorf("read %d bytes of %d (backwards %v, past end %v), want every byte once", cr.total, len(data), cr.backwards, cr.pastEnd)
			}

			// Headers only: same findings, no hashes, a fraction of the reads.
			quick, qr := inspectBytes(t, data, tt.b.FileName(), true)
			if diff := cmp.Diff(img, quick, cmpopts.IgnoreFields(Image{}, "MD5", "SHA512")); diff != "" {
				t.Errorf("Inspect(SkipHashes) differs from the full pass (-full +quick):\n%s", diff)
			}
			if quick.MD5 != "" {
				t.Errorf("Inspect(SkipHashes).MD5 = %q, want empty", quick.MD5)
			}
			if qr.backwards || qr.pastEnd {
				t.Errorf("SkipHashes read backwards %v / past end %v, want neither", qr.backwards, qr.pastEnd)
			}
		})
	}
}

func TestInspectSkipHashesReadsHeadersOnly(t *testing.T) {
	b := imagestest.Bundle{Platform: "c3750", FeatureSet: "ipbasek9", Version: "122-25.SEB4", ImageSize: 8 << 20, WebFiles: 30}
	data := b.Bytes()
	img, cr := inspectBytes(t, data, b.FileName(), true)
	if img.Format != FormatCiscoTar || img.Truncated {
		t.Fatalf("Inspect() = %s truncated %v, want a whole Cisco tar", img.Format, img.Truncated)
	}
	// Members × 512 header bytes + info files + image head + the first 4 KiB.
	bound := int64(img.Tar.Members+4)*blockSize + 3*maxInfoBytes + imageHeadBytes + headLen
	if cr.total > bound {
		t.Errorf("SkipHashes read %d bytes of %d, want at most %d", cr.total, len(data), bound)
	}
}

// Memory must stay flat: a 24 MiB bundle on disk is inspected with a few
// fixed buffers, not read into memory.
func TestInspectFileMemoryFlat(t *testing.T) {
	dir := t.TempDir()
	b := imagestest.Bundle{Platform: "c3750", FeatureSet: "ipbasek9", Version: "122-25.SEB4", ImageSize: 24 << 20}
	path := filepath.Join(dir, b.FileName())
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	img, err := InspectFile(context.Background(), path, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("InspectFile() error = %v", err)
	}
	if img.Format != FormatCiscoTar || img.MD5 == "" {
		t.Fatalf("InspectFile() = %s md5 %q, want a hashed Cisco tar", img.Format, img.MD5)
	}
	const limit = 8 << 20 // 4 × 1 MiB buffers plus small change
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > limit {
		t.Errorf("InspectFile(24 MiB) allocated %d bytes, want at most %d", alloc, limit)
	}
}

// cut returns data without its last n bytes.
func cut(data []byte, n int) []byte { return data[:len(data)-n] }

func TestInspectTruncated(t *testing.T) {
	b := bundle3750()
	full := b.Bytes()
	noVer := b
	noVer.OmitInfoVer = true
	// Without info.ver and its end marker, the bundle is exactly the full
	// one cut right before the info.ver header.
	beforeVer := cut(noVer.Bytes(), 2*blockSize)
	if !bytes.HasPrefix(full, beforeVer) {
		t.Fatal("bundles are not reproducible; the test cannot find the info.ver header")
	}
	verAt := len(beforeVer)
	imageAt := bytes.Index(full, []byte(b.ImagePath())) // the image member's header

	tests := []struct {
		name      string
		data      []byte
		truncated bool
		in        string
	}{
		{"end marker missing only", cut(full, 2*blockSize), false, ""},
		{"one end block missing", cut(full, blockSize), false, ""},
		{"inside info.ver data", full[:verAt+blockSize+10], true, "info.ver"},
		{"inside info.ver header", full[:verAt+100], true, "a header"},
		{"right before info.ver", full[:verAt], true, ""},
		{"inside the image", full[:imageAt+blockSize+1000], true, b.ImagePath()},
		{"right after the info file", full[:3*blockSize], true, ""},
		{"inside the info file", full[:blockSize+10], true, "info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, skip := range []bool{false, true} {
				img, cr := inspectBytes(t, tt.data, b.FileName(), skip)
				if img.Truncated != tt.truncated {
					t.Errorf("Inspect(skip=%v).Truncated = %v, want %v; problems %q", skip, img.Truncated, tt.truncated, img.Problems)
				}
				if tt.in != "" && img.Tar.TruncatedIn != tt.in {
					t.Errorf("Inspect(skip=%v).Tar.TruncatedIn = %q, want %q", skip, img.Tar.TruncatedIn, tt.in)
				}
				if tt.truncated && len(img.Problems) == 0 {
					t.Errorf("Inspect(skip=%v) gave no problem for a truncated file", skip)
				}
				if cr.pastEnd || cr.backwards {
					t.Errorf("Inspect(skip=%v) read past the end %v or backwards %v", skip, cr.pastEnd, cr.backwards)
				}
			}
		})
	}
}

func TestInspectCorruptHeader(t *testing.T) {
	b := bundle3750()
	data := b.Bytes()
	at := bytes.Index(data, []byte(b.ImagePath()))
	bad := bytes.Clone(data)
	bad[at+5] ^= 0x20 // one flipped bit in the image member's name
	for _, skip := range []bool{false, true} {
		img, _ := inspectBytes(t, bad, b.FileName(), skip)
		if !img.Corrupt || img.Tar.CorruptAt != int64(at) {
			t.Errorf("Inspect(skip=%v) corrupt = %v at %d, want true at %d", skip, img.Corrupt, img.Tar.CorruptAt, at)
		}
		if !strings.Contains(strings.Join(img.Problems, " "), "Tar checksum error") {
			t.Errorf("Inspect(skip=%v).Problems = %q, want the %%Tar checksum error the device prints", skip, img.Problems)
		}
	}
}

func TestInspectInfoVerMismatch(t *testing.T) {
	b := bundle3750()
	b.InfoVerImage = "c3750-ipservicesk9-mz.122-25.SEB4.bin"
	img, _ := inspectBytes(t, b.Bytes(), b.FileName(), false)
	if img.InfoVerMatches {
		t.Errorf("Inspect().InfoVerMatches = true, want false when info.ver names another image")
	}
}

func TestInspectRenamedBundle(t *testing.T) {
	b := bundle3750()
	img, _ := inspectBytes(t, b.Bytes(), "c3560-ipbasek9-tar.122-25.SEB4.tar", false)
	if got := img.Platform(); got != "c3750" {
		t.Errorf("Platform() = %q, want the content's c3750", got)
	}
	if !strings.Contains(strings.Join(img.Problems, " "), "file name says c3560") {
		t.Errorf("Problems = %q, want a name/content mismatch", img.Problems)
	}
	img, _ = inspectBytes(t, b.Bytes(), "c3750-k9w7-tar.default", false)
	if len(img.Problems) != 0 {
		t.Errorf("Problems = %q for a .default alias, want none", img.Problems)
	}
}

func TestInspectLongNames(t *testing.T) {
	long := strings.Repeat("d", 120) + "/" + "c3750-ipbasek9-mz.122-25.SEB4.bin"
	for _, format := range []tar.Format{tar.FormatGNU, tar.FormatPAX} {
		t.Run(format.String(), func(t *testing.T) {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			payload := imagestest.Runnable(imagestest.MZIP, 5000)
			for _, m := range []struct {
				name string
				data []byte
			}{{"info", []byte("image_name: c3750-ipbasek9-mz.122-25.SEB4.bin\nversion_directory: " + strings.Repeat("d", 120) + "\ninfo_end:\n")}, {long, payload}, {"info.ver", []byte("x")}} {
				if err := tw.WriteHeader(&tar.Header{Name: m.name, Size: int64(len(m.data)), Mode: 0o644, Format: format}); err != nil {
					t.Fatal(err)
				}
				tw.Write(m.data)
			}
			tw.Close()
			img, _ := inspectBytes(t, buf.Bytes(), "long.tar", false)
			if img.Tar.ImageMember != long || img.Tar.Members != 3 {
				t.Errorf("Tar = %q, %d members; want %q, 3", img.Tar.ImageMember, img.Tar.Members, long)
			}
			if img.Bin == nil || img.Bin.Kind != "MZIP" {
				t.Errorf("Bin = %+v, want the MZIP header of the long-named member", img.Bin)
			}
		})
	}
}

func TestInspectPlainFiles(t *testing.T) {
	plainTar := imagestest.TarBytes([]imagestest.Member{{Name: "c3750-ipbasek9-mz.122-25.SEB4.bin", Data: imagestest.Runnable(imagestest.MZIP, 4000)}})
	tests := []struct {
		name      string
		data      []byte
		format    Format
		kind      string
		truncated bool
	}{
		{"c3750-ipbasek9-mz.122-25.SEB4.bin", imagestest.Runnable(imagestest.MZIP, 200000), FormatIOSBin, "MZIP", false},
		{"c2800nm-ipbase-mz.124-3.bin", imagestest.Runnable(imagestest.ELF, 200000), FormatIOSBin, "ELF", false},
		{"mzip-cut.bin", imagestest.Runnable(imagestest.MZIP, 200000)[:150000], FormatIOSBin, "MZIP", true},
		{"elf-cut.bin", imagestest.Runnable(imagestest.ELF, 200000)[:150000], FormatIOSBin, "ELF", true},
		{"uboot.bin", append([]byte{0x27, 0x05, 0x19, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16}, make([]byte, 64)...), FormatIOSBin, "U-Boot", false},
		{"login.bin", []byte("\n  <!DOCTYPE html>\n<html><body>Log in</body></html>"), FormatHTML, "", false},
		{"image.zip", []byte("PK\x03\x04rest"), FormatZip, "", false},
		{"image.tar.gz", []byte{0x1f, 0x8b, 8, 0, 0, 0}, FormatGzip, "", false},
		{"imagelist.txt", []byte("c2960-lanbase-tar.122-53.SE.tar\n"), FormatText, "", false},
		{"empty.bin", nil, FormatEmpty, "", false},
		{"noise.bin", bytes.Repeat([]byte{0xff, 0x00, 0x13}, 3000), FormatUnknown, "", false},
		{"handmade.tar", plainTar, FormatTar, "MZIP", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, skip := range []bool{false, true} {
				img, _ := inspectBytes(t, tt.data, tt.name, skip)
				kind := ""
				if img.Bin != nil {
					kind = img.Bin.Kind
				}
				if img.Format != tt.format || kind != tt.kind || img.Truncated != tt.truncated {
					t.Errorf("Inspect(%s, skip=%v) = %s %q truncated %v, want %s %q truncated %v",
						tt.name, skip, img.Format, kind, img.Truncated, tt.format, tt.kind, tt.truncated)
				}
			}
		})
	}
}

func TestInspectErrors(t *testing.T) {
	data := bundle3750().Bytes()
	// A file that is shorter than the size it was opened with changed
	// under us (a copy still running).
	_, err := Inspect(context.Background(), bytes.NewReader(data[:1000]), int64(len(data)), Options{})
	if !errors.Is(err, ErrChanged) {
		t.Errorf("Inspect(short reader) error = %v, want ErrChanged", err)
	}
	_, err = Inspect(context.Background(), bytes.NewReader(data[:1000]), int64(len(data)), Options{SkipHashes: true})
	if !errors.Is(err, ErrChanged) {
		t.Errorf("Inspect(short reader, SkipHashes) error = %v, want ErrChanged", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Inspect(ctx, bytes.NewReader(data), int64(len(data)), Options{ChunkSize: minChunkSize})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Inspect(cancelled) error = %v, want context.Canceled", err)
	}
	_, err = InspectFile(context.Background(), filepath.Join(t.TempDir(), "missing.bin"), Options{})
	if !errors.Is(err, ErrRead) {
		t.Errorf("InspectFile(missing) error = %v, want ErrRead", err)
	}
}

func TestInspectProgress(t *testing.T) {
	data := imagestest.Runnable(imagestest.MZIP, 300<<10)
	var calls int
	var last int64
	_, err := Inspect(context.Background(), bytes.NewReader(data), int64(len(data)), Options{
		ChunkSize: minChunkSize,
		Progress: func(done, total int64) {
			calls++
			if done < last || total != int64(len(data)) {
				t.Errorf("Progress(%d, %d) after %d, want increasing up to %d", done, total, last, len(data))
			}
			last = done
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != int64(len(data)) || calls < 2 {
		t.Errorf("Progress ended at %d after %d calls, want %d after several", last, calls, len(data))
	}
}

// FuzzInspect feeds malformed archives: Inspect must not panic, must read
// each byte at most once in order, never past the end, and must never claim
// a truncated file is whole.
func FuzzInspect(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it keeps.
	small := imagestest.Bundle{Platform: "c1240", FeatureSet: "k9w7", Runnable: "mx", Version: "124-25d.JA1", ImageSize: 600}
	data := small.Bytes()
	f.Add(data)
	f.Add(data[:len(data)-1500])
	f.Add(data[:700])
	f.Add(imagestest.Runnable(imagestest.ELF, 2000))
	f.Add(imagestest.Runnable(imagestest.MZIP, 2000)[:1000])
	f.Add([]byte("<html>"))
	f.Add(make([]byte, 1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, skip := range []bool{false, true} {
			cr := &countingReaderAt{r: bytes.NewReader(data), size: int64(len(data))}
			img, err := Inspect(context.Background(), cr, int64(len(data)), Options{Name: "fuzz.tar", SkipHashes: skip, ChunkSize: minChunkSize})
			if err != nil {
				t.Fatalf("Inspect(skip=%v) error = %v on an in-memory reader", skip, err)
			}
			if cr.backwards || cr.pastEnd || cr.total > int64(len(data)) {
				t.Fatalf("Inspect(skip=%v) read %d of %d bytes (backwards %v, past end %v)", skip, cr.total, len(data), cr.backwards, cr.pastEnd)
			}
			if !skip && cr.total != int64(len(data)) {
				t.Fatalf("Inspect() read %d of %d bytes, want all of them for the hashes", cr.total, len(data))
			}
			if img.Tar != nil && img.Tar.MissingTail > 0 && !img.Truncated && !img.Corrupt {
				t.Fatalf("Inspect(skip=%v) missing %d bytes but not truncated", skip, img.Tar.MissingTail)
			}
			_ = EvaluateAll(img, Device{Platform: "c1240"})
			if err := WriteReport(io.Discard, img, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func ExampleParseName() {
	n := ParseName("c3750-ipbasek9-mz.122-25.SEB4.bin")
	fmt.Println(n.Platform, n.FeatureSet, n.Version)
	// Output: c3750 ipbasek9 12.2(25)SEB4
}
