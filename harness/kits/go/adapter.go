// Package kit is the whole peer CLI of docs/peer-cli.md (arguments, events,
// close reasons, exit codes, server sessions and serve-forever, the client's
// payload sizes, messages, pipelining and batches, stats with latency and
// CPU), written once over a small Adapter that calls into an implementer's
// own netipc library.
//
// What the contract governs stays the library's: pipe names, the handshake,
// chunking, the batch layout and every validation happen behind the Adapter,
// never here, so the suite judges the library and not the kit. The kit only
// drives the library and reports what it did.
package kit

import "time"

// Adapter is what an implementer writes: calls into their library.
type Adapter interface {
	// ValidateService refuses a service name the library would refuse
	// (NP-4: empty, or a character outside [A-Za-z0-9-_.]) or whose pipe
	// name would be too long (NP-2). The kit then exits 2 before any pipe
	// exists; the error text should name the rule.
	ValidateService(runDir, service string) error
	// Listen derives the pipe name (NP-2) and creates the first instance, so
	// that a client can connect as soon as it returns.
	Listen(cfg Config, runDir, service string, deadline time.Duration) (Listener, error)
	// Connect is the whole client handshake: connect (waiting out a busy
	// pipe up to deadline), HELLO, HELLO_ACK, and the ACK's checks. It
	// reports every attempt (more than one when the library reconnected,
	// NP-11). On a refused or broken handshake it returns an error and the
	// attempts so far, the last one filled as far as it got.
	Connect(cfg Config, runDir, service string, deadline time.Duration) (Session, []Handshake, error)
	// Explain maps any error the library returned to a close reason.
	Explain(err error) Failure
}

// Listener is a listening server. The kit calls Accept from one goroutine
// at a time.
type Listener interface {
	// PipeName is the name the server listens at (the ready event).
	PipeName() string
	// Accept waits up to deadline for a client to connect and returns its
	// connection before any handshake, keeping a new instance available
	// for the next client (NP-18). The kit runs the handshake in the new
	// session's goroutine, so a client that never sends its HELLO cannot
	// hold up the next one.
	Accept(deadline time.Duration) (ServerSession, error)
	// Close ends the listener. The kit calls it once: from another
	// goroutine while an Accept is waiting (serve-forever's stop: that
	// Accept must then return, with any error), or when no Accept runs.
	Close()
}

// Session is one connected session. Send and Receive may run at the same
// time in two goroutines (the client's pipelining), never two Sends or two
// Receives at once.
type Session interface {
	// Send sends one logical message; the library chunks it (WE-3) and
	// refuses one the agreed limits do not allow (Explain: Rejected).
	Send(m *Message, deadline time.Duration) error
	// Receive returns the next whole logical message, reassembled and
	// validated by the library (a client session only returns RESPONSEs
	// of requests in flight, a server session only REQUESTs).
	Receive(deadline time.Duration) (*Message, error)
	// Close ends the session. The kit calls it when no Send or Receive is
	// running; after a failure in one direction while the other still
	// waits, the kit reports and the process exits without Close.
	Close()
}

// ServerSession is an accepted connection whose handshake has not run.
type ServerSession interface {
	Session
	// Handshake reads the HELLO, decides (wire-envelope.md 4.3) and writes
	// the HELLO_ACK. The report is filled also when it refused; a refusal
	// returns an error that Explain maps to Rejected (or Protocol when what
	// came was no HELLO at all).
	Handshake(deadline time.Duration) (Handshake, error)
}

// Batcher is optional: implement it only when the library has a batch API.
// Without it the kit refuses --batch with exit 127 (declare no batches
// capability in the manifest).
type Batcher interface {
	BatchEncode(items [][]byte) ([]byte, error)
	BatchDecode(payload []byte, count uint32) ([][]byte, error)
}

