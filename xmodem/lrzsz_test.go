//go:build linux

package xmodem

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// These tests run fieldcon's Send and Receive against lrzsz (sx, rx, sb, rb)
// over real pseudo-terminals. lrzsz is installed by
// scripts/install-test-deps.sh; without it the tests skip.

// lrzszTimeout guards a whole transfer on a pty; never the expected outcome.
const lrzszTimeout = 60 * time.Second

func needLrzsz(t *testing.T) {
	t.Helper()
	for _, p := range []string{"sx", "rx", "sb", "rb"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("lrzsz %s not installed (scripts/install-test-deps.sh installs it): %v", p, err)
		}
	}
}

// rawPty opens a pseudo-terminal whose slave is in raw mode, so the line
// discipline neither echoes nor translates the binary stream.
func rawPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("pty.Open() error = %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("get termios: %v", err)
	}
	// cfmakeraw
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatalf("set termios: %v", err)
	}
	return master, slave
}

// peer is an lrzsz process on the slave side of a pty.
type peer struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

// startPeer runs name args in dir with the pty slave as its stdin and
// stdout, then closes our copy of the slave so that the master sees the
// hang-up when the process exits.
func startPeer(t *testing.T, slave *os.File, dir, name string, args ...string) *peer {
	t.Helper()
	p := &peer{stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = dir
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = slave, slave, p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	slave.Close()
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait returns the process's exit error, or fails the test if it does not
// exit within the hang guard.
func (p *peer) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for Cleanup
		return err
	case <-time.After(lrzszTimeout):
		t.Fatalf("%s did not exit; its stderr: %s", p.cmd.Path, p.stderr)
		return nil
	}
}

// wantPadded checks what lrzsz rx stores: the file, then SUB padding to the
// end of the last block (rx does not know the size, keeps the padding, and
// a 1K sender's short tail comes in a 128-byte block).
func wantPadded(t *testing.T, got, data []byte, mode Mode) {
	t.Helper()
	if want := padded(data, mode); !bytes.Equal(got, want) {
		t.Errorf("file stored by rx: %d bytes, want %d (%s)", len(got), len(want), firstDiff(got, want))
	}
}

// wantSubPadded checks what Receive stores from sx without a size: the
// file, then only SUB bytes up to a whole 128-byte block.
func wantSubPadded(t *testing.T, got, data []byte) {
	t.Helper()
	if !bytes.HasPrefix(got, data) || len(got)%blockSize128 != 0 || len(got)-len(data) >= blockSize1K ||
		len(bytes.Trim(got[len(data):], "\x1a")) != 0 {
		t.Errorf("file received from sx: %d bytes, want %d bytes then SUB padding to a block boundary", len(got), len(data))
	}
}

func TestLrzszRxReceivesSend(t *testing.T) {
	needLrzsz(t)
	tests := []struct {
		name     string
		rxArgs   []string
		mode     Mode
		wantMode Mode
	}{
		{"rx -X checksum", []string{"-X"}, ModeAuto, ModeChecksum},
		{"rx -X -c CRC", []string{"-X", "-c"}, ModeAuto, ModeCRC},
		{"rx -X -c 1K", []string{"-X", "-c"}, Mode1K, Mode1K},
		{"rx -X 1K with checksum", []string{"-X"}, Mode1K, Mode1K},
		{"rx -X forced CRC", []string{"-X", "-c"}, ModeCRC, ModeCRC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), lrzszTimeout)
			defer cancel()
			dir := t.TempDir()
			data := testData(40000+77, 42) // 313 blocks of 128: the sequence wraps
			master, slave := rawPty(t)
			rx := startPeer(t, slave, dir, "rx", append(tt.rxArgs, "out.bin")...)
			st, err := Send(ctx, master, bytes.NewReader(data), Options{Mode: tt.mode, Turnaround: time.Millisecond, Timeout: time.Second})
			// rx writes its last ACK and exits at once, flushing its
			// terminal's queues on the way out: on a pseudo-terminal the
			// ACK is thrown away unless the master has read it already
			// (on a real UART tcdrain would have waited for it). So an
			// unconfirmed end is accepted; the file is checked below.
			if err != nil && !errors.Is(err, ErrEOTNotAcknowledged) {
				t.Fatalf("Send() error = %v; rx said: %s", err, rx.stderr)
			}
			if werr := rx.wait(t); werr != nil {
				t.Fatalf("rx exited with %v: %s", werr, rx.stderr)
			}
			t.Logf("Send() = %+v, err %v", st, err)
			// Retries are not asserted: rx purges its input right after each
			// ACK, and on a loaded machine a block can still land before
			// the purge despite Turnaround; Send then repeats it.
			if st.Mode != tt.wantMode || st.Bytes != int64(len(data)) {
				t.Errorf("Send() Mode %v, Bytes %d; want %v, %d", st.Mode, st.Bytes, tt.wantMode, len(data))
			}
			got, rerr := os.ReadFile(filepath.Join(dir, "out.bin"))
			if rerr != nil {
				t.Fatal(rerr)
			}
			wantPadded(t, got, data, tt.mode)
		})
	}
}

