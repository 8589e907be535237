// Package serialcon is fieldcon's console engine: it opens serial ports,
// owns them with a single reader goroutine, recognises Cisco prompts, and
// survives the USB adapter being pulled and plugged back in.
//
// What it does:
//
//   - Open and Ports: go.bug.st/serial behind the project's own Port
//     interface, with errors a technician can act on (which adapters are
//     connected, which group to join, which program holds the port) and
//     USB identities (VID:PID, serial number, chipset name).
//   - Console: a transcript ring of DefaultRingSize (1 MiB) bytes, observers,
//     Expect woken by the reader (never polling), breaks (repeated through a
//     boot window, simulated with NULs at a low speed when the adapter cannot
//     send one), auto-baud, a raw Stream for XMODEM, and reconnection to the
//     same adapter after it disappears.
//   - DetectPrompt: one table of prompt kinds (ROMMON, switch:, ap:, U-Boot,
//     IOS user/privileged/config, --More--, [confirm], [yes/no], Username:,
//     Password:, Press RETURN) matched on the tail of the output, because
//     loaders print no newline after their prompt.
//
// The session log (Config.LogDir) holds the device's bytes exactly as
// received, with a marker line for every event, each on a line of its own
// and timestamped in UTC with milliseconds:
//
//	--- 2026-11-21T19:53:46.120Z fieldcon: opened /dev/ttyUSB0 at 9600 8N1 (Silicon Labs CP210x, 10c4:ea60, serial 0001) ---
//	--- 2026-11-21T19:53:49.871Z fieldcon: break sent (250ms) ---
//	--- 2026-11-21T19:54:02.004Z fieldcon: baud changed to 115200 8N1 ---
//	--- 2026-11-21T19:55:10.310Z fieldcon: disconnected: read /dev/ttyUSB0: port closed or adapter unplugged: … ---
//	--- 2026-11-21T19:55:14.702Z fieldcon: reconnected /dev/ttyUSB0 at 115200 8N1 ---
//	--- 2026-11-21T19:58:00.000Z fieldcon: closed ---
//
// Bytes sent to the device are not logged (they may be passwords); the
// device's echo shows what was typed.
//
// What it does not do: it knows no recovery procedure (package recovery
// drives the Console), no file-transfer protocol (package xmodem uses
// Console.Stream), and draws nothing (package tui observes the Console).
package serialcon
