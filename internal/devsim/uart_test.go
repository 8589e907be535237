package devsim

import (
	"bytes"
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func resample(p []byte, from, to int) []byte {
	var u uart
	return append(u.feed(p, from, to), u.flush()...)
}

func TestUARTEqualSpeedsPassDataUnchanged(t *testing.T) {
	data := make([]byte, 4096)
	rand.New(rand.NewSource(1)).Read(data)
	for _, baud := range []int{1200, 9600, 57600, 115200} {
		if got := resample(data, baud, baud); !bytes.Equal(got, data) {
			t.Errorf("resample(4096 random bytes, %d, %d) changed the data", baud, baud)
		}
	}
	// Back in step after a mismatch: the next burst passes unchanged.
	var u uart
	u.feed([]byte("garbage at the wrong speed"), 115200, 9600)
	u.flush()
	if got := append(u.feed(data, 9600, 9600), u.flush()...); !bytes.Equal(got, data) {
		t.Errorf("after a mismatch and idle, equal speeds changed the data")
	}
}

func TestUARTMismatchedSpeedsGiveGarbage(t *testing.T) {
	msg := []byte("switch: flash_init\r\nInitializing Flash...\r\n")
	tests := []struct {
		name     string
		in       []byte
		from, to int
		want     []byte // exact where worked out by hand
	}{
		// A CR at 115200 lasts less than two bit times at 9600: the
		// receiver sees a start bit, then idle line.
		{name: "CR 115200 into 9600", in: []byte{'\r'}, from: 115200, to: 9600, want: []byte{0xff}},
		// At 9600 into 115200 every sender bit lasts 12 receiver bits: the
		// start bit alone reads as a NUL with a framing error.
		{name: "NUL 9600 into 115200", in: []byte{0x00}, from: 9600, to: 115200, want: []byte{0x00}},
		{name: "text 9600 into 115200", in: msg, from: 9600, to: 115200},
		{name: "text 115200 into 9600", in: msg, from: 115200, to: 9600},
		{name: "text 57600 into 38400", in: msg, from: 57600, to: 38400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resample(tt.in, tt.from, tt.to)
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("resample(%q, %d, %d) (-want +got):\n%s", tt.in, tt.from, tt.to, diff)
				}
				return
			}
			if bytes.Equal(got, tt.in) || bytes.Contains(got, []byte("flash")) {
				t.Errorf("resample(%q, %d, %d) = %q, want garbage", tt.in, tt.from, tt.to, got)
			}
			if again := resample(tt.in, tt.from, tt.to); !bytes.Equal(again, got) {
				t.Errorf("resample is not deterministic: %q then %q", got, again)
			}
		})
	}
}

// TestUARTSplitFeedsDecodeLikeOne: a continuous stream decodes the same
// however the pump slices it.
func TestUARTSplitFeedsDecodeLikeOne(t *testing.T) {
	data := []byte("The system is unable to boot automatically.")
	whole := resample(data, 115200, 19200)
	var u uart
	var split []byte
	for i := 0; i < len(data); i += 3 {
		split = append(split, u.feed(data[i:min(i+3, len(data))], 115200, 19200)...)
	}
	split = append(split, u.flush()...)
	if !bytes.Equal(whole, split) {
		t.Errorf("fed in slices = %q, fed whole = %q", split, whole)
	}
}

func TestUARTCountsFramingErrors(t *testing.T) {
	var u uart
	u.feed(bytes.Repeat([]byte{0x00}, 10), 9600, 115200)
	u.flush()
	if u.framingErrors == 0 {
		t.Errorf("NULs at 9600 into 115200: framingErrors = 0, want > 0")
	}
}

func TestPacerKeepsLineRate(t *testing.T) {
	start := time.Unix(1000, 0)
	var p pacer
	// 960 bytes at 9600 baud, all handed over at start, take exactly one
	// second of line time, however late each slice is booked.
	var end time.Time
	for i := 0; i < 240; i++ {
		end = p.reserve(start, 4, 9600)
	}
	if got, want := end.Sub(start), time.Second; got != want {
		t.Errorf("240 slices of 4 bytes at 9600 end after %v, want %v", got, want)
	}
	// Bytes handed over while the line is busy queue behind it.
	if got, want := p.reserve(end.Add(-time.Millisecond), 96, 9600).Sub(end), 100*time.Millisecond; got != want {
		t.Errorf("96 bytes queued behind a busy line end %v after it, want %v", got, want)
	}
	// After an idle gap there is no banked credit.
	later := end.Add(time.Minute)
	if got := p.reserve(later, 96, 9600).Sub(later); got != 100*time.Millisecond {
		t.Errorf("96 bytes after idle take %v, want 100ms", got)
	}
	// A speed change starts where the line is.
	busyUntil := p.end()
	if got, want := p.reserve(later, 1152, 115200).Sub(busyUntil), 100*time.Millisecond; got != want {
		t.Errorf("1152 bytes at 115200 after a change take %v, want %v", got, want)
	}
}

func FuzzUART(f *testing.F) {
	f.Add([]byte("switch: "), uint8(3), uint8(7))
	f.Add([]byte{0, 0xff, 0x55, 0xaa}, uint8(7), uint8(3))
	f.Add([]byte("rommon 1 > "), uint8(4), uint8(4))
	rates := []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}
	f.Fuzz(func(t *testing.T, data []byte, a, b uint8) {
		from, to := rates[int(a)%len(rates)], rates[int(b)%len(rates)]
		got := resample(data, from, to)
		if from == to && !bytes.Equal(got, data) {
			t.Fatalf("resample at equal speeds %d changed %q into %q", from, data, got)
		}
		// A receiver decodes at most one byte per frame time of its own,
		// plus one partly received frame.
		limit := len(data)*bitsPerFrame*to/from/bitsPerFrame + 2
		if len(got) > limit {
			t.Fatalf("resample(%d bytes, %d, %d) = %d bytes, more than %d", len(data), from, to, len(got), limit)
		}
	})
}
