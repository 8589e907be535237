package devsim

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// AP IOS: autonomous (k9w7) or lightweight (k9w8). A lightweight AP hides
// configuration commands, archive among them ("% Unrecognized command"),
// until `debug capwap console cli` in enable mode, whose factory password
// is Cisco; while its own controller download runs it cannot create
// flash:/update (FailureCode:7). Sources: field-notes §2(d) and the console
// output in seed 000.

var debugCapwapLines = []string{
	"This command is meant only for debugging/troubleshooting",
	"Any configuration change may result in different",
	"behavior from centralized configuration.",
	"",
	"CAPWAP console CLI allow/disallow debugging is on",
}

func (a *AP) iosModes() map[string]*Mode {
	showVersion := Rule{Match: words("sh|ow ver|sion"), Output: apShowVersion}
	dirFlash := Rule{Match: `(?:` + words("dir") + `|` + words("sh|ow fl|ash:") + `)(?:\s+(\S+))?`, Handler: iosDir}
	exit := Rule{Match: words("exit") + `|` + words("logo|ut"), Output: consoleAvailable, Mode: "idle"}
	return map[string]*Mode{
		"idle": {Rules: []Rule{{Match: `.*`, Output: []string{""}, Mode: "user"}}},
		"user": {
			Prompt: "${hostname}>",
			Rules: []Rule{
				{Match: words("en|able"), Mode: "password"},
				showVersion, dirFlash, exit,
			},
			Unknown: iosUnknown,
		},
		"password": {
			Prompt: "Password: ",
			NoEcho: true,
			Rules: []Rule{
				{Match: `Cisco`, Mode: "priv"},
				{Match: `.*`, Output: []string{"% Bad secrets", ""}, Mode: "user"},
			},
		},
		"priv": {
			Prompt: "${hostname}#",
			Rules: []Rule{
				{Match: words("disa|ble"), Mode: "user"},
				{Match: words("deb|ug capwap con|sole cli"), When: map[string]string{"lightweight": "yes"}, Output: debugCapwapLines, State: map[string]string{"capwap_cli": "on"}},
				{Match: words("arch|ive") + `.*`, When: map[string]string{"lightweight": "yes", "capwap_cli": ""}, Output: []string{"% Unrecognized command"}},
				{Match: words("arch|ive") + `\s+` + words("download-sw") + `((?:\s+/\S+)*)\s+(tftp://\S+)`, Handler: a.archiveDownload},
				showVersion, dirFlash, exit,
				{Match: words("rel|oad"), Confirm: "Proceed with reload? [confirm]", Handler: a.reload},
			},
			Unknown: []string{"% Unrecognized command"},
		},
	}
}

var apShowVersion = []string{
	"Cisco IOS Software, ${platform} Software (${platform}-${feature}-M), Version ${version}, RELEASE SOFTWARE (fc1)",
	"Technical Support: http://www.cisco.com/techsupport",
	"Copyright (c) 1986-2010 by Cisco Systems, Inc.",
	"",
	"ROM: Bootstrap program is ${platform} boot loader",
	"BOOTLDR: ${platform} Boot Loader (${platform}-BOOT-M) Version 12.3(2)JA4, RELEASE SOFTWARE (fc1)",
	"",
	"${hostname} uptime is 2 minutes",
	"System returned to ROM by power-on",
	`System image file is "${image}"`,
	"",
	"cisco AIR-AP1231G-A-K9 (PowerPCElvis) processor (revision A0) with 13814K/2560K bytes of memory.",
	"Processor board ID FTX0945B0WJ",
	"",
	"32K bytes of flash-simulated non-volatile configuration memory.",
	"Base ethernet MAC Address: 00:16:C7:16:C4:53",
	"",
	"Configuration register is 0xF",
	"",
}

// startIOS boots AP IOS from image to "Press RETURN to get started!".
func (a *AP) startIOS(ctx context.Context, c *Call, image string) error {
	d := c.Device
	n := parseImageName(image)
	d.SetState("image", image)
	d.SetState("platform", n.Platform)
	d.SetState("feature", n.Feature)
	d.SetState("version", n.Version)
	if strings.Contains(strings.ToLower(image), "k9w8") {
		d.SetState("lightweight", "yes")
		d.SetState("hostname", "AP0016.c716.c453")
	} else {
		d.SetState("hostname", "ap")
	}
	a.mu.Lock()
	a.iosAt = time.Now()
	a.mu.Unlock()
	if err := c.Println(d.expandAll(iosBootLines, nil)...); err != nil {
		return err
	}
	return d.SetMode("idle")
}

func (a *AP) busy() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.o.CAPWAPBusy > 0 && time.Since(a.iosAt) < a.o.CAPWAPBusy
}

// archiveDownload is `archive download-sw [/overwrite] [/reload]
// tftp://HOST/FILE`.
func (a *AP) archiveDownload(ctx context.Context, c *Call) error {
	d := c.Device
	flags, url := c.Arg(1), c.Arg(2)
	from := d.State("version")
	if a.busy() {
		return c.Println(
			"*Mar  1 00:01:12.015: %CAPWAP-6-AP_IMG_DWNLD: Required image not found on AP. Downloading image from Controller.",
			"examining image...",
			`Unable to create temp dir "flash:/update"`,
			fmt.Sprintf("Download image failed, notify controller!!! From:%s to 0.0.0.0, FailureCode:7", from),
		)
	}
	host, file, ok := strings.Cut(strings.TrimPrefix(url, "tftp://"), "/")
	ip, err := netip.ParseAddr(host)
	if !ok || err != nil || file == "" {
		return c.Println("%Error opening " + url + " (invalid URL)")
	}
	res, err := a.download(ctx, c, netip.AddrPortFrom(ip, a.port()), TFTPTarget{}, file, url, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		return c.Println(fmt.Sprintf("Download image failed, notify controller!!! From:%s to 0.0.0.0, FailureCode:3", from))
	}
	dir, _, _ := strings.Cut(res.Image, "/")
	boot := "flash:/" + res.Image
	d.SetEnv("BOOT", boot)
	if strings.Contains(flags, "/overwrite") {
		if err := replaceImage(d.Flash(), d.State("image"), boot); err != nil {
			return err
		}
	}
	if err := c.Println(
		fmt.Sprintf("[OK - %d bytes]", res.Bytes),
		"",
		"New software image installed in flash:/"+dir,
		"Configuring system to use new image...done.",
	); err != nil {
		return err
	}
	if !strings.Contains(flags, "/reload") && !strings.Contains(flags, "/force-reload") {
		return nil
	}
	if err := c.Println("Requested system reload in progress..."); err != nil {
		return err
	}
	return a.reload(ctx, c)
}

func (a *AP) reload(ctx context.Context, c *Call) error {
	if err := c.Println("", "%SYS-5-RELOAD: Reload requested by console. Reload Reason: Reload command.", ""); err != nil {
		return err
	}
	return c.Device.PowerOn(ctx)
}
