// Package xmodem sends and receives files over a serial line with XMODEM
// (128-byte blocks with checksum or CRC-16), XMODEM-1K and single-file
// YMODEM batches, the way Cisco boot loaders (`copy xmodem:`, ROMMON
// `xmodem -y`) and lrzsz expect them.
//
// The sender follows the receiver's choice of check ('C' or NAK) unless a
// Mode forces one, writes each block in one Write and waits one deadline
// per round trip. The end-of-file handshake tolerates receivers that stay
// silent or NAK the first EOT; Options.Confirm lets the caller accept the
// loader's success line as the real completion signal. Cancelling the
// context sends CAN CAN so the other side stops too.
//
// What it does not do: open or configure serial ports (the caller hands in
// a Conn: serialcon's raw stream, a pseudo-terminal, a socket), change the
// line speed, type commands to a boot loader, ZMODEM, or YMODEM batches of
// more than one file.
package xmodem
