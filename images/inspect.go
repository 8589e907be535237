package images

import (
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// Image is everything Inspect learned about one file.
type Image struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Format Format `json:"format"`
	// FileName is what the file name says; Identity what the content says.
	FileName Name `json:"file_name"`
	// Bin is the header of a plain .bin, or of the IOS image inside a bundle.
	Bin  *BinHeader  `json:"bin,omitempty"`
	Tar  *TarSummary `json:"tar,omitempty"`
	Info *Info       `json:"info,omitempty"`
	// InfoRaw is the info file as stored (at most 64 KiB), for display.
	InfoRaw string `json:"info_raw,omitempty"`
	// InfoVerMatches is false when info.ver describes another image than info.
	InfoVerMatches bool `json:"info_ver_matches"`
	Truncated      bool `json:"truncated"`
	Corrupt        bool `json:"corrupt"`
	// Problems are one-sentence findings in a technician's words.
	Problems []string `json:"problems,omitempty"`
	// MD5 and SHA512 are lower-case hex, empty when hashing was skipped.
	MD5    string `json:"md5,omitempty"`
	SHA512 string `json:"sha512,omitempty"`
}

// Identity is the image name the content vouches for: the info file's image
// name for a bundle (a bundle renamed to "c1240-k9w7-tar.default" is still
// what its info file says), otherwise the file name.
func (img *Image) Identity() Name {
	if im := img.Info.Image(); im.Name != "" {
		n := ParseName(im.Name)
		if n.OK() {
			// The info file names the runnable inside; the bundle is a bundle.
			if img.Format == FormatCiscoTar {
				n.Type, n.TypeCode = TypeBundle, "tar"
			}
			if n.Version.IsZero() {
				n.Version = img.FileName.Version
			}
			return n
		}
	}
	return img.FileName
}

// Platform is the platform code ("c3750", "ap3g2"), from the content when it
// says, else from the file name, else from the info family.
func (img *Image) Platform() string {
	if p := img.Identity().Platform; p != "" {
		return p
	}
	return strings.ToLower(img.Info.Family())
}

// Row is what a table of images shows for one file.
type Row struct {
	Platform string `json:"platform"`
	Type     string `json:"type"`
	Version  string `json:"version"`
	Size     int64  `json:"size"`
	MD5      string `json:"md5"`
	// Problem is the first problem found, "" when none.
	Problem string `json:"problem,omitempty"`
}

// Row sums the image up for a table: "c1240", "Cisco tar bundle,
// autonomous", "12.4(25d)JA1".
func (img *Image) Row() Row {
	id := img.Identity()
	r := Row{Platform: img.Platform(), Type: img.Format.Describe(), Version: id.Version.String(), Size: img.Size, MD5: img.MD5}
	if id.APMode != APModeNone {
		r.Type += ", " + string(id.APMode)
	}
	if len(img.Problems) > 0 {
		r.Problem = img.Problems[0]
	}
	return r
}

// Options tune Inspect.
type Options struct {
	// Name is the file name, for name parsing; InspectFile sets it.
	Name string
	// SkipHashes reads only headers, the info files and the start of the
	// image: a bounded number of bytes instead of the whole file.
	SkipHashes bool
	// Progress, when set, is called after each chunk with bytes read so far.
	Progress func(done, total int64)
	// ChunkSize is the read size when hashing; default 1 MiB, minimum 64 KiB.
	ChunkSize int
}

// Errors Inspect returns; anything wrong with the content is reported in the
// Image instead.
var (
	ErrRead    = errors.New("cannot read the image file")
	ErrChanged = errors.New("the file changed while it was being read; copy it again and retry")
)

const (
	headLen          = 4 << 10
	defaultChunkSize = 1 << 20
	minChunkSize     = 64 << 10
	chunksInFlight   = 4
)

// InspectFile inspects the file at path.
func InspectFile(ctx context.Context, path string, opt Options) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w: %w", path, ErrRead, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w: %w", path, ErrRead, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("inspect %s: %w: not a regular file", path, ErrRead)
	}
	if opt.Name == "" {
		opt.Name = filepath.Base(path)
	}
	return Inspect(ctx, f, st.Size(), opt)
}

