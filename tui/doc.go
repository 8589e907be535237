// Package tui is fieldcon's face: a Bubble Tea program with a tab per
// pane, a status bar, a help overlay, and the Console pane, where the
// technician talks to the device exactly as in a terminal program while
// fieldcon's own commands sit behind the ctrl-t prefix (ctrl-t x sends a
// file via XMODEM with a progress bar). The Recovery pane suggests the
// playbooks for the prompt the device shows, runs one on the open console
// with a live checklist, asks the technician through dialogs and shows the
// doctor's diagnosis; the Images pane lists the workspace images with
// their verdicts and marks one "use for recovery"; the Servers pane shows
// TFTP transfers with progress bars and the DHCP leases.
//
// The model tree: App (app.go) holds a Common (styles, keys, size, logger,
// clock) and the panes listed in panes(); every pane is a Component
// (Update, View, SetSize, help.KeyMap) plus a title and the commands it
// adds to the ctrl-t menu. Adding a pane is one file and one line in
// panes.go. The Console pane shows the port picker until a port is open.
//
// Device output reaches the program through a Feed: the console's observer
// appends to a bounded buffer and signals a channel; one command waits on
// it and delivers everything accumulated as a single DataMsg, at most one
// per frame, and is re-armed. A Sanitizer turns whatever the device sends
// (invalid UTF-8, NULs, bare \r, backspaces, ANSI from pagers, wrong-baud
// garbage) into lines of one-cell printable runes, so device bytes never
// move the layout. Update and View do no I/O: writes, breaks, speed
// changes and file reads run in commands.
//
// Workers (a transfer, a playbook, a scan) report through a pump: a queue
// that never blocks the worker, drained by one re-armed command, with
// progress reports merged so a fast transfer queues one report, not one
// per block.
//
// What it does not do: it opens no port and starts no simulator or server
// itself (Options.Open, Options.StartSim and Options.Servers do, supplied
// by cmd/fieldcon), keeps no transcript of its own beyond the bounded
// scrollback (the console's session log is the record), and knows no
// recovery procedure (the recovery package's playbooks are run as given).
package tui
