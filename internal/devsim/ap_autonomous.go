package devsim

import (
	"errors"
	"strings"
)

// A lightweight AP becomes autonomous by installing a k9w7 bundle over its
// k9w8 image; after the reload startIOS runs it as autonomous IOS (host name
// ap, no hidden CAPWAP CLI). The old image does not stay behind:
// archive download-sw /overwrite replaces the image the AP runs, and
// MODE-button recovery of a lightweight AP "will automatically download the
// new IOS and delete the lightweight image" (seed 000: an AIR-LAP1242 made
// standalone, its c1240-rcvk9w8-mx deleted).

// replaceImage deletes the image old names ("flash:/DIR/DIR", with the
// rest of its folder) once installed, another image, is in place.
func replaceImage(fl *Flash, old, installed string) error {
	oldDir, newDir := imageDir(old), imageDir(installed)
	switch {
	case old == "" || cleanFlashName(old) == cleanFlashName(installed):
		return nil
	case oldDir == "":
		// An image at the top of flash, without a folder of its own.
		return ignoreMissing(fl.Delete(old))
	case oldDir == newDir:
		return nil
	}
	return deleteFolder(fl, oldDir)
}

// imageDir is the top folder of an image path, "" for a file at the top.
func imageDir(p string) string {
	dir, _, ok := strings.Cut(cleanFlashName(p), "/")
	if !ok {
		return ""
	}
	return dir
}

// deleteFolder deletes every file under dir; the folders stay, as this
// flash keeps emptied folders.
func deleteFolder(fl *Flash, dir string) error {
	entries, err := fl.List(dir)
	if err != nil {
		return ignoreMissing(err)
	}
	for _, e := range entries {
		name := dir + "/" + e.Name
		if e.Dir {
			err = deleteFolder(fl, name)
		} else {
			err = ignoreMissing(fl.Delete(name))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func ignoreMissing(err error) error {
	if errors.Is(err, ErrNoSuchFile) {
		return nil
	}
	return err
}
