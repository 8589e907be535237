package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fieldcon/servers"
	"fieldcon/servers/director"
	"fieldcon/servers/smi"
	"fieldcon/servers/tftp"
)

func smiCommand() *command {
	return &command{
		Name:    "smi",
		Summary: "Smart Install on-demand operations on ONE switch: fieldcon smi probe|config|image|backup TARGET",
		Usage: `fieldcon smi probe TARGET [--yes]
fieldcon smi config TARGET --file NAME [--reload HH:MM] [--yes]
fieldcon smi image  TARGET --file NAME (--reload HH:MM | --now) [--yes]
fieldcon smi backup TARGET [--file NAME] [--yes]

TARGET is the IPv4 address of one switch; ranges and lists are refused.
Each operation says what it will do to the switch and asks first; --yes
answers for scripts. Smart Install has no authentication: the switch obeys
whoever reaches its TCP port 4786.

  probe   asks whether TARGET is a Smart Install client (type 4)
  config  makes TARGET fetch tftp://SERVER/NAME (type 3); with --reload it
          becomes the startup configuration and the switch reloads then
  image   makes TARGET fetch the image list tftp://SERVER/NAME and install
          the images in it (type 2), reloading at --reload or --now
  backup  makes TARGET upload its running configuration (type 8, the single
          command copy system:running-config tftp://SERVER/NAME). Without a
          running director, fieldcon serves the upload itself on
          --listen-tftp, waits for it and prints where it was stored.

Files for config and image are served by a running "fieldcon director serve"
(names are relative to the workspace: images/seed.txt, imagelists/...).

Flags:
  --server IP          fieldcon's address the switch reaches (default: the
                       local address towards TARGET)
  --file NAME          TFTP name of the file (backup default: backups/<TARGET>)
  --reload HH:MM       reload time
  --now                reload immediately after an image upgrade
  --yes                do not ask
  --port N             TCP port of the switch (default 4786; for simulators)
  --listen-tftp ADDR   where backup serves the upload (default 0.0.0.0:69)
  --timeout DUR        how long backup waits for the upload (default 2m)
  --telnet USER        switches without Smart Install: do it over a telnet CLI
                       session as USER; the password is read from the
                       environment variable FIELDCON_PASSWORD (never a flag),
                       and never written to any log
`,
		Run: runSMI,
	}
}

func runSMI(ctx context.Context, e *Env, args []string) error {
	fs := newFlags("smi")
	server := fs.String("server", "", "")
	file := fs.String("file", "", "")
	reload := fs.String("reload", "", "")
	now := fs.Bool("now", false, "")
	yes := fs.Bool("yes", false, "")
	port := fs.Int("port", smi.Port, "")
	ltftp := fs.String("listen-tftp", "0.0.0.0:69", "")
	timeout := fs.Duration("timeout", 2*time.Minute, "")
	telnetUser := fs.String("telnet", "", "")
	if err := parseFlags(e, "smi", fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) != 2 {
		return usageErr("smi", "give an operation and exactly one target address, e.g. fieldcon smi probe 10.99.0.51")
	}
	op, err := director.ParseOperation(rest[0])
	if err != nil {
		return usageErr("smi", "%v", err)
	}
	target, err := director.ParseTarget(rest[1])
	if err != nil {
		return usageErr("smi", "%v", err)
	}
	req := director.Request{Op: op, Target: target, File: strings.TrimLeft(*file, "/"), Immediate: *now}
	if *reload != "" {
		if req.Reload, err = smi.ParseReloadTime(*reload); err != nil {
			return usageErr("smi", "%v", err)
		}
	}
	switch {
	case (op == director.OpConfig || op == director.OpImage) && req.File == "":
		return usageErr("smi", "%s needs --file NAME, the file's TFTP name (for example images/seed.txt)", op)
	case op == director.OpImage && req.Reload.IsZero() && !*now:
		return usageErr("smi", "an image upgrade reloads the switch: give --reload HH:MM or --now")
	case op == director.OpBackup && req.File == "":
		req.File = director.BackupsDir + "/" + target.String()
	}
	if *server != "" {
		if req.Server, err = netip.ParseAddr(*server); err != nil || !req.Server.Is4() {
			return usageErr("smi", "--server %q is not an IPv4 address", *server)
		}
	} else if req.Server, err = localAddrTowards(target); err != nil {
		return err
	}
	confirm := func(q string) bool {
		if *yes {
			fmt.Fprintln(e.Stdout, q, "yes (--yes)")
			return true
		}
		fmt.Fprint(e.Stdout, q+" [y/N] ")
		line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
		a := strings.ToLower(strings.TrimSpace(line))
		return a == "y" || a == "yes"
	}
	if *telnetUser != "" {
		return smiOverTelnet(ctx, e, req, *telnetUser, confirm)
	}

	var upload chan servers.Event
	var stop func()
	if op == director.OpBackup {
		upload, stop, err = serveOneUpload(ctx, e, *ltftp, req)
		if err != nil {
			return err
		}
		defer stop()
	}
	client := smi.NewClient(nil, smi.WithPort(uint16(*port)))
	reply, err := director.Do(ctx, client, req, "", confirm)
	if err != nil {
		return err
	}
	switch op {
	case director.OpProbe:
		fmt.Fprintf(e.Stdout, "%s: %s\n", target, reply.Result)
		if reply.Result != smi.ProbeClient {
			return fmt.Errorf("%s is not a Smart Install client fieldcon can talk to; use --telnet for switches without Smart Install", target)
		}
	case director.OpBackup:
		if upload == nil {
			fmt.Fprintf(e.Stdout, "sent; the running director stores the upload in its workspace backups/ folder\n")
			return nil
		}
		wait, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		select {
		case ev := <-upload:
			if ev.Kind != servers.TransferDone {
				return fmt.Errorf("the upload from %s failed: %s", target, ev.Detail)
			}
			ws, err := e.Workspace()
			if err != nil {
				return err
			}
			f, err := os.Open(filepath.Join(ws.Dir, filepath.FromSlash(director.StagingDir), filepath.FromSlash(ev.Attrs["stored"])))
			if err != nil {
				return err
			}
			defer os.Remove(f.Name())
			defer f.Close()
			path, sum, err := director.Rotate(ws.Path(director.BackupsDir), target.String(), f)
			if err != nil {
				return fmt.Errorf("storing the backup: %w", err)
			}
			fmt.Fprintf(e.Stdout, "backup of %s stored in %s (MD5 %s)\n", target, path, sum)
		case <-wait.Done():
			return fmt.Errorf("%s did not upload its configuration within %s; check that it reaches %s by TFTP", target, *timeout, req.Server)
		}
	default:
		fmt.Fprintf(e.Stdout, "sent; %s now fetches tftp://%s/%s (its TFTP read is the sign it acted)\n", target, req.Server, req.File)
	}
	return nil
}

