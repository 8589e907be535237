package devsim

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/transcripts from the simulator (review the diff against the seed transcripts before committing)")

// TestProfileTranscripts types commands at each profile and compares the
// whole console transcript (banner, echo, answers, prompts) with a fixture
// written from the console transcripts in ../shared/seeds and the field
// notes.
func TestProfileTranscripts(t *testing.T) {
	goodImage := "c2960-lanbasek9-mz.150-2.SE11.bin"
	tests := []struct {
		name  string
		opts  Options
		input []string // each is typed after the device went quiet
	}{
		{
			name: "catalyst-loader",
			opts: Options{Profile: "catalyst"},
			input: []string{"\r", "dir flash:\r", "flash_init\r", "flash_init\r", "load_helper\r", "dir flash:\r",
				"set\r", "set BOOT flash:/" + goodImage + "\r", "boot\r", "show version\r", "unset BOOT\r", "set\r"},
		},
		{
			name: "catalyst-boots-ios",
			opts: Options{Profile: "catalyst", Env: map[string]string{"BOOT": "flash:/" + goodImage},
				Flash: map[string][]byte{goodImage: FakeIOSImage(300 << 10), "config.text": make([]byte, 1048)}},
			input: []string{"\r", "enable\r", "dir flash:\r", "exit\r"},
		},
		{
			name: "aironet-loader",
			opts: Options{Profile: "aironet"},
			input: []string{"set IP_ADDR 10.0.0.1\r", "set NETMASK 255.255.255.0\r", "set DEFAULT_ROUTER 10.0.0.2\r",
				"ether_init\r", "tftp_init\r", "flash_init\r", "dir flash:\r", "set\r", "version\r", "tar -xtract\r", "boot\r"},
		},
		{
			name: "rommon",
			opts: Options{Profile: "rommon"},
			input: []string{"confreg\r", "n\r", "\r", "confreg 0x2142\r", "IP_ADDRESS=10.0.0.2\r", "set\r", "tftpdnld -x\r",
				"dir flash:\r", "reset\r", "\r"},
		},
		{
			name: "ios",
			opts: Options{Profile: "ios"},
			input: []string{"\r", "show flash:\r", "foo\r", "enable\r", "show running-config\r", " ", "\r", " ", " ",
				"configure terminal\r", "hostname R1\r", "bogus command\r", "interface FastEthernet0/1\r", "no shutdown\r", "end\r",
				"sh ver\r", "q", "terminal length 0\r", "write erase\r", "n", "write erase\r", "\r", "reload\r", "\r", "\r"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			f, _ := startFake(t, ctx, tt.opts)
			for _, in := range tt.input {
				f.send(in)
				f.waitIdle(t, ctx)
			}
			got := readable(t, f.output())
			path := filepath.Join("testdata", "transcripts", tt.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s transcript differs from %s (-want +got):\n%s", tt.name, path, diff)
			}
		})
	}
}

// TestSetBaudChangesSpeedAfterTheAnswer checks the order a technician sees:
// the echo of `set BAUD` arrives at the old speed, the next prompt at the
// new one; unset BAUD goes back to 9600 the same way.
func TestSetBaudChangesSpeedAfterTheAnswer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, d := startFake(t, ctx, Options{Profile: "catalyst"})
	steps := []struct {
		send     string
		wantBaud int
	}{
		{"set BAUD 115200\r", 115200},
		{"set BAUD 57600\r", 57600},
		{"unset BAUD\r", 9600},
		{"set BAUD 9600\r", 9600}, // already there: no change
	}
	var want []baudAt
	for _, s := range steps {
		before := len(f.output())
		f.send(s.send)
		f.waitIdle(t, ctx)
		out := f.output()
		answer := strings.TrimSuffix(s.send, "\r") + "\r\n"
		if got := out[before:]; got != answer+"switch: " {
			t.Fatalf("after %q the device printed %q, want %q", s.send, got, answer+"switch: ")
		}
		if len(want) == 0 || want[len(want)-1].Baud != s.wantBaud {
			want = append(want, baudAt{At: before + len(answer), Baud: s.wantBaud})
		}
		if got := d.Baud(); got != s.wantBaud {
			t.Errorf("after %q Device.Baud() = %d, want %d", s.send, got, s.wantBaud)
		}
	}
	if diff := cmp.Diff(want, f.speedChanges()); diff != "" {
		t.Errorf("speed changes (-want +got), At = bytes printed before the change:\n%s", diff)
	}
}

