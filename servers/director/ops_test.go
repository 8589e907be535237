package director

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"fieldcon/servers/smi"
)

type fakeSMI struct{ calls []string }

func (f *fakeSMI) Probe(_ context.Context, a netip.Addr) (smi.ProbeReply, error) {
	f.calls = append(f.calls, "probe "+a.String())
	return smi.ProbeReply{Result: smi.ProbeClient}, nil
}
func (f *fakeSMI) SendConfig(_ context.Context, a netip.Addr, r smi.ConfigRequest) error {
	f.calls = append(f.calls, "config "+a.String()+" "+r.URL.String()+" "+r.Reload.String())
	return nil
}
func (f *fakeSMI) SendImageList(_ context.Context, a netip.Addr, r smi.ImageRequest) error {
	f.calls = append(f.calls, "image "+a.String()+" "+r.ImageListURL.String())
	return nil
}
func (f *fakeSMI) Backup(_ context.Context, a netip.Addr, r smi.BackupRequest) error {
	f.calls = append(f.calls, "backup "+a.String()+" "+r.Command())
	return nil
}

func TestParseTarget(t *testing.T) {
	for _, s := range []string{"10.99.0.51", " 10.99.0.51 "} {
		if _, err := ParseTarget(s); err != nil {
			t.Errorf("ParseTarget(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"10.99.0.0/24", "10.99.0.1-10.99.0.9", "10.99.0.1,10.99.0.2", "switch1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "::1", ""} {
		if _, err := ParseTarget(s); !errors.Is(err, ErrTarget) {
			t.Errorf("ParseTarget(%q) = %v, want ErrTarget", s, err)
		}
	}
}

func TestDoConfirms(t *testing.T) {
	target, server := netip.MustParseAddr("10.99.0.51"), netip.MustParseAddr("10.99.0.1")
	req := Request{Op: OpBackup, Target: target, Server: server, File: "backups/sw1-0011.2233.4455"}
	f := &fakeSMI{}
	var asked string
	if _, err := Do(context.Background(), f, req, "sw1, 0011.2233.4455", func(q string) bool { asked = q; return false }); !errors.Is(err, ErrNotConfirmed) {
		t.Fatalf("Do() declined = %v, want ErrNotConfirmed", err)
	}
	if len(f.calls) != 0 {
		t.Fatalf("declined operation sent %v", f.calls)
	}
	if !strings.Contains(asked, "10.99.0.51 (sw1, 0011.2233.4455)") || !strings.Contains(asked, "upload its running configuration") {
		t.Errorf("question = %q, want the client and what happens", asked)
	}
	if _, err := Do(context.Background(), f, Request{Op: OpProbe}, "", func(string) bool { return true }); !errors.Is(err, ErrTarget) {
		t.Errorf("Do() without a target = %v, want ErrTarget", err)
	}
	yes := func(string) bool { return true }
	for _, r := range []Request{
		req,
		{Op: OpProbe, Target: target},
		{Op: OpConfig, Target: target, Server: server, File: "images/seed.txt", Reload: smi.ReloadTime{Hours: 6, Minutes: 30}},
		{Op: OpImage, Target: target, Server: server, File: "imagelists/default-imagelist.txt", Immediate: true},
	} {
		if _, err := Do(context.Background(), f, r, "", yes); err != nil {
			t.Errorf("Do(%v) = %v", r.Op, err)
		}
	}
	want := []string{
		"backup 10.99.0.51 copy system:running-config tftp://10.99.0.1/backups/sw1-0011.2233.4455",
		"probe 10.99.0.51",
		"config 10.99.0.51 tftp://10.99.0.1/images/seed.txt 06:30",
		"image 10.99.0.51 tftp://10.99.0.1/imagelists/default-imagelist.txt",
	}
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
}

// fakeIOS is a telnet switch: it negotiates, asks for username, password
// and enable secret, and answers copy with the IOS questions.
func fakeIOS(t *testing.T, password string) (addr string, got func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var lines []string
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		read := func() string {
			var b []byte
			for {
				x, err := r.ReadByte()
				if err != nil {
					return string(b)
				}
				if x == 255 {
					r.ReadByte()
					r.ReadByte()
					continue
				}
				if x == '\n' {
					s := strings.TrimRight(string(b), "\r")
					mu.Lock()
					lines = append(lines, s)
					mu.Unlock()
					return s
				}
				b = append(b, x)
			}
		}
		c.Write([]byte{255, 251, 1, 255, 253, 24}) // WILL ECHO, DO TTYPE
		c.Write([]byte("\r\nUser Access Verification\r\n\r\nUsername: "))
		read()
		c.Write([]byte("Password: "))
		if read() != password {
			c.Write([]byte("% Login invalid\r\n"))
			return
		}
		c.Write([]byte("sw1>"))
		read() // enable
		c.Write([]byte("Password: "))
		if read() != password {
			return
		}
		c.Write([]byte("\r\nsw1#"))
		cmd := read()
		if strings.HasPrefix(cmd, "copy running-config tftp://") {
			c.Write([]byte("Address or name of remote host [10.99.0.1]? "))
			read()
			c.Write([]byte("Destination filename [backups/sw1]? "))
			read()
			c.Write([]byte("!!\r\n1234 bytes copied in 0.1 secs\r\nsw1#"))
		} else {
			c.Write([]byte("% Invalid input detected at '^' marker.\r\nsw1#"))
		}
		read()
	}()
	return ln.Addr().String(), func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), lines...) }
}