// localAddrTowards is this laptop's address on the way to target.
func localAddrTowards(target netip.Addr) (netip.Addr, error) {
	c, err := net.Dial("udp4", netip.AddrPortFrom(target, 9).String())
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no route to %s: %w; give --server", target, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

// oneUpload is the request policy of the backup server: it admits exactly
// one upload, from the target, under the name fieldcon sent it, stored as
// staged. Reads are refused.
func oneUpload(target netip.Addr, name, staged string) tftp.RequestPolicy {
	var once sync.Once
	return func(peer netip.AddrPort, asked string, write bool) (string, error) {
		if !write {
			return "", fmt.Errorf("this server only takes one backup: %w", fs.ErrNotExist)
		}
		if peer.Addr() != target || asked != name {
			return "", fmt.Errorf("expected %s from %s", name, target)
		}
		admitted := false
		once.Do(func() { admitted = true })
		if !admitted {
			return "", fmt.Errorf("the backup of %s has already been received", target)
		}
		return staged, nil
	}
}

// serveOneUpload runs a TFTP server for the backup upload, unless the port
// is taken (a director is running and will take it).
func serveOneUpload(ctx context.Context, e *Env, addr string, req director.Request) (chan servers.Event, func(), error) {
	conn, err := tftp.Listen(ctx, addr, "")
	if errors.Is(err, tftp.ErrPortInUse) {
		return nil, func() {}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ws, err := e.Workspace()
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	staging := filepath.Join(ws.Dir, filepath.FromSlash(director.StagingDir))
	if err := os.MkdirAll(staging, 0o755); err != nil {
		conn.Close()
		return nil, nil, err
	}
	staged := fmt.Sprintf("smi-%s-%s.upload", req.Target, strconv.FormatInt(time.Now().UnixNano(), 36))
	done := make(chan servers.Event, 1)
	srv, err := tftp.New(tftp.Config{Root: staging, Uploads: staging, MaxUpload: director.MaxBackup}, tftp.WithRequestPolicy(oneUpload(req.Target, req.File, staged)), tftp.WithHook(func(ev servers.Event) {
		if ev.Attrs["stored"] != "" && (ev.Kind == servers.TransferDone || ev.Kind == servers.TransferFailed) {
			select {
			case done <- ev:
			default:
			}
		}
	}))
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		_ = srv.Serve(sctx, conn)
	}()
	return done, func() { cancel(); <-finished; conn.Close() }, nil
}

func smiOverTelnet(ctx context.Context, e *Env, req director.Request, user string, confirm director.Confirm) error {
	cmd, err := director.CLICommand(req)
	if err != nil {
		return err
	}
	pw := os.Getenv("FIELDCON_PASSWORD")
	if pw == "" {
		return errors.New("set the switch password in the environment variable FIELDCON_PASSWORD (NONE for none); it is never taken from a flag")
	}
	if !confirm(fmt.Sprintf("Log in to %s by telnet as %s and run %q?", req.Target, user, cmd)) {
		return director.ErrNotConfirmed
	}
	s, err := director.DialTelnet(ctx, netip.AddrPortFrom(req.Target, 23).String(), director.Credentials{Username: user, Password: pw}, e.Stdout)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.Run(ctx, cmd)
	return err
}
