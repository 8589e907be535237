package tftp

import (
	"errors"
	"testing"
)

func TestResolveAlias(t *testing.T) {
	aliases := []Alias{
		{Pattern: "*-k9w7-tar.default", File: "images/c1240-k9w7-tar.124-25d.JA1.tar"},
		{Pattern: "*-k9w8-tar.default", File: "images/c1240-k9w7-tar.124-25d.JA1.tar"},
		{Pattern: "boot/*.cfg", File: "configs/default.cfg"},
		{Pattern: "network-confg", File: "configs/network-confg"},
	}
	tests := []struct {
		name      string
		want      string
		wantAlias string
	}{
		{"c1240-k9w7-tar.default", "images/c1240-k9w7-tar.124-25d.JA1.tar", "*-k9w7-tar.default"},
		{"c1140-k9w8-tar.default", "images/c1240-k9w7-tar.124-25d.JA1.tar", "*-k9w8-tar.default"},
		{"tftpboot/c1200-k9w7-tar.default", "images/c1240-k9w7-tar.124-25d.JA1.tar", "*-k9w7-tar.default"},
		{"boot/sw1.cfg", "configs/default.cfg", "boot/*.cfg"},
		{"other/boot/sw1.cfg", "other/boot/sw1.cfg", ""},
		{"network-confg", "configs/network-confg", "network-confg"},
		{"c1240-k9w7-tar.124-25d.JA1.tar", "c1240-k9w7-tar.124-25d.JA1.tar", ""},
	}
	for _, tc := range tests {
		got, a := resolveAlias(aliases, tc.name)
		gotAlias := ""
		if a != nil {
			gotAlias = a.Pattern
		}
		if got != tc.want || gotAlias != tc.wantAlias {
			t.Errorf("resolveAlias(%q) = %q by %q, want %q by %q", tc.name, got, gotAlias, tc.want, tc.wantAlias)
		}
	}
}

func TestParseAlias(t *testing.T) {
	tests := []struct {
		in      string
		want    Alias
		wantErr bool
	}{
		{"*-k9w7-tar.default=images/ap.tar", Alias{"*-k9w7-tar.default", "images/ap.tar"}, false},
		{"a=b=c", Alias{"a", "b=c"}, false},
		{"nofile", Alias{}, true},
		{"=x", Alias{}, true},
		{"x=", Alias{}, true},
	}
	for _, tc := range tests {
		got, err := ParseAlias(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseAlias(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrAlias) {
			t.Errorf("ParseAlias(%q) error %v does not wrap ErrAlias", tc.in, err)
		}
	}
}
