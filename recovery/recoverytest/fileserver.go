package recoverytest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"fieldcon/recovery"
)

// FileServer is a fake recovery.FileServer: no sockets, a fixed interface
// list, and Fetch for a fake device to "download" what is being served.
type FileServer struct {
	mu      sync.Mutex
	ifs     []recovery.NetInterface
	specs   []recovery.ServeSpec
	serving *fakeServing
	fetched []string
}

// NewFileServer returns a fake server on a laptop with these interfaces.
func NewFileServer(ifs ...recovery.NetInterface) *FileServer {
	return &FileServer{ifs: ifs}
}

// ErrNotServing is what Fetch returns when no server runs.
var ErrNotServing = errors.New("recoverytest: nobody serves TFTP")

// ErrNoFile is what Fetch returns for a name nothing answers.
var ErrNoFile = errors.New("recoverytest: no such file")

func (f *FileServer) Interfaces(context.Context) ([]recovery.NetInterface, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recovery.NetInterface(nil), f.ifs...), nil
}

func (f *FileServer) Serve(ctx context.Context, spec recovery.ServeSpec) (recovery.Serving, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.serving != nil && !f.serving.isStopped() {
		return nil, fmt.Errorf("recoverytest: a server already runs")
	}
	listen := spec.Listen
	if listen == "" {
		listen = "0.0.0.0:69"
	}
	f.specs = append(f.specs, spec)
	s := &fakeServing{spec: spec, addr: listen, events: make(chan recovery.FileEvent, 64)}
	f.serving = s
	// Like a real server, it stops when its context ends.
	context.AfterFunc(ctx, func() { s.Stop() })
	return s, nil
}

// Specs returns every ServeSpec started, in order.
func (f *FileServer) Specs() []recovery.ServeSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recovery.ServeSpec(nil), f.specs...)
}

// Running says whether a server is serving now.
func (f *FileServer) Running() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.serving != nil && !f.serving.isStopped()
}

// Fetched lists the names devices fetched successfully.
func (f *FileServer) Fetched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.fetched...)
}

// Fetch is a device asking for name: it resolves the name as servers/tftp
// does (the file's own name, then aliases), emits the events and returns
// the content.
func (f *FileServer) Fetch(peer, name string) ([]byte, error) {
	f.mu.Lock()
	s := f.serving
	f.mu.Unlock()
	if s == nil || s.isStopped() {
		return nil, ErrNotServing
	}
	base := filepath.Base(s.spec.File)
	ok := name == base
	for _, p := range s.spec.Aliases {
		if m, _ := path.Match(p, name); m {
			ok = true
		}
		if m, _ := path.Match(p, path.Base(name)); m && !strings.Contains(p, "/") {
			ok = true
		}
	}
	if !ok {
		s.emit(recovery.FileEvent{Kind: recovery.FileRefused, Peer: peer, Asked: name, Detail: "refused " + name + ": no such file"})
		return nil, ErrNoFile
	}
	data, err := os.ReadFile(s.spec.File)
	if err != nil {
		return nil, err
	}
	s.emit(recovery.FileEvent{Kind: recovery.FileRequested, Peer: peer, Asked: name, Served: base, Total: int64(len(data))})
	s.emit(recovery.FileEvent{Kind: recovery.FileDone, Peer: peer, Asked: name, Served: base, Bytes: int64(len(data)), Total: int64(len(data))})
	f.mu.Lock()
	f.fetched = append(f.fetched, name)
	f.mu.Unlock()
	return data, nil
}

type fakeServing struct {
	spec   recovery.ServeSpec
	addr   string
	mu     sync.Mutex
	events chan recovery.FileEvent
	done   bool
}

func (s *fakeServing) Events() <-chan recovery.FileEvent { return s.events }
func (s *fakeServing) Addr() string                      { return s.addr }

func (s *fakeServing) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		close(s.events)
	}
	return nil
}

func (s *fakeServing) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

func (s *fakeServing) emit(e recovery.FileEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	select {
	case s.events <- e:
	default:
	}
}
