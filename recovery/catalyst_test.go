package recovery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"fieldcon/recovery"
	"fieldcon/recovery/recoverytest"
	"fieldcon/xmodem"
)

// fakeCheck passes .bin files and refuses .tar, like images does for
// loader-boot.
func fakeCheck(ctx context.Context, path, use string, dev recovery.DeviceFacts) (recovery.ImageVerdict, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return recovery.ImageVerdict{}, err
	}
	if strings.HasSuffix(path, ".tar") {
		return recovery.ImageVerdict{Level: recovery.VerdictFail, Size: fi.Size(),
			Reason: "a .tar bundle is not bootable.", Fix: "Use the .bin inside it."}, nil
	}
	return recovery.ImageVerdict{Size: fi.Size()}, nil
}

// catalystLoader is a fake Catalyst loader that receives XMODEM into flash.
func catalystLoader(t *testing.T, flash map[string][]byte, baudTakes bool) *recoverytest.Console {
	c := recoverytest.New()
	c.SetDeviceBaud(9600)
	listing := func() string {
		var b strings.Builder
		b.WriteString("Directory of flash:/\r\n\r\n")
		used := 0
		i := 2
		for name, data := range flash {
			fmt.Fprintf(&b, "    %d  -rwx  %d  <date>               %s\r\n", i, len(data), name)
			used += len(data)
			i++
		}
		fmt.Fprintf(&b, "\r\n%d bytes available (%d bytes used)\r\nswitch: ", 32514048-used, used)
		return b.String()
	}
	rule := func(sent, reply string, when, then string) {
		c.Add(recoverytest.Rule{Sent: regexp.MustCompile(sent), Reply: reply, When: when, Then: then})
	}
	rule(`^$`, "switch: ", "", "")
	rule(`^flash_init$`, "Initializing Flash...\r\nflashfs[0]: 1 files, 1 directories\r\n...done Initializing Flash.\r\nswitch: ", "", "")
	rule(`^load_helper$`, "switch: ", "", "")
	rule(`^set BOOT flash:`, "switch: ", "", "")
	rule(`^boot$`, "Loading \"flash:c3560.bin\"...@@@@@@@@@@\r\nFile \"flash:c3560.bin\" uncompressed and installed, entry point: 0x3000\r\nPress RETURN to get started!\r\n", "", "ios")
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^$`), Reply: "\r\nSwitch>", When: "ios"})
	if baudTakes {
		c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^set BAUD 115200$`), DeviceBaud: 115200})
		c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^set BAUD 9600$`), DeviceBaud: 9600})
	}
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^unset BAUD$`), Reply: "switch: ", DeviceBaud: 9600})
	c.On(`^set$`, "BOOT=flash:c3560.bin\r\nswitch: ")
	c.Add(recoverytest.Rule{Sent: regexp.MustCompile(`^copy xmodem: flash:(\S+)$`), Reply: "Begin the Xmodem or Xmodem-1K transfer now...\r\n"})
	c.Receive = func(dev net.Conn) string {
		var got bytes.Buffer
		if _, err := xmodem.Receive(context.Background(), dev, &got, xmodem.Options{Mode: xmodem.ModeCRC}); err != nil {
			t.Errorf("device side XMODEM: %v", err)
			return "xmodem:: I/O error\r\nswitch: "
		}
		data := bytes.TrimRight(got.Bytes(), "\x1a")
		flash["c3560.bin"] = data
		// The success line goes over the raw stream: it is what tells the
		// sender the copy is complete.
		fmt.Fprintf(dev, "\r\nFile \"xmodem:\" successfully copied to \"flash:c3560.bin\"\r\n")
		return "switch: "
	}
	// The dir flash: rule must see the flash as it is when asked.
	c.AddFunc(regexp.MustCompile(`^dir flash:$`), listing)
	return c
}

