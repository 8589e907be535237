package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"fieldcon/images"
)

// imagesPane is the Images tab: every file of the workspace images folder
// with what its inspection found, a detail view with the info file and a
// verdict per use, and "use for recovery", which the playbooks read.
type imagesPane struct {
	common *Common
	opts   *Options
	cat    ImageCatalog

	entries []images.Entry
	listErr error
	scanned bool // a scan result arrived; an older cached list is stale
	sel     int
	top     int // first row shown

	scanning bool
	scanSeq  int
	scan     images.ScanProgress
	scanPump *pump[images.ScanProgress]

	detail     bool
	verdicts   []images.Verdict
	verdictSel int
	detailTop  int

	note    string // the last action's outcome
	noteBad bool
}

func newImagesPane(c *Common, o *Options) Pane {
	return &imagesPane{common: c, opts: o, cat: o.Images}
}

// imagesListMsg is the images folder as read from the store or scanned.
type imagesListMsg struct {
	entries []images.Entry
	err     error
	scan    int // the scan it ends, 0 for the cached list
}

// imagesScanMsg is how far a scan is.
type imagesScanMsg struct {
	scan     int
	progress images.ScanProgress
}

// imagesPollMsg says whether new or changed files wait for a scan.
type imagesPollMsg struct {
	pending []string
	err     error
}

// imagesPollTick asks the pane to look for new files.
type imagesPollTick struct{}

// RecoveryImageMsg reports the image chosen for recovery (Name "" when
// the choice was cleared), for every pane that shows it.
type RecoveryImageMsg struct {
	Name string
	Use  images.Use
	Err  error
}

func (p *imagesPane) Init() tea.Cmd {
	if p.cat == nil {
		return nil
	}
	cat := p.cat
	cached := func() tea.Msg {
		es, err := cat.Cached()
		return imagesListMsg{entries: es, err: err}
	}
	return tea.Batch(cached, p.startScan())
}

func (p *imagesPane) startScan() tea.Cmd {
	if p.scanning {
		return nil
	}
	p.scanning = true
	p.scanSeq++
	p.scan = images.ScanProgress{}
	seq, cat, ctx := p.scanSeq, p.cat, p.common.Ctx
	pm := newPump(func(_, _ images.ScanProgress) bool { return true })
	p.scanPump = pm
	run := func() tea.Msg {
		defer pm.close()
		es, err := cat.Scan(ctx, pm.put)
		return imagesListMsg{entries: es, err: err, scan: seq}
	}
	return tea.Batch(run, p.waitScan())
}

func (p *imagesPane) waitScan() tea.Cmd {
	seq := p.scanSeq
	return p.scanPump.next(func(ps []images.ScanProgress) tea.Msg {
		return imagesScanMsg{scan: seq, progress: ps[len(ps)-1]}
	})
}

func (p *imagesPane) pollLater() tea.Cmd {
	d := p.opts.imagesPoll()
	if d < 0 || p.cat == nil {
		return nil
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return imagesPollTick{} })
}

func (p *imagesPane) Title() string { return "Images" }

func (p *imagesPane) TakesTyping() bool { return false }

func (p *imagesPane) SetSize(w, h int) { p.common.SetSize(w, h) }

func (p *imagesPane) Commands() []Command { return nil }

func (p *imagesPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case imagesListMsg:
		if msg.scan == 0 && p.scanned {
			return nil
		}
		if msg.scan != 0 {
			if msg.scan != p.scanSeq {
				return nil
			}
			p.scanned, p.scanning = true, false
		}
		p.listErr = msg.err
		if msg.entries != nil || msg.err == nil {
			p.setEntries(msg.entries)
		}
		if msg.scan != 0 {
			return p.pollLater()
		}
		return nil
	case imagesScanMsg:
		if msg.scan != p.scanSeq || !p.scanning {
			return nil
		}
		p.scan = msg.progress
		return p.waitScan()
	case imagesPollTick:
		if p.scanning {
			return nil
		}
		cat := p.cat
		return func() tea.Msg {
			ps, err := cat.Pending()
			return imagesPollMsg{pending: ps, err: err}
		}
	case imagesPollMsg:
		if len(msg.pending) > 0 && msg.err == nil {
			return p.startScan()
		}
		return p.pollLater()
	case RecoveryImageMsg:
		if msg.Err != nil {
			p.note, p.noteBad = "✗ "+msg.Err.Error(), true
			return nil
		}
		for i := range p.entries {
			p.entries[i].Selected = msg.Name != "" && p.entries[i].Name == msg.Name
		}
		if msg.Name == "" {
			p.note, p.noteBad = "No image is chosen for recovery now.", false
		} else {
			p.note, p.noteBad = recoveryChoice(msg.Name, msg.Use), false
		}
		return nil
	case tea.KeyPressMsg:
		if p.cat == nil {
			return nil
		}
		if p.detail {
			return p.detailKey(msg)
		}
		return p.tableKey(msg)
	}
	return nil
}

