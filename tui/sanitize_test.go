package tui

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// sanitize feeds chunks and returns the completed lines and the partial line.
func sanitize(s *Sanitizer, chunks ...string) ([]string, string) {
	var lines []string
	for _, c := range chunks {
		s.Write([]byte(c), func(l string) { lines = append(lines, l) })
	}
	return lines, s.Partial()
}

func TestSanitizer(t *testing.T) {
	tests := []struct {
		name        string
		in          []string
		wantLines   []string
		wantPartial string
	}{
		{"plain lines", []string{"one\r\ntwo\r\nswitch: "}, []string{"one", "two"}, "switch: "},
		{"bare newline", []string{"a\nb\n"}, []string{"a", "b"}, ""},
		{"newline then return", []string{"a\n\rb\n\r"}, []string{"a", "b"}, ""},
		{"bare return overwrites", []string{"Loading 10%\rLoading 99%\r\n"}, []string{"Loading 99%"}, ""},
		{"shorter overwrite keeps tail like a terminal", []string{"abcdef\rxy\r\n"}, []string{"xycdef"}, ""},
		{"backspace then overwrite", []string{"Router#shw\bow\r\n"}, []string{"Router#show"}, ""},
		{"backspace at column zero", []string{"\b\bok\r\n"}, []string{"ok"}, ""},
		{"IOS pager erasure", []string{"line one\r\n --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bline two\r\n"}, []string{"line one", "line two"}, ""},
		{"pager erasure by ANSI", []string{" --More-- \x1b[10D\x1b[Kline two\r\n"}, []string{"line two"}, ""},
		{"erase whole line", []string{"garbage\x1b[2K\rclean\r\n"}, []string{"clean"}, ""},
		{"colours dropped", []string{"\x1b[1;31mred\x1b[0m text\r\n"}, []string{"red text"}, ""},
		{"cursor keys and modes dropped", []string{"\x1b[?25l\x1b[H\x1b[2Jhello\x1b[?25h\r\n"}, []string{"hello"}, ""},
		{"window title dropped", []string{"\x1b]0;title\x07after\r\n", "\x1b]2;t\x1b\\x\r\n"}, []string{"after", "x"}, ""},
		{"charset selection dropped", []string{"\x1b(Bok\x1b7\x1b8\r\n"}, []string{"ok"}, ""},
		{"NUL BEL DEL and friends vanish", []string{"a\x00b\x07c\x7fd\x0ce\x0bf\x01g\r\n"}, []string{"abcdefg"}, ""},
		{"tabs expand", []string{"a\tb\r\n"}, []string{"a       b"}, ""},
		{"trailing spaces trimmed", []string{"text     \r\n"}, []string{"text"}, ""},
		{"invalid UTF-8 replaced", []string{"ab\xff\xfecd\r\n"}, []string{"ab\uFFFD\uFFFDcd"}, ""},
		{"truncated rune then ASCII", []string{"\xe2\x94x\r\n"}, []string{"\uFFFD\uFFFDx"}, ""},
		{"valid box drawing kept", []string{"\u250c\u2500\u2510\r\n"}, []string{"┌─┐"}, ""},
		{"wide and zero-width runes replaced", []string{"漢e\u0301\u200b\r\n"}, []string{"\uFFFDe\uFFFD\uFFFD"}, ""},
		{"C1 controls replaced", []string{"a\u009bb\r\n"}, []string{"a\uFFFDb"}, ""},
		{"sequence split across reads", []string{"x\x1b", "[3", "1mred\x1b", "[0m\r", "\n"}, []string{"xred"}, ""},
		{"rune split across reads", []string{"caf\xc3", "\xa9\r\n"}, []string{"café"}, ""},
		{"CAN cancels a sequence", []string{"\x1b[12\x18ok\r\n"}, []string{"ok"}, ""},
		{"newline ends a broken sequence", []string{"\x1b[12\nok\r\n"}, []string{"", "ok"}, ""},
		{"runaway OSC is bounded", []string{"\x1b]" + strings.Repeat("x", 100) + "\r\n"}, []string{strings.Repeat("x", 100-maxSeq)}, ""},
		{"cursor forward pads", []string{"a\x1b[3Cb\r\n"}, []string{"a   b"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sanitizer
			lines, partial := sanitize(&s, tt.in...)
			if diff := cmp.Diff(tt.wantLines, lines); diff != "" {
				t.Errorf("Write(%q) lines (-want +got):\n%s", tt.in, diff)
			}
			if partial != tt.wantPartial {
				t.Errorf("Write(%q) Partial() = %q, want %q", tt.in, partial, tt.wantPartial)
			}
		})
	}
}

