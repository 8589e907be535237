package xmodem

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testData returns n reproducible pseudo-random bytes.
func testData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// padded is what a receiver that does not know the size stores: data up to
// the end of the last block, filled with SUB. Mirrors Send's choice of a
// 128-byte block for a tail of 128 bytes or less.
func padded(data []byte, mode Mode) []byte {
	size := blockSize128
	if mode == Mode1K {
		size = blockSize1K
	}
	out := append([]byte(nil), data...)
	tail := len(data) % size
	switch {
	case tail == 0:
	case tail <= blockSize128:
		out = append(out, bytes.Repeat([]byte{sub}, blockSize128-tail)...)
	default:
		out = append(out, bytes.Repeat([]byte{sub}, size-tail)...)
	}
	return out
}

type result struct {
	st  Stats
	err error
}

// transfer runs Send and Receive against each other over a buffered pipe.
func transfer(t *testing.T, ctx context.Context, data []byte, so, ro Options, setup func(snd, rcv *pipeEnd)) (sent, recv result, got []byte) {
	t.Helper()
	a, b := newPipe()
	if ro.EOTTimeout == 0 {
		// The receiver lingers this long after the final ACK; keep the
		// table fast.
		ro.EOTTimeout = 50 * time.Millisecond
	}
	if setup != nil {
		setup(a, b)
	}
	done := make(chan result, 1)
	go func() {
		st, err := Send(ctx, a, bytes.NewReader(data), so)
		done <- result{st, err}
	}()
	var out bytes.Buffer
	st, err := Receive(ctx, b, &out, ro)
	recv = result{st, err}
	sent = <-done
	return sent, recv, out.Bytes()
}

func TestSendReceive(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		send     Mode
		recv     Mode
		wantMode Mode
	}{
		{"empty file", 0, ModeAuto, ModeAuto, ModeCRC},
		{"one byte crc", 1, ModeAuto, ModeCRC, ModeCRC},
		{"exact block checksum", 128, ModeAuto, ModeChecksum, ModeChecksum},
		{"block plus one crc", 129, ModeCRC, ModeAuto, ModeCRC},
		{"1K exact", 1024, Mode1K, ModeAuto, Mode1K},
		{"1K short tail", 1024 + 100, Mode1K, ModeAuto, Mode1K},
		{"1K long tail", 2048 + 500, Mode1K, ModeCRC, Mode1K},
		{"1K with checksum receiver", 3000, Mode1K, ModeChecksum, Mode1K},
		{"sequence wraps 128", 300 * 128, ModeCRC, ModeAuto, ModeCRC},
		{"sequence wraps 1K", 260*1024 + 7, Mode1K, ModeAuto, Mode1K},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			data := testData(tt.size, uint64(tt.size))
			for _, known := range []bool{false, true} {
				ro := Options{Mode: tt.recv}
				want := padded(data, tt.send)
				if known {
					ro.Size = int64(tt.size)
					want = data
				}
				sent, recv, got := transfer(t, ctx, data, Options{Mode: tt.send}, ro, nil)
				if sent.err != nil || recv.err != nil {
					t.Fatalf("size known %v: Send() error = %v, Receive() error = %v", known, sent.err, recv.err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("size known %v: received %d bytes, want %d (%s)", known, len(got), len(want), firstDiff(got, want))
				}
				if sent.st.Mode != tt.wantMode || recv.st.Mode != tt.wantMode && tt.size > 0 {
					t.Errorf("modes: Send %v, Receive %v, want %v", sent.st.Mode, recv.st.Mode, tt.wantMode)
				}
				if !sent.st.EOTAcked {
					t.Errorf("Send().EOTAcked = false, want true")
				}
				if sent.st.Bytes != int64(tt.size) || recv.st.Bytes != int64(len(want)) {
					t.Errorf("Bytes: Send %d, Receive %d; want %d, %d", sent.st.Bytes, recv.st.Bytes, tt.size, len(want))
				}
				if sent.st.Retries != 0 || recv.st.Retries != 0 {
					t.Errorf("Retries on a clean line: Send %d, Receive %d, want 0", sent.st.Retries, recv.st.Retries)
				}
			}
		})
	}
}

func firstDiff(a, b []byte) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return "first difference at byte " + strconv.Itoa(i)
		}
	}
	return "one is a prefix of the other"
}

func TestTrimPadding(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := []byte("text file without trailing SUB\n")
	_, recv, got := transfer(t, ctx, data, Options{}, Options{TrimPadding: true}, nil)
	if recv.err != nil {
		t.Fatalf("Receive() error = %v", recv.err)
	}
	if diff := cmp.Diff(data, got); diff != "" {
		t.Errorf("Receive(TrimPadding) mismatch (-want +got):\n%s", diff)
	}
}