func recoveryChoice(name string, use images.Use) string {
	s := "★ " + name + " is the image for recovery"
	if use != "" {
		s += " (" + use.Describe() + ")"
	}
	return s + "; the Recovery tab uses it."
}

// setEntries replaces the list, keeping the cursor on the same file.
func (p *imagesPane) setEntries(es []images.Entry) {
	var cur string
	if p.sel < len(p.entries) {
		cur = p.entries[p.sel].Name
	}
	p.entries = es
	p.sel = 0
	for i, e := range es {
		if e.Name == cur {
			p.sel = i
		}
	}
	if p.detail && (len(es) == 0 || es[p.sel].Name != cur) {
		p.detail = false
	}
}

func (p *imagesPane) current() (images.Entry, bool) {
	if p.sel < 0 || p.sel >= len(p.entries) {
		return images.Entry{}, false
	}
	return p.entries[p.sel], true
}

func (p *imagesPane) tableKey(k tea.KeyPressMsg) tea.Cmd {
	keys := p.common.Keys
	switch {
	case key.Matches(k, keys.Up):
		p.sel = max(p.sel-1, 0)
	case key.Matches(k, keys.Down):
		p.sel = min(p.sel+1, max(len(p.entries)-1, 0))
	case key.Matches(k, keys.PageUp):
		p.sel = max(p.sel-p.tableRows(), 0)
	case key.Matches(k, keys.PageDown):
		p.sel = min(p.sel+p.tableRows(), max(len(p.entries)-1, 0))
	case key.Matches(k, keys.Rescan):
		p.note = ""
		return p.startScan()
	case key.Matches(k, keys.Accept):
		e, ok := p.current()
		if !ok {
			return nil
		}
		p.detail, p.detailTop, p.verdictSel = true, 0, 0
		p.verdicts = nil
		if e.Image != nil {
			p.verdicts = images.EvaluateAll(e.Image, images.Device{})
		}
	case key.Matches(k, keys.Use):
		return p.use("")
	case key.Matches(k, keys.Unuse):
		return p.unuse()
	}
	return nil
}

func (p *imagesPane) detailKey(k tea.KeyPressMsg) tea.Cmd {
	keys := p.common.Keys
	switch {
	case key.Matches(k, keys.Cancel):
		p.detail = false
	case key.Matches(k, keys.Up):
		p.verdictSel = max(p.verdictSel-1, 0)
	case key.Matches(k, keys.Down):
		p.verdictSel = min(p.verdictSel+1, max(len(p.verdicts)-1, 0))
	case key.Matches(k, keys.PageDown):
		p.detailTop += max(p.common.Height-3, 1)
	case key.Matches(k, keys.PageUp):
		p.detailTop = max(p.detailTop-max(p.common.Height-3, 1), 0)
	case key.Matches(k, keys.Use):
		var use images.Use
		if p.verdictSel < len(p.verdicts) {
			use = p.verdicts[p.verdictSel].Use
		}
		return p.use(use)
	case key.Matches(k, keys.Unuse):
		return p.unuse()
	}
	return nil
}

// use marks the image under the cursor for recovery.
func (p *imagesPane) use(use images.Use) tea.Cmd {
	e, ok := p.current()
	if !ok {
		return nil
	}
	if e.Image == nil {
		p.note, p.noteBad = "✗ "+e.Name+" could not be read, so it cannot be used: "+e.Err, true
		return nil
	}
	cat, name := p.cat, e.Name
	return func() tea.Msg {
		if err := cat.Select(name, use); err != nil {
			return RecoveryImageMsg{Err: fmt.Errorf("choose %s for recovery: %w", name, err)}
		}
		return RecoveryImageMsg{Name: name, Use: use}
	}
}

func (p *imagesPane) unuse() tea.Cmd {
	cat := p.cat
	return func() tea.Msg {
		if err := cat.ClearSelection(); err != nil {
			return RecoveryImageMsg{Err: fmt.Errorf("forget the recovery image: %w", err)}
		}
		return RecoveryImageMsg{}
	}
}

// tableRows is how many image rows fit under the header lines and above
// the footer.
func (p *imagesPane) tableRows() int { return max(p.common.Height-6, 1) }

