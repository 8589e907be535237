//go:build linux || darwin || freebsd

package main

import (
	"fieldcon/internal/devsim"

	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial"
)

// TestSimHeadlessAnswersReturnWithPrompt runs `fieldcon sim --headless`
// in-process, opens the port it prints like any terminal program and
// checks that a carriage return gets the loader prompt back.
func TestSimHeadlessAnswersReturnWithPrompt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"sim", "--device", "catalyst", "--headless"}, strings.NewReader(""), outW, &stderr)
		outW.Close()
	}()
	path, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line of stdout: %v (stderr: %s)", err, stderr.String())
	}
	go io.Copy(io.Discard, outR)
	path = strings.TrimSpace(path)

	port, err := serial.Open(path, &serial.Mode{BaudRate: 9600})
	if err != nil {
		t.Fatalf("serial.Open(%q): %v", path, err)
	}
	defer port.Close()
	port.SetReadTimeout(100 * time.Millisecond)
	readUntil := func(suffix string) string {
		t.Helper()
		var got []byte
		buf := make([]byte, 1024)
		for !bytes.HasSuffix(got, []byte(suffix)) {
			if ctx.Err() != nil {
				t.Fatalf("no %q from the simulator; got %q", suffix, got)
			}
			n, err := port.Read(buf)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			got = append(got, buf[:n]...)
		}
		return string(got)
	}
	readUntil("switch: ")
	port.Write([]byte("\r"))
	if got := readUntil("switch: "); got != "\r\nswitch: " {
		t.Errorf("answer to a carriage return = %q, want %q", got, "\r\nswitch: ")
	}

	stop()
	if err := <-done; err != nil {
		t.Errorf("run(sim --headless) after interrupt = %v, want nil", err)
	}
}

func TestSimUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sim"}, "catalyst"},
		{[]string{"sim", "--device", "nexus"}, `unknown device "nexus"; choose one of: ` + strings.Join(devsim.ProfileNames(), ", ")},
		{[]string{"sim", "--device", "ios", "--baud", "0"}, "not a speed"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut)
		var u *usageError
		if !errors.As(err, &u) || !strings.Contains(u.msg, tt.want) {
			t.Errorf("run(%q) = %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}
