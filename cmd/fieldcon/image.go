package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"fieldcon/images"
	"fieldcon/internal/workspace"
)

func imageCommand() *command {
	return &command{
		Name:    "image",
		Summary: "check an image before sending it; list and choose the workspace images",
		Usage: `fieldcon image inspect FILE [--for USE] [--platform P] [--flash-free N] [--dir-flash FILE]
                       [--running VERSION] [--asked-for NAME] [--want autonomous|lightweight]
                       [--no-hash] [--json]
fieldcon image list [--cached] [--json]
fieldcon image use NAME [--for USE]
fieldcon image use --clear

inspect reads FILE (or the file of that name in the workspace images folder)
once: format, tar integrity, the info file, what the name says, MD5 and
SHA-512. It then says for each use whether the image will work, and why not.
With --for it judges that one use and exits 1 when it will fail; without it,
it exits 1 only when the file is no good for anything.

USE is one of: archive-download-sw, loader-boot, ap-tar-xtract,
ap-mode-recovery, rommon-tftpdnld, smart-install.

Device facts (all optional):
  --platform P       platform code as in image names: c3750, c1240, ap3g2, c3700, cat3k_caa
  --flash-free N     free flash in bytes (12345678, 15M, 15000K)
  --dir-flash FILE   a saved "dir flash:" output ("-" for stdin); gives free space and contents
  --running VERSION  release it runs now: 12.2(25)SEB4, 15.3(3)JA1, 03.07.04E
  --asked-for NAME   the file the device asked for over TFTP (c1240-k9w7-tar.default)
  --want MODE        autonomous or lightweight, for access points

list scans the images folder, inspecting new or changed files (results are
kept in the workspace store), and prints one line per image; * marks the one
chosen for recovery. --cached prints the last scan without reading files.

use chooses the image recovery playbooks will serve; --clear forgets it.`,
		Run: runImage,
	}
}

func runImage(ctx context.Context, e *Env, args []string) error {
	if len(args) == 0 {
		return usageErr("image", "say inspect, list or use")
	}
	switch args[0] {
	case "inspect":
		return imageInspect(ctx, e, args[1:])
	case "list":
		return imageList(ctx, e, args[1:])
	case "use":
		return imageUse(ctx, e, args[1:])
	case "-h", "--help", "help":
		printUsage(e.Stdout, "image")
		return nil
	}
	return usageErr("image", "unknown image command %q", args[0])
}

// verdictError makes a "will fail" verdict exit 1 after its message.
type verdictError struct{ msg string }

func (v *verdictError) Error() string { return v.msg }
func (v *verdictError) ExitCode() int { return 1 }

func imageInspect(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("image")
	useFlag := fs.String("for", "", "")
	platform := fs.String("platform", "", "")
	flashFree := fs.String("flash-free", "", "")
	dirFlash := fs.String("dir-flash", "", "")
	running := fs.String("running", "", "")
	asked := fs.String("asked-for", "", "")
	want := fs.String("want", "", "")
	noHash := fs.Bool("no-hash", false, "")
	asJSON := fs.Bool("json", false, "")
	if err := parseFlags(e, "image", fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("image", "image inspect takes one FILE")
	}
	var use images.Use
	if *useFlag != "" {
		u, err := images.ParseUse(*useFlag)
		if err != nil {
			return usageErr("image", "%s", err)
		}
		use = u
	}
	dev := images.Device{Platform: *platform, RunningVersion: *running, AskedFor: *asked}
	switch strings.ToLower(*want) {
	case "":
	case "autonomous", "k9w7":
		dev.Want = images.APModeAutonomous
	case "lightweight", "k9w8", "capwap":
		dev.Want = images.APModeLightweight
	default:
		return usageErr("image", "--want is autonomous or lightweight, not %q", *want)
	}
	if *flashFree != "" {
		n, err := parseBytes(*flashFree)
		if err != nil {
			return usageErr("image", "--flash-free: %s", err)
		}
		dev.FlashFree = n
	}
	if *dirFlash != "" {
		l, err := readDirFlash(e, *dirFlash)
		if err != nil {
			return err
		}
		dev.Flash = &l
	}

	path, err := resolveImage(e, fs.Arg(0))
	if err != nil {
		return err
	}
	img, err := images.InspectFile(ctx, path, images.Options{SkipHashes: *noHash})
	if err != nil {
		return err
	}
	var verdicts []images.Verdict
	if use != "" {
		verdicts = []images.Verdict{images.Evaluate(img, use, dev)}
	} else {
		verdicts = images.EvaluateAll(img, dev)
	}

	if *asJSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Image    *images.Image    `json:"image"`
			Verdicts []images.Verdict `json:"verdicts"`
		}{img, verdicts}); err != nil {
			return err
		}
	} else if err := images.WriteReport(e.Stdout, img, verdicts); err != nil {
		return err
	}

	failed := 0
	for _, v := range verdicts {
		if v.Level == images.WillFail {
			failed++
		}
	}
	switch {
	case use != "" && failed > 0:
		return &verdictError{fmt.Sprintf("%s will fail for %s: %s", img.Name, use.Describe(), verdicts[0].Reason)}
	case use == "" && failed == len(verdicts):
		return &verdictError{fmt.Sprintf("%s will not work for any use", img.Name)}
	}
	return nil
}

