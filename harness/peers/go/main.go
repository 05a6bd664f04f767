// Command netipc-go-peer is a Go implementation of the netipc Windows Named
// Pipe baseline transport, driven by the peer CLI of docs/peer-cli.md.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

const usage = `usage:
  netipc-go-peer server RUN_DIR SERVICE
  netipc-go-peer client RUN_DIR SERVICE
  netipc-go-peer server --run-dir=DIR --service=NAME [config flags] [--sessions=N | --serve-forever]
                        [--shm-prepare=0|1] [--deadline-ms=MS]
  netipc-go-peer client --run-dir=DIR --service=NAME [config flags] [--payload-size=B] [--messages=N]
                        [--pipeline=D] [--batch=K] [--echo-events=all|failures] [--deadline-ms=MS]
config flags: --auth-token --supported-profiles --preferred-profiles --max-request-payload
              --max-request-batch --max-response-payload --max-response-batch --packet-size
`

// usageError ends the run before any pipe exists.
type usageError struct {
	code int
	msg  string
}

type args struct {
	role        string
	minimal     bool
	runDir      string
	service     string
	cfg         config
	sessions    uint64
	forever     bool
	payloadSize uint64
	messages    uint64
	pipeline    uint64
	batch       uint64
	echoAll     bool
	deadlineMS  uint64
}

func parseUint(flag, value string, min, max uint64) (uint64, *usageError) {
	v, err := strconv.ParseUint(value, 10, 64)
	if err != nil || v < min || v > max {
		return 0, &usageError{exitBadArgs, fmt.Sprintf("%s: expected a decimal number in [%d, %d], got %q", flag, min, max, value)}
	}
	return v, nil
}

// parseArgs reads `--flag=value` options by hand: Go's flag package would
// accept other spellings and exit 2 on an unknown option, where the CLI
// asks for 127.
func parseArgs(argv []string) (*args, *usageError) {
	a := &args{cfg: defaultConfig(), sessions: 1, payloadSize: 64, messages: 1, pipeline: 1, echoAll: true, deadlineMS: 30000}
	if len(argv) < 1 {
		return nil, &usageError{exitBadArgs, "missing command: server or client"}
	}
	a.role = argv[0]
	if a.role != "server" && a.role != "client" {
		return nil, &usageError{exitBadArgs, fmt.Sprintf("unknown command %q: expected server or client", a.role)}
	}
	const u32 = 0xFFFFFFFF
	u32Flags := map[string]*uint32{
		"--supported-profiles": &a.cfg.supported, "--preferred-profiles": &a.cfg.preferred,
		"--max-request-payload": &a.cfg.maxReqPayload, "--max-request-batch": &a.cfg.maxReqBatch,
		"--max-response-payload": &a.cfg.maxRespPayload, "--max-response-batch": &a.cfg.maxRespBatch,
		"--packet-size": &a.cfg.packetSize,
	}
	var positional []string
	haveFlags := false
	for _, arg := range argv[1:] {
		if !strings.HasPrefix(arg, "-") {
			positional = append(positional, arg)
			continue
		}
		if arg == "--help" || arg == "-h" {
			fmt.Print(usage)
			os.Exit(0)
		}
		name, value, hasValue := strings.Cut(arg, "=")
		var bad *usageError
		known := true
		switch {
		case u32Flags[name] != nil && hasValue:
			var v uint64
			v, bad = parseUint(name, value, 0, u32)
			*u32Flags[name] = uint32(v)
		case name == "--auth-token" && hasValue:
			a.cfg.authToken, bad = parseUint(name, value, 0, ^uint64(0))
		case name == "--deadline-ms" && hasValue:
			a.deadlineMS, bad = parseUint(name, value, 1, 86400000)
		case name == "--run-dir" && hasValue:
			a.runDir, haveFlags = value, true
		case name == "--service" && hasValue:
			a.service, haveFlags = value, true
		case a.role == "server" && name == "--sessions" && hasValue:
			a.sessions, bad = parseUint(name, value, 1, 1000000000)
		case a.role == "server" && name == "--serve-forever":
			a.forever = true
			if hasValue && value != "1" && value != "true" {
				bad = &usageError{exitBadArgs, "--serve-forever takes no value"}
			}
		case a.role == "server" && name == "--shm-prepare" && hasValue:
			// Accepted and moot: this peer never selects an SHM profile.
			_, bad = parseUint(name, value, 0, 1)
		case a.role == "client" && name == "--payload-size" && hasValue:
			a.payloadSize, bad = parseUint(name, value, 0, u32)
		case a.role == "client" && name == "--messages" && hasValue:
			a.messages, bad = parseUint(name, value, 0, 1<<40)
		case a.role == "client" && name == "--pipeline" && hasValue:
			a.pipeline, bad = parseUint(name, value, 1, 65536)
		case a.role == "client" && name == "--batch" && hasValue:
			a.batch, bad = parseUint(name, value, 0, 1<<20)
		case a.role == "client" && name == "--echo-events" && hasValue:
			switch value {
			case "all":
				a.echoAll = true
			case "failures":
				a.echoAll = false
			default:
				bad = &usageError{exitBadArgs, fmt.Sprintf("--echo-events: expected all or failures, got %q", value)}
			}
		default:
			known = false
		}
		if !known {
			return nil, &usageError{exitUnsupported, fmt.Sprintf("unsupported option for %s: %s", a.role, arg)}
		}
		if bad != nil {
			return nil, bad
		}
	}
	switch {
	case len(positional) > 0 && haveFlags:
		return nil, &usageError{exitBadArgs, "give RUN_DIR SERVICE or --run-dir/--service, not both"}
	case len(positional) == 2:
		a.minimal, a.runDir, a.service = true, positional[0], positional[1]
	case len(positional) != 0:
		return nil, &usageError{exitBadArgs, "expected exactly two positional arguments: RUN_DIR SERVICE"}
	case a.runDir == "":
		return nil, &usageError{exitBadArgs, "no run directory given (--run-dir)"}
	}
	if a.batch > 0 && a.payloadSize > 0xFFFFFFFF/(a.batch+1) {
		return nil, &usageError{exitBadArgs, "--batch times --payload-size does not fit a payload_len"}
	}
	return a, nil
}

func main() {
	a, bad := parseArgs(os.Args[1:])
	if bad != nil {
		fmt.Fprintln(os.Stderr, "netipc-go-peer: "+bad.msg)
		if bad.code == exitBadArgs {
			fmt.Fprint(os.Stderr, usage)
		}
		exitEvent(bad.code)
	}
	// NP-4: refuse an invalid service before any pipe is created or opened.
	name, err := pipeName(a.runDir, a.service)
	if err != nil {
		fmt.Fprintf(os.Stderr, "netipc-go-peer: invalid service name '%s': %s\n", a.service, err)
		exitEvent(exitBadArgs)
	}
	deadline := time.Duration(a.deadlineMS) * time.Millisecond
	if a.role == "server" {
		o := &serverOpts{cfg: a.cfg, runDir: a.runDir, service: a.service, name: name,
			sessions: a.sessions, deadline: deadline, minimal: a.minimal}
		if a.forever {
			o.sessions = 0
		}
		exitEvent(runServer(o))
	}
	o := &clientOpts{cfg: a.cfg, runDir: a.runDir, service: a.service, name: name, payloadSize: a.payloadSize,
		messages: a.messages, pipeline: a.pipeline, batch: a.batch, echoAll: a.echoAll && !a.minimal, minimal: a.minimal,
		deadline: deadline}
	exitEvent(runClient(o))
}
