package devsim

// A serial line at 8N1 carries each byte as ten bit times: a start bit (low),
// eight data bits least significant first, and a stop bit (high); between
// frames the line idles high.
//
//	idle ‾‾‾|_s_|d0 |d1 |d2 |d3 |d4 |d5 |d6 |d7 |‾p‾|‾‾‾ idle
//
// When the two ends are set to different speeds, the receiver samples the
// sender's waveform at the wrong times and decodes different bytes, with
// framing errors where the stop bit it samples is low. uart reproduces that
// bit by bit so mismatched speeds give the garbage a technician would see.
const bitsPerFrame = 10

// uart carries a byte stream from a sender at one speed to a receiver at
// another by serialising frames into line levels and sampling them the way
// a receiving UART does: wait for a falling edge, sample the middle of each of
// its own bit times, check the stop bit. It is deterministic: the same input
// at the same speeds always decodes to the same bytes.
//
// Time is kept in integer units where one sender bit lasts 2*to units and one
// receiver bit 2*from units, so every sample instant is exact.
type uart struct {
	from, to int // speeds the current state was built for

	levels []byte // sender line levels not yet passed, one per sender bit
	t      int64  // receiver's position, in units from the start of levels[0]

	inFrame  bool  // a start edge was seen and samples are being taken
	edge     int64 // start of the frame being received
	sample   int   // next sample to take, 0 (start) … 9 (stop)
	value    byte  // data bits sampled so far
	needHigh bool  // after a framing error: wait for the line to go high

	framingErrors int64
}

// feed passes p, sent at from baud, to a receiver at to baud and returns the
// bytes the receiver has decoded so far. A frame cut off at the end of p is
// finished by a later feed, or by flush when the line goes idle.
func (u *uart) feed(p []byte, from, to int) []byte {
	var out []byte
	if from != u.from || to != u.to {
		// Nobody changes speed mid-frame on purpose; finish what was on the
		// line at the old speeds and start clean at the new ones.
		out = u.flush()
		u.from, u.to = from, to
	}
	if from == to && !u.inFrame && !u.needHigh && len(u.levels) == 0 {
		// Same speed, receiver in step: every frame decodes to itself.
		return append(out, p...)
	}
	for _, b := range p {
		u.levels = append(u.levels, 0)
		for i := 0; i < 8; i++ {
			u.levels = append(u.levels, (b>>i)&1)
		}
		u.levels = append(u.levels, 1)
	}
	return append(out, u.decode(false)...)
}

// flush lets the line go idle (high) and returns the frame the receiver was
// in the middle of, if any.
func (u *uart) flush() []byte {
	out := u.decode(true)
	u.levels = u.levels[:0]
	u.t, u.inFrame, u.needHigh = 0, false, false
	return out
}

// level is the line level at time t; ok is false when t lies beyond the
// sender's bits and the line is not known to be idle yet.
func (u *uart) level(t int64, idle bool) (lvl byte, ok bool) {
	i := t / u.senderBit()
	if i < int64(len(u.levels)) {
		return u.levels[i], true
	}
	return 1, idle
}

func (u *uart) senderBit() int64   { return 2 * int64(u.to) }
func (u *uart) receiverBit() int64 { return 2 * int64(u.from) }

// decode runs the receiver over the buffered levels. With idle set, time
// beyond the buffer reads as an idle (high) line.
func (u *uart) decode(idle bool) []byte {
	if u.from <= 0 || u.to <= 0 {
		return nil
	}
	var out []byte
	for {
		if !u.inFrame {
			edge, ok := u.findEdge()
			if !ok {
				break
			}
			u.inFrame, u.edge, u.sample, u.value = true, edge, 0, 0
		}
		at := u.edge + int64(2*u.sample+1)*int64(u.from)
		lvl, ok := u.level(at, idle)
		if !ok {
			break
		}
		switch {
		case u.sample == 0 && lvl == 1:
			// A glitch, not a start bit: resume hunting from here.
			u.inFrame, u.t = false, at
			continue
		case u.sample >= 1 && u.sample <= 8:
			u.value |= lvl << (u.sample - 1)
		case u.sample == 9:
			if lvl == 0 {
				u.framingErrors++
				u.needHigh = true
			}
			out = append(out, u.value)
			u.inFrame, u.t = false, at
			continue
		}
		u.sample++
	}
	u.trim()
	return out
}

// findEdge returns the time of the next falling edge at or after u.t.
func (u *uart) findEdge() (int64, bool) {
	sb := u.senderBit()
	for i := u.t / sb; i < int64(len(u.levels)); i++ {
		if u.needHigh {
			if u.levels[i] == 1 {
				u.needHigh = false
			}
			continue
		}
		if u.levels[i] == 0 {
			start := i * sb
			if start < u.t {
				// Already low where hunting starts: a real receiver only
				// triggers on a transition, so wait for the next one.
				u.needHigh = true
				continue
			}
			return start, true
		}
	}
	return 0, false
}

// trim drops sender bits the receiver has moved past, keeping numbers small
// over long runs.
func (u *uart) trim() {
	keepFrom := u.t
	if u.inFrame {
		keepFrom = u.edge
	}
	drop := keepFrom / u.senderBit()
	if drop <= 0 {
		return
	}
	if drop > int64(len(u.levels)) {
		drop = int64(len(u.levels))
	}
	shift := drop * u.senderBit()
	u.levels = append(u.levels[:0], u.levels[drop:]...)
	u.t -= shift
	u.edge -= shift
	if u.t < 0 {
		u.t = 0
	}
}
