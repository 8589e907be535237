//go:build !linux && !darwin

package tftp

import "net"

// GrantHint says how to let fieldcon use port 69.
const GrantHint = "Run fieldcon as administrator for port 69"

// bindToInterface cannot limit a socket to an interface on this OS; the
// server then hears every interface.
func bindToInterface(uintptr, string, *net.Interface) error { return nil }

// interfaceBinding says whether Config.Interface limits the sockets here.
const interfaceBinding = false
