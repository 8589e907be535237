package director

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

const statusLegend = `Status: Device_type Health_status Join-window_status Upgrade_status
Device_type: S - Smart install N - Non smart install P - Pending
Health_status: A - Active I - Inactive
Join-window_Status: a - Allowed h - On-hold d - Denied
Image Upgrade: i - in progress I - done X - failed
Config Upgrade: c - in progress C - done x - failed
Script Upgrade: p - in progress P - done F - failed
`

// RenderStatus renders the database like `show vstack status` on a
// director: the legend, the director row (DevNo 0) and one row per client.
func RenderStatus(director netip.Addr, clients []Client, now time.Time, keepalive time.Duration) string {
	var b strings.Builder
	b.WriteString("SmartInstall: ENABLED\n")
	b.WriteString(statusLegend)
	b.WriteString("Director Database:\n")
	row := func(n, mac, pid, ip, host, status string) {
		fmt.Fprintf(&b, "%-6s %-16s %-19s %-18s %-18s %s\n", n, mac, pid, ip, host, status)
	}
	row("DevNo", "MAC Address", "Product-ID", "IP_addr", "Hostname", "Status")
	b.WriteString(strings.Repeat("=", 5) + "  " + strings.Repeat("=", 14) + "   " + strings.Repeat("=", 17) + "   " + strings.Repeat("=", 15) + "    " + strings.Repeat("=", 15) + "    " + strings.Repeat("=", 10) + "\n")
	dir := "-"
	if director.IsValid() {
		dir = director.String()
	}
	row("0", "fieldcon", "laptop", dir, "fieldcon", "Director")
	for _, c := range clients {
		ip := ""
		if c.IP.IsValid() {
			ip = c.IP.String()
		}
		pid := c.PID
		if pid == "" {
			pid = "-"
		}
		if len(c.Members) > 1 {
			for _, m := range sortedMembers(c.Members) {
				mac := string(m.MAC)
				if mac == "" {
					mac = string(c.MAC)
				}
				row(fmt.Sprint(c.Index), mac, m.PID, ip, c.Hostname, c.Status(now, keepalive))
			}
			continue
		}
		row(fmt.Sprint(c.Index), string(c.MAC), pid, ip, c.Hostname, c.Status(now, keepalive))
	}
	return b.String()
}

func orWord(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

// RenderDetail renders one client like `show vstack status detail`.
func RenderDetail(c Client, now time.Time, keepalive time.Duration) string {
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%-26s: %s\n", k, v) }
	b.WriteString(strings.Repeat("-", 60) + "\n")
	kv("Device Num", fmt.Sprint(c.Index))
	kv("Device ID", orWord(c.Hostname, "-"))
	kv("MAC Address", string(c.MAC))
	ip := "-"
	if c.IP.IsValid() {
		ip = c.IP.String()
	}
	kv("IP Addr", ip)
	kv("Serial", orWord(c.Serial, "Not Found"))
	kv("Product-ID", orWord(c.PID, "-"))
	kv("Version", orWord(c.Version, "-"))
	kv("Entry Role", "IBC Entry")
	up := "unknown"
	if c.Upstream.Valid() {
		up = c.Upstream.Host + " " + NormalizeInterface(c.Upstream.Interface)
	}
	kv("Upstream", up)
	done := "no"
	if c.Backup.Done {
		done = "Yes"
	}
	kv("Backup done", done)
	kv("Latest backup file", orWord(c.Backup.File, "none"))
	kv("Latest backup client name", orWord(c.Backup.Client, "none"))
	kv("File checksum", orWord(c.Backup.MD5, "none"))
	if c.Replaced != "" {
		kv("Switch replace type", "Same Switch (replaces "+string(c.Replaced)+")")
	}
	kv("Profile", orWord(c.Group, "none"))
	kv("Status", c.Status(now, keepalive))
	kv("Sources", strings.Join(c.Sources, ", "))
	for _, m := range sortedMembers(c.Members) {
		kv(fmt.Sprintf("Member %d", m.Number), m.PID)
	}
	return b.String()
}

func artifactWord(a Artifact) string {
	if len(a.Files) == 0 && a.State == NotStarted {
		return "**"
	}
	return a.State.Word()
}

// RenderDownloadStatus renders `show vstack download-status`.
func RenderDownloadStatus(clients []Client) string {
	var rows []Client
	for _, c := range clients {
		if c.Method != "" {
			rows = append(rows, c)
		}
	}
	var b strings.Builder
	b.WriteString("SmartInstall: ENABLED\n")
	fmt.Fprintf(&b, "Total no of entries : %d\n", len(rows))
	line := func(cols ...string) {
		fmt.Fprintf(&b, "%-4s%-16s%-16s%-14s%-14s%-15s%s\n", cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6])
	}
	line("No", "client-IP", "client-MAC", "Method", "Image-status", "Config-status", "Script-status")
	for i, c := range rows {
		ip := "-"
		if c.IP.IsValid() {
			ip = c.IP.String()
		}
		line(fmt.Sprint(i+1), ip, string(c.MAC), c.Method, artifactWord(c.Image), artifactWord(c.Config), artifactWord(c.Script))
	}
	return b.String()
}

// RenderDownloadDetail renders `show vstack download-status detail`.
func RenderDownloadDetail(clients []Client) string {
	var b strings.Builder
	n := 0
	stamp := func(a Artifact) string {
		if a.Finished.IsZero() || a.State != Done {
			return "-"
		}
		return a.Finished.UTC().Format("15:04:05 UTC Jan 2 2006")
	}
	reason := func(a Artifact) string { return orWord(a.Fail, "NA") }
	for _, c := range clients {
		if c.Method == "" {
			continue
		}
		n++
		fmt.Fprintf(&b, "No %d:\n", n)
		fmt.Fprintf(&b, "  client-ip: %s\n  client-hostname: %s\n  client-mac: %s\n  method: %s\n", c.IP, orWord(c.Hostname, "-"), c.MAC, c.Method)
		fmt.Fprintf(&b, "  config-fail-reason: %s\n  image-fail-reason: %s\n  script-fail-reason: %s\n", reason(c.Config), reason(c.Image), reason(c.Script))
		fmt.Fprintf(&b, "  config downloaded at: %s\n  image downloaded at: %s\n  script downloaded at: %s\n", stamp(c.Config), stamp(c.Image), stamp(c.Script))
	}
	return b.String()
}

// RenderWhy renders the "why" view of every client: the profile it
// resolves to under p, and each profile considered with why it won, lost,
// did not match or did not apply.
func RenderWhy(p *Profiles, clients []Client) string {
	var b strings.Builder
	for _, c := range clients {
		fmt.Fprintf(&b, "Switch %d %s (%s):\n", c.Index, c.MAC, orWord(c.PID, "product ID unknown"))
		for _, l := range strings.Split(strings.TrimRight(p.Resolve(c.Facts()).Explain(), "\n"), "\n") {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}
