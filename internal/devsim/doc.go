// Package devsim simulates Cisco devices at the far end of a baud-limited
// serial line, so the console engine, XMODEM, the baud dance and the
// recovery playbooks can be tested and demonstrated without hardware.
//
// A Link is two pseudo-terminals joined by one pump per direction. Each
// pump releases bytes no faster than the sending side's speed (10 bits per
// byte, 8N1; the speeds are read from each pseudo-terminal's settings, so a
// host program that sets 115200 with go.bug.st/serial is seen) and passes
// them through a bit-level model of the receiving UART: equal speeds carry
// data unchanged, different speeds give the garbage and framing errors of a
// real cable. HostPath is a stable symlink a host program opens; Unplug and
// Replug pull and reinsert the simulated USB adapter; CorruptEvery flips
// bits.
//
// A Device runs a Profile: modes (a prompt and rules), loader variables,
// hidden state and a simulated Flash. Profiles are data. To add a
// behaviour:
//
//   - If it is "this command prints these lines, sets these variables and
//     moves to that mode", add a Rule to the mode: Match (a regular
//     expression for the whole line), optional When conditions, Output
//     (templates with $1…, ${BOOT}, ${flash.free}, …), Paged for --More--,
//     Confirm for "[confirm]", Env/Unset/State changes, Mode.
//   - If it needs code (a listing, a boot sequence, a protocol), give the
//     rule a Handler. A handler runs in the device's goroutine with the line
//     editor suspended and owns the raw device side of the line through
//     Call.Port (Read, Write, SetReadDeadline: it satisfies the xmodem
//     package's Conn) until it returns, with Call.Device for flash,
//     variables, speed (SetBaud drains first) and mode.
//   - A feature that lives in its own file registers its rules from an init
//     function with registerRules(profile, mode, rules...), ahead of the
//     profile's own rules; registerProfile adds a whole device. That is how
//     `copy xmodem: flash:NAME` joins the Catalyst loader from
//     xmodem_loader.go without editing the profile tables.
//
// Setting the loader's BAUD variable (`set BAUD 115200`, `unset BAUD`)
// changes the device's speed right after the command's echo has left the
// line, as on a real switch.
//
// devsim does not simulate networking: a profile that needs TFTP or DHCP
// runs the real client or server code from a Handler. It does not carry a
// serial break across the link, because pseudo-terminals cannot. The
// strings it prints come from the console transcripts in
// ../shared/seeds and the field notes; they are faithful in form, not a
// copy of any particular IOS release. Pseudo-terminals need a Unix-like
// system; elsewhere NewLink and Start return ErrUnsupportedOS.
package devsim
