package live_test

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fieldcon/internal/devsim"
	"fieldcon/recovery"
	"fieldcon/recovery/live"
)

func TestTFTPServesAliasOnLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // hang guard only
	defer cancel()
	dir := t.TempDir()
	img := filepath.Join(dir, "c1200-k9w7-tar.123-8.JA.tar")
	data := bytes.Repeat([]byte("bundle "), 3000)
	if err := os.WriteFile(img, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var fs live.TFTP
	srv, err := fs.Serve(ctx, recovery.ServeSpec{Iface: "lo", Listen: "127.0.0.1:0", File: img, Aliases: []string{"*-k9w7-tar.default"}})
	if err != nil {
		t.Fatalf("Serve() = %v", err)
	}
	defer srv.Stop()
	server, err := netip.ParseAddrPort(srv.Addr())
	if err != nil {
		t.Fatalf("Addr() = %q: %v", srv.Addr(), err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	tests := []struct {
		ask      string
		wantKind recovery.FileEventKind
	}{
		{"c1240-k9w7-tar.default", recovery.FileDone},
		{"c1200-k9w7-tar.123-8.JA.tar", recovery.FileDone},
		{"c1240-k9w8-tar.default", recovery.FileRefused},
	}
	for _, tt := range tests {
		t.Run(tt.ask, func(t *testing.T) {
			var got bytes.Buffer
			c := &devsim.TFTPClient{Conn: conn, Server: server, Retransmit: 200 * time.Millisecond}
			_, err := c.Get(ctx, tt.ask, &got)
			if tt.wantKind == recovery.FileDone {
				if err != nil || !bytes.Equal(got.Bytes(), data) {
					t.Fatalf("Get(%q) = %d bytes, %v; want the %d-byte image", tt.ask, got.Len(), err, len(data))
				}
			} else if err == nil {
				t.Fatalf("Get(%q) succeeded, want a refusal", tt.ask)
			}
			for {
				select {
				case ev := <-srv.Events():
					if ev.Asked != tt.ask {
						continue
					}
					if ev.Kind == recovery.FileRequested && ev.Served != "c1200-k9w7-tar.123-8.JA.tar" {
						t.Errorf("requested event served %q, want the image", ev.Served)
					}
					if ev.Kind == tt.wantKind {
						return
					}
				case <-ctx.Done():
					t.Fatalf("no %v event for %q", tt.wantKind, tt.ask)
				}
			}
		})
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("Stop() = %v", err)
	}
	if _, ok := <-srv.Events(); ok {
		// drain: the channel must close after Stop
		for range srv.Events() {
		}
	}
}

func TestTFTPInterfacesListsLoopback(t *testing.T) {
	var fs live.TFTP
	ifs, err := fs.Interfaces(t.Context())
	if err != nil {
		t.Fatalf("Interfaces() = %v", err)
	}
	for _, ni := range ifs {
		for _, p := range ni.Addrs {
			if p == netip.MustParsePrefix("127.0.0.1/8") {
				return
			}
		}
	}
	t.Errorf("Interfaces() = %+v, want an interface with 127.0.0.1/8", ifs)
}
