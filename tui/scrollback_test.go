package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func rowTexts(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Text)
	}
	return out
}

func TestScrollbackWrapsAndBounds(t *testing.T) {
	sb := NewScrollback(3)
	sb.SetWidth(4)
	sb.Write(time.Time{}, []byte("one\r\ntwo\r\nthree\r\nfour\r\nsw> "))
	if sb.Lines() != 3 {
		t.Errorf("Lines() = %d, want the bound 3", sb.Lines())
	}
	rows, cursor := sb.Rows(10)
	want := []string{"two", "thre", "e", "four", "sw>"}
	want[4] = "sw> "
	if diff := cmp.Diff(want, rowTexts(rows)); diff != "" {
		t.Errorf("Rows(10) (-want +got):\n%s", diff)
	}
	if cursor != 3 {
		t.Errorf("cursor = %d, want 3 (after the prompt)", cursor)
	}
	rows, _ = sb.Rows(2)
	if diff := cmp.Diff([]string{"four", "sw> "}, rowTexts(rows)); diff != "" {
		t.Errorf("Rows(2) (-want +got):\n%s", diff)
	}
}

func TestScrollbackScrollStaysPut(t *testing.T) {
	sb := NewScrollback(100)
	sb.SetWidth(20)
	for i := range 10 {
		sb.Write(time.Time{}, []byte(fmt.Sprintf("l%d\r\n", i)))
	}
	sb.Scroll(3, 4)
	before, _ := sb.Rows(4)
	sb.Write(time.Time{}, []byte("new\r\nnewer\r\n"))
	after, cursor := sb.Rows(4)
	if diff := cmp.Diff(rowTexts(before), rowTexts(after)); diff != "" {
		t.Errorf("new lines moved a scrolled view (-before +after):\n%s", diff)
	}
	if cursor != -1 {
		t.Errorf("cursor while scrolled = %d, want -1", cursor)
	}
	sb.Scroll(1000, 4)
	top, _ := sb.Rows(4)
	if top[0].Text != "l0" {
		t.Errorf("scrolled to the top, first row = %q, want l0", top[0].Text)
	}
	sb.Bottom()
	bottom, _ := sb.Rows(2)
	if diff := cmp.Diff([]string{"newer", ""}, rowTexts(bottom)); diff != "" {
		t.Errorf("after Bottom (-want +got):\n%s", diff)
	}
}

func TestScrollbackSearch(t *testing.T) {
	sb := NewScrollback(100)
	sb.SetWidth(40)
	sb.Write(time.Time{}, []byte("a Match 1\r\nb\r\nc match 2\r\nd\r\n"))
	sb.Banner(time.Time{}, "banner match is not device text")
	if !sb.Search("MATCH", true, 2) || sb.SearchHit() != "line 3 of 5" {
		t.Fatalf("first search: hit %q, want line 3 of 5", sb.SearchHit())
	}
	if !sb.Search("MATCH", true, 2) || sb.SearchHit() != "line 1 of 5" {
		t.Fatalf("second search: hit %q, want line 1 of 5", sb.SearchHit())
	}
	if sb.Search("MATCH", true, 2) {
		t.Errorf("third search found %q, want nothing older", sb.SearchHit())
	}
	if !sb.Search("MATCH", false, 2) || sb.SearchHit() != "line 3 of 5" {
		t.Errorf("newer search: hit %q, want line 3 of 5", sb.SearchHit())
	}
	rows, _ := sb.Rows(5)
	var hl []string
	for _, r := range rows {
		if r.End > 0 {
			hl = append(hl, r.Text[r.Start:r.End])
		}
	}
	if diff := cmp.Diff([]string{"match"}, hl); diff != "" {
		t.Errorf("highlighted (-want +got):\n%s", diff)
	}
}

func TestScrollbackHex(t *testing.T) {
	sb := NewScrollback(100)
	sb.SetWidth(80)
	sb.Write(time.Time{}, []byte("sw"))
	sb.SetHex(true, time.Time{})
	sb.Write(time.Time{}, []byte("0123456789abcdef\x00\xff"))
	rows, _ := sb.Rows(3)
	want := []string{
		"sw",
		"00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|",
		"00000010  00 ff" + strings.Repeat(" ", 43) + "  |..|",
	}
	if diff := cmp.Diff(want, rowTexts(rows)); diff != "" {
		t.Errorf("hex rows (-want +got):\n%s", diff)
	}
}
