// Package recovery drives Cisco devices back to life: playbooks of console
// steps run by one engine, and the doctor that explains failure strings.
//
// It does not open ports or sockets itself: it reaches the console, the
// servers and the image checks only through interfaces it declares, so tests
// drive it with simulated devices.
package recovery
