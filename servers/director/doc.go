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
package director