func TestLrzszSxSendsToReceive(t *testing.T) {
	needLrzsz(t)
	tests := []struct {
		name     string
		sxArgs   []string
		mode     Mode
		wantMode Mode
	}{
		{"sx -X to checksum receiver", []string{"-X"}, ModeChecksum, ModeChecksum},
		{"sx -X to CRC receiver", []string{"-X"}, ModeCRC, ModeCRC},
		{"sx -X -k 1K", []string{"-X", "-k"}, ModeAuto, Mode1K},
	}
	for _, tt := range tests {
		for _, known := range []bool{false, true} {
			name := tt.name
			if known {
				name += " size known"
			}
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), lrzszTimeout)
				defer cancel()
				dir := t.TempDir()
				data := testData(33000+77, 43)
				if err := os.WriteFile(filepath.Join(dir, "in.bin"), data, 0o644); err != nil {
					t.Fatal(err)
				}
				master, slave := rawPty(t)
				sx := startPeer(t, slave, dir, "sx", append(tt.sxArgs, "in.bin")...)
				o := Options{Mode: tt.mode, EOTTimeout: 100 * time.Millisecond}
				if known {
					o.Size = int64(len(data))
				}
				var out bytes.Buffer
				st, err := Receive(ctx, master, &out, o)
				if err != nil {
					t.Fatalf("Receive() error = %v; sx said: %s", err, sx.stderr)
				}
				if werr := sx.wait(t); werr != nil {
					t.Errorf("sx exited with %v: %s", werr, sx.stderr)
				}
				t.Logf("Receive() = %+v", st)
				if st.Mode != tt.wantMode {
					t.Errorf("Receive() Mode = %v, want %v", st.Mode, tt.wantMode)
				}
				if known {
					if !bytes.Equal(out.Bytes(), data) {
						t.Errorf("received %d bytes, want exactly %d (%s)", out.Len(), len(data), firstDiff(out.Bytes(), data))
					}
					return
				}
				wantSubPadded(t, out.Bytes(), data)
			})
		}
	}
}

func TestLrzszYModem(t *testing.T) {
	needLrzsz(t)
	t.Run("Send to rb", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), lrzszTimeout)
		defer cancel()
		dir := t.TempDir()
		data := testData(20000+5, 44)
		master, slave := rawPty(t)
		rb := startPeer(t, slave, dir, "rb")
		o := Options{Mode: Mode1K, YModem: true, Name: "c1841-ipbase-mz.124-1c.bin", Turnaround: time.Millisecond, Timeout: time.Second}
		st, err := Send(ctx, master, bytes.NewReader(data), o)
		if err != nil {
			t.Fatalf("Send(YModem) error = %v; rb said: %s", err, rb.stderr)
		}
		if werr := rb.wait(t); werr != nil {
			t.Fatalf("rb exited with %v: %s", werr, rb.stderr)
		}
		t.Logf("Send() = %+v", st)
		got, err := os.ReadFile(filepath.Join(dir, o.Name))
		if err != nil {
			t.Fatalf("rb did not store the file under the header's name: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("rb stored %d bytes, want exactly %d: the header's size cuts the padding", len(got), len(data))
		}
	})
	t.Run("sb to Receive", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), lrzszTimeout)
		defer cancel()
		dir := t.TempDir()
		data := testData(20000+5, 45)
		if err := os.WriteFile(filepath.Join(dir, "config.text"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		master, slave := rawPty(t)
		sb := startPeer(t, slave, dir, "sb", "-k", "config.text")
		var out bytes.Buffer
		st, err := Receive(ctx, master, &out, Options{YModem: true, EOTTimeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatalf("Receive(YModem) error = %v; sb said: %s", err, sb.stderr)
		}
		if werr := sb.wait(t); werr != nil {
			t.Errorf("sb exited with %v: %s", werr, sb.stderr)
		}
		if st.Name != "config.text" || st.Size != int64(len(data)) {
			t.Errorf("Receive(YModem) Name, Size = %q, %d; want config.text, %d", st.Name, st.Size, len(data))
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Errorf("received %d bytes, want exactly %d", out.Len(), len(data))
		}
	})
}

