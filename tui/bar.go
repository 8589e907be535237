package tui

import (
	"fmt"
	"math"
	"time"

	"charm.land/bubbles/v2/progress"
)

// progressBar draws how far done is of total in width cells, in plain
// block characters so it reads the same in every terminal and golden.
func progressBar(width int, done, total int64) string {
	if width < 1 {
		return ""
	}
	frac := 0.0
	if total > 0 {
		frac = min(max(float64(done)/float64(total), 0), 1)
	}
	bar := progress.New(progress.WithWidth(width), progress.WithoutPercentage(), progress.WithFillCharacters('█', '░'))
	return bar.ViewAs(frac)
}

// percent is done/total as "42%", or "" when the total is unknown.
func percent(done, total int64) string {
	if total <= 0 {
		return ""
	}
	return fmt.Sprintf("%d%%", min(done*100/total, 100))
}

// humanBytes is a size as a technician reads it: 950 B, 12.3 KiB, 48.1 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// humanRate is bytes per second as "1.1 KiB/s"; "" when unknown.
func humanRate(r float64) string {
	if r <= 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return ""
	}
	return humanBytes(int64(r)) + "/s"
}

// humanETA is time left as "3m12s left"; "" when unknown.
func humanETA(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d > time.Minute {
		d = d.Round(time.Second)
	} else {
		d = d.Round(100 * time.Millisecond)
	}
	return d.String() + " left"
}

// eta is the time left at rate bytes per second.
func eta(done, total int64, rate float64) time.Duration {
	if total <= 0 || rate <= 0 || done >= total {
		return 0
	}
	return time.Duration(float64(total-done) / rate * float64(time.Second))
}