// resolveImage finds FILE as given, or in the workspace images folder.
func resolveImage(e *Env, name string) (string, error) {
	if _, err := os.Stat(name); err == nil || strings.ContainsAny(name, `/\`) {
		return name, nil
	}
	ws, err := e.Workspace()
	if err != nil {
		return "", err
	}
	p := ws.Path(workspace.Images, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no file %s here or in %s", name, filepath.Dir(p))
	}
	return p, nil
}

func readDirFlash(e *Env, name string) (images.FlashListing, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(e.Stdin, 1<<20))
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return images.FlashListing{}, fmt.Errorf("read --dir-flash: %w", err)
	}
	l, ok := images.ParseDirFlash(string(data))
	if !ok {
		return l, fmt.Errorf("--dir-flash %s holds no `dir flash:` listing (no entries and no \"bytes total\" line)", name)
	}
	return l, nil
}

// parseBytes reads 12345678, 12,345,678, 15M or 15000K.
func parseBytes(s string) (int64, error) {
	t := strings.NewReplacer(",", "", "_", "").Replace(strings.TrimSpace(s))
	mult := int64(1)
	upper := strings.ToUpper(t)
	for _, suf := range []struct {
		s string
		m int64
	}{{"MB", 1 << 20}, {"KB", 1 << 10}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(upper, suf.s) {
			t, mult = t[:len(t)-len(suf.s)], suf.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a byte count", s)
	}
	return n * mult, nil
}

func openCatalog(e *Env) (*images.Catalog, func(), error) {
	ws, err := e.Workspace()
	if err != nil {
		return nil, nil, err
	}
	db, err := ws.Store()
	if err != nil {
		return nil, nil, err
	}
	c, err := images.NewCatalog(ws.Path(workspace.Images), db)
	if err != nil {
		ws.Close()
		return nil, nil, err
	}
	return c, func() { ws.Close() }, nil
}

func imageList(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("image")
	asJSON := fs.Bool("json", false, "")
	cached := fs.Bool("cached", false, "")
	if err := parseFlags(e, "image", fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErr("image", "image list takes no arguments")
	}
	c, done, err := openCatalog(e)
	if err != nil {
		return err
	}
	defer done()
	var entries []images.Entry
	if *cached {
		entries, err = c.Cached()
	} else {
		last := ""
		entries, err = c.Scan(ctx, func(p images.ScanProgress) {
			if p.File != last {
				last = p.File
				fmt.Fprintf(e.Stderr, "inspecting %s (%d of %d)…\n", p.File, p.Index, p.Count)
			}
		})
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		if entries == nil {
			entries = []images.Entry{}
		}
		return enc.Encode(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintf(e.Stdout, "no images in %s; copy .bin or .tar files there\n", c.Dir())
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tNAME\tPLATFORM\tTYPE\tVERSION\tSIZE\tMD5\tNOTE")
	for _, en := range entries {
		mark := ""
		if en.Selected {
			mark = "*"
		}
		if en.Image == nil {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t%d\t\t%s\n", mark, en.Name, en.Size, en.Err)
			continue
		}
		r := en.Image.Row()
		note := string(en.State)
		if r.Problem != "" {
			note = r.Problem
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", mark, en.Name, r.Platform, r.Type, r.Version, r.Size, r.MD5, note)
	}
	return tw.Flush()
}

func imageUse(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("image")
	useFlag := fs.String("for", "", "")
	clearSel := fs.Bool("clear", false, "")
	if err := parseFlags(e, "image", fs, args); err != nil {
		return err
	}
	c, done, err := openCatalog(e)
	if err != nil {
		return err
	}
	defer done()
	if *clearSel {
		if fs.NArg() != 0 {
			return usageErr("image", "image use --clear takes no NAME")
		}
		if err := c.ClearSelection(); err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, "no image is chosen for recovery now")
		return nil
	}
	if fs.NArg() != 1 {
		return usageErr("image", "image use takes one NAME from `fieldcon image list`")
	}
	var use images.Use
	if *useFlag != "" {
		if use, err = images.ParseUse(*useFlag); err != nil {
			return usageErr("image", "%s", err)
		}
	}
	name := fs.Arg(0)
	err = c.Select(name, use)
	if errors.Is(err, images.ErrNotInCatalog) {
		// The file may be new: scan once and try again.
		if _, serr := c.Scan(ctx, nil); serr == nil {
			err = c.Select(name, use)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%s is the image for recovery\n", name)
	return nil
}
