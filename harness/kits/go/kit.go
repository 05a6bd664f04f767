package kit

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Main runs the peer CLI on os.Args and exits with its code. program is the
// name used in messages (for example "netipc-go-peer").
func Main(program string, a Adapter) {
	os.Exit(Run(program, a, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is one peer run: the adapter and the process's streams.
type run struct {
	program string
	a       Adapter
	out     *out
	stderr  io.Writer
	stdin   io.Reader
}

// Run is Main without the process: it parses args, runs the role, prints
// the events (the exit event last) and returns the exit code.
func Run(program string, a Adapter, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	r := &run{program: program, a: a, out: &out{w: stdout}, stderr: stderr, stdin: stdin}
	_, canBatch := a.(Batcher)
	o, bad := parseArgs(args, canBatch)
	if bad != nil {
		fmt.Fprintln(stderr, program+": "+bad.msg)
		if bad.code == exitBadArgs {
			fmt.Fprint(stderr, r.usage())
		}
		return r.exit(bad.code)
	}
	if o.help {
		fmt.Fprint(stdout, r.usage())
		return exitOK
	}
	// NP-4: refuse an invalid service before any pipe is created or opened.
	if err := a.ValidateService(o.runDir, o.service); err != nil {
		fmt.Fprintf(stderr, "%s: invalid service name '%s': %s\n", program, o.service, err)
		return r.exit(exitBadArgs)
	}
	if o.role == "server" {
		return r.exit(r.server(o))
	}
	return r.exit(r.client(o))
}

func (r *run) usage() string { return strings.ReplaceAll(usageText, "PROGRAM", r.program) }

// exit prints the exit event, always the last line of a run.
func (r *run) exit(code int) int {
	r.out.emit(obj{{"event", "exit"}, {"code", code}})
	return code
}
