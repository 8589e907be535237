package director

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fieldcon/servers"
)

// MaxBackup is the largest configuration upload accepted.
const MaxBackup = 16 << 20

// Backups keeps client configuration backups in the workspace backups/
// folder as <hostname>-<mac>.REV1 and .REV2, the newest in REV2. Uploads
// arrive by TFTP write: the TFTP policy admits only known clients (allowed or
// denied, never held) under their expected name, and stages each upload
// under a unique name; Uploaded moves it into the rotation.
type Backups struct {
	root string
	db   *DB
	hook servers.Hook

	mu     sync.Mutex
	seq    int
	staged map[string]MAC // staged upload name → client
}

// NewBackups keeps backups under root/backups and stages uploads in
// root/uploads/director.
func NewBackups(root string, db *DB, hook servers.Hook) (*Backups, error) {
	for _, d := range []string{BackupsDir, StagingDir} {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), 0o755); err != nil {
			return nil, fmt.Errorf("backups: %w", err)
		}
	}
	return &Backups{root: root, db: db, hook: hook, staged: map[string]MAC{}}, nil
}

// BaseName is the name a client's backups go by: "<hostname>-<mac>", with
// "Switch" (the IOS default hostname) while the hostname is unknown.
func BaseName(c Client) string {
	h := c.Hostname
	if h == "" || !validFileName(h) || strings.Contains(h, "/") {
		h = "Switch"
	}
	return h + "-" + string(c.MAC)
}

// UploadName is the TFTP name fieldcon tells a client to upload its
// configuration to (type 8 backup, or a config's archive path).
func UploadName(c Client) string { return BackupsDir + "/" + BaseName(c) }

// ErrBackupRefused is wrapped by refused backup writes.
var ErrBackupRefused = errors.New("backup refused")

