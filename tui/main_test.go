package tui

import (
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// Timestamps are drawn in local time; goldens need one zone everywhere.
	time.Local = time.UTC
	os.Exit(m.Run())
}
