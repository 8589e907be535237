package xmodem

import "time"

// meter counts a transfer and feeds Options.Progress. Its per-block work is
// a few additions and one clock read, so it can run for every block.
type meter struct {
	fn      func(Progress)
	start   time.Time // first block; zero until then
	began   time.Time // call to Send or Receive
	total   int64
	bytes   int64
	blocks  int
	retries int
}

func newMeter(fn func(Progress), total int64) *meter {
	return &meter{fn: fn, total: total, began: time.Now()}
}

// firstBlock starts the rate clock: waiting for the peer to start is not
// part of the transfer rate.
func (m *meter) firstBlock() {
	if m.start.IsZero() {
		m.start = time.Now()
	}
}

func (m *meter) retry() { m.retries++ }

// block records one acknowledged block of n data bytes and reports.
func (m *meter) block(n int) {
	m.bytes += int64(n)
	m.blocks++
	if m.fn == nil {
		return
	}
	p := Progress{Bytes: m.bytes, Total: m.total, Blocks: m.blocks, Retries: m.retries}
	if el := time.Since(m.start); el > 0 {
		p.Rate = float64(m.bytes) / el.Seconds()
	}
	if p.Rate > 0 && m.total > m.bytes {
		p.ETA = time.Duration(float64(m.total-m.bytes) / p.Rate * float64(time.Second))
	}
	m.fn(p)
}

func (m *meter) stats(mode Mode) Stats {
	return Stats{
		Bytes:    m.bytes,
		Blocks:   m.blocks,
		Retries:  m.retries,
		Mode:     mode,
		Duration: time.Since(m.began),
		Size:     -1,
	}
}
