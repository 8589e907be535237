// Package images tells, before a transfer, whether a Cisco image file will
// work for what the technician means to do with it.
//
// Inspect reads a file once, in order, with a few fixed buffers whatever its
// size: it recognises Cisco tar bundles (info first, the image directory,
// info.ver last; every tar header checksum verified, a cut download reported
// as truncated), runnable .bin images (ELF, MZIP, U-Boot headers) and the
// usual wrong files (web pages, zip, gzip, text); it parses the info file and
// the file name (ParseName: "c1240-k9w7-tar.124-25d.JA1.tar" is an autonomous
// AP bundle for c1240, 12.4(25d)JA1) and computes MD5 and SHA-512 on the same
// pass. Evaluate turns that into a verdict for one use (archive download-sw,
// boot loader, ap: tar -xtract, MODE-button recovery, ROMMON tftpdnld, Smart
// Install): OK, warning or will fail, with the reason, the fix, the message
// the device would print, and the name the device will ask for. Device facts
// are optional; ParseDirFlash reads `dir flash:` for the flash check. Catalog
// keeps the inspections of the workspace images folder in the state store and
// remembers which image the technician chose for recovery.
//
// The package does not transfer, extract, repair or execute images, and it
// does not talk to devices: the facts about a device come from whoever read
// its console.
package images
