package tui

import (
	tea "charm.land/bubbletea/v2"
)

// lineInput is a one-line text field: the console's dialogs need no more
// than typing, backspace and ctrl-u, and a field this small draws the same
// in every test.
type lineInput struct {
	prompt string
	value  []rune
}

// Update edits the field and reports whether k was an editing key.
func (l *lineInput) Update(k tea.KeyPressMsg) bool {
	switch {
	case k.Code == tea.KeyBackspace && k.Mod == 0:
		if len(l.value) > 0 {
			l.value = l.value[:len(l.value)-1]
		}
	case k.String() == "ctrl+u":
		l.value = l.value[:0]
	case k.Text != "" && k.Mod&(tea.ModCtrl|tea.ModAlt) == 0:
		l.Insert(k.Text)
	default:
		return false
	}
	return true
}

// Insert appends s, keeping only characters that draw one cell wide.
func (l *lineInput) Insert(s string) {
	for _, r := range s {
		if oneCell(r) && r != replacement {
			l.value = append(l.value, r)
		}
	}
}

func (l *lineInput) Value() string { return string(l.value) }

func (l *lineInput) Reset() { l.value = l.value[:0] }

// View is the prompt and the text typed so far.
func (l *lineInput) View() string { return l.prompt + string(l.value) }