func (p *imagesPane) View() string {
	w, h := p.common.Width, p.common.Height
	st := p.common.Styles
	if p.cat == nil {
		return fitBlock(st.OverlayTitle.Render("Images")+"\n\n  No workspace images folder: start fieldcon with a workspace to see its images.", w, h)
	}
	if p.detail {
		return p.detailView(w, h)
	}
	var lines []string
	head := fmt.Sprintf("Images in %s · %d files", p.cat.Dir(), len(p.entries))
	lines = append(lines, st.OverlayTitle.Render(truncate(head, w)))
	lines = append(lines, p.scanLine(w))

	cols := imageColumns(w)
	lines = append(lines, st.Dim.Render(truncate(cols.row("", "NAME", "PLATFORM", "TYPE", "VERSION", "SIZE", "MD5"), w)))
	rows := p.tableRows()
	if p.sel < p.top {
		p.top = p.sel
	}
	if p.sel >= p.top+rows {
		p.top = p.sel - rows + 1
	}
	switch {
	case p.listErr != nil && len(p.entries) == 0:
		lines = append(lines, st.Error.Render(truncate("  Cannot read the images folder: "+p.listErr.Error(), w)))
	case len(p.entries) == 0 && !p.scanning:
		lines = append(lines, truncate("  No images yet. Copy .bin and .tar files into "+p.cat.Dir()+"; they appear here.", w))
	}
	for i := p.top; i < len(p.entries) && i < p.top+rows; i++ {
		e := p.entries[i]
		mark := "  "
		if i == p.sel {
			mark = "▸ "
		}
		if e.Selected {
			mark += "★"
		} else {
			mark += " "
		}
		r := entryRow(e)
		md5 := r.MD5
		if md5 == "" {
			md5 = "—"
		}
		line := truncate(cols.row(mark, e.Name, r.Platform, r.Type, r.Version, humanBytes(e.Size), md5), w)
		switch {
		case i == p.sel:
			line = st.Selected.Render(line)
		case r.Problem != "" || e.State == images.StateUnreadable:
			line = st.Banner.Render(line)
		}
		lines = append(lines, line)
	}
	body := strings.Join(lines, "\n")
	foot := p.footer(w)
	return fitBlock(body, w, h-len(foot)) + "\n" + strings.Join(foot, "\n")
}

// footer is the problem of the image under the cursor, the last action's
// outcome and the keys.
func (p *imagesPane) footer(w int) []string {
	st := p.common.Styles
	var out []string
	if e, ok := p.current(); ok {
		switch r := entryRow(e); {
		case e.State == images.StateUnreadable:
			out = append(out, st.Error.Render(truncate("  ✗ "+e.Err, w)))
		case r.Problem != "":
			ls := wrap("! "+r.Problem, w-2)
			for _, l := range ls[:min(len(ls), 2)] {
				out = append(out, st.Banner.Render(truncate("  "+l, w)))
			}
		default:
			out = append(out, "")
		}
	} else {
		out = append(out, "")
	}
	note := p.note
	if p.noteBad {
		note = st.Error.Render(truncate("  "+note, w))
	} else if note != "" {
		note = truncate("  "+note, w)
	}
	out = append(out, note)
	out = append(out, st.Dim.Render(truncate("  enter details · u use for recovery · U forget · r scan again · ↑/↓", w)))
	return out
}

func (p *imagesPane) scanLine(w int) string {
	if !p.scanning {
		if p.listErr != nil && len(p.entries) > 0 {
			return p.common.Styles.Error.Render(truncate("  scan failed: "+p.listErr.Error(), w))
		}
		return ""
	}
	if p.scan.Count == 0 {
		return "  looking for new files…"
	}
	label := fmt.Sprintf("  inspecting %d/%d %s ", p.scan.Index, p.scan.Count, p.scan.File)
	pct := " " + percent(p.scan.Done, p.scan.Total)
	bw := min(30, w-len([]rune(label))-len(pct))
	if bw < 5 {
		return truncate(label+pct, w)
	}
	return truncate(label+progressBar(bw, p.scan.Done, p.scan.Total)+pct, w)
}

// entryRow is the table row of an entry, also for files that could not be
// inspected.
func entryRow(e images.Entry) images.Row {
	if e.Image == nil {
		return images.Row{Type: "unreadable", Size: e.Size}
	}
	return e.Image.Row()
}

// imageCols are the widths of the table's columns for a screen width.
type imageCols struct{ name, platform, typ, version, size, md5 int }

func imageColumns(w int) imageCols {
	c := imageCols{platform: 8, version: 12, size: 9, md5: 8, typ: 14}
	switch {
	case w >= 140:
		c.platform, c.typ, c.version, c.md5 = 9, 28, 13, 32
	case w >= 110:
		c.platform, c.typ, c.version, c.md5 = 9, 28, 13, 12
	}
	c.name = max(w-3-c.platform-c.typ-c.version-c.size-c.md5-6, 12)
	return c
}

