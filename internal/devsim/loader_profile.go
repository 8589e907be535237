package devsim

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Behaviour shared by the Catalyst and Aironet boot loaders, which come from
// one code base: flash_init, dir, set/unset and the boot sequence.

// flashInitLines is what flash_init prints, as on a 2960 or a C1200
// (the numbers are the simulated flash's).
var flashInitLines = []string{
	"Initializing Flash...",
	"flashfs[0]: ${flash.files} files, ${flash.dirs} directories",
	"flashfs[0]: 0 orphaned files, 0 orphaned directories",
	"flashfs[0]: Total bytes: ${flash.total}",
	"flashfs[0]: Bytes used: ${flash.used}",
	"flashfs[0]: Bytes available: ${flash.free}",
	"flashfs[0]: flashfs fsck took 10 seconds.",
}

// loaderRules are the commands both loaders share. alreadyInit is what
// flash_init answers the second time.
func loaderRules() []Rule {
	return []Rule{
		{Match: `flash_init`, When: map[string]string{"flash": ""},
			Output: append(append([]string(nil), flashInitLines...), "...done Initializing Flash.", ""),
			State:  map[string]string{"flash": "on"}},
		{Match: `flash_init`, Output: []string{"The flash is already initialized."}},
		{Match: `dir(?:\s+(\S+))?`, Handler: loaderDir},
		{Match: `set`, Handler: listEnv},
		{Match: `set\s+(\S+)\s+(.*\S)`, Env: map[string]string{"$1": "$2"}},
		{Match: `unset\s+(\S+)`, Unset: []string{"$1"}},
	}
}

// loaderUnknown is how the loaders answer a command they do not know.
var loaderUnknown = []string{"unknown cmd: ${cmd}"}

// loaderDir lists the flash the way the loaders do (IOS prints a different
// footer, see iosDir).
func loaderDir(_ context.Context, c *Call) error {
	arg := c.Arg(1)
	if arg == "" {
		arg = "flash:"
	}
	d := c.Device
	if !strings.HasPrefix(arg, "flash:") {
		return c.Println(fmt.Sprintf("unable to stat %s/: no such device", arg))
	}
	if d.State("flash") != "on" {
		return c.Println(fmt.Sprintf("unable to stat %s/: invalid argument", arg))
	}
	files, err := d.Flash().List(arg)
	if err != nil {
		return c.Println(fmt.Sprintf("unable to stat %s/: no such file or directory", arg), "")
	}
	out := []string{"Directory of " + arg + "/", ""}
	for _, f := range files {
		perm := "-rwx"
		if f.Dir {
			perm = "drwx"
		}
		out = append(out, fmt.Sprintf("%-4d %-5s %-9d <date>               %s", f.Index, perm, f.Size, f.Name))
	}
	if len(files) > 0 {
		out = append(out, "")
	}
	out = append(out, fmt.Sprintf("%d bytes available (%d bytes used)", d.Flash().Free(), d.Flash().Used()), "")
	return c.Println(out...)
}

// listEnv prints the loader variables, sorted, as `set` does.
func listEnv(_ context.Context, c *Call) error {
	return c.Println(c.Device.EnvList()...)
}

// imageName is a Cisco image file name taken apart:
// c2960-lanbasek9-mz.150-2.SE11.bin → C2960, LANBASEK9, 15.0(2)SE11.
type imageName struct {
	Platform, Feature, Version string
}

var imageNameRE = regexp.MustCompile(`^([a-z0-9]+)-([a-z0-9]+)-m[xz]\.(\d+)(\d)-(\d+)[.-]?([A-Za-z0-9]*)`)

func parseImageName(path string) imageName {
	base := path[strings.LastIndex(path, "/")+1:]
	base = strings.TrimPrefix(base, "flash:")
	m := imageNameRE.FindStringSubmatch(base)
	if m == nil {
		return imageName{Platform: "C2960", Feature: "LANBASEK9", Version: "15.0(2)SE11"}
	}
	return imageName{
		Platform: strings.ToUpper(m[1]),
		Feature:  strings.ToUpper(m[2]),
		Version:  fmt.Sprintf("%s.%s(%s)%s", m[3], m[4], m[5], m[6]),
	}
}

// isIOSImage says whether a loader would run a file: a .bin whose content
// starts like the ELF executables Cisco ships. Tests build one with
// FakeIOSImage.
func isIOSImage(name string, data []byte) bool {
	return strings.HasSuffix(name, ".bin") && len(data) >= 4 && string(data[:4]) == "\x7fELF"
}

// FakeIOSImage returns n bytes a simulated loader accepts as a bootable
// image named *.bin; the content is not a real image.
func FakeIOSImage(n int) []byte {
	if n < 4 {
		n = 4
	}
	b := make([]byte, n)
	copy(b, "\x7fELF")
	for i := 4; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// loadingBar is the row of @ a loader prints while reading an image, one
// per 128 KiB.
func loadingBar(size int) string {
	n := min(max(size/(128<<10), 1), 120)
	return strings.Repeat("@", n)
}

// bootFrom tries the images in a BOOT value (several separated by ";") and
// on success starts IOS. It reports whether one booted.
func bootFrom(ctx context.Context, c *Call, boot string) (bool, error) {
	d := c.Device
	for _, img := range strings.Split(boot, ";") {
		img = strings.TrimSpace(img)
		if img == "" {
			continue
		}
		data, ok := d.Flash().Get(img)
		if !ok {
			if err := c.Println(fmt.Sprintf(`Loading "%s"...%s: no such file or directory`, img, img), "", fmt.Sprintf(`Error loading "%s"`, img), ""); err != nil {
				return false, err
			}
			continue
		}
		if !isIOSImage(img, data) {
			if err := c.Println(fmt.Sprintf(`Loading "%s"...%s`, img, loadingBar(len(data))), "", fmt.Sprintf(`Error loading "%s"`, img), ""); err != nil {
				return false, err
			}
			continue
		}
		if err := c.Println(
			fmt.Sprintf(`Loading "%s"...%s`, img, loadingBar(len(data))),
			fmt.Sprintf(`File "%s" uncompressed and installed, entry point: 0x3000`, img),
			"executing...",
		); err != nil {
			return false, err
		}
		return true, startIOS(ctx, c, img)
	}
	return false, nil
}
