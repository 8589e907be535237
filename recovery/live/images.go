package live

import (
	"context"

	"fieldcon/images"
	"fieldcon/recovery"
)

// CheckImage answers recovery's image check with the images package. It
// reads only headers (no hashes), so it is quick even for large files.
func CheckImage(ctx context.Context, path, use string, dev recovery.DeviceFacts) (recovery.ImageVerdict, error) {
	u, err := images.ParseUse(use)
	if err != nil {
		return recovery.ImageVerdict{}, err
	}
	img, err := images.InspectFile(ctx, path, images.Options{SkipHashes: true})
	if err != nil {
		return recovery.ImageVerdict{}, err
	}
	v := images.Evaluate(img, u, images.Device{Platform: dev.Platform, FlashFree: dev.FlashFree, Want: images.APMode(dev.Want)})
	out := recovery.ImageVerdict{
		Reason:    v.Reason,
		Fix:       v.Fix,
		Size:      img.Size,
		AskedName: v.AskedName,
		BootPath:  v.BootPath,
	}
	switch v.Level {
	case images.OK:
		out.Level = recovery.VerdictOK
	case images.Warning:
		out.Level = recovery.VerdictWarning
	default:
		out.Level = recovery.VerdictFail
	}
	return out, nil
}

var _ recovery.ImageCheck = CheckImage
