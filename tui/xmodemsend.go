package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"fieldcon/serialcon"
	"fieldcon/xmodem"
)

// Stream is raw, exclusive access to the device's byte stream for a file
// transfer; closing it gives the line back to the console.
type Stream interface {
	xmodem.Conn
	Close() error
}

// StreamConsole is a console that lends its raw stream. *serialcon.Console
// lends it through Stream; fakes implement OpenStream.
type StreamConsole interface {
	OpenStream(ctx context.Context) (Stream, error)
}

// errNoStream means the console cannot lend its raw stream.
var errNoStream = fmt.Errorf("this console cannot send files")

// openStream borrows c's raw stream.
func openStream(ctx context.Context, c Console) (Stream, error) {
	switch s := c.(type) {
	case StreamConsole:
		return s.OpenStream(ctx)
	case interface {
		Stream(context.Context) (*serialcon.Stream, error)
	}:
		st, err := s.Stream(ctx)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	return nil, errNoStream
}

// xmodemModes are offered in the order shown; 1K is what Cisco loaders
// and ROMMON take fastest.
var xmodemModes = []xmodem.Mode{xmodem.Mode1K, xmodem.ModeCRC, xmodem.ModeChecksum, xmodem.ModeAuto}

// xmodemJob is a file going to the device over XMODEM.
type xmodemJob struct {
	id     int
	name   string
	size   int64
	mode   xmodem.Mode
	cancel context.CancelFunc
	pump   *pump[xmodem.Progress]
	last   xmodem.Progress
	start  time.Time
}

// xmodemProgressMsg is the latest progress of a job.
type xmodemProgressMsg struct {
	job int
	p   xmodem.Progress
}

// xmodemDoneMsg ends a job.
type xmodemDoneMsg struct {
	job   int
	stats xmodem.Stats
	err   error
}

// startXMODEM returns the job and the command that opens the file and the
// console's raw stream and sends it; progress comes through the job's
// pump, at most one pending report.
func startXMODEM(ctx context.Context, c Console, id int, path string, mode xmodem.Mode) (*xmodemJob, tea.Cmd) {
	ctx, cancel := context.WithCancel(ctx)
	j := &xmodemJob{id: id, name: filepath.Base(path), mode: mode, cancel: cancel,
		pump: newPump(func(_, _ xmodem.Progress) bool { return true })}
	run := func() tea.Msg {
		defer j.pump.close()
		defer cancel()
		f, err := os.Open(path)
		if err != nil {
			return xmodemDoneMsg{job: id, err: fmt.Errorf("open %s: %w", path, err)}
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return xmodemDoneMsg{job: id, err: fmt.Errorf("open %s: %w", path, err)}
		}
		st, err := openStream(ctx, c)
		if err != nil {
			return xmodemDoneMsg{job: id, err: fmt.Errorf("take the line for the transfer: %w", err)}
		}
		stats, err := xmodem.Send(ctx, st, f, xmodem.Options{Mode: mode, Size: fi.Size(), Progress: j.pump.put})
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("give the line back: %w", cerr)
		}
		return xmodemDoneMsg{job: id, stats: stats, err: err}
	}
	return j, tea.Batch(run, j.wait())
}

func (j *xmodemJob) wait() tea.Cmd {
	id := j.id
	return j.pump.next(func(ps []xmodem.Progress) tea.Msg { return xmodemProgressMsg{job: id, p: ps[len(ps)-1]} })
}

// line is the footer while the job runs: a progress bar with rate and ETA.
func (j *xmodemJob) line(w int) string {
	p := j.last
	total := p.Total
	if total == 0 {
		total = j.size
	}
	label := "XMODEM " + j.name + " "
	info := " " + percent(p.Bytes, total) + " " + humanBytes(p.Bytes)
	if total > 0 {
		info += "/" + humanBytes(total)
	}
	if r := humanRate(p.Rate); r != "" {
		info += " " + r
	}
	if e := humanETA(p.ETA); e != "" {
		info += " " + e
	}
	if p.Retries > 0 {
		info += fmt.Sprintf(" %d retries", p.Retries)
	}
	if p.Blocks == 0 {
		info = " waiting for the receiver (start it on the device: copy xmodem: flash:NAME)"
	}
	info += " · esc stops"
	if p.Blocks == 0 {
		return truncate(label+info, w)
	}
	// The bar gets a useful width first; a long file name gives way.
	bw := min(30, max(12, w-len([]rune(label))-len([]rune(info))))
	if room := w - bw - len([]rune(info)); room < len([]rune(label)) {
		label = truncate(label, max(room-1, 8)) + " "
	}
	return truncate(label+progressBar(bw, p.Bytes, total)+info, w)
}
