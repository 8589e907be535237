package images

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Listings from seed 000 (3750 upgrade guide, 3550 forum post) and the
// flash_init output of the same switch.
const (
	dir3750 = `3750#dir flash:
Directory of flash:/

   2  -rwx  5684228  Mar 12 1993 08:13:57 +00:00  c3750-ipbase-mz.122-25.SEC2.bin
   3  -rwx     2105   Mar 1 1993 00:02:16 +00:00  config.text
   4  drwx      192  Mar 12 1993 08:11:00 +00:00  c3750-ipbase-mz.122-25.SEB4
   5  -rwx        5   Mar 1 1993 00:02:16 +00:00  private-config.text
   6  -rwx      856   Mar 1 1993 00:04:40 +00:00  vlan.dat
 364  -rwx      105  Mar 12 1993 08:11:00 +00:00  info

15998976 bytes total (3201536 bytes free)
`
	dirGlued = "Directory of flash:/\r\n\r\n" +
		"   2  drwx192  Mar 11 1993 00:31:05 +00:00  c3750-advipservicesk9-mz.122-25.SEE1 \r\n" +
		" 455  -rwx         114  Mar 11 1993 00:31:05 +00:00  info\r\n\r\n" +
		"15998976 bytes total (5613056 bytes free)\r\n"
	dir3550 = `Switch#sh flash

Directory of flash:/

7 drwx 192 Mar 01 1993 00:03:08 c3550-i9q3l2-mz.121-11.EA1

15998976 bytes total (11623936 bytes free)
`
	dirStack = `Switch#dir flash1:
Directory of flash1:/

   6  -rwx     8169055   Mar 1 1993 00:43:34 +00:00  c3750-advipservicesk9-mz.
 367  drwx         192   Mar 1 1993 00:32:19 +00:00  c3750-advipservicesk9-mz.

32514048 bytes total (12754944 bytes free)

Switch#dir flash2:
Directory of flash:/

   2  -rwx     4207104   Jan 1 1970 00:14:06 +00:00  c3750-i9-mz.122-20.SE4

32514048 bytes total (13071360 bytes free)
`
	dirLoader = `switch: dir flash:
Directory of flash:/

2    -rwx  5800263   <date>               c3560-ipbasek9-mz.122-55.SE5.bin
3    -rwx  1048      <date>               multiple-fs

27611136 bytes available (4902912 bytes used)
`
	flashInit = `Initializing Flash...
flashfs[0]: 86 files, 4 directories
flashfs[0]: 0 orphaned files, 0 orphaned directories
flashfs[0]: Total bytes: 15998976
flashfs[0]: Bytes used: 12507648
flashfs[0]: Bytes available: 3491328
flashfs[0]: flashfs fsck took 9 seconds.
...done Initializing Flash.
`
)

