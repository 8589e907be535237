package serialcon

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// answers are what devices print after a carriage return, at their speed.
var answers = []struct {
	name string
	text string
}{
	{"catalyst loader", "\r\nswitch: "},
	{"aironet loader", "\r\nap: "},
	{"rommon", "\r\nrommon 2 > "},
	{"ios", "\r\nSwitch>"},
	{"ios pager", "\r\n --More-- "},
	{"boot text", "\r\nInitializing Flash...\r\nflashfs[0]: 86 files, 4 directories\r\n"},
}

func TestUARTResampleSameSpeedIsLossless(t *testing.T) {
	in := []byte("rommon 1 > \x00\xff\x80")
	for _, baud := range []int{9600, 115200} {
		if got := uartResample(in, baud, baud); !bytes.Equal(got, in) {
			t.Errorf("uartResample(%q, %d, %d) = %q, want the input", in, baud, baud, got)
		}
	}
}

func TestScoreOutputGarbage(t *testing.T) {
	rates := []int{9600, 19200, 38400, 57600, 115200}
	for _, a := range answers {
		for _, tx := range rates {
			for _, rx := range rates {
				if tx == rx {
					continue
				}
				// A few answers in a row: a technician pressing Enter.
				text := bytes.Repeat([]byte(a.text), 4)
				garbage := uartResample(text, tx, rx)
				score, prompt := scoreOutput(garbage)
				if prompt != PromptNone || score >= cleanText {
					t.Errorf("%s sent at %d, read at %d: scoreOutput(%q) = %.2f %v, want below %.2f and no prompt",
						a.name, tx, rx, garbage, score, prompt, cleanText)
				}
			}
		}
	}
}

func TestScoreOutputClean(t *testing.T) {
	for _, a := range answers {
		score, prompt := scoreOutput([]byte(a.text))
		if score < cleanText {
			t.Errorf("scoreOutput(%q) = %.2f, want at least %.2f", a.text, score, cleanText)
		}
		want, _ := DetectPrompt([]byte(a.text))
		if prompt != want {
			t.Errorf("scoreOutput(%q) prompt = %v, want %v", a.text, prompt, want)
		}
	}
	if score, prompt := scoreOutput([]byte("\r\n")); score != 0 || prompt != PromptNone {
		t.Errorf("scoreOutput(CR LF) = %.2f %v, want 0 none: too little to judge", score, prompt)
	}
}

// baudDevice answers a carriage return with text at its own speed; the host
// reads it through uartResample at whatever speed the host side is set to.
func baudDevice(deviceBaud int, text string) func(*fakePort, []byte) {
	return func(p *fakePort, b []byte) {
		if !bytes.Contains(b, []byte("\r")) {
			return
		}
		host := p.currentSettings().Baud
		if host == deviceBaud {
			p.emit(text)
			return
		}
		// The device also saw garbage; it answers garbage with its
		// prompt (a real loader prints an error first).
		if g := uartResample([]byte(text), deviceBaud, host); len(g) > 0 {
			p.emit(string(g))
		}
	}
}

func TestDetectBaud(t *testing.T) {
	for _, device := range []int{9600, 19200, 38400, 57600, 115200} {
		for _, a := range answers {
			t.Run(a.name+"/"+itoa(device), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					w := newFakeWorld()
					w.onWrite = baudDevice(device, a.text)
					c := openTestConsole(t, w, Config{Settings: DefaultSettings(9600)})
					defer c.Close()
					got, err := c.DetectBaud(t.Context())
					if err != nil || got != device {
						t.Fatalf("DetectBaud() = %d, %v, want %d", got, err, device)
					}
					if s := c.Settings(); s.Baud != device {
						t.Errorf("Settings() after DetectBaud = %s, want %d baud", s, device)
					}
					if s := w.current().currentSettings(); s.Baud != device {
						t.Errorf("port speed after DetectBaud = %s, want %d baud", s, device)
					}
				})
			})
		}
	}
}

func TestDetectBaudOrderAndEarlyStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		w.onWrite = baudDevice(57600, "\r\nrommon 1 > ")
		c := openTestConsole(t, w, Config{Settings: DefaultSettings(9600)})
		defer c.Close()
		got, err := c.DetectBaud(t.Context(), 57600, 9600, 115200)
		if err != nil || got != 57600 {
			t.Fatalf("DetectBaud(57600, 9600, 115200) = %d, %v, want 57600", got, err)
		}
		var tried []int
		for _, s := range w.current().settingsCalls() {
			tried = append(tried, s.Baud)
		}
		if len(tried) != 1 || tried[0] != 57600 {
			t.Errorf("speeds set = %v, want only [57600]: a prompt ends the search", tried)
		}
	})
}

func TestDetectBaudSilentDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{Settings: DefaultSettings(19200)})
		defer c.Close()
		start := time.Now()
		got, err := c.DetectBaud(t.Context())
		if !errors.Is(err, ErrNoBaud) {
			t.Fatalf("DetectBaud() on a silent line = %d, %v, want ErrNoBaud", got, err)
		}
		if s := c.Settings(); s.Baud != 19200 {
			t.Errorf("Settings() after failed DetectBaud = %s, want the original 19200", s)
		}
		if d := time.Since(start); d != 5*baudWindow {
			t.Errorf("DetectBaud listened %s in all, want 5 windows of %s", d, baudWindow)
		}
	})
}

func TestDetectBaudCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{Settings: DefaultSettings(9600)})
		defer c.Close()
		ctx, cancel := context.WithTimeout(t.Context(), baudWindow+baudWindow/2)
		defer cancel()
		if _, err := c.DetectBaud(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("DetectBaud(ctx that expires) error = %v, want DeadlineExceeded", err)
		}
		if s := c.Settings(); s.Baud != 9600 {
			t.Errorf("Settings() after canceled DetectBaud = %s, want the original 9600", s)
		}
	})
}

func TestDetectBaudCleanTextWithoutPrompt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		w.onWrite = baudDevice(38400, "\r\nInitializing Flash...\r\nflashfs[0]: 86 files, 4 directories\r\n")
		c := openTestConsole(t, w, Config{Settings: DefaultSettings(9600)})
		defer c.Close()
		if got, err := c.DetectBaud(t.Context()); err != nil || got != 38400 {
			t.Fatalf("DetectBaud() = %d, %v, want 38400", got, err)
		}
	})
}

func TestDetectBaudRefusesDuringStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newFakeWorld()
		c := openTestConsole(t, w, Config{})
		defer c.Close()
		s, err := c.Stream(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := c.DetectBaud(t.Context()); !errors.Is(err, ErrStreamBusy) {
			t.Fatalf("DetectBaud during a transfer = %v, want ErrStreamBusy", err)
		}
	})
}
