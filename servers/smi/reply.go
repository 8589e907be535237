package smi

// Client replies to a probe. Only these two are known; both are fixed.
//
// Probe answer, 24 bytes:
//
//	 0          4          8          12         16         20         24
//	+----------+----------+----------+----------+----------+----------+
//	| 00000004 | 00000000 | 00000003 | 00000008 | 00000001 | 00000000 |
//	+----------+----------+----------+----------+----------+----------+
//
// Rejection (seen in answer to malformed or foreign requests), 20 bytes:
//
//	 0          4          8          12         16         20
//	+----------+----------+----------+----------+----------+
//	| 00000004 | 00000000 | 00000004 | 00000004 | 00000001 |
//	+----------+----------+----------+----------+----------+
const (
	clientReply = "\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x00"
	rejectReply = "\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x04\x00\x00\x00\x01"
)

// ClientReply returns the 24 bytes a Smart Install client answers a probe
// with, for simulated clients.
func ClientReply() []byte { return []byte(clientReply) }

// RejectReply returns the 20 bytes a client answers a request it does not
// accept with, for simulated clients.
func RejectReply() []byte { return []byte(rejectReply) }

// ProbeResult is what the answer to a probe says about the peer.
type ProbeResult int

const (
	// ProbeUnknown: the answer matches nothing known. Do not send
	// anything else to this peer.
	ProbeUnknown ProbeResult = iota
	// ProbeClient: a Smart Install client; it will act on types 2, 3 and 8.
	ProbeClient
	// ProbeDirectorOrRefused: the peer accepted the connection and closed
	// it without a byte. A Smart Install director does that; so might a
	// client that refuses us.
	ProbeDirectorOrRefused
	// ProbeRejected: the peer answered with the rejection reply. It speaks
	// Smart Install but did not accept the probe.
	ProbeRejected
)

// String says what the result means to a technician.
func (r ProbeResult) String() string {
	switch r {
	case ProbeClient:
		return "Smart Install client"
	case ProbeDirectorOrRefused:
		return "Smart Install director, or a switch refusing Smart Install"
	case ProbeRejected:
		return "Smart Install switch that rejected the probe"
	}
	return "unknown answer; not a Smart Install client fieldcon can talk to"
}

// ClassifyProbeReply classifies everything a peer sent in answer to a probe
// before it closed the connection or the reader stopped. An empty reply
// means an orderly close without data; callers pass it only in that case.
// The match is exact: one extra or missing byte makes the answer unknown.
func ClassifyProbeReply(reply []byte) ProbeResult {
	switch {
	case len(reply) == 0:
		return ProbeDirectorOrRefused
	case string(reply) == clientReply:
		return ProbeClient
	case string(reply) == rejectReply:
		return ProbeRejected
	}
	return ProbeUnknown
}
