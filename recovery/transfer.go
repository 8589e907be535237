package recovery

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"time"

	"fieldcon/xmodem"
)

// XMODEMSend sends a file over the console's raw stream, after a command
// such as `copy xmodem: flash:NAME` has made the loader wait for it. The
// loader's success line, not the EOT handshake, is taken as completion.
type XMODEMSend struct {
	File    string      // path, may use {vars}
	Mode    xmodem.Mode // default 1K with CRC
	Success string      // the loader's success line (regexp, {vars} quoted)
	// StartTimeout is how long the loader waits for the first block; the
	// sender must begin well inside it.
	StartTimeout time.Duration
}

func (a XMODEMSend) Do(ctx context.Context, r *Run) error {
	sc, ok := r.Console.(StreamConsole)
	if !ok {
		return fmt.Errorf("this console cannot lend its raw stream for XMODEM")
	}
	path := r.Vars.Expand(a.File)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open the image: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	success, err := regexp.Compile(r.Vars.QuoteExpand(a.Success))
	if err != nil {
		return fmt.Errorf("playbook pattern %q: %w", a.Success, err)
	}
	mode := a.Mode
	if mode == xmodem.ModeAuto {
		mode = xmodem.Mode1K
	}
	s, err := sc.OpenStream(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	opts := xmodem.Options{
		Mode:         mode,
		Size:         fi.Size(),
		StartTimeout: a.StartTimeout,
		Confirm:      func(after []byte) bool { return success.Match(after) },
		Progress: func(p xmodem.Progress) {
			r.Transfer(TransferProgress{Bytes: p.Bytes, Total: p.Total, Rate: p.Rate, ETA: p.ETA})
		},
	}
	st, err := xmodem.Send(ctx, s, f, opts)
	if err != nil {
		return fmt.Errorf("XMODEM: %w", err)
	}
	r.Message(fmt.Sprintf("sent %d bytes in %s (%d retries)", st.Bytes, st.Duration.Round(time.Second), st.Retries))
	return nil
}

func (a XMODEMSend) Describe(v map[string]string) string {
	return "send " + Vars(v).Expand(a.File) + " by XMODEM"
}
