package director_test

import (
	"fmt"

	"fieldcon/servers/director"
)

func Example() {
	p, err := director.Parse("director.yaml", []byte(`
default:
  image: c2960x-universalk9-tar.152-7.E10.tar
  config: seed.txt
groups:
  - name: spares
    mac: ["00:23:34:CA:C1:80"]
    config: spare.txt
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := p.Resolve(director.Facts{MAC: "0023.34ca.c180", PID: "WS-C2960X-24TS-L"})
	fmt.Print(r.Explain())
	// Output:
	// profile: spares (mac)
	// * mac          spares (line 6): wins: MAC 0023.34ca.c180 is listed
	// - default      default (line 2): matches (applies to any standalone switch) but loses to mac group spares, which comes first
}
