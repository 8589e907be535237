package director

import (
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"slices"
	"strings"

	"fieldcon/servers"
)

// TFTPPolicy is the director's tftp.RequestPolicy: reads go through Read,
// writes through Write. The TFTP server has already refused names that are
// absolute, climb out with "..", or carry control characters; what reaches
// here is a clean relative name.
func (d *Director) TFTPPolicy(peer netip.AddrPort, name string, write bool) (string, error) {
	if write {
		return d.Write(peer, name)
	}
	return d.Read(peer, name)
}

// ErrNotServed is wrapped by every refused read. It wraps fs.ErrNotExist,
// so the device is told "file not found" and learns nothing about what the
// workspace holds.
var ErrNotServed = fmt.Errorf("not served to switches: %w", fs.ErrNotExist)

// servedFolder reports whether a workspace-relative name lies in one of the
// folders the director hands out. The workspace itself (state.db,
// director.yaml, logs/, uploads/) is never among them, whoever asks.
func servedFolder(name string) bool {
	for _, dir := range []string{ImagesDir, ImageListsDir, BackupsDir} {
		if rest, ok := strings.CutPrefix(name, dir+"/"); ok && rest != "" {
			return true
		}
	}
	return false
}

// Read is the read half of the policy: only files under images/,
// imagelists/ and backups/, only to clients in the database, and a backup
// only to the client it belongs to (or its replacement). Everything else
// looks like a missing file.
func (d *Director) Read(peer netip.AddrPort, name string) (string, error) {
	clean := path.Clean(strings.TrimLeft(name, "/"))
	if !servedFolder(clean) {
		return "", fmt.Errorf("%w: %s is outside images/, imagelists/ and backups/", ErrNotServed, name)
	}
	c, known := d.db.ByIP(peer.Addr())
	if !known {
		return "", fmt.Errorf("%w: %s is not a client in the director database", ErrNotServed, peer.Addr())
	}
	switch {
	case IsList(clean):
		d.lists.BeginRead(clean, peer)
	case strings.HasPrefix(clean, BackupsDir+"/"):
		if !strings.EqualFold(clean, c.Backup.File) {
			return "", fmt.Errorf("%w: %s asked for %s, which is not its own backup", ErrNotServed, c.MAC, clean)
		}
	}
	return clean, nil
}

// Write is the write half of the policy: a configuration backup from a
// known client that is not on hold, under its expected name; the upload is
// staged under a unique name in the TFTP server's upload folder, which must
// be uploads/director in the workspace.
func (d *Director) Write(peer netip.AddrPort, name string) (string, error) {
	return d.backups.Admit(peer.Addr(), name)
}

// TFTPEvent follows the TFTP server's transfers: it ends image list reads,
// takes finished backup uploads into the rotation, and moves each client's
// image, configuration and script status along. It never blocks: the work
// is done by Run.
func (d *Director) TFTPEvent(e servers.Event) {
	if e.Server != "tftp" {
		return
	}
	switch e.Kind {
	case servers.TransferStart, servers.TransferDone, servers.TransferFailed, servers.Refused:
	default:
		return
	}
	peer, err := netip.ParseAddrPort(e.Peer)
	if err != nil {
		return
	}
	peer = netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
	// Downloads go by the name as the policy saw it; uploads by the name
	// they are stored under in the staging folder.
	name := path.Clean(strings.TrimLeft(e.Subject, "/"))
	upload := e.Attrs["direction"] == "upload"
	if upload {
		if e.Kind == servers.Refused {
			return // never admitted, nothing staged
		}
		name = e.Attrs["stored"]
	}
	ended := e.Kind != servers.TransferStart
	kind := e.Kind
	if kind == servers.Refused {
		kind = servers.TransferFailed // a read the server refused (file gone) failed
	}
	if !upload && ended && IsList(name) {
		d.lists.EndRead(name, peer)
	}
	detail := e.Detail
	d.later(func() {
		if upload {
			if ended {
				_, _ = d.backups.Uploaded(name, e.Kind == servers.TransferDone)
			}
			return
		}
		d.trackRead(peer.Addr(), name, kind, detail)
	})
}

