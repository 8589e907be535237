package recovery

import "testing"

func TestFlashTotals(t *testing.T) {
	tests := []struct {
		name, listing       string
		wantTotal, wantFree int64
		wantOK              bool
	}{
		{"IOS", "    2  -rwx         316   Mar 1 1993 00:02:16 +00:00  env_vars\r\n\r\n15998976 bytes total (9000000 bytes free)\r\nAP0016.c716.c453#", 15998976, 9000000, true},
		{"ap: loader", "2    -rwx  316       <date>               env_vars\r\n\r\n7739904 bytes available (1536 bytes used)\r\nap: ", 7741440, 7739904, true},
		{"no footer", "Directory of flash:/\r\n\r\nap: ", 0, 0, false},
		{"number too long", "99999999999999999999 bytes total (1 bytes free)", 0, 1, false},
		{"sum too large", "9223372036854775807 bytes available (1 bytes used)", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, free, ok := flashTotals(tt.listing)
			if ok != tt.wantOK || ok && (total != tt.wantTotal || free != tt.wantFree) {
				t.Errorf("flashTotals(%q) = %d, %d, %v, want %d, %d, %v", tt.listing, total, free, ok, tt.wantTotal, tt.wantFree, tt.wantOK)
			}
		})
	}
}

func FuzzFlashTotals(f *testing.F) {
	f.Add("15998976 bytes total (9000000 bytes free)\r\nAP#")
	f.Add("7739904 bytes available (1536 bytes used)\r\nap: ")
	f.Fuzz(func(t *testing.T, listing string) {
		total, free, ok := flashTotals(listing)
		if !ok {
			return
		}
		if total < 0 || free < 0 {
			t.Fatalf("flashTotals(%q) = %d, %d: negative", listing, total, free)
		}
		if m := dirTotals.FindStringSubmatch(listing); m != nil && m[3] != "" && free > total {
			t.Fatalf("flashTotals(%q) = %d total, %d free: the loader's free is part of its total", listing, total, free)
		}
	})
}
