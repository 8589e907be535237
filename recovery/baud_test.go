package recovery_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"fieldcon/recovery"
	"fieldcon/recovery/recoverytest"
)

// loader returns a fake Catalyst loader at 9600 whose set BAUD behaviour the
// test chooses: takes[N] is the speed the device moves to after `set BAUD N`
// (0: the command is accepted but the speed does not change).
func loader(takes map[int]int, setOutput string) *recoverytest.Console {
	c := recoverytest.New()
	c.SetDeviceBaud(9600)
	for n, to := range takes {
		c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^set BAUD ` + strconv.Itoa(n) + `$`), DeviceBaud: to})
	}
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^unset BAUD$`), Reply: "switch: ", DeviceBaud: 9600})
	c.On(`^set$`, setOutput+"switch: ")
	c.On(`^$`, "switch: ")
	return c
}

func TestBaudDance(t *testing.T) {
	tests := []struct {
		name        string
		takes       map[int]int
		set         string
		wantRaised  int
		wantSent    []string
		wantRestErr string // "" for success
	}{
		{
			name:       "115200 works and comes back",
			takes:      map[int]int{115200: 115200, 9600: 9600},
			set:        "BOOT=flash:c3560.bin\r\nBAUD=9600\r\n",
			wantRaised: 115200,
			wantSent:   []string{"set BAUD 115200", "", "set BAUD 9600", "", "unset BAUD", "", "set"},
		},
		{
			name:       "115200 does not take until reload, 57600 does",
			takes:      map[int]int{115200: 0, 57600: 57600, 9600: 9600},
			set:        "BOOT=flash:c3560.bin\r\n",
			wantRaised: 57600,
			wantSent: []string{
				"set BAUD 115200", "", "", "", // three CRs at 115200: garbage
				"", // found again at 9600
				"set BAUD 57600", "",
				"set BAUD 9600", "", "unset BAUD", "", "set",
			},
		},
		{
			name:       "set BAUD 9600 does not bring it down, unset BAUD does",
			takes:      map[int]int{115200: 115200, 9600: 0},
			set:        "\r\n",
			wantRaised: 115200,
			wantSent: []string{
				"set BAUD 115200", "",
				"set BAUD 9600", "", "", "", // nothing at 9600
				"",           // still at 115200
				"unset BAUD", // at 115200
				"",           // prompt at 9600
				"unset BAUD", "", "set",
			},
		},
		{
			name:        "a BAUD stays stored",
			takes:       map[int]int{115200: 115200, 9600: 9600},
			set:         "BAUD=115200\r\n",
			wantRaised:  115200,
			wantSent:    []string{"set BAUD 115200", "", "set BAUD 9600", "", "unset BAUD", "", "set"},
			wantRestErr: "still stores BAUD=115200",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := loader(tt.takes, tt.set)
				d := recovery.BaudDance{Ladder: []int{115200, 57600}}
				got, err := d.Raise(context.Background(), c, nil)
				if err != nil || got != tt.wantRaised {
					t.Fatalf("Raise() = %d, %v; want %d", got, err, tt.wantRaised)
				}
				if c.Baud() != got || c.DeviceBaud() != got {
					t.Errorf("after Raise host %d device %d, want both %d", c.Baud(), c.DeviceBaud(), got)
				}
				back, err := d.Restore(context.Background(), c, nil)
				if tt.wantRestErr == "" && err != nil {
					t.Errorf("Restore() = %v, want success", err)
				}
				if tt.wantRestErr != "" && (err == nil || !regexp.MustCompile(regexp.QuoteMeta(tt.wantRestErr)).MatchString(err.Error())) {
					t.Errorf("Restore() = %v, want an error saying %q", err, tt.wantRestErr)
				}
				if back != 9600 || c.Baud() != 9600 || c.DeviceBaud() != 9600 {
					t.Errorf("after Restore = %d: host %d device %d, want all 9600", back, c.Baud(), c.DeviceBaud())
				}
				if diff := cmp.Diff(tt.wantSent, c.Sent()); diff != "" {
					t.Errorf("lines sent (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestBaudDanceLostDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The loader jumps somewhere nobody asked for.
		c := loader(map[int]int{115200: 19200}, "")
		_, err := recovery.BaudDance{Ladder: []int{115200}}.Raise(context.Background(), c, nil)
		if !errors.Is(err, recovery.ErrSpeedUnknown) {
			t.Fatalf("Raise() = %v, want ErrSpeedUnknown", err)
		}
	})
}