// trackRead moves one artefact of a client along.
func (d *Director) trackRead(ip netip.Addr, name string, kind servers.Kind, detail string) {
	c, ok := d.db.ByIP(ip)
	if !ok {
		return
	}
	var which, what string
	switch {
	case slices.Contains(c.Image.Files, name):
		which, what = "image", "image"
	case slices.Contains(c.Config.Files, name):
		which, what = "config", "config"
	case slices.Contains(c.Script.Files, name):
		which, what = "script", "script"
	default:
		return // the image list, or a file fetched outside the plan
	}
	var events []servers.Event
	now := d.cfg.Clock.Now()
	_, _ = d.db.Update(c.MAC, func(c *Client) {
		a := map[string]*Artifact{"image": &c.Image, "config": &c.Config, "script": &c.Script}[which]
		switch kind {
		case servers.TransferStart:
			if a.State != InProgress {
				// A new attempt: what earlier ones fetched does not count.
				a.State, a.Started, a.Fail = InProgress, now, ""
				a.Got, a.Delivered = nil, false
				events = append(events, evUpgrade(KindUpgradeStarted, ip.String(), what))
			}
		case servers.TransferDone:
			if !slices.Contains(a.Got, name) {
				a.Got = append(a.Got, name)
			}
			all := true
			for _, f := range a.Files {
				all = all && slices.Contains(a.Got, f)
			}
			if all && !a.Delivered {
				a.Delivered = true
				if a.State != Done {
					a.State, a.Finished = Done, now
				}
				events = append(events, evUpgrade(KindUpgradeSuccess, ip.String(), what))
			}
		case servers.TransferFailed:
			a.State, a.Fail, a.Finished = Failed, detail, now
			if which == "config" && a.Backup {
				// Decide hands out the seed once a backup failed (CFG-08).
				a.Fail = fmt.Sprintf("the backup %s could not be served (%s); the switch gets the profile's seed configuration at its next DHCP exchange", name, detail)
			}
			e := evUpgrade(KindUpgradeFailed, ip.String(), what)
			e.Attrs = map[string]string{"reason": detail, "file": name}
			events = append(events, e)
		}
		c.LastSeen = now
	})
	for _, e := range events {
		d.hook.Emit(e)
	}
}

// Syslog takes one system message from a client: it lands on the client
// (by the sender's address, else an address or MAC in the text), updates
// what it says (hostname, upgrade results), and goes to the event log with
// its own mnemonic.
func (d *Director) Syslog(from netip.Addr, m SyslogMessage) {
	d.later(func() { d.syslog(from, m) })
}

func (d *Director) syslog(from netip.Addr, m SyslogMessage) {
	c, ok := d.db.ByIP(from)
	for i := 0; !ok && i < len(m.IPs); i++ {
		c, ok = d.db.ByIP(m.IPs[i])
	}
	for i := 0; !ok && i < len(m.MACs); i++ {
		c, ok = d.db.Get(m.MACs[i])
	}
	e := servers.Event{Server: "syslog", Kind: servers.Kind(m.Tag()), Peer: from.String(), Subject: m.What, Detail: m.Text}
	if ok {
		e.Attrs = map[string]string{"mac": string(c.MAC), "client": fmt.Sprint(c.Index)}
	}
	d.hook.Emit(e)
	if !ok {
		return
	}
	now := d.cfg.Clock.Now()
	_, _ = d.db.Update(c.MAC, func(c *Client) {
		c.LastSeen = now
		c.addSource("syslog")
		if m.Facility == "SMI" {
			c.Type = TypeSmart // only Smart Install capable clients log SMI messages
		}
		if m.Hostname != "" {
			c.Hostname = m.Hostname
		}
		if m.Facility == "DHCP" && m.Mnemonic == "ADDRESS_ASSIGN" && len(m.IPs) > 0 {
			c.IP = m.IPs[0]
		}
		if m.Facility != "SMI" || m.What == "" {
			return
		}
		w := strings.ToLower(m.What)
		var a *Artifact
		switch {
		case strings.Contains(w, "script") || strings.Contains(w, "post"):
			a = &c.Script
		case strings.Contains(w, "config") || strings.HasSuffix(w, ".txt") || strings.HasSuffix(w, ".cfg") || strings.Contains(w, ".rev"):
			a = &c.Config
		case strings.Contains(w, "image") || strings.HasSuffix(w, ".tar") || strings.HasSuffix(w, ".bin"):
			a = &c.Image
		default:
			return
		}
		switch m.Mnemonic {
		case "UPGRD_SUCCESS":
			a.State, a.Finished = Done, now
		case "UPGRD_FAILED":
			// When fieldcon saw the transfer fail, its reason says more
			// than the switch's message.
			if a.State != Failed || a.Fail == "" {
				a.State, a.Fail, a.Finished = Failed, "the client reported: "+m.Text, now
			}
		case "UPGRD_STARTED":
			if a.State == NotStarted {
				a.State, a.Started = InProgress, now
			}
		}
	})
}
