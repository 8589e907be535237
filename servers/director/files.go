package director

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// Folders of the TFTP root (the workspace folder) the director serves from
// or writes to. Everything else in the workspace is refused by the TFTP
// request policy (TFTPPolicy).
const (
	ImagesDir     = "images"     // images, seed configurations, scripts
	ImageListsDir = "imagelists" // generated image list files
	BackupsDir    = "backups"    // <hostname>-<mac>.REV1/.REV2
	StagingDir    = "uploads/director"
)

// writeAtomic writes data under name in dir: a temporary file, synced,
// renamed over the old one, then the folder synced, so a reader sees the
// old file or the new one and never half of either.
func writeAtomic(dir, name string, data []byte) error {
	tmp, err := tempFile(dir, name)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	return commitTemp(tmp, filepath.Join(dir, name))
}

func tempFile(dir, name string) (*os.File, error) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return os.OpenFile(filepath.Join(dir, "."+name+".tmp-"+hex.EncodeToString(rnd[:])), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

// commitTemp syncs and closes tmp and renames it to dst.
func commitTemp(tmp *os.File, dst string) error {
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("close %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("rename into %s: %w", dst, err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported everywhere (Windows); the rename is still atomic
		d.Close()
	}
}
