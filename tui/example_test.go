package tui_test

import (
	"fmt"
	"strings"

	"fieldcon/tui"
)

// A Sanitizer turns raw device output into lines that are safe to draw:
// colours dropped, the pager's prompt erased as the device meant, and
// wrong-baud garbage shown as U+FFFD.
func ExampleSanitizer() {
	var s tui.Sanitizer
	out := "\x1b[1mRouter#\x1b[0mshow flash\r\n --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b" +
		"2 -rwx 6221372 c3750-ipbase-mz.122-25.SED1.bin\r\n\xfe\xff\x00\r\nswitch: "
	s.Write([]byte(out), func(line string) { fmt.Printf("%+q\n", line) })
	fmt.Printf("partial %q\n", s.Partial())
	fmt.Println(strings.Repeat("-", 3))
	// Output:
	// "Router#show flash"
	// "2 -rwx 6221372 c3750-ipbase-mz.122-25.SED1.bin"
	// "\ufffd\ufffd"
	// partial "switch: "
	// ---
}