func TestSanitizerMaxLine(t *testing.T) {
	s := Sanitizer{MaxLine: 10}
	lines, partial := sanitize(&s, strings.Repeat("0123456789", 3)+"abc")
	want := []string{"0123456789", "0123456789", "0123456789"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("Write(33 bytes, MaxLine 10) lines (-want +got):\n%s", diff)
	}
	if partial != "abc" {
		t.Errorf("Partial() = %q, want %q", partial, "abc")
	}
}

func TestSanitizerGarbled(t *testing.T) {
	var s Sanitizer
	sanitize(&s, "\x80\x81ok\xfe")
	if s.Garbled != 3 {
		t.Errorf("Garbled after 3 bad bytes = %d, want 3", s.Garbled)
	}
}

// checkDisplayable fails if a screen row could disturb the layout.
func checkDisplayable(t *testing.T, what, s string, width int) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s = %q: not valid UTF-8", what, s)
	}
	n := 0
	for _, r := range s {
		if !oneCell(r) {
			t.Fatalf("%s = %q: holds %U, not a one-cell printable rune", what, s, r)
		}
		n++
	}
	if width > 0 && n > width {
		t.Fatalf("%s = %q: %d cells, wider than %d", what, s, n, width)
	}
}

// FuzzSanitizer checks that whatever a device sends, every line holds only
// one-cell printable runes, the scrollback never draws a row wider than
// the screen, and the result does not depend on how reads split the bytes.
func FuzzSanitizer(f *testing.F) {
	for _, s := range []string{
		"switch: ",
		"Router#show ver\r\n --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b",
		"\x1b[1;31mred\x1b[0m\r\n",
		"\xff\xfe\x00\x80abc\r\rdef\n",
		"\x1b]0;\x07\x1b[?25l\t\tx\x1b[200C\x1b[5G!",
		"漢字\u200b\u0301e",
	} {
		f.Add([]byte(s), uint8(7), uint8(40))
	}
	f.Fuzz(func(t *testing.T, data []byte, split, width uint8) {
		w := int(width%120) + 1
		whole := Sanitizer{MaxLine: 200}
		wantLines, wantPartial := sanitize(&whole, string(data))

		cut := 0
		if len(data) > 0 {
			cut = int(split) % (len(data) + 1)
		}
		parts := Sanitizer{MaxLine: 200}
		gotLines, gotPartial := sanitize(&parts, string(data[:cut]), string(data[cut:]))
		if diff := cmp.Diff(wantLines, gotLines); diff != "" || gotPartial != wantPartial {
			t.Fatalf("split at %d changes the result: lines (-whole +split):\n%s\npartial %q vs %q", cut, diff, wantPartial, gotPartial)
		}
		for _, l := range wantLines {
			checkDisplayable(t, "line", l, 200)
		}
		checkDisplayable(t, "partial", wantPartial, 200)

		sb := NewScrollback(50)
		sb.SetWidth(w)
		sb.SetTimestamps(split%2 == 0)
		sb.Write(time.Unix(0, 0).UTC(), data)
		sb.Banner(time.Unix(0, 0).UTC(), string(data))
		rows, cursor := sb.Rows(30)
		for _, r := range rows {
			checkDisplayable(t, "row", r.Text, w)
		}
		if cursor >= w {
			t.Fatalf("cursor column %d outside width %d", cursor, w)
		}
	})
}
