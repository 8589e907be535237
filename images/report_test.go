package images

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fieldcon/images/imagestest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestWriteReport(t *testing.T) {
	sw := bundle3750()
	ap := apBundle("c1240", "k9w8", "124-25d.JA1")
	tests := []struct {
		name string
		img  *Image
		dev  Device
	}{
		{"c3750-bundle", mustInspect(t, sw.Bytes(), sw.FileName()), Device{Platform: "c3750", FlashFree: 200000}},
		{"lightweight-ap", mustInspect(t, ap.Bytes(), ap.FileName()), Device{AskedFor: "c1240-k9w7-tar.default"}},
		{"cut-mzip", mustInspect(t, imagestest.Runnable(imagestest.MZIP, 9000)[:5000], "c2960-lanbasek9-mz.150-2.SE11.bin"), Device{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteReport(&b, tt.img, EvaluateAll(tt.img, tt.dev)); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "report", tt.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("WriteReport(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestImageRow(t *testing.T) {
	ap := apBundle("c1240", "k9w7", "124-25d.JA1")
	img := mustInspect(t, ap.Bytes(), "c1240-k9w7-tar.default")
	got := img.Row()
	want := Row{Platform: "c1240", Type: "Cisco tar bundle, autonomous", Version: "12.4(25d)JA1", Size: img.Size, MD5: img.MD5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Row() mismatch (-want +got):\n%s", diff)
	}
	cutBin := mustInspect(t, imagestest.Runnable(imagestest.ELF, 9000)[:5000], "x.bin")
	if r := cutBin.Row(); r.Problem == "" || r.Platform != "" {
		t.Errorf("Row() of a cut unnamed .bin = %+v, want a problem and no platform", r)
	}
}
