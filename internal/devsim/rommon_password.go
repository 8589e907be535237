package devsim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Router password recovery on the ROMMON profiles (field notes §2(c)):
// IOS loads the startup configuration from NVRAM at boot unless the
// configuration register's bit 6 (0x0040, as in 0x2142) says to ignore it;
// with it loaded, enable asks for the secret. In IOS, copy startup-config
// running-config, enable secret, config-register and copy running-config
// startup-config (or write memory) work as the procedure needs.
//
// The simulated NVRAM lives in hidden state ("nvram.hostname",
// "nvram.secret"), so a power cycle of the simulator restores the factory
// one: hostname Branch-R1 with a secret nobody knows.

func init() {
	for _, p := range []string{"rommon", "rommon-g2"} {
		registerRules(p, "rommon", Rule{Match: `reset`, State: map[string]string{"boot.config": ""}, Handler: rommonReset})
		registerRules(p, "idle", Rule{Match: `.*`, When: map[string]string{"boot.config": ""}, Handler: routerLoadStartup, Output: []string{""}, Mode: "user"})
		showVersion := Rule{Match: words("sh|ow ver|sion") + `(?:\s*\|.*)?`, Handler: routerShowVersion}
		registerRules(p, "user",
			Rule{Match: words("en|able"), Handler: routerEnable},
			showVersion,
		)
		registerRules(p, "priv",
			showVersion,
			Rule{Match: words("copy") + `\s+` + `(?:` + words("st|artup-config") + `|nvram:startup-config)\s+(?:` + words("r|unning-config") + `|system:running-config)`, Handler: routerCopyStartRun},
			Rule{Match: words("copy") + `\s+` + `(?:` + words("r|unning-config") + `|system:running-config)\s+(?:` + words("st|artup-config") + `|nvram:startup-config)`, Handler: routerCopyRunStart},
			Rule{Match: words("wr|ite") + `(?:\s+` + words("m|emory") + `)?`, Handler: routerWriteMemory},
		)
		registerRules(p, "config",
			Rule{Match: words("ena|ble") + `\s+` + words("s|ecret") + `\s+(?:0\s+)?(\S+)`, Handler: func(_ context.Context, c *Call) error {
				c.Device.SetState("running.secret", SimSecret(c.Arg(1)))
				return nil
			}},
			Rule{Match: words("config-r|egister") + `\s+(0[xX][0-9a-fA-F]{1,4})`, Handler: func(_ context.Context, c *Call) error {
				v, _ := confregValue(c.Arg(1))
				c.Device.SetState("confreg.next", fmt.Sprintf("0x%x", v))
				return nil
			}},
		)
	}
}

// SimSecret is how the simulator stores an enable secret: a stand-in for
// the MD5-crypt "enable secret 5" hash, so tests can check which password
// was saved without the simulator keeping it in clear.
func SimSecret(password string) string {
	h := sha256.Sum256([]byte("devsim:" + password))
	return "$1$sim$" + hex.EncodeToString(h[:])[:22]
}

// StartupConfig returns what the simulated router's NVRAM holds: the
// hostname and the enable secret (as SimSecret stores it).
func (d *Device) StartupConfig() (hostname, secret string) {
	hostname, secret = d.State("nvram.hostname"), d.State("nvram.secret")
	if hostname == "" {
		hostname, secret = "Branch-R1", SimSecret("forgotten")
	}
	return hostname, secret
}

// ConfigRegister returns the register in effect and the one set for the
// next reload ("" when none is pending).
func (d *Device) ConfigRegister() (now, next string) {
	return d.State("confreg"), d.State("confreg.next")
}

// routerLoadStartup is IOS reading NVRAM at the end of its boot, unless
// the register says to ignore it.
func routerLoadStartup(_ context.Context, c *Call) error {
	d := c.Device
	d.SetState("boot.config", "done")
	v, _ := confregValue(d.State("confreg"))
	if v&0x0040 != 0 {
		d.SetState("hostname", "Router")
		d.SetState("running.secret", "")
		return nil
	}
	host, secret := d.StartupConfig()
	d.SetState("hostname", host)
	d.SetState("running.secret", secret)
	return nil
}

// routerEnable asks for the secret when the running configuration has one.
func routerEnable(ctx context.Context, c *Call) error {
	d := c.Device
	secret := d.State("running.secret")
	if secret == "" {
		return d.SetMode("priv")
	}
	for try := 0; try < 3; try++ {
		if _, err := c.Port.Write([]byte("Password: ")); err != nil {
			return err
		}
		pw, err := readHidden(ctx, d)
		if err != nil {
			return err
		}
		if err := c.Println(""); err != nil {
			return err
		}
		if SimSecret(pw) == secret {
			return d.SetMode("priv")
		}
	}
	return c.Println("% Bad secrets", "")
}

// readHidden reads a line without echo, as a password prompt does.
func readHidden(ctx context.Context, d *Device) (string, error) {
	var b []byte
	for {
		k, err := d.readKey(ctx)
		if err != nil {
			return "", err
		}
		switch {
		case k == '\r' || k == '\n':
			return string(b), nil
		case k == 0x08 || k == 0x7f:
			if len(b) > 0 {
				b = b[:len(b)-1]
			}
		case k >= 0x20 && k < 0x7f && len(b) < maxLine:
			b = append(b, k)
		}
	}
}

// askDestination is IOS's "Destination filename [x]?" question; only
// Return (the default) goes on.
func askDestination(ctx context.Context, c *Call, def string) (bool, error) {
	if _, err := c.Port.Write([]byte("Destination filename [" + def + "]? ")); err != nil {
		return false, err
	}
	ans, err := c.Device.readLine(ctx)
	if err != nil {
		return false, err
	}
	ans = strings.TrimSpace(ans)
	return ans == "" || ans == def, nil
}

func routerCopyStartRun(ctx context.Context, c *Call) error {
	ok, err := askDestination(ctx, c, "running-config")
	if err != nil || !ok {
		return err
	}
	d := c.Device
	host, secret := d.StartupConfig()
	d.SetState("hostname", host)
	d.SetState("running.secret", secret)
	return c.Println("", "1093 bytes copied in 0.244 secs (4480 bytes/sec)")
}

func routerCopyRunStart(ctx context.Context, c *Call) error {
	ok, err := askDestination(ctx, c, "startup-config")
	if err != nil || !ok {
		return err
	}
	return routerWriteMemory(ctx, c)
}

func routerWriteMemory(_ context.Context, c *Call) error {
	d := c.Device
	d.SetState("nvram.hostname", d.State("hostname"))
	d.SetState("nvram.secret", d.State("running.secret"))
	return c.Println("Building configuration...", "[OK]")
}

func routerShowVersion(_ context.Context, c *Call) error {
	d := c.Device
	reg := d.State("confreg")
	line := "Configuration register is " + reg
	if next := d.State("confreg.next"); next != "" && next != reg {
		line += " (will be " + next + " at next reload)"
	}
	return c.Println(
		"Cisco IOS Software, 2800 Software (C2800NM-ADVIPSERVICESK9-M), Version 12.4(24)T, RELEASE SOFTWARE (fc1)",
		"ROM: System Bootstrap, Version 12.4(13r)T, RELEASE SOFTWARE (fc1)",
		"",
		d.State("hostname")+" uptime is 1 minute",
		"System returned to ROM by power-on",
		`System image file is "`+d.State("image")+`"`,
		"",
		"Cisco 2821 (revision 53.51) with 251904K/10240K bytes of memory.",
		"",
		line,
		"")
}
