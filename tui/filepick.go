package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// filePicker chooses a file to send: one folder's listing at a time, read
// in a command, folders first; enter opens a folder or picks a file,
// backspace goes up.
type filePicker struct {
	common  *Common
	dir     string
	entries []fileEntry
	err     error
	loading bool
	sel     int
	top     int
	seq     int
}

type fileEntry struct {
	name string
	dir  bool
	size int64
}

// dirListMsg is one folder's listing.
type dirListMsg struct {
	seq     int
	dir     string
	entries []fileEntry
	err     error
}

// filePickedMsg is the file the technician picked.
type filePickedMsg struct{ path string }

func newFilePicker(c *Common, dir string) *filePicker {
	return &filePicker{common: c, dir: dir}
}

// load lists dir in a command.
func (f *filePicker) load(dir string) tea.Cmd {
	f.seq++
	f.loading = true
	seq := f.seq
	return func() tea.Msg {
		des, err := os.ReadDir(dir)
		if err != nil {
			return dirListMsg{seq: seq, dir: dir, err: err}
		}
		var es []fileEntry
		for _, de := range des {
			if strings.HasPrefix(de.Name(), ".") {
				continue
			}
			e := fileEntry{name: de.Name(), dir: de.IsDir()}
			if fi, err := os.Stat(filepath.Join(dir, de.Name())); err == nil {
				e.dir, e.size = fi.IsDir(), fi.Size()
			}
			es = append(es, e)
		}
		sort.Slice(es, func(i, j int) bool {
			if es[i].dir != es[j].dir {
				return es[i].dir
			}
			return es[i].name < es[j].name
		})
		return dirListMsg{seq: seq, dir: dir, entries: es}
	}
}

func (f *filePicker) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dirListMsg:
		if msg.seq != f.seq {
			return nil
		}
		f.loading = false
		f.dir, f.entries, f.err = msg.dir, msg.entries, msg.err
		f.sel, f.top = 0, 0
		return nil
	case tea.KeyPressMsg:
		keys := f.common.Keys
		switch {
		case key.Matches(msg, keys.Up):
			f.sel = max(f.sel-1, 0)
		case key.Matches(msg, keys.Down):
			f.sel = min(f.sel+1, max(len(f.entries)-1, 0))
		case key.Matches(msg, keys.PageUp):
			f.sel = max(f.sel-10, 0)
		case key.Matches(msg, keys.PageDown):
			f.sel = min(f.sel+10, max(len(f.entries)-1, 0))
		case msg.Code == tea.KeyBackspace || key.Matches(msg, keys.Left):
			return f.load(filepath.Dir(f.dir))
		case key.Matches(msg, keys.Accept), key.Matches(msg, keys.Right):
			if f.sel >= len(f.entries) {
				return nil
			}
			e := f.entries[f.sel]
			path := filepath.Join(f.dir, e.name)
			if e.dir {
				return f.load(path)
			}
			if !key.Matches(msg, keys.Accept) {
				return nil
			}
			return func() tea.Msg { return filePickedMsg{path: path} }
		}
	}
	return nil
}

func (f *filePicker) View(title string, w, h int) string {
	st := f.common.Styles
	lines := []string{st.OverlayTitle.Render(truncate(title, w)), truncate("  in "+f.dir, w), ""}
	rows := max(h-len(lines)-2, 1)
	switch {
	case f.loading && len(f.entries) == 0:
		lines = append(lines, "  reading the folder…")
	case f.err != nil:
		lines = append(lines, st.Error.Render(truncate("  cannot read this folder: "+f.err.Error(), w)))
	case len(f.entries) == 0:
		lines = append(lines, "  (empty folder; backspace goes up)")
	}
	if f.sel < f.top {
		f.top = f.sel
	}
	if f.sel >= f.top+rows {
		f.top = f.sel - rows + 1
	}
	for i := f.top; i < len(f.entries) && i < f.top+rows; i++ {
		e := f.entries[i]
		mark := "  "
		if i == f.sel {
			mark = "▸ "
		}
		size := humanBytes(e.size)
		name := e.name
		if e.dir {
			name += "/"
			size = ""
		}
		line := truncate(fmt.Sprintf("%s%s %12s", mark, padRight(truncate(name, max(w-16, 8)), max(w-16, 8)), size), w)
		if i == f.sel {
			line = st.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	body := fitBlock(strings.Join(lines, "\n"), w, h-1)
	return body + "\n" + st.Dim.Render(truncate("  enter pick / open folder · backspace up · esc cancel", w))
}
