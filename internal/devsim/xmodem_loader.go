package devsim

import (
	"bytes"
	"context"
	"errors"
	"time"

	"fieldcon/xmodem"
)

// `copy xmodem: flash:NAME` on the Catalyst boot loader: the loader prints
// its invitation, asks for CRC blocks with 'C' for about ten seconds, stores
// what arrives in flash and reports the copy. Strings from the field notes
// §2(a).

func init() {
	registerRules("catalyst", "loader", Rule{
		Match:   `copy\s+xmodem:\S*\s+(flash:\S+)`,
		Handler: copyXmodem,
	})
}

// The receive window: a c3560cx that waited too long printed ten 'C's and
// then `xmodem:: I/O error`.
const (
	loaderXmodemInterval = time.Second
	loaderXmodemWindow   = 10 * loaderXmodemInterval
	// loaderXmodemTimeout bounds one block's round trip; a 1K block takes
	// 1.1 s at 9600 baud.
	loaderXmodemTimeout = 5 * time.Second
)

func copyXmodem(ctx context.Context, c *Call) error {
	d := c.Device
	dest := c.Arg(1)
	if d.State("flash") != "on" {
		return c.Println("unable to stat "+dest+": invalid argument", "")
	}
	if err := c.Println("Begin the Xmodem or Xmodem-1K transfer now..."); err != nil {
		return err
	}
	var image bytes.Buffer
	_, err := xmodem.Receive(ctx, c.Port, &image, xmodem.Options{
		Mode:          xmodem.ModeCRC,
		StartInterval: loaderXmodemInterval,
		// The first 'C' goes out at once, so the window holds ten.
		StartTimeout: loaderXmodemWindow - loaderXmodemInterval/2,
		Timeout:      loaderXmodemTimeout,
		// XMODEM carries no size; the simulated loader drops the SUB
		// padding so that `dir flash:` shows the image's own size.
		TrimPadding: true,
		// Stay briefly for a repeated EOT, then print the result.
		EOTTimeout: 200 * time.Millisecond,
	})
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil && !errors.Is(err, xmodem.ErrLineClosed):
		return c.Println("xmodem:: I/O error")
	case err != nil:
		return err
	}
	if err := d.Flash().Put(dest, image.Bytes()); err != nil {
		if errors.Is(err, ErrFlashFull) {
			return c.Println("Error copying xmodem: to " + dest + " (No space left on device)")
		}
		return c.Println("Error copying xmodem: to " + dest + " (I/O error)")
	}
	return c.Println(`File "xmodem:" successfully copied to "` + dest + `"`)
}
