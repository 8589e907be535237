//go:build linux || darwin || freebsd

package devsim

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"fieldcon/xmodem"
)

// loaderAtPrompt starts a Catalyst with an initialised flash and returns
// its host side at the `switch:` prompt.
func loaderAtPrompt(t *testing.T, baud int) (*Sim, *os.File) {
	t.Helper()
	sim, err := Start(context.Background(), Options{Profile: "catalyst", Baud: baud, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("Start(catalyst): %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	host, err := os.OpenFile(sim.HostPath(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open host side: %v", err)
	}
	t.Cleanup(func() { host.Close() })
	prompt := func(b []byte) bool { return bytes.HasSuffix(b, []byte("switch: ")) }
	readUntil(t, deviceFile{host}, prompt)
	host.Write([]byte("flash_init\r"))
	readUntil(t, deviceFile{host}, prompt)
	return sim, host
}

func TestCopyXmodem(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	sim, host := loaderAtPrompt(t, 115200)
	r := rand.New(rand.NewPCG(1, 2))
	image := make([]byte, 30000+5)
	for i := range image {
		image[i] = byte(r.Uint32())
	}
	image[len(image)-1] = 'x' // not SUB: the loader trims padding

	host.Write([]byte("copy xmodem: flash:c2960-test.bin\r"))
	readUntil(t, deviceFile{host}, func(b []byte) bool {
		return bytes.Contains(b, []byte("Begin the Xmodem or Xmodem-1K transfer now...\r\n"))
	})
	success := []byte(`File "xmodem:" successfully copied to "flash:c2960-test.bin"`)
	st, err := xmodem.Send(ctx, host, bytes.NewReader(image), xmodem.Options{
		Mode:    xmodem.Mode1K,
		Confirm: func(after []byte) bool { return bytes.Contains(after, success) },
	})
	if err != nil {
		t.Fatalf("xmodem.Send() error = %v", err)
	}
	if !st.Confirmed || st.Mode != xmodem.Mode1K {
		t.Errorf("xmodem.Send() Confirmed %v, Mode %v; want true, 1k", st.Confirmed, st.Mode)
	}
	got, ok := sim.Device.Flash().Get("flash:c2960-test.bin")
	if !ok || !bytes.Equal(got, image) {
		t.Fatalf("flash holds %d bytes (present %v), want the %d sent", len(got), ok, len(image))
	}
	// Send may or may not have read the prompt after the success line, so
	// wait for the listing's footer, not just a prompt.
	host.Write([]byte("dir flash:\r"))
	out := string(readUntil(t, deviceFile{host}, func(b []byte) bool {
		return bytes.Contains(b, []byte("bytes available")) && bytes.HasSuffix(b, []byte("switch: "))
	}))
	if !regexp.MustCompile(fmt.Sprintf(`\s%d\s.*c2960-test\.bin`, len(image))).MatchString(out) {
		t.Errorf("dir flash: = %q, want c2960-test.bin with size %d", out, len(image))
	}
}

func TestCopyXmodemSenderTooLate(t *testing.T) {
	_, host := loaderAtPrompt(t, 9600)
	host.Write([]byte("copy xmodem: flash:late.bin\r"))
	out := string(readUntil(t, deviceFile{host}, func(b []byte) bool { return bytes.HasSuffix(b, []byte("switch: ")) }))
	_, after, ok := strings.Cut(out, "transfer now...\r\n")
	if !ok {
		t.Fatalf("copy xmodem: printed %q, want the invitation", out)
	}
	m := regexp.MustCompile(`^(C+)xmodem:: I/O error\r\n`).FindStringSubmatch(after)
	if m == nil {
		t.Fatalf("after the invitation: %q, want CCC…xmodem:: I/O error", after)
	}
	if n := len(m[1]); n != 10 {
		t.Logf("loader sent %d 'C's before giving up (10 on a real c3560cx)", n)
	}
}
