// Package director is fieldcon's portable Smart Install director: from one
// profile file (director.yaml) it decides which image, configuration and
// post-install script each joining Cisco switch gets, gates that with a join
// window and a hold list, keeps a client database and configuration
// backups, and drives on-demand operations on one selected client.
//
// The DHCP and TFTP servers (servers/dhcp, servers/tftp) do the talking;
// this package is the policy in front of them: a DHCP decision that adds or
// withholds the Smart Install options per client, a TFTP request policy
// that admits only expected reads and backup writes (and never anything of
// the workspace outside images/, imagelists/ and backups/), and an event
// consumer that tracks what each client fetched.
//
// What it does not do:
//
//   - It does not scan, and it never sends Smart Install (TCP 4786) traffic
//     on its own: on-demand operations go to exactly one address the
//     technician selected and confirmed, through servers/smi.
//   - It does not snoop or rewrite another DHCP server's offers, and it
//     does not decode CDP or LLDP itself; neighbours reach the database
//     through Observe calls.
//   - It does not listen on TCP 4786.
//   - It does not manage images (see package images) or licences.
//
// # Acceptance scenarios that do not apply to a laptop director
//
// The Smart Install digest (§15) lists fifteen acceptance scenarios for a
// director; the ones that fit run as TestScenario… tests with simulated
// switches in network namespaces. These do not apply to fieldcon, by
// design:
//
//   - 11, external TFTP server and image list write failure: fieldcon is
//     the TFTP server. Image lists are files it writes into its own
//     workspace; nothing is uploaded to a third-party server, so there is
//     no write to fail, retry or mark "placed manually".
//   - 13, on-demand update of several clients at once (index 1-3, 4):
//     fieldcon operates on one confirmed target at a time (issue 9,
//     point 6); ParseTarget refuses ranges, lists and prefixes, and
//     Operate takes one address. Its single-client half, the CLI
//     fallback with the password kept out of every log, is tested by
//     TestTelnetBackupNeverLogsThePassword.
//   - 14(d), a zero-touch-only mode that appends "no vstack" to every
//     configuration served: fieldcon's on-demand operations (probe,
//     configuration, image, backup) reach switches over TCP 4786, which
//     "no vstack" closes, so it serves configurations as the technician
//     wrote them; a seed configuration that should disable Smart Install
//     ends with "no vstack" itself.
//   - 14(e), never opening or connecting to TCP 4786: fieldcon does
//     connect to 4786, but only as issue 9 point 6 allows (one confirmed
//     client, types 2, 3, 4 and 8, never 5 or 7, never a scan), and it
//     never listens on it. TestScenarioSMIOperationWithoutConfirmedTargetRefused
//     checks that nothing reaches a switch's 4786 without one confirmed
//     target.
//   - 15, the console watcher half: the serial console belongs to the
//     console engine and the TUI (package serialcon, package tui), not to
//     this package. The other half, the service interface losing its
//     address (DB-02), applies: Serve watches the interface through an
//     AddressWatcher (PollWatcher by default), and while the address is
//     gone the director reports "Director is Disabled", drops DHCP and TFTP
//     requests, stops TFTP transfers and marks the database stale
//     (TestScenarioServiceInterfaceLosesAddress).
//
// Where the scenarios say a neighbour announces itself by CDP, the
// simulated switches announce their product ID in DHCP option 124 and
// tests tell the director the upstream neighbour and port through
// DB.Observe, as a CDP or LLDP listener would.
package director