func (c imageCols) row(mark, name, platform, typ, version, size, md5 string) string {
	cell := func(s string, n int) string { return padRight(truncate(s, n), n) }
	return padRight(mark, 3) + cell(name, c.name) + " " + cell(platform, c.platform) + " " + cell(typ, c.typ) + " " +
		cell(version, c.version) + " " + fmt.Sprintf("%*s", c.size, truncate(size, c.size)) + " " + truncate(md5, c.md5)
}

func (p *imagesPane) detailView(w, h int) string {
	st := p.common.Styles
	e, _ := p.current()
	var lines []string
	title := e.Name
	if e.Selected {
		title += "  ★ chosen for recovery"
	}
	lines = append(lines, st.OverlayTitle.Render(truncate(title, w)))
	if e.Image == nil {
		lines = append(lines, st.Error.Render(truncate("  could not be read: "+e.Err, w)))
	} else {
		img := e.Image
		r := img.Row()
		facts := []string{img.Format.Describe(), humanBytes(img.Size)}
		if r.Platform != "" {
			facts = append(facts, "platform "+r.Platform)
		}
		if r.Version != "" {
			facts = append(facts, r.Version)
		}
		lines = append(lines, truncate("  "+strings.Join(facts, " · "), w))
		lines = append(lines, truncate("  MD5     "+orDash(img.MD5), w))
		lines = append(lines, truncate("  SHA-512 "+orDash(img.SHA512), w))
		for _, pr := range img.Problems {
			lines = append(lines, st.Banner.Render(truncate("  ! "+pr, w)))
		}
		lines = append(lines, "", st.OverlayTitle.Render("Will it work? (↑/↓ pick a use, u uses the image for it)"))
		for i, v := range p.verdicts {
			mark := "  "
			if i == p.verdictSel {
				mark = "▸ "
			}
			text := fmt.Sprintf("%s%-9s %s: %s", mark, levelLabel(v.Level), v.Use.Describe(), v.Reason)
			if v.Fix != "" && v.Level != images.OK {
				text += " " + v.Fix
			}
			if v.AskedName != "" {
				text += " (asks for " + v.AskedName + ")"
			}
			line := truncate(text, w)
			switch {
			case i == p.verdictSel:
				line = st.Selected.Render(line)
			case v.Level == images.WillFail:
				line = st.Error.Render(line)
			case v.Level == images.Warning:
				line = st.Banner.Render(line)
			}
			lines = append(lines, line)
		}
		if img.InfoRaw != "" {
			lines = append(lines, "", st.OverlayTitle.Render("info file"))
			for _, l := range strings.Split(strings.TrimRight(img.InfoRaw, "\n"), "\n") {
				lines = append(lines, truncate("  "+sanitizeLine(l), w))
			}
		}
	}
	foot := []string{p.common.Styles.Dim.Render(truncate("  esc back · u use for recovery · U forget · pgup/pgdn scroll", w))}
	if p.note != "" {
		n := truncate("  "+p.note, w)
		if p.noteBad {
			n = st.Error.Render(n)
		}
		foot = append([]string{n}, foot...)
	}
	room := max(h-len(foot), 1)
	p.detailTop = min(p.detailTop, max(len(lines)-room, 0))
	return fitBlock(strings.Join(lines[p.detailTop:], "\n"), w, room) + "\n" + strings.Join(foot, "\n")
}

func levelLabel(l images.Level) string {
	switch l {
	case images.OK:
		return "OK"
	case images.Warning:
		return "WARNING"
	}
	return "WILL FAIL"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// sanitizeLine keeps a line from a file to one-cell printable runes, so a
// strange info file cannot move the layout.
func sanitizeLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString("  ")
		case oneCell(r) && r != replacement:
			b.WriteRune(r)
		default:
			b.WriteRune('·')
		}
	}
	return b.String()
}

func (p *imagesPane) ShortHelp() []key.Binding {
	k := p.common.Keys
	return []key.Binding{k.Accept, k.Use, k.Rescan}
}

func (p *imagesPane) FullHelp() [][]key.Binding {
	k := p.common.Keys
	return [][]key.Binding{{k.Up, k.Down, k.Accept, k.Cancel, k.Use, k.Unuse, k.Rescan, k.PageUp, k.PageDown}}
}

// errNoCatalog is what the Recovery pane says without an images folder.
var errNoCatalog = errors.New("no images folder: start fieldcon with a workspace")
