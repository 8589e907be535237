package devsim

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Boot loaders that reach the network through the management port (field
// notes §2(a)): the Catalyst 3560-X/3750-X loader copies an image with
// `copy tftp://IP/FILE flash:FILE` after `set IP_ADDR ip/mask` and
// `set DEFAULT_ROUTER`; the 3850/3650 loader reinstalls everything with
// `emergency-install tftp://IP/FILE` after its y/n question. Both downloads
// are real TFTP reads (see SetTFTPPort for tests).

func init() {
	registerProfile("c3560x", c3560xProfile)
	registerProfile("c3850", c3850Profile)
}

func newLoaderProfile(name, summary string, extra ...Rule) *Profile {
	modes := iosModes()
	modes["loader"] = &Mode{
		Prompt: "switch: ",
		Rules: append(append(extra, loaderRules()...),
			Rule{Match: `load_helper`},
			Rule{Match: `boot(?:\s+(\S+))?`, Handler: catalystBootCommand},
			Rule{Match: `ping\s+(\S+)`, Handler: loaderPing},
		),
		Unknown: loaderUnknown,
	}
	return &Profile{
		Name:        name,
		Summary:     summary,
		Start:       "loader",
		Modes:       modes,
		State:       map[string]string{"hostname": "Switch", "flash": "on"},
		FlashSize:   64 << 20,
		Files:       map[string][]byte{"config.text": []byte("!\nend\n")},
		PowerOn:     catalystPowerOn,
		BaudVar:     "BAUD",
		DefaultBaud: 9600,
	}
}

func c3560xProfile() *Profile {
	p := newLoaderProfile("c3560x", "Catalyst 3560-X boot loader (switch:) with no image; copy tftp:// over the management port",
		Rule{Match: `copy\s+(tftp://\S+)\s+(flash:\S+)`, Handler: loaderCopyTFTP})
	p.Env = map[string]string{"MODEL_NUM": "WS-C3560X-24T-S", "SWITCH_NUMBER": "1", "MAC_ADDR": "D0:C7:89:A1:52:00"}
	return p
}

func c3850Profile() *Profile {
	p := newLoaderProfile("c3850", "Catalyst 3850 boot loader (switch:) with a broken install; emergency-install tftp:// over the management port",
		Rule{Match: `emergency-install\s+(tftp://\S+)`, Handler: emergencyInstall})
	p.Env = map[string]string{"MODEL_NUM": "WS-C3850-24T", "SWITCH_NUMBER": "1", "MAC_ADDR": "70:DB:98:3E:4A:80", "BOOT": "flash:packages.conf"}
	p.Files["packages.conf"] = []byte("# broken\n")
	return p
}

var tftpURL = regexp.MustCompile(`^tftp://([0-9.]+)/(.+)$`)

// mgmtAddress reads IP_ADDR ("ip/mask" or "ip/len") for the management
// port.
func mgmtAddress(d *Device) (netip.Addr, bool) {
	v, _ := d.Env("IP_ADDR")
	ip, _, _ := strings.Cut(v, "/")
	a, err := netip.ParseAddr(ip)
	return a, err == nil && a.Is4() && strings.Contains(v, "/")
}

func loaderPing(_ context.Context, c *Call) error {
	if _, ok := mgmtAddress(c.Device); !ok {
		return c.Println("IP_ADDR is not set: set IP_ADDR <ip>/<mask>")
	}
	return c.Println("ping "+c.Arg(1)+" with 32 bytes of data ...", "Host "+c.Arg(1)+" is alive.")
}

// fetch downloads a tftp:// URL through the management port, printing a
// mark per 64 blocks.
func fetch(ctx context.Context, c *Call, url string) ([]byte, string, error) {
	d := c.Device
	m := tftpURL.FindStringSubmatch(url)
	if m == nil {
		return nil, "", c.Println("%Error parsing " + url + " (Invalid argument)")
	}
	local, ok := mgmtAddress(d)
	if !ok {
		return nil, "", c.Println("%Error: IP_ADDR is not set: set IP_ADDR <ip>/<mask> for the management port")
	}
	server, err := netip.ParseAddr(m[1])
	if err != nil {
		return nil, "", c.Println("%Error parsing " + url + " (Invalid argument)")
	}
	var img strings.Builder
	w := &everyWriter{w: c.Port, dst: &img, every: 64}
	res, err := deviceTFTPGet(ctx, d, local, server, m[2], 0, w)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, "", c.Println("", "%Error copying "+url+" ("+strings.TrimPrefix(tftpFailure(err, server, res), "TFTP: ")+")")
	}
	return []byte(img.String()), m[2], nil
}

type everyWriter struct {
	w, dst interface{ Write([]byte) (int, error) }
	n      int
	every  int
}

func (e *everyWriter) Write(p []byte) (int, error) {
	if e.n%e.every == 0 {
		if _, err := e.w.Write([]byte{'!'}); err != nil {
			return 0, err
		}
	}
	e.n++
	return e.dst.Write(p)
}

func loaderCopyTFTP(ctx context.Context, c *Call) error {
	url, dst := c.Arg(1), c.Arg(2)
	if err := c.Println("Loading " + url + " from the management port..."); err != nil {
		return err
	}
	data, _, err := fetch(ctx, c, url)
	if err != nil || data == nil {
		return err
	}
	if err := c.Device.Flash().Put(dst, data); err != nil {
		return c.Println("", "%Error copying "+url+" (Not enough space on device)")
	}
	return c.Println("", fmt.Sprintf(`File "%s" successfully copied to "%s"`, url, dst), "")
}

func emergencyInstall(ctx context.Context, c *Call) error {
	d := c.Device
	url := c.Arg(1)
	if _, err := c.Port.Write([]byte("The bootflash will be erased during install operation, continue (y/n)?")); err != nil {
		return err
	}
	ans, err := d.readLine(ctx)
	if err != nil {
		return err
	}
	if a := strings.TrimSpace(ans); a != "y" && a != "Y" {
		return c.Println("")
	}
	if err := c.Println("Starting emergency recovery ("+url+")...", "Reading full image into memory"); err != nil {
		return err
	}
	data, name, err := fetch(ctx, c, url)
	if err != nil || data == nil {
		if err == nil {
			err = c.Println("Emergency Install failed")
		}
		return err
	}
	if !isIOSImage(name, data) {
		return c.Println("done", "Error: the file is not a valid install bundle", "Emergency Install failed")
	}
	if err := c.Println("done", "Nova Bundle Image", "--------------------------------------",
		"Kernel Address    : 0x6042f5d8", "Initramfs Address : 0x60559b68", "",
		"Initializing Filesystem...", "Mounting Filesystem...",
		"Formatting flash.......done",
		"Installing image from "+url, ""); err != nil {
		return err
	}
	files, _ := d.Flash().List("")
	for _, f := range files {
		if !f.Dir {
			d.Flash().Delete(f.Name)
		}
	}
	if err := d.Flash().Put(name, data); err != nil {
		return c.Println("Error: not enough space in flash", "Emergency Install failed")
	}
	d.Flash().Put("packages.conf", []byte("# package.conf for "+name+"\n"))
	d.SetEnv("BOOT", "flash:packages.conf")
	if err := c.Println("Emergency Install successful... Rebooting", "", "Initializing Hardware......", ""); err != nil {
		return err
	}
	return startIOS(ctx, c, "flash:"+name)
}
