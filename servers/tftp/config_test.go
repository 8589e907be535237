package tftp

import (
	"errors"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Root: "/srv/tftp"}
	tests := []struct {
		name    string
		change  func(*Config)
		wantErr bool
	}{
		{"defaults", func(*Config) {}, false},
		{"no root", func(c *Config) { c.Root = "" }, true},
		{"blksize too small", func(c *Config) { c.BlockSizeMax = 511 }, true},
		{"blksize too large", func(c *Config) { c.BlockSizeMax = 65465 }, true},
		{"blksize largest", func(c *Config) { c.BlockSizeMax = 65464 }, false},
		{"timeout too long", func(c *Config) { c.Timeout = 256 * time.Second }, true},
		{"negative retries", func(c *Config) { c.Retries = -1 }, true},
		{"negative limit", func(c *Config) { c.MaxPerClient = -1 }, true},
		{"negative upload limit", func(c *Config) { c.MaxUpload = -1 }, true},
		{"bad alias pattern", func(c *Config) { c.Aliases = []Alias{{"[", "a"}} }, true},
		{"alias out of the root", func(c *Config) { c.Aliases = []Alias{{"*", "../a"}} }, true},
		{"good alias", func(c *Config) { c.Aliases = []Alias{{"*-k9w7-tar.default", "images/a.tar"}} }, false},
	}
	for _, tc := range tests {
		c := ok
		tc.change(&c)
		err := c.Defaults().Validate()
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: Validate() = %v, want error %v", tc.name, err, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate() = %v, does not wrap ErrConfig", tc.name, err)
		}
	}
	d := Config{Root: "x"}.Defaults()
	if d.BlockSizeMax != 65464 || d.Timeout != time.Second || d.Uploads != "" {
		t.Errorf("Defaults() = %+v, want blksize 65464, timeout 1s, uploads off", d)
	}
}