// Inspect reads an image of size bytes from r. With hashing on it reads every
// byte exactly once, in order, and the tar walk rides on the same pass; with
// SkipHashes it reads headers only. Memory stays flat whatever the size.
func Inspect(ctx context.Context, r io.ReaderAt, size int64, opt Options) (*Image, error) {
	if size < 0 {
		return nil, fmt.Errorf("inspect: %w: negative size", ErrRead)
	}
	img := &Image{Name: opt.Name, Size: size, InfoVerMatches: true}
	img.FileName = ParseName(opt.Name)
	s := &scan{size: size}
	var err error
	if opt.SkipHashes {
		err = s.walkHeaders(ctx, r, opt.Progress)
	} else {
		err = s.stream(ctx, r, opt)
		if err == nil {
			img.MD5 = hex.EncodeToString(s.md5.Sum(nil))
			img.SHA512 = hex.EncodeToString(s.sha.Sum(nil))
		}
	}
	if err != nil {
		return nil, err
	}
	s.settle(img)
	return img, nil
}

// scan is the state of one inspection.
type scan struct {
	size   int64
	head   []byte
	format Format
	bin    *BinHeader
	walker *tarWalker
	md5    hash.Hash
	sha    hash.Hash
}

// Write receives the file in order: it collects the head, sniffs it once,
// then hands everything to the tar walker when the file is a tar.
func (s *scan) Write(p []byte) (int, error) {
	n := len(p)
	if s.format == "" {
		want := int(min(int64(headLen), s.size)) - len(s.head)
		k := min(want, len(p))
		s.head = append(s.head, p[:k]...)
		p = p[k:]
		if len(s.head) < int(min(int64(headLen), s.size)) {
			return n, nil
		}
		s.start()
		if s.walker != nil {
			s.walker.Write(s.head)
		}
	}
	if s.walker != nil && len(p) > 0 {
		s.walker.Write(p)
	}
	return n, nil
}

func (s *scan) start() {
	s.format, s.bin = sniff(s.head, s.size)
	if s.format == FormatTar {
		s.walker = &tarWalker{}
	}
}

// stream reads the whole file once. A reader goroutine fills a few large
// buffers; MD5, SHA-512 and the tar walk each consume every buffer in their
// own goroutine, so the hashes run side by side on two cores.
func (s *scan) stream(ctx context.Context, r io.ReaderAt, opt Options) error {
	s.md5, s.sha = md5.New(), sha512.New()
	if s.size == 0 {
		s.format = FormatEmpty
		return nil
	}
	chunk := opt.ChunkSize
	if chunk == 0 {
		chunk = defaultChunkSize
	}
	chunk = int(min(int64(max(chunk, minChunkSize)), s.size))
	sinks := []io.Writer{s.md5, s.sha, s}

	type buffer struct {
		b    []byte
		n    int
		refs atomic.Int32
	}
	free := make(chan *buffer, chunksInFlight)
	for range chunksInFlight {
		free <- &buffer{b: make([]byte, chunk)}
	}
	queues := make([]chan *buffer, len(sinks))
	var wg sync.WaitGroup
	for i, sink := range sinks {
		queues[i] = make(chan *buffer, chunksInFlight)
		wg.Go(func() {
			for buf := range queues[i] {
				sink.Write(buf.b[:buf.n])
				if buf.refs.Add(-1) == 0 {
					free <- buf
				}
			}
		})
	}

	var err error
	var off int64
	for off < s.size {
		var buf *buffer
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case buf = <-free:
		}
		if err != nil {
			break
		}
		want := int(min(int64(chunk), s.size-off))
		n, rerr := r.ReadAt(buf.b[:want], off)
		if n < want {
			if rerr == nil || errors.Is(rerr, io.EOF) {
				err = fmt.Errorf("inspect: %w (expected %d bytes, found %d)", ErrChanged, s.size, off+int64(n))
			} else {
				err = fmt.Errorf("inspect at byte %d: %w: %w", off+int64(n), ErrRead, rerr)
			}
			free <- buf
			break
		}
		buf.n = n
		buf.refs.Store(int32(len(sinks)))
		for _, q := range queues {
			q <- buf
		}
		off += int64(n)
		if opt.Progress != nil {
			opt.Progress(off, s.size)
		}
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	return err
}

// walkHeaders reads the head, then follows the tar walker, reading only the
// bytes it needs and jumping over member data.
func (s *scan) walkHeaders(ctx context.Context, r io.ReaderAt, progress func(done, total int64)) error {
	if s.size == 0 {
		s.format = FormatEmpty
		return nil
	}
	head := make([]byte, min(int64(headLen), s.size))
	if err := readFullAt(r, head, 0, s.size); err != nil {
		return err
	}
	s.Write(head)
	if s.walker == nil {
		return nil
	}
	off := int64(len(head))
	buf := make([]byte, 32<<10)
	for off < s.size {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, need := s.walker.next()
		if n == 0 {
			break
		}
		n = min(n, s.size-off)
		if !need {
			s.walker.skip(n)
			off += n
			continue
		}
		chunk := buf[:min(n, int64(len(buf)))]
		if err := readFullAt(r, chunk, off, s.size); err != nil {
			return err
		}
		s.walker.Write(chunk)
		off += int64(len(chunk))
		if progress != nil {
			progress(off, s.size)
		}
	}
	return nil
}

