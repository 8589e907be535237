package tftp

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
)

// maxVersions bounds the search for a free name ("x", "x.1", … "x.999").
const maxVersions = 999

// ErrNoFreeName means every versioned name of an upload is taken.
var ErrNoFreeName = errors.New("no free name for the upload")

// An upload is a file being received: written to a temporary file next to
// its final name, synced, then linked under the first free name so that an
// existing file is never overwritten and a half-received file is never seen
// under the real name.
type upload struct {
	root *os.Root
	name string // cleaned name the device sent
	tmp  string
	f    *os.File
	w    *bufio.Writer
	done bool
}

func newUpload(root *os.Root, name string) (*upload, error) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(path.Dir(name), "."+path.Base(name)+".part-"+hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create upload %s: %w", name, err)
	}
	return &upload{root: root, name: name, tmp: tmp, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (u *upload) Write(p []byte) (int, error) { return u.w.Write(p) }

// commit makes the upload permanent and returns the name it got.
func (u *upload) commit() (string, error) {
	if err := u.w.Flush(); err != nil {
		return "", fmt.Errorf("write upload %s: %w", u.name, err)
	}
	if err := u.f.Sync(); err != nil {
		return "", fmt.Errorf("sync upload %s: %w", u.name, err)
	}
	if err := u.f.Close(); err != nil {
		return "", fmt.Errorf("close upload %s: %w", u.name, err)
	}
	u.f = nil
	for v := 0; v <= maxVersions; v++ {
		name := u.name
		if v > 0 {
			name = fmt.Sprintf("%s.%d", u.name, v)
		}
		err := u.place(name)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("store upload as %s: %w", name, err)
		}
		u.done = true
		u.syncDir()
		return name, nil
	}
	return "", fmt.Errorf("%w: %s and %d versions of it exist", ErrNoFreeName, u.name, maxVersions)
}

// place puts the temporary file under name unless name exists. A hard link
// does that atomically; where links are not supported, a check followed by a
// rename is the best there is.
func (u *upload) place(name string) error {
	err := u.root.Link(u.tmp, name)
	if err == nil {
		return u.root.Remove(u.tmp)
	}
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := u.root.Lstat(name); serr == nil {
		return fs.ErrExist
	} else if !errors.Is(serr, fs.ErrNotExist) {
		return serr
	}
	return u.root.Rename(u.tmp, name)
}

// syncDir makes the new directory entry durable where the OS allows it.
func (u *upload) syncDir() {
	d, err := u.root.Open(path.Dir(u.name))
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// discard removes an upload that was not committed.
func (u *upload) discard() {
	if u.done {
		return
	}
	if u.f != nil {
		_ = u.f.Close()
	}
	_ = u.root.Remove(u.tmp)
	u.done = true
}
