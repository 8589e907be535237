package main

import (
	"context"
	"fmt"
	"sync"

	"fieldcon/servers"
	"fieldcon/servers/tftp"
)

func tftpCommand() *command {
	return &command{
		Name:    "tftp",
		Summary: "TFTP server that boot loaders can talk to: fieldcon tftp serve",
		Usage: `fieldcon tftp serve [--root DIR] [flags]

Serves the files in DIR over TFTP and prints one line per event (transfer
start, progress, done, failed, refused) until Ctrl-C. Answers requests and
ACKs sent to 255.255.255.255, the subnet broadcast or port 69, as Aironet
access points in MODE-button recovery send them. Read-only unless --uploads
is given.

Flags:
  --root DIR              folder to serve (default: the workspace folder)
  --listen ADDR:PORT      socket to serve on (default 0.0.0.0:69; a high port for tests)
  --iface IF              hear and answer only on this interface (Linux, macOS)
  --uploads DIR           accept uploads into DIR (never overwrites: x, x.1, x.2 ...)
  --max-upload BYTES      largest upload accepted (default 1 GiB)
  --alias PATTERN=FILE    serve FILE (under --root) to requests matching PATTERN,
                          repeatable, e.g. '*-k9w7-tar.default=images/c1240-k9w7-tar.124-25d.JA1.tar'
  --blksize-max N         largest block size granted, 512..65464 (default 65464)
  --timeout DUR           wait before sending a block again (default 1s; clients may ask for their own)
  --retries N             sends of one block before giving up (default 8)
  --max-transfers N       transfers at once in total (default 64)
  --max-per-client N      transfers at once per client address (default 8)
  --progress DUR          least time between progress lines of one transfer (default 500ms)

Port 69 needs root or, once: sudo setcap cap_net_bind_service=+ep $(command -v fieldcon)
`,
		Run: runTFTP,
	}
}

// aliasFlag collects repeated --alias flags.
type aliasFlag []tftp.Alias

func (a *aliasFlag) String() string { return fmt.Sprint(*a) }

func (a *aliasFlag) Set(v string) error {
	al, err := tftp.ParseAlias(v)
	if err != nil {
		return err
	}
	*a = append(*a, al)
	return nil
}

func runTFTP(ctx context.Context, e *Env, args []string) error {
	if len(args) == 0 || args[0] != "serve" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			printUsage(e.Stdout, "tftp")
			return nil
		}
		return usageErr("tftp", "say what to do: fieldcon tftp serve --root DIR")
	}
	fs := newFlags("tftp")
	root := fs.String("root", "", "")
	listen := fs.String("listen", "0.0.0.0:69", "")
	iface := fs.String("iface", "", "")
	uploads := fs.String("uploads", "", "")
	maxUpload := fs.Int64("max-upload", 0, "")
	blksizeMax := fs.Int("blksize-max", 0, "")
	timeout := fs.Duration("timeout", 0, "")
	retries := fs.Int("retries", 0, "")
	maxTransfers := fs.Int("max-transfers", 0, "")
	maxPerClient := fs.Int("max-per-client", 0, "")
	progress := fs.Duration("progress", 0, "")
	var aliases aliasFlag
	fs.Var(&aliases, "alias", "")
	if err := parseFlags(e, "tftp", fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("tftp", "unexpected argument %q", fs.Arg(0))
	}
	if *root == "" {
		ws, err := e.Workspace()
		if err != nil {
			return err
		}
		*root = ws.Dir
	}
	cfg := tftp.Config{
		Root:          *root,
		Uploads:       *uploads,
		MaxUpload:     *maxUpload,
		Aliases:       aliases,
		Interface:     *iface,
		BlockSizeMax:  *blksizeMax,
		Timeout:       *timeout,
		Retries:       *retries,
		MaxTransfers:  *maxTransfers,
		MaxPerClient:  *maxPerClient,
		ProgressEvery: *progress,
	}

	// One line per event on stdout. The hook never blocks the server: when
	// the terminal falls behind, lines are dropped and counted.
	hook, events, dropped := servers.Channel(1024)
	srv, err := tftp.New(cfg, tftp.WithHook(hook))
	if err != nil {
		return err
	}
	conn, err := tftp.Listen(ctx, *listen, *iface)
	if err != nil {
		return err
	}
	defer conn.Close()

	var printing sync.WaitGroup
	printing.Add(1)
	stopPrinting := make(chan struct{})
	go func() {
		defer printing.Done()
		for {
			select {
			case ev := <-events:
				fmt.Fprintln(e.Stdout, ev.String())
			case <-stopPrinting:
				for {
					select {
					case ev := <-events:
						fmt.Fprintln(e.Stdout, ev.String())
					default:
						return
					}
				}
			}
		}
	}()
	err = srv.Serve(ctx, conn)
	close(stopPrinting)
	printing.Wait()
	if n := dropped(); n > 0 {
		fmt.Fprintf(e.Stderr, "%d event lines were dropped because the terminal fell behind\n", n)
	}
	return err // nil after Ctrl-C, which is how this command ends
}
