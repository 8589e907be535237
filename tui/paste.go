package tui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// PasteMsg reports a paste (a text file or a multi-line clipboard paste)
// going to the device one line at a time.
type PasteMsg struct {
	Job         int
	Sent, Total int // lines
	Done        bool
	Err         error
}

// pasteJob sends text line by line with a pause after each, because a
// Cisco console has a small input buffer and drops what arrives while it
// is busy parsing the previous config line.
type pasteJob struct {
	id       int
	name     string
	cancel   context.CancelFunc
	progress chan PasteMsg // capacity 1; only the latest matters
	done     chan struct{}
}

// startPaste returns the job and the commands that run it and report on it.
// Exactly one of path and text is used: path is read inside the command.
func startPaste(ctx context.Context, c Console, id int, path, text string, delay time.Duration) (*pasteJob, tea.Cmd) {
	ctx, cancel := context.WithCancel(ctx)
	j := &pasteJob{id: id, name: path, cancel: cancel, progress: make(chan PasteMsg, 1), done: make(chan struct{})}
	if path == "" {
		j.name = "clipboard"
	}
	run := func() tea.Msg {
		defer close(j.done)
		defer cancel()
		if path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return PasteMsg{Job: id, Done: true, Err: fmt.Errorf("read %s: %w", path, err)}
			}
			text = string(b)
		}
		lines := pasteLines(text)
		for i, l := range lines {
			if err := c.Send([]byte(l + "\r")); err != nil {
				return PasteMsg{Job: id, Sent: i, Total: len(lines), Done: true, Err: err}
			}
			j.report(PasteMsg{Job: id, Sent: i + 1, Total: len(lines)})
			if i == len(lines)-1 {
				break
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return PasteMsg{Job: id, Sent: i + 1, Total: len(lines), Done: true, Err: context.Canceled}
			case <-t.C:
			}
		}
		return PasteMsg{Job: id, Sent: len(lines), Total: len(lines), Done: true}
	}
	return j, tea.Batch(run, j.wait())
}

func (j *pasteJob) report(m PasteMsg) {
	select {
	case <-j.progress: // replace a report nobody read yet
	default:
	}
	j.progress <- m
}

// wait returns the next progress report; re-armed by whoever receives it.
func (j *pasteJob) wait() tea.Cmd {
	return func() tea.Msg {
		select {
		case m := <-j.progress:
			return m
		case <-j.done:
			return nil
		}
	}
}

// pasteLines splits text into lines as the device should get them: any
// line ending becomes the one Enter sends, and a final newline adds no
// empty line.
func pasteLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// parseDelay reads "100ms", "0.5s" or a bare number of milliseconds.
func parseDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty delay")
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	var ms int
	if _, err := fmt.Sscanf(s, "%d", &ms); err == nil && ms >= 0 && fmt.Sprint(ms) == s {
		return time.Duration(ms) * time.Millisecond, nil
	}
	return 0, fmt.Errorf("%q is not a delay: write 100ms, 1s or a number of milliseconds", s)
}