func writeImage(t *testing.T, name string, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	data := bytes.Repeat([]byte("IOS image "), size/10)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCatalystXMODEMPlaybook(t *testing.T) {
	for _, fast := range []bool{false, true} {
		t.Run(fmt.Sprintf("fast=%v", fast), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				flash := map[string][]byte{}
				c := catalystLoader(t, flash, true)
				c.Emit("The system is unable to boot automatically.  The BOOT environment variable needs to be set to a bootable image.\r\nswitch: ")
				img := writeImage(t, "c3560.bin", 20000)
				pb, vars, err := recovery.CatalystXMODEM(recovery.Params{Image: img, Fast: fast}, recovery.Tools{CheckImage: fakeCheck})
				if err != nil {
					t.Fatal(err)
				}
				if err := (&recovery.Runner{Console: c}).Run(context.Background(), pb, vars); err != nil {
					t.Fatalf("Run() = %v", err)
				}
				want := []string{"", "flash_init", "load_helper", "dir flash:"}
				if fast {
					want = append(want, "set BAUD 115200", "")
				}
				want = append(want, "copy xmodem: flash:c3560.bin")
				if fast {
					want = append(want, "set BAUD 9600", "", "unset BAUD", "", "set")
				}
				want = append(want, "dir flash:", "set BOOT flash:c3560.bin", "boot", "")
				if diff := cmp.Diff(want, c.Sent()); diff != "" {
					t.Errorf("lines sent (-want +got):\n%s", diff)
				}
				orig, _ := os.ReadFile(img)
				if !bytes.Equal(flash["c3560.bin"], orig) {
					t.Errorf("flash copy is %d bytes, want the %d-byte image", len(flash["c3560.bin"]), len(orig))
				}
				if c.Baud() != 9600 || c.DeviceBaud() != 9600 {
					t.Errorf("ended at host %d device %d, want 9600", c.Baud(), c.DeviceBaud())
				}
				if vars["hostname"] != "Switch" {
					t.Errorf("hostname = %q, want Switch", vars["hostname"])
				}
			})
		})
	}
}

func TestCatalystXMODEMRefusesTar(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := catalystLoader(t, map[string][]byte{}, true)
		img := writeImage(t, "c3560-ipbasek9-tar.122-55.SE.tar", 100)
		pb, vars, _ := recovery.CatalystXMODEM(recovery.Params{Image: img}, recovery.Tools{CheckImage: fakeCheck})
		err := (&recovery.Runner{Console: c}).Run(context.Background(), pb, vars)
		if !errors.Is(err, recovery.ErrImageRefused) || !strings.Contains(err.Error(), "not bootable") {
			t.Fatalf("Run() = %v, want ErrImageRefused saying why", err)
		}
		if sent := c.Sent(); len(sent) != 0 {
			t.Errorf("typed %q before refusing the image, want nothing", sent)
		}
	})
}

func TestCatalystXMODEMFlashTooSmall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		flash := map[string][]byte{"big.bin": make([]byte, 32514048-1000)}
		c := catalystLoader(t, flash, true)
		c.Emit("switch: ")
		img := writeImage(t, "c3560.bin", 20000)
		pb, vars, _ := recovery.CatalystXMODEM(recovery.Params{Image: img}, recovery.Tools{CheckImage: fakeCheck})
		err := (&recovery.Runner{Console: c}).Run(context.Background(), pb, vars)
		if err == nil || !strings.Contains(err.Error(), "delete an old image") {
			t.Fatalf("Run() = %v, want a flash-space failure", err)
		}
		for _, l := range c.Sent() {
			if strings.HasPrefix(l, "copy") {
				t.Errorf("started %q although the image does not fit", l)
			}
		}
	})
}

func TestFlashFreeBothFooters(t *testing.T) {
	for in, want := range map[string]int64{
		"15998976 bytes total (11623936 bytes free)\r\n": 11623936,
		"32509952 bytes available (4096 bytes used)\r\n": 32509952,
		"no footer": 0,
	} {
		if got := recovery.FlashFree(in); got != want {
			t.Errorf("FlashFree(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestCatalystXMODEMCancelAtModeButton(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := recoverytest.New() // a switch that does not answer: not at its loader
		img := writeImage(t, "c3560.bin", 100)
		pb, vars, _ := recovery.CatalystXMODEM(recovery.Params{Image: img}, recovery.Tools{CheckImage: fakeCheck})
		asker := &recoverytest.Asker{Answers: []string{"Cancel"}}
		err := (&recovery.Runner{Console: c, Asker: asker}).Run(context.Background(), pb, vars)
		if !errors.Is(err, recovery.ErrDeclined) {
			t.Fatalf("Run() = %v, want ErrDeclined right after Cancel", err)
		}
		if len(asker.Questions) != 1 || !strings.Contains(asker.Questions[0].Prompt, "MODE") {
			t.Errorf("questions %+v, want one MODE-button question", asker.Questions)
		}
	})
}
