package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"fieldcon/internal/workspace"
)

// command is one fieldcon subcommand. Each lives in its own file as a
// constructor (tftpCommand, simCommand, …) listed in commands().
type command struct {
	Name    string // first word on the command line
	Summary string // one line for `fieldcon --help`
	// Usage is the full help: synopsis lines first, then flags and notes.
	Usage string
	// Run gets the arguments after the command name.
	Run func(ctx context.Context, e *Env, args []string) error
}

// Env is what a command may touch: the standard streams and the workspace.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// WorkspaceDir is --workspace, or "" for the per-user default.
	WorkspaceDir string
}

// Workspace opens (creating on first use) the workspace folder.
func (e *Env) Workspace() (*workspace.Workspace, error) {
	return workspace.Open(e.WorkspaceDir)
}

// usageError makes run print the message and the command's usage, exit 2.
type usageError struct {
	cmd string // "" for the top level
	msg string
}

func (u *usageError) Error() string { return u.msg }

// usageErr reports a wrong invocation of cmd.
func usageErr(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// errHelp means help was asked for and printed; exit 0.
var errHelp = errors.New("help requested")

// newFlags returns a flag set for cmd that reports errors instead of printing.
func newFlags(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args into fs; -h/--help becomes errHelp after printing
// cmd's usage, any other mistake a usage error. Flags may follow positional
// arguments (`fieldcon image inspect FILE --json`). Every command accepts
// --workspace, as the top level does.
func parseFlags(e *Env, cmd string, fs *flag.FlagSet, args []string) error {
	if fs.Lookup("workspace") == nil {
		fs.StringVar(&e.WorkspaceDir, "workspace", e.WorkspaceDir, "workspace folder")
	}
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printUsage(e.Stdout, cmd)
			return errHelp
		}
		if err != nil {
			return usageErr(cmd, "%s", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	// Parse leaves fs.Args() as the tail; put all positionals there.
	return fs.Parse(append([]string{"--"}, positional...))
}

func commandByName(name string) *command {
	for _, c := range commands() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func printUsage(w io.Writer, cmd string) {
	if c := commandByName(cmd); c != nil {
		fmt.Fprintln(w, strings.TrimRight(c.Usage, "\n"))
		return
	}
	fmt.Fprint(w, topUsage())
}

func topUsage() string {
	var b strings.Builder
	b.WriteString(`fieldcon brings Cisco switches, routers and access points back to life from a
laptop: serial console, XMODEM, TFTP, DHCP, recovery playbooks, image checks and
a Smart Install director.

Usage:
  fieldcon [--workspace DIR] [--port P] [--baud N|auto]   open the console (port picker without --port)
  fieldcon [--workspace DIR] COMMAND [flags] [args]
  fieldcon help COMMAND

Commands:
`)
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	for _, c := range cs {
		fmt.Fprintf(&b, "  %-10s %s\n", c.Name, c.Summary)
	}
	b.WriteString(`
Global flags:
  --workspace DIR   workspace folder (default: ` + workspace.DefaultDirHint() + `)
`)
	return b.String()
}
