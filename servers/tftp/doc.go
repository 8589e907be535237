// Package tftp is fieldcon's TFTP server: it serves images and takes
// uploads from boot loaders and devices that talk TFTP badly, such as an
// Aironet in MODE-button recovery that sends its request and every ACK to
// 255.255.255.255.
//
// It runs github.com/pin/tftp/v3 for the transfer loop (DATA/ACK,
// retransmission, blksize, netascii, block-number rollover) behind a front
// end of its own, so that every combination of request address (unicast,
// subnet broadcast, 255.255.255.255) and ACK address (the transfer port at
// any of those addresses, or port 69) works; see ARCHITECTURE.md, "Transfers
// → TFTP". The front end also negotiates the timeout option, which pin/tftp
// does not know, enforces limits per client and in total, resolves names
// inside an os.Root, maps aliases, stores uploads safely and reports each
// transfer as servers.Event values.
//
// A RequestPolicy (WithRequestPolicy) lets the program in front of the
// server decide each request by peer and name, and rename it: the Smart
// Install director admits only its clients' expected reads and backup
// writes that way. A refusal is answered with the server's own fixed ERROR
// text, never with the policy's words.
//
// Events: Started and Stopped for the server; Refused for a request it
// turns down (Detail says why, in words; Attrs "direction" says download or
// upload); TransferStart, TransferProgress (at most every
// Config.ProgressEvery), TransferDone and TransferFailed for each transfer,
// with Peer (IP:port), Subject (the name the device asked for), Bytes, Total
// (0 when unknown), Rate, and Attrs "transfer" (an id that ties the events
// of one transfer together), "direction" (download or upload), "mode",
// "served" (downloads: the file sent), "stored" (uploads: the name under
// Uploads it is written to; on TransferDone the name it was saved as, which
// gains ".1", ".2" … when the name was taken), "alias" (the pattern that
// chose it), "options" (as negotiated, "blksize=1468 tsize=123") and, on
// start, "local" (the transfer's own address). Detail of a start reads like
// "10.0.0.1 asked for c1240-k9w7-tar.default, served
// images/c1240-k9w7-tar.124-25d.JA1.tar".
//
// It does not bind its listening socket on its own (Listen does it, Serve
// takes any net.PacketConn), does not run a goroutine the caller cannot see
// finish (Serve blocks until its context ends and every transfer stopped),
// and does not implement windowsize (RFC 7440), multicast (RFC 2090) or the
// "mail" mode. Broadcast tolerance is an IPv4 matter: IPv6 has no broadcast.
package tftp
