package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// commands lists every subcommand; a new one is one line here and one file.
func commands() []*command {
	return []*command{
		helpCommand(),
		portsCommand(),
		consoleCommand(),
		simCommand(),
		imageCommand(),
		dhcpCommand(),
		recoverCommand(),
		tftpCommand(),
		directorCommand(),
		smiCommand(),
		xmodemCommand(),
	}
}

// run is fieldcon without the process: it parses global flags and dispatches.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	fs := newFlags("")
	fs.StringVar(&e.WorkspaceDir, "workspace", "", "workspace folder")
	port := fs.String("port", "", "serial port to open")
	baud := fs.String("baud", "", "speed, or auto")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		return usageErr("", "%s", err)
	}
	if *help {
		printUsage(stdout, "")
		return nil
	}
	rest := fs.Args()
	if len(rest) == 0 {
		// The bare command opens the console on --port, or the port picker.
		c := commandByName("console")
		if c == nil {
			return usageErr("", "no command given")
		}
		var cargs []string
		if *port != "" {
			cargs = append(cargs, "--port", *port)
		}
		if *baud != "" {
			cargs = append(cargs, "--baud", *baud)
		}
		return c.Run(ctx, e, cargs)
	}
	c := commandByName(rest[0])
	if c == nil {
		return usageErr("", "unknown command %q", rest[0])
	}
	return c.Run(ctx, e, rest[1:])
}

// exitCode prints what run returned the way a technician should see it and
// picks the exit status: 0 success, 2 wrong usage, 1 anything else. It calls
// stop first, so a second Ctrl-C during the report kills the process.
func exitCode(err error, stderr io.Writer, stop func()) int {
	stop()
	var u *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "fieldcon: %s\n\n", u.msg)
		printUsage(stderr, u.cmd)
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	default:
		fmt.Fprintf(stderr, "fieldcon: %s\n", strings.TrimSpace(err.Error()))
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		return 1
	}
}

func helpCommand() *command {
	return &command{
		Name:    "help",
		Summary: "describe a command: fieldcon help COMMAND",
		Usage:   "fieldcon help [COMMAND]\n\nWithout COMMAND, lists every command.",
		Run: func(ctx context.Context, e *Env, args []string) error {
			switch {
			case len(args) == 0:
				printUsage(e.Stdout, "")
			case len(args) > 1:
				return usageErr("help", "help takes one command name")
			case commandByName(args[0]) == nil:
				return usageErr("help", "unknown command %q", args[0])
			default:
				printUsage(e.Stdout, args[0])
			}
			return nil
		},
	}
}
