package devsim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fieldcon/images/imagestest"
)

func apBundle(platform, feature string) imagestest.Bundle {
	return imagestest.Bundle{Platform: platform, FeatureSet: feature, Runnable: "mx", Version: "123-8.JA", ImageSize: 3000, Header: imagestest.ELF, WebFiles: 2}
}

func runExtract(t *testing.T, platform string, data []byte, more func() error, moreEvery int) (ExtractResult, []string, map[string][]byte) {
	t.Helper()
	var lines []string
	files := map[string][]byte{}
	x := &TarExtract{
		Platform: platform, Source: "tftp://10.0.0.2/x.tar",
		Print:     func(l ...string) error { lines = append(lines, l...); return nil },
		More:      more,
		MoreEvery: moreEvery,
		Put:       func(n string, d []byte) error { files[n] = d; return nil },
	}
	res, err := x.Run(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	return res, lines, files
}

func TestTarExtract(t *testing.T) {
	good := apBundle("c1200", "k9w7")
	whole := good.Bytes()
	tests := []struct {
		name     string
		platform string
		data     []byte
		failure  string
		wantLast []string
	}{
		{"whole bundle", "c1200", whole, "", nil},
		{"cut in the image", "c1200", whole[:len(whole)/2], prematureEnd, []string{prematureEnd, notValidArchive}},
		{"cut at a file boundary", "c1200", whole[:1536], prematureEnd, []string{prematureEnd, notValidArchive}},
		{"runnable .bin", "c1200", imagestest.Runnable(imagestest.ELF, 4096), "%Tar checksum error in tftp://10.0.0.2/x.tar", []string{"%Tar checksum error in tftp://10.0.0.2/x.tar", notValidArchive}},
		{"another platform", "c1200", apBundle("c1240", "k9w7").Bytes(), notValidArchive, []string{"extracting info (" + fmt.Sprint(len(apBundle("c1240", "k9w7").Info())) + " bytes)", notValidArchive}},
		{"tar without info", "c1200", imagestest.TarBytes([]imagestest.Member{{Name: "readme.txt", Data: []byte("hi")}}), "Error opening flash:/update/info (no such file or directory)", nil},
		{"empty", "c1200", nil, prematureEnd, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, lines, files := runExtract(t, tt.platform, tt.data, nil, 0)
			if res.Failure != tt.failure {
				t.Fatalf("Run() failure = %q, want %q\nlines: %q", res.Failure, tt.failure, lines)
			}
			if lines[0] != "examining image..." {
				t.Errorf("first line = %q, want examining image...", lines[0])
			}
			if tt.wantLast != nil {
				if diff := cmp.Diff(tt.wantLast, lines[len(lines)-len(tt.wantLast):]); diff != "" {
					t.Errorf("last lines (-want +got):\n%s", diff)
				}
			}
			if tt.failure != "" {
				return
			}
			if res.Image != good.ImagePath() {
				t.Errorf("Image = %q, want %q", res.Image, good.ImagePath())
			}
			if got := len(files[good.ImagePath()]); got != 3000 {
				t.Errorf("image in flash is %d bytes, want 3000", got)
			}
			if !strings.HasPrefix(lines[1], "extracting info (") {
				t.Errorf("second line = %q, want extracting info", lines[1])
			}
		})
	}
}

func TestTarExtractPages(t *testing.T) {
	b := apBundle("c1200", "k9w7")
	b.WebFiles = 9
	pauses := 0
	res, lines, _ := runExtract(t, "", b.Bytes(), func() error { pauses++; return nil }, 4)
	if !res.OK() {
		t.Fatalf("Run() = %+v", res)
	}
	extracting := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "extracting ") {
			extracting++
		}
	}
	if pauses != extracting/4 {
		t.Errorf("paged %d times for %d extracting lines, want every 4", pauses, extracting)
	}
	// A pager that breaks (the line went away) stops the extraction.
	broken := errors.New("line broke")
	x := &TarExtract{Print: func(...string) error { return nil }, More: func() error { return broken }, MoreEvery: 1}
	if _, err := x.Run(bytes.NewReader(b.Bytes())); !errors.Is(err, broken) {
		t.Errorf("Run() with a broken pager = %v, want %v", err, broken)
	}
}

// FuzzTarExtract feeds arbitrary downloads to the loader's extractor: it
// must end with a result or a failure line, never panic or run away.
func FuzzTarExtract(f *testing.F) {
	whole := apBundle("c1200", "k9w7").Bytes()
	f.Add(whole)
	f.Add(whole[:700])
	f.Add(imagestest.Runnable(imagestest.MZIP, 600))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		x := &TarExtract{Platform: "c1200", Print: func(l ...string) error { n += len(l); return nil }, MoreEvery: 3, More: func() error { return nil }}
		res, err := x.Run(io.LimitReader(bytes.NewReader(data), 1<<20))
		if err != nil {
			t.Fatalf("Run() = %v", err)
		}
		if n == 0 {
			t.Fatalf("Run() printed nothing")
		}
		if res.Failure == "" && res.Files == 0 {
			t.Fatalf("Run() = success with no files")
		}
	})
}