func TestParseDirFlash(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want FlashListing
	}{
		{"3750 IOS", dir3750, FlashListing{
			Filesystem: "flash:/", Total: 15998976, Free: 3201536, HasTotals: true,
			Entries: []FlashEntry{
				{Index: 2, Perms: "-rwx", Size: 5684228, Date: "Mar 12 1993 08:13:57 +00:00", Name: "c3750-ipbase-mz.122-25.SEC2.bin"},
				{Index: 3, Perms: "-rwx", Size: 2105, Date: "Mar 1 1993 00:02:16 +00:00", Name: "config.text"},
				{Index: 4, Perms: "drwx", Dir: true, Size: 192, Date: "Mar 12 1993 08:11:00 +00:00", Name: "c3750-ipbase-mz.122-25.SEB4"},
				{Index: 5, Perms: "-rwx", Size: 5, Date: "Mar 1 1993 00:02:16 +00:00", Name: "private-config.text"},
				{Index: 6, Perms: "-rwx", Size: 856, Date: "Mar 1 1993 00:04:40 +00:00", Name: "vlan.dat"},
				{Index: 364, Perms: "-rwx", Size: 105, Date: "Mar 12 1993 08:11:00 +00:00", Name: "info"},
			},
		}},
		{"columns run together, CRLF", dirGlued, FlashListing{
			Filesystem: "flash:/", Total: 15998976, Free: 5613056, HasTotals: true,
			Entries: []FlashEntry{
				{Index: 2, Perms: "drwx", Dir: true, Size: 192, Date: "Mar 11 1993 00:31:05 +00:00", Name: "c3750-advipservicesk9-mz.122-25.SEE1"},
				{Index: 455, Perms: "-rwx", Size: 114, Date: "Mar 11 1993 00:31:05 +00:00", Name: "info"},
			},
		}},
		{"3550 single spaces", dir3550, FlashListing{
			Filesystem: "flash:/", Total: 15998976, Free: 11623936, HasTotals: true,
			Entries: []FlashEntry{{Index: 7, Perms: "drwx", Dir: true, Size: 192, Date: "Mar 01 1993 00:03:08", Name: "c3550-i9q3l2-mz.121-11.EA1"}},
		}},
		{"stack: first listing only", dirStack, FlashListing{
			Filesystem: "flash1:/", Total: 32514048, Free: 12754944, HasTotals: true,
			Entries: []FlashEntry{
				{Index: 6, Perms: "-rwx", Size: 8169055, Date: "Mar 1 1993 00:43:34 +00:00", Name: "c3750-advipservicesk9-mz."},
				{Index: 367, Perms: "drwx", Dir: true, Size: 192, Date: "Mar 1 1993 00:32:19 +00:00", Name: "c3750-advipservicesk9-mz."},
			},
		}},
		{"boot loader", dirLoader, FlashListing{
			Filesystem: "flash:/", Total: 27611136 + 4902912, Free: 27611136, HasTotals: true,
			Entries: []FlashEntry{
				{Index: 2, Perms: "-rwx", Size: 5800263, Date: "<date>", Name: "c3560-ipbasek9-mz.122-55.SE5.bin"},
				{Index: 3, Perms: "-rwx", Size: 1048, Date: "<date>", Name: "multiple-fs"},
			},
		}},
		{"flash_init", flashInit, FlashListing{Total: 15998976, Free: 3491328, HasTotals: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseDirFlash(tt.in)
			if !ok {
				t.Fatalf("ParseDirFlash() ok = false, want true")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDirFlash() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDirFlashNothing(t *testing.T) {
	for _, in := range []string{"", "switch: ", "% Invalid input detected at '^' marker.", "15998976 bytes"} {
		if l, ok := ParseDirFlash(in); ok {
			t.Errorf("ParseDirFlash(%q) = %+v, true; want false", in, l)
		}
	}
}

func TestFlashListingImages(t *testing.T) {
	l, _ := ParseDirFlash(dir3750)
	var names []string
	for _, e := range l.Images() {
		names = append(names, e.Name)
	}
	want := []string{"c3750-ipbase-mz.122-25.SEC2.bin", "c3750-ipbase-mz.122-25.SEB4"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("Images() mismatch (-want +got):\n%s", diff)
	}
	if _, ok := l.Find("/vlan.dat"); !ok {
		t.Errorf("Find(/vlan.dat) = false, want true")
	}
}

func FuzzParseDirFlash(f *testing.F) {
	for _, s := range []string{dir3750, dirGlued, dir3550, dirStack, dirLoader, flashInit, "1 -rwx 1 x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, _ := ParseDirFlash(s)
		if len(l.Entries) > maxFlashEntries {
			t.Errorf("ParseDirFlash() = %d entries, want at most %d", len(l.Entries), maxFlashEntries)
		}
		for _, e := range l.Entries {
			if e.Name == "" || e.Size < 0 {
				t.Errorf("ParseDirFlash() entry %+v has no name or a negative size", e)
			}
		}
		if l.Total < 0 || l.Free < 0 {
			t.Errorf("ParseDirFlash() total %d free %d, want non-negative", l.Total, l.Free)
		}
	})
}
