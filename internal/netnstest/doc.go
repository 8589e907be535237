// Package netnstest lets tests run code inside Linux network namespaces they
// create themselves: a Thread is an OS thread that has entered a namespace,
// so the sockets opened through it live there, and SweepStale removes the
// namespaces of test processes that died before their cleanup ran.
//
// It does not create namespaces, veth pairs or addresses (each package's
// tests lay out their own segment with ip), and it does nothing on systems
// other than Linux.
package netnstest
