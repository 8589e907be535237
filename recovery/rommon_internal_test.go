package recovery

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMonitorSet(t *testing.T) {
	in := "set\r\nPS1=rommon ! > \r\nIP_ADDRESS=10.0.0.3\r\nTFTP_FILE=c2800nm-ipbase-mz.124-24.T8.bin\r\ntftp_file=C2800NM.BIN\r\nEMPTY=\r\n"
	want := map[string]string{"PS1": "rommon ! >", "IP_ADDRESS": "10.0.0.3", "TFTP_FILE": "c2800nm-ipbase-mz.124-24.T8.bin", "tftp_file": "C2800NM.BIN", "EMPTY": ""}
	if diff := cmp.Diff(want, parseMonitorSet(in)); diff != "" {
		t.Errorf("parseMonitorSet() (-want +got):\n%s", diff)
	}
}

func FuzzParseMonitorSet(f *testing.F) {
	f.Add("PS1=rommon ! > \r\nIP_ADDRESS=10.0.0.3\r\n")
	f.Add("BOOT=flash:c3560.bin;flash:x.bin\nBAUD=9600\n")
	f.Fuzz(func(t *testing.T, in string) {
		for k := range parseMonitorSet(in) {
			if k == "" {
				t.Errorf("parseMonitorSet(%q) gave an empty name", in)
			}
		}
	})
}

func FuzzParseConfreg(f *testing.F) {
	for _, s := range []string{"0x2142", "0x2102", "0x2124", "0xFFFF", "2142", "0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConfreg(s)
		if err != nil {
			return
		}
		switch c.ConsoleBaud {
		case 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200:
		default:
			t.Errorf("ParseConfreg(%q).ConsoleBaud = %d, not a console speed", s, c.ConsoleBaud)
		}
	})
}
