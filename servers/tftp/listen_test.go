package tftp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func TestExplainListen(t *testing.T) {
	tests := []struct {
		err     error
		want    error
		wantMsg string
	}{
		{&net.OpError{Op: "listen", Err: syscall.EACCES}, ErrPrivilege, GrantHint},
		{&net.OpError{Op: "listen", Err: syscall.EADDRINUSE}, ErrPortInUse, "another TFTP server"},
		{fmt.Errorf("%w x", ErrInterface), ErrInterface, "x"},
	}
	for _, tc := range tests {
		got := explainListen("0.0.0.0:69", tc.err)
		if !errors.Is(got, tc.want) || !strings.Contains(got.Error(), tc.wantMsg) {
			t.Errorf("explainListen(%v) = %v, want %v saying %q", tc.err, got, tc.want, tc.wantMsg)
		}
	}
	if runtime.GOOS == "linux" && !strings.Contains(GrantHint, "sudo setcap cap_net_bind_service=+ep $(command -v fieldcon)") {
		t.Errorf("GrantHint = %q, want the setcap command on Linux", GrantHint)
	}
}

func TestListenErrors(t *testing.T) {
	if _, err := Listen(context.Background(), "127.0.0.1:0", "no-such-if0"); !errors.Is(err, ErrInterface) {
		t.Errorf("Listen(no-such-if0) = %v, want ErrInterface", err)
	}
	c, err := Listen(context.Background(), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := Listen(context.Background(), c.LocalAddr().String(), ""); !errors.Is(err, ErrPortInUse) {
		t.Errorf("Listen(%s) twice = %v, want ErrPortInUse", c.LocalAddr(), err)
	}
}
