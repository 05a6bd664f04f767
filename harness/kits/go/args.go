package kit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const usageText = `usage:
  PROGRAM server RUN_DIR SERVICE
  PROGRAM client RUN_DIR SERVICE
  PROGRAM server --run-dir=DIR --service=NAME [config flags] [--sessions=N | --serve-forever]
                 [--shm-prepare=0|1] [--deadline-ms=MS]
  PROGRAM client --run-dir=DIR --service=NAME [config flags] [--payload-size=B] [--messages=N]
                 [--pipeline=D] [--batch=K] [--echo-events=all|failures] [--deadline-ms=MS]
config flags: --auth-token --supported-profiles --preferred-profiles --max-request-payload
              --max-request-batch --max-response-payload --max-response-batch --packet-size
`

// usageError ends the run before any pipe exists (exit 2 or 127).
type usageError struct {
	code int
	msg  string
}

// options is one run's command line.
type options struct {
	role        string
	minimal     bool // the positional form: READY/PASS, the fixed config
	help        bool
	runDir      string
	service     string
	cfg         Config
	sessions    uint64 // 0: serve until stdin ends or says quit
	payloadSize uint64
	messages    uint64
	pipeline    uint64
	batch       uint64
	echoAll     bool
	deadline    time.Duration
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
// asks for 127. canBatch says whether the adapter has a batch API.
func parseArgs(argv []string, canBatch bool) (*options, *usageError) {
	o := &options{cfg: DefaultConfig(), sessions: 1, payloadSize: 64, messages: 1, pipeline: 1,
		echoAll: true, deadline: 30 * time.Second}
	if len(argv) < 1 {
		return nil, &usageError{exitBadArgs, "missing command: server or client"}
	}
	o.role = argv[0]
	if o.role == "--help" || o.role == "-h" {
		o.help = true
		return o, nil
	}
	if o.role != "server" && o.role != "client" {
		return nil, &usageError{exitBadArgs, fmt.Sprintf("unknown command %q: expected server or client", o.role)}
	}
	var positional []string
	haveFlags := false
	for _, arg := range argv[1:] {
		if !strings.HasPrefix(arg, "-") {
			positional = append(positional, arg)
			continue
		}
		if arg == "--help" || arg == "-h" {
			o.help = true
			return o, nil
		}
		known, bad := o.flag(arg, canBatch, &haveFlags)
		if !known {
			return nil, &usageError{exitUnsupported, fmt.Sprintf("unsupported option for %s: %s", o.role, arg)}
		}
		if bad != nil {
			return nil, bad
		}
	}
	switch {
	case len(positional) > 0 && haveFlags:
		return nil, &usageError{exitBadArgs, "give RUN_DIR SERVICE or --run-dir/--service, not both"}
	case len(positional) == 2:
		// The minimal form prints PASS, not echo events.
		o.minimal, o.runDir, o.service, o.echoAll = true, positional[0], positional[1], false
	case len(positional) != 0:
		return nil, &usageError{exitBadArgs, "expected exactly two positional arguments: RUN_DIR SERVICE"}
	case o.runDir == "":
		return nil, &usageError{exitBadArgs, "no run directory given (--run-dir)"}
	}
	if o.batch > 0 && o.payloadSize > 0xFFFFFFFF/(o.batch+1) {
		return nil, &usageError{exitBadArgs, "--batch times --payload-size does not fit a payload_len"}
	}
	return o, nil
}

// flag applies one option; known is false for an option this role lacks.
func (o *options) flag(arg string, canBatch bool, haveFlags *bool) (known bool, bad *usageError) {
	const u32 = 0xFFFFFFFF
	u32Flags := map[string]*uint32{
		"--supported-profiles": &o.cfg.SupportedProfiles, "--preferred-profiles": &o.cfg.PreferredProfiles,
		"--max-request-payload": &o.cfg.MaxRequestPayloadBytes, "--max-request-batch": &o.cfg.MaxRequestBatchItems,
		"--max-response-payload": &o.cfg.MaxResponsePayloadBytes, "--max-response-batch": &o.cfg.MaxResponseBatchItems,
		"--packet-size": &o.cfg.PacketSize,
	}
	name, value, hasValue := strings.Cut(arg, "=")
	server, client := o.role == "server", o.role == "client"
	var v uint64
	switch {
	case u32Flags[name] != nil && hasValue:
		v, bad = parseUint(name, value, 0, u32)
		*u32Flags[name] = uint32(v)
	case name == "--auth-token" && hasValue:
		o.cfg.AuthToken, bad = parseUint(name, value, 0, ^uint64(0))
	case name == "--deadline-ms" && hasValue:
		v, bad = parseUint(name, value, 1, 86400000)
		o.deadline = time.Duration(v) * time.Millisecond
	case name == "--run-dir" && hasValue:
		o.runDir, *haveFlags = value, true
	case name == "--service" && hasValue:
		o.service, *haveFlags = value, true
	case server && name == "--sessions" && hasValue:
		o.sessions, bad = parseUint(name, value, 1, 1000000000)
	case server && name == "--serve-forever":
		o.sessions = 0
		if hasValue && value != "1" && value != "true" {
			bad = &usageError{exitBadArgs, "--serve-forever takes no value"}
		}
	case server && name == "--shm-prepare" && hasValue:
		v, bad = parseUint(name, value, 0, 1)
		o.cfg.ShmPrepare = v == 1
	case client && name == "--payload-size" && hasValue:
		o.payloadSize, bad = parseUint(name, value, 0, u32)
	case client && name == "--messages" && hasValue:
		o.messages, bad = parseUint(name, value, 0, 1<<40)
	case client && name == "--pipeline" && hasValue:
		o.pipeline, bad = parseUint(name, value, 1, 65536)
	case client && name == "--batch" && hasValue:
		o.batch, bad = parseUint(name, value, 0, 1<<20)
		if bad == nil && o.batch > 0 && !canBatch {
			return false, nil // no batch API in this library: the CLI's 127
		}
	case client && name == "--echo-events" && hasValue:
		switch value {
		case "all":
			o.echoAll = true
		case "failures":
			o.echoAll = false
		default:
			bad = &usageError{exitBadArgs, fmt.Sprintf("--echo-events: expected all or failures, got %q", value)}
		}
	default:
		return false, nil
	}
	return true, bad
}