func readFullAt(r io.ReaderAt, p []byte, off, size int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("inspect: %w (expected %d bytes, found %d)", ErrChanged, size, off+int64(n))
	}
	return fmt.Errorf("inspect at byte %d: %w: %w", off+int64(n), ErrRead, err)
}

// settle turns what the scan saw into the Image's fields and problems.
func (s *scan) settle(img *Image) {
	if s.format == "" {
		s.start()
	}
	img.Format = s.format
	img.Bin = s.bin
	if s.walker != nil {
		s.settleTar(img)
	}
	if img.Format == FormatIOSBin && img.Bin != nil && img.Bin.Needs > img.Size {
		img.Truncated = true
		img.problem("The %s header says the image needs %d bytes but the file has only %d: the copy was cut short; download it again.",
			img.Bin.Kind, img.Bin.Needs, img.Size)
	}
	id := img.Identity()
	if fn := img.FileName; fn.OK() && id.OK() && img.Info != nil {
		if fn.Platform != id.Platform && !fn.Default {
			img.problem("The file name says %s but the bundle inside is for %s; trust the content and rename the file.", fn.Platform, id.Platform)
		}
	}
	switch img.Format {
	case FormatHTML:
		img.problem("This is a web page, not an image: the download saved a login or error page; download the image again while logged in.")
	case FormatGzip, FormatZip:
		img.problem("This is a compressed %s file: unpack it and use the .bin or .tar inside.", img.Format)
	case FormatEmpty:
		img.problem("The file is empty; download it again.")
	}
}

func (s *scan) settleTar(img *Image) {
	w := s.walker
	sum := w.finish()
	img.Tar = &sum
	if sum.HasInfo {
		img.Format = FormatCiscoTar
		img.Info = ParseInfo(w.info)
		img.InfoRaw = string(w.info)
		if len(img.Info.Images) == 0 && w.dirInfo != nil {
			// The top-level info only holds the header section; the image
			// section is in <image directory>/info.
			dir := ParseInfo(w.dirInfo)
			img.Info.Sections = append(img.Info.Sections, dir.Sections...)
			img.Info.Images = dir.Images
			img.InfoRaw += "\n" + string(w.dirInfo)
		}
		if w.infoVer != nil {
			ver := ParseInfo(w.infoVer)
			if len(ver.Images) > 0 && len(img.Info.Images) > 0 && !sameImage(img.Info, ver) {
				img.InfoVerMatches = false
				img.problem("info.ver describes %s but info describes %s: the file was pieced together from two downloads; download it again.",
					ver.Image().Name, img.Info.Image().Name)
			}
		}
	}
	if w.imageHead != nil {
		if f, h := sniff(w.imageHead, sum.ImageMemberSize); f == FormatIOSBin {
			img.Bin = h
			if h.Needs > sum.ImageMemberSize && !sum.Truncated {
				img.Corrupt = true
				img.problem("The image %s inside the bundle is shorter than its %s header says; the bundle is damaged; download it again.", sum.ImageMember, h.Kind)
			}
		}
	}
	switch {
	case sum.Corrupt:
		img.Corrupt = true
		img.problem("The tar header at byte %d is damaged (%s): the device will stop with \"%%Tar checksum error\"; download the file again.", sum.CorruptAt, sum.CorruptReason)
	case sum.Truncated:
		img.Truncated = true
		img.problem("The file stops inside %s, %d bytes short: the download was cut; the device would report \"Premature end of tar file\"; download it again.", sum.TruncatedIn, sum.MissingTail)
	case img.Format == FormatCiscoTar && !sum.HasInfoVer:
		img.Truncated = true
		img.problem("info.ver, which Cisco puts last in every bundle, is missing: the download was cut; download it again.")
	}
	if img.Format == FormatCiscoTar && len(img.Info.Images) == 0 {
		img.problem("The info file names no image; the device will refuse the bundle.")
	}
	if im := img.Info.Image(); im.Name != "" && sum.ImageMember == "" && !sum.Truncated && !sum.Corrupt {
		img.problem("The info file names %s but the bundle does not contain it.", im.Path())
	}
}

func (img *Image) problem(format string, args ...any) {
	img.Problems = append(img.Problems, fmt.Sprintf(format, args...))
}
