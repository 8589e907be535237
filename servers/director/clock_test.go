package director

import "fieldcon/servers/director/directortest"

// fakeClock is the clock the package's own tests move by hand.
type fakeClock = directortest.Clock

var newFakeClock = directortest.NewClock
