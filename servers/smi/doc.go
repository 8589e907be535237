// Package smi encodes, decodes and sends the Cisco Smart Install (TCP 4786)
// messages a portable director needs: probe, configuration URL, image upgrade
// and configuration backup.
//
// Cisco never published the protocol. The layouts follow the project's
// research note smi-wire-protocol.md, which reconstructs them from public
// tools and IDS signatures; every layout is tested byte for byte against the
// note's fixtures (see testdata/README.md).
//
// What it does not do:
//
//   - It does not scan. Every operation takes exactly one netip.Addr, and a
//     Client opens one connection at a time.
//   - It cannot send type 5 (run commands from a file) or type 7 (the TLV
//     message of CVE-2018-0171), nor any command other than copying the
//     running configuration to a TFTP URL: there is one encoder per message
//     and none takes a type or free-form commands. It only recognises those
//     messages when decoding, so they can be logged and refused.
//   - It does not authenticate anything, because the protocol has no
//     authentication: a switch obeys whoever reaches its port 4786. The
//     caller must have the technician confirm each target and operation
//     before calling the Client.
//   - It does not serve the files. After a message the switch talks TFTP to
//     the host in the URL; serving (and accepting the backup upload) is the
//     TFTP server's job, and that TFTP request is the only sign of success.
//   - It does not listen on 4786 or speak the client-to-director side, whose
//     format is unknown.
package smi