func TestTelnetBackupNeverLogsThePassword(t *testing.T) {
	const pw = "S3cr3t!pw"
	addr, lines := fakeIOS(t, pw)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var transcript bytes.Buffer
	s, err := DialTelnet(ctx, addr, Credentials{Username: "admin", Password: pw}, &transcript)
	if err != nil {
		t.Fatalf("DialTelnet() = %v\n%s", err, transcript.String())
	}
	defer s.Close()
	cmd, _ := CLICommand(Request{Op: OpBackup, Server: netip.MustParseAddr("10.99.0.1"), File: "backups/sw1-0011.2233.4455"})
	out, err := s.Run(ctx, cmd)
	if err != nil || !strings.Contains(out, "bytes copied") {
		t.Fatalf("Run(%q) = %q, %v", cmd, out, err)
	}
	if strings.Contains(transcript.String(), pw) {
		t.Errorf("the transcript holds the password:\n%s", transcript.String())
	}
	if l := lines(); len(l) < 3 || l[0] != "admin" || l[1] != pw || l[2] != "enable" {
		t.Errorf("switch received %q, want username, password, enable", l)
	}
}

func TestTelnetCommandFailure(t *testing.T) {
	addr, _ := fakeIOS(t, "pw")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := DialTelnet(ctx, addr, Credentials{Username: "u", Password: "pw"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Run(ctx, "archive download-sw /overwrite tftp://10.99.0.1/images/a.tar"); !errors.Is(err, ErrCLI) {
		t.Errorf("Run(refused command) = %v, want ErrCLI", err)
	}
}

func TestCLICommand(t *testing.T) {
	srv := netip.MustParseAddr("10.99.0.1")
	tests := []struct {
		r    Request
		want string
	}{
		{Request{Op: OpImage, Server: srv, File: "images/a.tar", Immediate: true}, "archive download-sw /overwrite /reload tftp://10.99.0.1/images/a.tar"},
		{Request{Op: OpConfig, Server: srv, File: "images/seed.txt"}, "copy tftp://10.99.0.1/images/seed.txt startup-config"},
		{Request{Op: OpBackup, Server: srv, File: "backups/x"}, "copy running-config tftp://10.99.0.1/backups/x"},
	}
	for _, tt := range tests {
		if got, err := CLICommand(tt.r); got != tt.want || err != nil {
			t.Errorf("CLICommand(%v) = %q, %v, want %q", tt.r.Op, got, err, tt.want)
		}
	}
	if _, err := CLICommand(Request{Op: OpProbe}); err == nil {
		t.Error("CLICommand(probe) = nil error")
	}
}