// TestLrzszAbort ends one side in the middle of a transfer and checks that
// the other side stops on its own, without waiting out its timeouts: the
// transfers run with a one-hour round-trip timeout, so only a prompt
// reaction ends them before the test's hang guard.
func TestLrzszAbort(t *testing.T) {
	needLrzsz(t)
	const long = time.Hour
	const abortAt = 20 // blocks
	data := testData(60000, 46)

	sendToRx := func(t *testing.T, ctx context.Context, abort func(rx *peer, cancel context.CancelFunc)) (*peer, error) {
		t.Helper()
		master, slave := rawPty(t)
		rx := startPeer(t, slave, t.TempDir(), "rx", "-X", "-c", "out.bin")
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		o := Options{Timeout: long, Turnaround: time.Millisecond, Progress: func(p Progress) {
			if p.Blocks == abortAt {
				abort(rx, cancel)
			}
		}}
		_, err := Send(sctx, master, bytes.NewReader(data), o)
		return rx, err
	}
	sxToReceive := func(t *testing.T, ctx context.Context, abort func(sx *peer, cancel context.CancelFunc)) (*peer, error) {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "in.bin"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		master, slave := rawPty(t)
		sx := startPeer(t, slave, dir, "sx", "-X", "in.bin")
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		o := Options{Mode: ModeCRC, Timeout: long, Progress: func(p Progress) {
			if p.Blocks == abortAt {
				abort(sx, cancel)
			}
		}}
		_, err := Receive(rctx, master, io.Discard, o)
		return sx, err
	}
	kill := func(p *peer, _ context.CancelFunc) { p.cmd.Process.Kill() }
	term := func(p *peer, _ context.CancelFunc) { p.cmd.Process.Signal(syscall.SIGTERM) }
	cancelOurs := func(_ *peer, cancel context.CancelFunc) { cancel() }

	tests := []struct {
		name    string
		run     func(*testing.T, context.Context, func(*peer, context.CancelFunc)) (*peer, error)
		abort   func(*peer, context.CancelFunc)
		wantErr error // nil: any error but the hang guard
	}{
		{"kill -9 rx during Send", sendToRx, kill, nil},
		// lrzsz answers SIGTERM with CANs, but they are written just
		// before exit and do not reach a pseudo-terminal's master; the
		// hang-up does.
		{"SIGTERM rx during Send", sendToRx, term, nil},
		{"cancel Send, rx stops", sendToRx, cancelOurs, context.Canceled},
		{"kill -9 sx during Receive", sxToReceive, kill, nil},
		{"SIGTERM sx during Receive", sxToReceive, term, nil},
		{"cancel Receive, sx stops", sxToReceive, cancelOurs, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), lrzszTimeout)
			defer cancel()
			p, err := tt.run(t, ctx, tt.abort)
			if err == nil || ctx.Err() != nil {
				t.Fatalf("transfer error = %v (hang guard expired: %v), want an error before the guard", err, ctx.Err() != nil)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("transfer error = %v, want %v", err, tt.wantErr)
			}
			t.Logf("our side: %v", err)
			// The peer must exit by itself too (wait fails the test if not).
			werr := p.wait(t)
			t.Logf("peer exit: %v; its stderr tail: %q", werr, tail(p.stderr.String(), 120))
			if werr == nil {
				t.Errorf("peer exited successfully after an aborted transfer")
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