// Admit decides a TFTP write from peer for name and returns the staging
// name the upload is stored under.
func (b *Backups) Admit(peer netip.Addr, name string) (string, error) {
	c, ok := b.db.ByIP(peer)
	if !ok {
		return "", b.refuse(peer.String(), name, "not a client in the director database")
	}
	if c.Join == JoinHeld {
		return "", b.refuse(peer.String(), name, "the client is on the hold list; approve it first")
	}
	want := BaseName(c)
	got := strings.TrimPrefix(strings.TrimPrefix(name, "/"), BackupsDir+"/")
	for _, suf := range []string{".REV1", ".REV2", ".cfg", ".txt", ".conf"} {
		if len(got) > len(suf) && strings.EqualFold(got[len(got)-len(suf):], suf) {
			got = got[:len(got)-len(suf)]
			break
		}
	}
	if !strings.EqualFold(got, want) {
		return "", b.refuse(peer.String(), name, fmt.Sprintf("unexpected name; %s uploads as %s", c.MAC, UploadName(c)))
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	b.mu.Lock()
	b.seq++
	// The random part keeps a name from an earlier run, left in staging,
	// from being taken again.
	staged := fmt.Sprintf("%s.%d-%s.upload", want, b.seq, hex.EncodeToString(rnd[:]))
	b.staged[staged] = c.MAC
	b.mu.Unlock()
	return staged, nil
}

// stagedKey is the staging name an upload was admitted under, from the
// name the TFTP server stored it as (which gains ".1" … should the name
// have been taken).
func stagedKey(stored string) string {
	if i := strings.LastIndex(stored, ".upload"); i >= 0 {
		return stored[:i+len(".upload")]
	}
	return stored
}

func (b *Backups) refuse(ip, name, reason string) error {
	b.hook.Emit(ev(KindBackupFailure, ip, name, "Client Device (%s) startup configuration backup fail on repository: %s - reason: %s", ip, BackupsDir, reason))
	return fmt.Errorf("%w: %s: %s", ErrBackupRefused, name, reason)
}

// Uploaded takes a finished (ok) or failed upload, by the name the TFTP
// server stored it as: a finished one goes into the rotation, either is
// removed from staging.
func (b *Backups) Uploaded(stored string, ok bool) (Backup, error) {
	key := stagedKey(stored)
	b.mu.Lock()
	mac, known := b.staged[key]
	delete(b.staged, key)
	b.mu.Unlock()
	if !known {
		return Backup{}, fmt.Errorf("backup: no upload staged as %s", stored)
	}
	path := filepath.Join(b.root, filepath.FromSlash(StagingDir), stored)
	c, _ := b.db.Get(mac)
	if !ok {
		os.Remove(path)
		return Backup{}, b.refuse(c.IP.String(), stored, "the upload did not complete")
	}
	// A configuration is small (MaxBackup); reading it whole lets staging
	// be empty again before anyone hears the backup succeeded.
	data, err := os.ReadFile(path)
	os.Remove(path)
	if err != nil {
		return Backup{}, b.refuse(c.IP.String(), stored, "the upload cannot be read: "+err.Error())
	}
	return b.Store(mac, bytes.NewReader(data))
}

// Store rotates a new backup in for the client: REV1 is dropped, REV2
// becomes REV1 and the new copy becomes REV2, each step a rename, with the
// MD5 recorded in the database.
func (b *Backups) Store(mac MAC, r io.Reader) (Backup, error) {
	c, ok := b.db.Get(mac)
	if !ok {
		return Backup{}, fmt.Errorf("backup: %w: %s", ErrNoClient, mac)
	}
	base := BaseName(c)
	file, sum, err := Rotate(filepath.Join(b.root, BackupsDir), base, r)
	if err != nil {
		return Backup{}, b.refuse(c.IP.String(), base, err.Error())
	}
	bk := Backup{Done: true, File: BackupsDir + "/" + filepath.Base(file), Client: c.Hostname, MD5: sum, Time: b.db.clock.Now()}
	if _, err := b.db.Update(mac, func(c *Client) { c.Backup = bk }); err != nil {
		return bk, err
	}
	b.hook.Emit(ev(KindBackupSuccess, c.IP.String(), bk.File, "Client Device (%s) startup configuration backup successful on repository: %s", c.IP, bk.File))
	return bk, nil
}

// Latest returns the workspace-relative name of the client's newest backup
// if it is on disk.
func (b *Backups) Latest(c Client) (string, bool) {
	if !c.Backup.Done || c.Backup.File == "" {
		return "", false
	}
	if _, err := os.Stat(filepath.Join(b.root, filepath.FromSlash(c.Backup.File))); err != nil {
		return "", false
	}
	return c.Backup.File, true
}

// Rotate stores a new backup under dir as base.REV2, the previous REV2
// becoming REV1 (the old REV1 is dropped), each step a rename of a synced
// file. It returns the REV2 path and the MD5 (32 upper-case hex digits).
func Rotate(dir, base string, r io.Reader) (string, string, error) {
	tmp, err := tempFile(dir, base)
	if err != nil {
		return "", "", err
	}
	sum := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum), io.LimitReader(r, MaxBackup+1))
	if err == nil && n > MaxBackup {
		err = fmt.Errorf("larger than %d bytes", MaxBackup)
	}
	if err == nil {
		err = tmp.Sync()
	}
	tmp.Close()
	if err != nil {
		os.Remove(tmp.Name())
		return "", "", err
	}
	rev1, rev2 := filepath.Join(dir, base+".REV1"), filepath.Join(dir, base+".REV2")
	if _, err := os.Stat(rev2); err == nil {
		if err := os.Rename(rev2, rev1); err != nil { // replaces the old REV1
			os.Remove(tmp.Name())
			return "", "", err
		}
	}
	if err := os.Rename(tmp.Name(), rev2); err != nil {
		os.Remove(tmp.Name())
		return "", "", err
	}
	syncDir(dir)
	return rev2, strings.ToUpper(hex.EncodeToString(sum.Sum(nil))), nil
}
