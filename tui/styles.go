package tui

import "charm.land/lipgloss/v2"

// Styles is every style the TUI draws with, in one place.
type Styles struct {
	TabBar    lipgloss.Style
	Tab       lipgloss.Style
	ActiveTab lipgloss.Style
	TabHint   lipgloss.Style

	StatusBar  lipgloss.Style
	StatusItem lipgloss.Style
	StatusWarn lipgloss.Style
	StatusSep  string

	Banner   lipgloss.Style
	Match    lipgloss.Style
	Dim      lipgloss.Style
	Selected lipgloss.Style
	Likely   lipgloss.Style
	Error    lipgloss.Style
	Input    lipgloss.Style

	Overlay      lipgloss.Style
	OverlayTitle lipgloss.Style
	HelpKey      lipgloss.Style
	HelpDesc     lipgloss.Style
}

// DefaultStyles is fieldcon's look: quiet colours that read on dark and
// light terminals, reverse video for what matters.
func DefaultStyles() *Styles {
	accent := lipgloss.Color("#5FAFFF")
	warn := lipgloss.Color("#FFAF00")
	bad := lipgloss.Color("#FF5F5F")
	dim := lipgloss.Color("#808080")
	return &Styles{
		TabBar:    lipgloss.NewStyle(),
		Tab:       lipgloss.NewStyle().Padding(0, 1).Foreground(dim),
		ActiveTab: lipgloss.NewStyle().Padding(0, 1).Bold(true).Reverse(true),
		TabHint:   lipgloss.NewStyle().Foreground(dim),

		StatusBar:  lipgloss.NewStyle().Reverse(true),
		StatusItem: lipgloss.NewStyle(),
		StatusWarn: lipgloss.NewStyle().Bold(true).Foreground(warn),
		StatusSep:  " │ ",

		Banner:   lipgloss.NewStyle().Bold(true).Foreground(warn),
		Match:    lipgloss.NewStyle().Reverse(true),
		Dim:      lipgloss.NewStyle().Foreground(dim),
		Selected: lipgloss.NewStyle().Bold(true).Foreground(accent),
		Likely:   lipgloss.NewStyle().Foreground(accent),
		Error:    lipgloss.NewStyle().Bold(true).Foreground(bad),
		Input:    lipgloss.NewStyle().Bold(true),

		Overlay:      lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		OverlayTitle: lipgloss.NewStyle().Bold(true),
		HelpKey:      lipgloss.NewStyle().Bold(true).Foreground(accent),
		HelpDesc:     lipgloss.NewStyle(),
	}
}
