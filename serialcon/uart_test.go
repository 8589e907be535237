package serialcon

// uartResample returns what a UART receiving at rxBaud reads from a line on
// which data was sent at txBaud (8N1, characters back to back, idle high
// before and after). It samples each bit in its middle, as a 16550 does,
// and, like the Linux tty layer in raw mode, delivers a character whose stop
// bit is low as NUL. This is the garbage a technician sees at a wrong speed.
func uartResample(data []byte, txBaud, rxBaud int) []byte {
	var bits []bool // line level per transmitted bit time; true = high (idle)
	for _, b := range data {
		bits = append(bits, false)
		for i := 0; i < 8; i++ {
			bits = append(bits, b&(1<<i) != 0)
		}
		bits = append(bits, true)
	}
	level := func(t float64) bool { // t in seconds
		i := int(t * float64(txBaud))
		if i < 0 || i >= len(bits) {
			return true
		}
		return bits[i]
	}
	end := float64(len(bits)) / float64(txBaud)
	txBit, rxBit := 1/float64(txBaud), 1/float64(rxBaud)
	var out []byte
	t := 0.0
	for t < end {
		// Wait for the line to be low: the start bit as this UART sees it.
		if level(t) {
			next := (float64(int(t/txBit)) + 1) * txBit
			for next < end && level(next) {
				next += txBit
			}
			if next >= end {
				break
			}
			t = next
		}
		start := t
		var c byte
		for i := 0; i < 8; i++ {
			if level(start + (float64(i)+1.5)*rxBit) {
				c |= 1 << i
			}
		}
		if !level(start + 9.5*rxBit) {
			c = 0 // framing error
		}
		out = append(out, c)
		t = start + 9.5*rxBit + rxBit/2
	}
	return out
}
