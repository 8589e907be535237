package tftp

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fieldcon/servers"
)

// policyCall is one call of a RequestPolicy.
type policyCall struct {
	name  string
	write bool
}

func TestRequestPolicy(t *testing.T) {
	root, uploads := t.TempDir(), t.TempDir()
	image := pattern(5000, 11)
	writeFile(t, root, "images/a.tar", image)
	writeFile(t, root, "secret.db", []byte("not for devices"))
	writeFile(t, uploads, "staged/sw1.upload", []byte("older upload"))

	var mu sync.Mutex
	var calls []policyCall
	var peers []netip.AddrPort
	policy := func(peer netip.AddrPort, name string, write bool) (string, error) {
		mu.Lock()
		calls = append(calls, policyCall{name, write})
		peers = append(peers, peer)
		mu.Unlock()
		switch {
		case !write && name == "list.txt":
			return "images/a.tar", nil
		case !write && strings.HasPrefix(name, "images/"):
			return name, nil
		case !write:
			return "", fmt.Errorf("%s is outside the served folders (internal reason 7f3a): %w", name, fs.ErrNotExist)
		case name == "sw1-confg":
			return "staged/sw1.upload", nil
		case name == "escape":
			return "../outside", nil
		}
		return "", errors.New("not a known client (internal reason 9c1d)")
	}
	ts := startServer(t, Config{Root: root, Uploads: uploads}, WithRequestPolicy(policy))
	ctx := testContext(t)

	tests := []struct {
		name    string
		write   bool
		ask     string
		wantErr string // "" for success
		policy  string // the name the policy is asked about; "" when it is not asked
	}{
		{name: "renamed read", ask: "list.txt", policy: "list.txt"},
		{name: "read as asked, cleaned first", ask: "./images//a.tar", policy: "images/a.tar"},
		{name: "hidden file looks missing", ask: "secret.db", wantErr: "1: file not found", policy: "secret.db"},
		{name: "bad name never reaches the policy", ask: "../secret.db", wantErr: "2: file name not allowed"},
		{name: "renamed upload", write: true, ask: "sw1-confg", policy: "sw1-confg"},
		{name: "refused upload", write: true, ask: "other-confg", wantErr: "2: access violation", policy: "other-confg"},
		{name: "policy naming a way out", write: true, ask: "escape", wantErr: "0: server error", policy: "escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			before := len(calls)
			mu.Unlock()
			c := ts.client(t)
			var err error
			var got bytes.Buffer
			if tt.write {
				_, err = c.Put(ctx, tt.ask, bytes.NewReader([]byte("hostname sw1\n")), 13)
			} else {
				_, err = c.Get(ctx, tt.ask, &got)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("%s %s = %v, want success", map[bool]string{true: "Put", false: "Get"}[tt.write], tt.ask, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("%s %s = %v, want ERROR %s", map[bool]string{true: "Put", false: "Get"}[tt.write], tt.ask, err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "internal reason"):
				t.Errorf("the ERROR packet carries the policy's words: %v", err)
			case tt.wantErr == "" && !tt.write && !bytes.Equal(got.Bytes(), image):
				t.Errorf("Get %s = %d bytes, want images/a.tar (%d bytes)", tt.ask, got.Len(), len(image))
			}
			mu.Lock()
			asked := calls[before:]
			mu.Unlock()
			var want []policyCall
			if tt.policy != "" {
				want = []policyCall{{tt.policy, tt.write}}
			}
			if fmt.Sprint(asked) != fmt.Sprint(want) {
				t.Errorf("policy calls = %v, want %v", asked, want)
			}
		})
	}
	for _, p := range peers {
		if p.Addr() != netip.MustParseAddr("127.0.0.1") || p.Port() == 0 {
			t.Errorf("policy peer = %v, want the client's 127.0.0.1:port", p)
		}
	}

	// The upload took the free name next to the older one, and the done
	// event says where.
	done, err := ts.waitEvent(ctx, func(e servers.Event) bool {
		return e.Kind == servers.TransferDone && e.Attrs["direction"] == "upload"
	})
	if err != nil {
		t.Fatal(err)
	}
	if done.Subject != "sw1-confg" || done.Attrs["stored"] != "staged/sw1.upload.1" {
		t.Errorf("upload done: Subject %q stored %q, want sw1-confg stored as staged/sw1.upload.1", done.Subject, done.Attrs["stored"])
	}
	if b, err := os.ReadFile(filepath.Join(uploads, "staged", "sw1.upload.1")); err != nil || string(b) != "hostname sw1\n" {
		t.Errorf("stored upload = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(uploads, "sw1-confg")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the upload also landed under the name the device sent (%v)", err)
	}

	// Refusals say why and which way.
	refused := ts.eventsOf(servers.Refused)
	wantDir := map[string]string{"secret.db": "download", "../secret.db": "download", "other-confg": "upload", "escape": "upload"}
	if len(refused) != len(wantDir) {
		t.Fatalf("%d refused events, want %d: %v", len(refused), len(wantDir), refused)
	}
	for _, e := range refused {
		if d := e.Attrs["direction"]; d != wantDir[e.Subject] {
			t.Errorf("refused %s: direction %q, want %q", e.Subject, d, wantDir[e.Subject])
		}
		if e.Subject == "other-confg" && !strings.Contains(e.Detail, "not a known client") {
			t.Errorf("refused %s: Detail %q does not give the policy's reason", e.Subject, e.Detail)
		}
	}
}