// TestCatalystStartsAtStoredBaud: a switch left at 115200 comes up there.
func TestCatalystStartsAtStoredBaud(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, d := startFake(t, ctx, Options{Profile: "catalyst", Env: map[string]string{"BAUD": "115200"}})
	if got := f.speedChanges(); len(got) != 1 || got[0] != (baudAt{At: 0, Baud: 115200}) {
		t.Errorf("speed changes = %v, want one to 115200 before any output", got)
	}
	if got := d.Baud(); got != 115200 {
		t.Errorf("Device.Baud() = %d, want 115200", got)
	}
}

func TestROMMONConfregSpeedTakesEffectOnReset(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// 0x2124: the classic typo for 0x2142; bit 5 moves the console to 19200.
	f, d := startFake(t, ctx, Options{Profile: "rommon"})
	f.send("confreg 0x2124\r")
	f.waitIdle(t, ctx)
	if got := d.Baud(); got != 9600 {
		t.Fatalf("before reset Device.Baud() = %d, want 9600", got)
	}
	f.send("reset\r")
	f.waitIdle(t, ctx)
	if got := d.Baud(); got != 19200 {
		t.Errorf("after reset Device.Baud() = %d, want 19200", got)
	}
	if got := d.Mode(); got != "idle" {
		t.Errorf("after reset with boot field 4 Device.Mode() = %q, want idle (IOS booted)", got)
	}
}

func TestEveryProfileCompiles(t *testing.T) {
	for _, name := range ProfileNames() {
		t.Run(name, func(t *testing.T) {
			if _, err := loadProfile(name); err != nil {
				t.Errorf("loadProfile(%q) = %v", name, err)
			}
		})
	}
	if _, err := loadProfile("nexus"); err == nil {
		t.Errorf("loadProfile(%q) = nil error, want ErrUnknownProfile", "nexus")
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		spec, line string
		want       bool
	}{
		{"sh|ow run|ning-config", "sh run", true},
		{"sh|ow run|ning-config", "show running-config", true},
		{"sh|ow run|ning-config", "show  runn", true},
		{"sh|ow run|ning-config", "s run", false},
		{"sh|ow run|ning-config", "show runx", false},
		{"en|able", "ena", true},
		{"en|able", "enabled", false},
	}
	for _, tt := range tests {
		p := &Profile{Name: "t", Start: "m", Modes: map[string]*Mode{"m": {Rules: []Rule{{Match: words(tt.spec)}}}}}
		if err := p.compile(); err != nil {
			t.Fatal(err)
		}
		if got := p.Modes["m"].Rules[0].re.MatchString(tt.line); got != tt.want {
			t.Errorf("words(%q) matches %q = %v, want %v", tt.spec, tt.line, got, tt.want)
		}
	}
}

// FuzzDeviceInput types arbitrary bytes (garbage at the wrong speed, ANSI
// escapes, NULs) at each profile; the device must keep answering: a CR and
// a known command afterwards still get the prompt.
func FuzzDeviceInput(f *testing.F) {
	f.Add([]byte("flash_init\r"), uint8(0))
	f.Add([]byte("\xff\xfe\x00\x1b[2J\x08\x7fset BAUD 115200\r"), uint8(0))
	f.Add([]byte("show running-config\r q"), uint8(3))
	f.Add([]byte("confreg\r"), uint8(2))
	profiles := []string{"catalyst", "aironet", "rommon", "ios"}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		name := profiles[int(which)%len(profiles)]
		fl, d := startFake(t, ctx, Options{Profile: name})
		fl.send(string(data))
		fl.waitIdle(t, ctx)
		// Leave whatever pager or question the garbage opened, then ask
		// for a fresh prompt.
		for i := 0; i < 8 && !strings.HasSuffix(fl.output(), d.promptText()); i++ {
			fl.send("q\r")
			fl.waitIdle(t, ctx)
		}
		if !strings.HasSuffix(fl.output(), d.promptText()) {
			t.Fatalf("%s after %q: output ends %q, want the prompt %q", name, data, tail(fl.output(), 80), d.promptText())
		}
	})
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }
