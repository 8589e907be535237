package images

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Info files as Cisco's configuration guides print them, and the summary a
// 3750 prints while running archive download-sw (seed 000).
const (
	info2950 = `version_suffix: i6k2l2q4-121-0.0.16.EA1
version_directory: c2950lre-i6k2l2q4-mz.121-0.0.16.EA1
image_name: c2950lre-i6k2l2q4-mz.121-0.0.16.EA1.bin
ios_image_file_size: 3214848
total_image_file_size: 4719616
image_feature: LAYER_2|MIN_DRAM_MEG=32
image_family: C2950lre
info_end:
`
	info3560 = `system_type:0x00000000:c3560-i5-mz.121-19.EA1
image_family:C3560
stacking_number:1.0
info_end:
version_suffix:i5-mz.121-19.EA1
version_directory:c3560-i5-mz.121-19.EA1
image_system_type_id:0x00000000
image_name:c3560-i5-mz.121-19.EA1.bin
ios_image_file_size:3973632
total_image_file_size:5929472
image_feature:LAYER_3|MIN_DRAM_MEG=64
image_family:C3560
stacking_number:1.0
board_ids:0x00000008
info_end:
`
	info2960x = "system_type:0x00000000:image-name\r\nimage_family:xxxx\r\nstacking_number:x\r\ninfo_end:\r\n" +
		"version_suffix:xxxx\r\nversion_directory:image-name\r\nimage_system_type_id:0x00000000\r\n" +
		"image_name:image-nameB.bin\r\nios_image_file_size:6398464\r\ntotal_image_file_size:8133632\r\n" +
		"image_feature:IP|LAYER_3|PLUS|MIN_DRAM_MEG=128\r\nimage_family:xxxx\r\nstacking_number:x\r\n" +
		"board_ids:0x401100c4 0x00000000 0x00000001 0x00000003 0x00000002 0x00008000 0x00008002\r\n" +
		"0x40110000\r\ninfo_end\r\n"
	// What a 3750 printed after "extracting info (98 bytes)".
	printed3750 = `Stacking Version Number: 1.4

System Type:             0x00000000
 Ios Image File Size:   0x004BA200
 Total Image File Size: 0x00818A00
 Minimum Dram required: 0x04000000
 Image Suffix:          i5-122-20.SE
 Image Directory:       c3750-i5-mz.122-20.SE
 Image Name:            c3750-i5-mz.122-20.SE.bin
 Image Feature:         LAYER_3|MIN_DRAM_MEG=64
`
)

func TestParseInfo(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		sections int
		want     InfoImage
	}{
		{"2950 single section", info2950, 1, InfoImage{
			Name: "c2950lre-i6k2l2q4-mz.121-0.0.16.EA1.bin", Directory: "c2950lre-i6k2l2q4-mz.121-0.0.16.EA1",
			VersionSuffix: "i6k2l2q4-121-0.0.16.EA1", Family: "C2950lre", IOSImageSize: 3214848, TotalSize: 4719616,
			MinDRAM: 32 << 20, Feature: "LAYER_2|MIN_DRAM_MEG=32", Features: []string{"LAYER_2", "MIN_DRAM_MEG=32"},
		}},
		{"3560 header then image", info3560, 2, InfoImage{
			Name: "c3560-i5-mz.121-19.EA1.bin", Directory: "c3560-i5-mz.121-19.EA1", VersionSuffix: "i5-mz.121-19.EA1",
			Family: "C3560", IOSImageSize: 3973632, TotalSize: 5929472, MinDRAM: 64 << 20,
			Feature: "LAYER_3|MIN_DRAM_MEG=64", Features: []string{"LAYER_3", "MIN_DRAM_MEG=64"},
			BoardIDs: []string{"0x00000008"}, SystemTypeID: "0x00000000", Stacking: "1.0",
		}},
		{"2960-X CRLF, wrapped board ids, info_end without colon", info2960x, 2, InfoImage{
			Name: "image-nameB.bin", Directory: "image-name", VersionSuffix: "xxxx", Family: "xxxx",
			IOSImageSize: 6398464, TotalSize: 8133632, MinDRAM: 128 << 20,
			Feature: "IP|LAYER_3|PLUS|MIN_DRAM_MEG=128", Features: []string{"IP", "LAYER_3", "PLUS", "MIN_DRAM_MEG=128"},
			BoardIDs:     []string{"0x401100c4", "0x00000000", "0x00000001", "0x00000003", "0x00000002", "0x00008000", "0x00008002", "0x40110000"},
			SystemTypeID: "0x00000000", Stacking: "x",
		}},
		{"as printed by a 3750", printed3750, 1, InfoImage{
			Name: "c3750-i5-mz.122-20.SE.bin", Directory: "c3750-i5-mz.122-20.SE", VersionSuffix: "i5-122-20.SE",
			IOSImageSize: 0x004BA200, TotalSize: 0x00818A00, MinDRAM: 64 << 20, Stacking: "1.4",
			Feature: "LAYER_3|MIN_DRAM_MEG=64", Features: []string{"LAYER_3", "MIN_DRAM_MEG=64"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ParseInfo([]byte(tt.in))
			if len(in.Sections) != tt.sections {
				t.Errorf("ParseInfo() = %d sections, want %d", len(in.Sections), tt.sections)
			}
			if diff := cmp.Diff(tt.want, in.Image()); diff != "" {
				t.Errorf("ParseInfo().Image() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInfoFamilyFromHeaderSection(t *testing.T) {
	in := ParseInfo([]byte("system_type:0x00000000:c3750-i5-mz.122-20.SE\nimage_family:C3750\nstacking_number:1.4\ninfo_end:\n"))
	if got := in.Family(); got != "C3750" {
		t.Errorf("Family() = %q, want C3750", got)
	}
	if len(in.Images) != 0 {
		t.Errorf("Images = %d, want 0 for a header-only info", len(in.Images))
	}
	if got := in.Image().Path(); got != "" {
		t.Errorf("Image().Path() = %q, want empty", got)
	}
}

func TestParseInfoNumber(t *testing.T) {
	for in, want := range map[string]int64{"6398464": 6398464, "0x004BA200": 0x4BA200, "0X10": 16, "-5": 0, "12abc": 0, "": 0, "0x": 0, "99999999999999999999": 0} {
		if got := parseInfoNumber(in); got != want {
			t.Errorf("parseInfoNumber(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzParseInfo(f *testing.F) {
	for _, s := range []string{info2950, info3560, info2960x, printed3750, "", "info_end:\n", ":::\n0x1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := ParseInfo(b)
		if len(in.Sections) > maxInfoSections {
			t.Errorf("ParseInfo() = %d sections, want at most %d", len(in.Sections), maxInfoSections)
		}
		for _, s := range in.Sections {
			if len(s.Fields) > maxInfoFields {
				t.Errorf("ParseInfo() section with %d fields, want at most %d", len(s.Fields), maxInfoFields)
			}
		}
		for _, im := range in.Images {
			if im.IOSImageSize < 0 || im.TotalSize < 0 || im.MinDRAM < 0 || len(im.BoardIDs) > maxBoardIDs {
				t.Errorf("ParseInfo() image %+v has negative sizes or too many board ids", im)
			}
		}
	})
}
