package director

import (
	"fmt"
	"strings"
)

// Starter returns a commented director.yaml with a default profile. image
// and config are file names in the workspace images folder; empty leaves a
// placeholder the technician fills in (the file is still valid: an empty
// default profile provisions nothing).
func Starter(image, config string) string {
	img, cfg := "# image: c2960x-universalk9-tar.152-7.E10.tar", "# config: seed.txt"
	if image != "" {
		img = "image: " + image
	}
	if config != "" {
		cfg = "config: " + config
	}
	return strings.TrimLeft(fmt.Sprintf(`
# fieldcon Smart Install director profile.
#
# Files are named relative to the workspace images/ folder; copy images,
# seed configurations and post-install scripts there. Check this file with
# "fieldcon director serve --config director.yaml": every mistake is reported
# with its line.

director:
  # address: 10.99.0.1        # fieldcon's address on the switch VLAN (default: the interface's)
  advertise-director: false   # option 125 sub-option 16; clients then try TCP 4786 towards fieldcon
  # hostname-prefix: BRANCH   # clients are named BRANCH-xx.xxxx after their MAC (option 12)
  keepalive: 60s              # a client silent for three periods turns inactive
  backup: true                # keep <hostname>-<mac>.REV1/.REV2 in the workspace backups/ folder

join-window:
  # fieldcon always starts with the window CLOSED; open it with --open or from the TUI.
  mode: auto                  # auto: provision joining clients; manual: hold them for approval
  # schedule:                 # open on a schedule once you choose "follow schedule"
  #   start: "2024-07-07 10:00"   # or "10:00" for every day
  #   duration: 4h                # at most 24h; without it the window stays open to midnight
  #   end: 2024-07-10             # last day the window opens
  #   recurring: true

# The default profile: any standalone switch no group claims.
# An image is a .tar (a .bin only for Catalyst 3850/3650).
default:
  %s
  %s
  # script: post_install.txt  # post-install commands, each in double quotes

# Built-in groups by product family and port configuration (vstack group built-in).
built-in: []
#  - family: 2960x
#    ports: "24"
#    image: c2960x-universalk9-tar.152-7.E10.tar
#    config: 2960x-24.txt

# Custom groups; each matches by exactly one of mac, connectivity, stack, product-id.
# Precedence: mac > connectivity > stack > product-id > built-in > default.
groups: []
#  - name: spares
#    mac: [0023.34ca.c180, "00:1B:54:44:C6:00"]
#    config: spare.txt
#  - name: closet-3
#    connectivity:
#      - host: 10.99.0.2
#        interface: GigabitEthernet1/0/3
#    config: closet3.txt
#  - name: core-stack
#    stack:
#      - {member: 1, family: "3750x", ports: "24poe", image: c3750e-universalk9-tar.152-4.E10.tar}
#      - {member: 2, family: "3750x", ports: "24poe"}
#    image: c3750e-universalk9-tar.152-4.E10.tar
#    config: core-stack.txt
#  - name: access-48
#    product-id: [WS-C2960-48TC-L]
#    config: access48.txt
`, img, cfg), "\n")
}
