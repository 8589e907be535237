package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestKeyBytes(t *testing.T) {
	tests := []struct {
		key  string
		want string
	}{
		{"a", "a"},
		{"A", "A"},
		{"enter", "\r"},
		{"ctrl+a", "\x01"},
		{"ctrl+space", "\x00"},
		{"ctrl+@", "\x00"},
		{"ctrl+]", "\x1d"},
		{"ctrl+\\", "\x1c"},
		{"ctrl+_", "\x1f"},
		{"backspace", "\b"},
		{"delete", "\x1b[3~"},
		{"home", "\x1b[H"},
		{"end", "\x1b[F"},
		{"alt+x", "\x1bx"},
		{"alt+enter", "\x1b\r"},
		{"f1", ""},
		{"é", "é"},
	}
	for _, tt := range tests {
		if got := string(keyBytes(keyPress(tt.key))); got != tt.want {
			t.Errorf("keyBytes(%s) = %q, want %q", tt.key, got, tt.want)
		}
	}
	if got := string(keyBytes(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})); got != " " {
		t.Errorf("keyBytes(space) = %q, want %q", got, " ")
	}
}
