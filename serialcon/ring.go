package serialcon

// ring keeps the last size bytes of console output in a circular buffer.
// Positions are absolute: the number of bytes written since the console
// opened, so readers can ask for "everything since offset N" without caring
// about wrap-around.
type ring struct {
	buf   []byte // fixed size once allocated
	size  int
	total int64 // bytes ever written; the ring holds [total-held, total)
}

func newRing(size int) *ring { return &ring{size: size} }

func (r *ring) held() int {
	if r.total < int64(r.size) {
		return int(r.total)
	}
	return r.size
}

func (r *ring) write(p []byte) {
	if len(p) == 0 {
		return
	}
	if r.buf == nil {
		// Allocated on first use: a console that never talks costs nothing.
		r.buf = make([]byte, r.size)
	}
	if len(p) > r.size {
		r.total += int64(len(p) - r.size)
		p = p[len(p)-r.size:]
	}
	at := int(r.total % int64(r.size))
	n := copy(r.buf[at:], p)
	copy(r.buf, p[n:])
	r.total += int64(len(p))
}

// start is the absolute offset of the oldest byte still held.
func (r *ring) start() int64 { return r.total - int64(r.held()) }

// appendSince appends the bytes from absolute offset off (clamped to what is
// still held) to the end onto dst.
func (r *ring) appendSince(dst []byte, off int64) []byte {
	if off < r.start() {
		off = r.start()
	}
	if off >= r.total {
		return dst
	}
	from := int(off % int64(r.size))
	to := int(r.total % int64(r.size))
	if from < to {
		return append(dst, r.buf[from:to]...)
	}
	dst = append(dst, r.buf[from:]...)
	return append(dst, r.buf[:to]...)
}

// appendTail appends the last n bytes (or fewer) onto dst.
func (r *ring) appendTail(dst []byte, n int) []byte {
	return r.appendSince(dst, r.total-int64(n))
}

func (r *ring) bytes() []byte { return r.appendSince(nil, 0) }
