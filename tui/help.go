package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// helpView is the overlay listing every key: the ctrl-t commands (which
// can be pressed right here, making it the command menu too) and the keys
// of the active pane.
func (a *App) helpView(w, h int) string {
	st := a.common.Styles
	pane := a.panes[a.active]
	var cmds []key.Binding
	for _, c := range a.commands() {
		cmds = append(cmds, c.Key)
	}
	var keys []key.Binding
	for _, g := range pane.FullHelp() {
		keys = append(keys, g...)
	}
	if !pane.TakesTyping() {
		k := a.common.Keys
		keys = append(keys, k.HelpDirect, k.QuitDirect, k.NextPane)
	}
	left := append([]string{st.OverlayTitle.Render("Commands: ctrl-t, then"), ""}, helpLines(st, cmds)...)
	right := append([]string{st.OverlayTitle.Render("Keys in " + pane.Title()), ""}, helpLines(st, keys)...)
	var body string
	inner := max(w-4, 10) // border and padding
	if inner >= 70 {
		leftW := 0
		for _, l := range left {
			leftW = max(leftW, lipgloss.Width(l))
		}
		leftW = min(leftW, (inner-3)/2+8)
		rightW := inner - 3 - leftW
		lw := make([]string, len(left))
		for i, l := range left {
			lw[i] = padRight(truncate(l, leftW), leftW)
		}
		rw := make([]string, len(right))
		for i, l := range right {
			rw[i] = truncate(l, rightW)
		}
		body = lipgloss.JoinHorizontal(lipgloss.Top, strings.Join(lw, "\n"), "   ", strings.Join(rw, "\n"))
	} else {
		all := append(append(left, ""), right...)
		for i, l := range all {
			all[i] = truncate(l, inner)
		}
		body = strings.Join(all, "\n")
	}
	body += "\n\n" + st.Dim.Render(truncate("press a command key to run it · esc closes", inner))
	maxBody := max(h-2, 1)
	body = fitBlock(body, inner, min(lipgloss.Height(body), maxBody))
	box := st.Overlay.Width(min(w, inner+4)).Render(body)
	return fitBlock(lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box), w, h)
}

// helpLines renders bindings as aligned "key  description" lines.
func helpLines(st *Styles, bs []key.Binding) []string {
	kw := 0
	for _, b := range bs {
		kw = max(kw, lipgloss.Width(b.Help().Key))
	}
	var out []string
	seen := map[string]bool{}
	for _, b := range bs {
		h := b.Help()
		if h.Key == "" || seen[h.Key] {
			continue
		}
		seen[h.Key] = true
		out = append(out, st.HelpKey.Render(padRight(h.Key, kw))+"  "+st.HelpDesc.Render(h.Desc))
	}
	return out
}