func TestYModem(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := testData(5000, 5)
	so := Options{Mode: Mode1K, YModem: true, Name: "c1841-ipbase-mz.124-1c.bin"}
	sent, recv, got := transfer(t, ctx, data, so, Options{YModem: true}, nil)
	if sent.err != nil || recv.err != nil {
		t.Fatalf("Send() error = %v, Receive() error = %v", sent.err, recv.err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("Receive(YModem) got %d bytes, want %d exactly (size from header)", len(got), len(data))
	}
	if recv.st.Name != so.Name || recv.st.Size != int64(len(data)) {
		t.Errorf("Receive(YModem) Name, Size = %q, %d; want %q, %d", recv.st.Name, recv.st.Size, so.Name, len(data))
	}
}

func TestYModemReceiverTakesPlainXModem(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := testData(700, 7)
	sent, recv, got := transfer(t, ctx, data, Options{}, Options{YModem: true, Size: 700}, nil)
	if sent.err != nil || recv.err != nil {
		t.Fatalf("Send() error = %v, Receive() error = %v", sent.err, recv.err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("Receive(YModem) from an XMODEM sender: got %d bytes, want %d", len(got), len(data))
	}
}

func TestNoisyLine(t *testing.T) {
	tests := []struct {
		name  string
		mode  Mode
		every int
	}{
		{"crc every 997", ModeCRC, 997},
		{"1K every 3001", Mode1K, 3001},
		{"checksum every 1499", ModeChecksum, 1499},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			data := testData(40000, 11)
			var flipsOut, flipsBack int
			// XMODEM's ACK carries no block number: an ACK that crosses a
			// resent block is taken for that block's, and the next block is
			// skipped. So the timeouts stay far above any scheduling stall
			// of a loaded machine, and the receiver waits longer than the
			// sender, as real receivers do (10 s), so that their timeouts
			// never fire together.
			o := Options{Mode: tt.mode, Timeout: time.Second, Retries: 20}
			ro := o
			ro.Timeout = 4 * time.Second
			ro.Size = int64(len(data))
			if tt.mode == Mode1K {
				ro.Mode = ModeCRC
			}
			sent, recv, got := transfer(t, ctx, data, o, ro, func(snd, rcv *pipeEnd) {
				snd.tamper = flipEvery(tt.every, &flipsOut)
				rcv.tamper = flipEvery(tt.every/20+1, &flipsBack)
			})
			if sent.err != nil || recv.err != nil {
				t.Fatalf("Send() error = %v, Receive() error = %v", sent.err, recv.err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("received file differs: %s", firstDiff(got, data))
			}
			if flipsOut == 0 || sent.st.Retries == 0 || recv.st.Retries == 0 {
				t.Errorf("%d bits flipped to the receiver, %d back; Retries: Send %d, Receive %d; want all > 0",
					flipsOut, flipsBack, sent.st.Retries, recv.st.Retries)
			}
		})
	}
}

func TestProgress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := testData(10*1024+5, 3)
	var got []Progress
	var mu sync.Mutex
	so := Options{Mode: Mode1K, Progress: func(p Progress) {
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}}
	sent, _, _ := transfer(t, ctx, data, so, Options{}, nil)
	if sent.err != nil {
		t.Fatalf("Send() error = %v", sent.err)
	}
	if len(got) != 11 {
		t.Fatalf("Progress called %d times, want 11 (one per block)", len(got))
	}
	for i, p := range got {
		if p.Blocks != i+1 || p.Total != int64(len(data)) {
			t.Errorf("Progress #%d = %+v, want Blocks %d, Total %d", i, p, i+1, len(data))
		}
		if i > 0 && p.Bytes <= got[i-1].Bytes {
			t.Errorf("Progress #%d Bytes = %d, not above %d", i, p.Bytes, got[i-1].Bytes)
		}
	}
	last := got[len(got)-1]
	if last.Bytes != int64(len(data)) || last.ETA != 0 {
		t.Errorf("last Progress = %+v, want Bytes %d and ETA 0", last, len(data))
	}
}

func TestOptionsValidation(t *testing.T) {
	ctx := context.Background()
	a, _ := newPipe()
	for _, o := range []Options{
		{Mode: Mode(9)},
		{Retries: -1},
		{Timeout: -time.Second},
		{YModem: true}, // no name, and a bytes.Reader has none
	} {
		if _, err := Send(ctx, a, bytes.NewReader(nil), o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("Send(%+v) error = %v, want ErrBadOptions", o, err)
		}
	}
	if _, err := Receive(ctx, a, &bytes.Buffer{}, Options{Size: -1}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("Receive(Size -1) error = %v, want ErrBadOptions", err)
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{ModeAuto, ModeChecksum, ModeCRC, Mode1K} {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseMode("zmodem"); !errors.Is(err, ErrBadOptions) {
		t.Errorf("ParseMode(zmodem) error = %v, want ErrBadOptions", err)
	}
}

func TestTimeoutFor(t *testing.T) {
	tests := []struct {
		baud int
		want time.Duration
	}{
		{0, DefaultTimeout},
		{115200, 2 * time.Second},
		{9600, 3 * 1030 * 10 * time.Second / 9600},
		{1200, 3 * 1030 * 10 * time.Second / 1200},
	}
	for _, tt := range tests {
		if got := TimeoutFor(tt.baud); got != tt.want {
			t.Errorf("TimeoutFor(%d) = %v, want %v", tt.baud, got, tt.want)
		}
	}
}