// Config is one side's configuration, from the config flags. A server
// decides handshakes with it; a client proposes exactly it.
type Config struct {
	AuthToken               uint64
	SupportedProfiles       uint32
	PreferredProfiles       uint32
	MaxRequestPayloadBytes  uint32
	MaxRequestBatchItems    uint32
	MaxResponsePayloadBytes uint32
	MaxResponseBatchItems   uint32
	PacketSize              uint32
	// ShmPrepare is the server's --shm-prepare (default true): false asks
	// for a deliberately broken server that selects SHM without creating
	// the objects. A library without SHM ignores it.
	ShmPrepare bool
}

// DefaultConfig is the minimal tier's fixed configuration and the flags'
// defaults (docs/peer-cli.md).
func DefaultConfig() Config {
	return Config{SupportedProfiles: 1, PreferredProfiles: 1, MaxRequestPayloadBytes: 1024,
		MaxRequestBatchItems: 1, MaxResponsePayloadBytes: 1024, MaxResponseBatchItems: 1,
		PacketSize: 65536, ShmPrepare: true}
}

// Hello is a HELLO payload as sent, for the reconnecting event.
type Hello struct {
	LayoutVersion           uint16
	Flags                   uint16
	SupportedProfiles       uint32
	PreferredProfiles       uint32
	MaxRequestPayloadBytes  uint32
	MaxRequestBatchItems    uint32
	MaxResponsePayloadBytes uint32
	MaxResponseBatchItems   uint32
	Padding                 uint32
	AuthToken               uint64
	PacketSize              uint32
}

// Ack is a HELLO_ACK payload, every field by its wire-envelope.md name.
type Ack struct {
	LayoutVersion                 uint16
	Flags                         uint16
	ServerSupportedProfiles       uint32
	IntersectionProfiles          uint32
	SelectedProfile               uint32
	AgreedMaxRequestPayloadBytes  uint32
	AgreedMaxRequestBatchItems    uint32
	AgreedMaxResponsePayloadBytes uint32
	AgreedMaxResponseBatchItems   uint32
	AgreedPacketSize              uint32
	Padding                       uint32
	SessionID                     uint64
}

// SHM reports a session's SHM objects (NP-15) when an SHM profile was
// selected.
type SHM struct {
	Mapping, ReqEvent, RespEvent string
	Prepared                     bool   // server: the objects exist
	Attached                     bool   // client: it attached to them
	Detail                       string // client: why it did not attach
}

// Handshake is one handshake as the library saw it.
type Handshake struct {
	Status         string // "OK" or the transport_status name of the ACK
	Accepted       bool   // client: the library accepted the ACK
	Ack            Ack    // as sent (server) or received (client)
	Rule, Detail   string // the rule and why, when it was refused
	HelloMalformed bool   // server: what arrived was no HELLO
	SHM            *SHM   // when an SHM profile was selected
	// Reconnect is the client's new proposal when the library closed this
	// attempt and connected again (NP-11: no SHM bits).
	Reconnect *Hello
}

// Message is one logical message: the outer header fields the kit sets or
// reads, and the whole payload. The library encodes, chunks and checks it.
type Message struct {
	Kind            uint16
	Flags           uint16
	Code            uint16
	TransportStatus uint16
	ItemCount       uint32
	MessageID       uint64
	Payload         []byte
}

// Header values the kit needs to build requests and echoes.
const (
	KindRequest         = 1
	KindResponse        = 2
	FlagBatch           = 0x0001
	StatusOK            = 0
	StatusLimitExceeded = 5
)

// Reason is a close reason of docs/peer-cli.md.
type Reason string

// The close reasons.
const (
	Closed       Reason = "closed"
	Disconnected Reason = "disconnected"
	Protocol     Reason = "protocol"
	Rejected     Reason = "rejected"
	Timeout      Reason = "timeout"
	Win32Error   Reason = "win32_error"
)

// Failure is an error as a close reason, with what is known about it.
type Failure struct {
	Reason     Reason
	Rule       string // Protocol and Rejected: the rules.hpp name
	Clause     string // the clause of the rule, when known
	Status     string // Rejected: the transport_status name, when known
	Win32Code  uint32 // the Win32 error, when there is one
	Win32Name  string // its name (ERROR_BROKEN_PIPE...)
	MidMessage bool   // the session ended inside a chunked message
	Detail     string
}
