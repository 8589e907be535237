package tftp

import (
	"errors"
	"io/fs"
	"net/netip"
)

// RequestPolicy decides a read or write request before the server opens a
// file. It gets the requesting peer, the requested name (already checked
// and cleaned: relative, slash separated, no "..", see the Refused reasons)
// and whether it is an upload. It returns the name to serve instead (for a
// read: the file under Root, which aliases may still map; for a write: the
// name under Uploads the file is stored as), or an error to refuse the
// request.
//
// A refusal is answered with one of the server's own fixed ERROR packets,
// never with the error's text: "file not found" when the error wraps
// fs.ErrNotExist (a policy that hides what exists says so), "access
// violation" otherwise. The error's text goes into the Refused event's
// Detail, so it should say why in the technician's words.
//
// The policy runs on the server's receive loop: it must be quick and must
// not block.
type RequestPolicy func(peer netip.AddrPort, name string, write bool) (serveAs string, err error)

// WithRequestPolicy makes every read and write request pass p first.
func WithRequestPolicy(p RequestPolicy) Option { return func(s *Server) { s.policy = p } }

// policyRefusal is the ERROR packet for an error a RequestPolicy returned.
func policyRefusal(err error) tftpError {
	if errors.Is(err, fs.ErrNotExist) {
		return errFileNotFound
	}
	return errAccess
}
