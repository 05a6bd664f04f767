package netipc

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Message is one logical message: the outer header fields a caller sets
// or reads, and the whole payload. Send chunks it; Receive reassembles it.
type Message struct {
	Kind, Flags, Code, Status uint16
	ItemCount                 uint32
	MessageID                 uint64
	Payload                   []byte
}

// Message kinds, the batch flag and two transport_status values.
const (
	KindRequest         = kindReq
	KindResponse        = kindResp
	FlagBatch           = flagBatch
	StatusOK            = stOK
	StatusLimitExceeded = stLimitExceeded
)

// RefusedError ends a session that the handshake refused, or a message
// the agreed limits do not allow (it is then never sent: NP-9).
type RefusedError struct {
	Status uint16 // the transport_status of the refusal (OK for a local refusal)
	Rule   *RuleError
	Detail string
}

func (e *RefusedError) Error() string { return e.Detail + ": " + e.Rule.Error() }

// Session is one handshaken connection. Send and Receive may run at the
// same time in two goroutines.
type Session struct {
	p      *pipe
	server bool
	cfg    Config // server: the listener's, for the handshake
	ack    HelloAck
	ra     reassembler
	send   limits // what the other side accepts (WE-1)

	mu       sync.Mutex
	inflight map[uint64]bool // client: request ids awaiting an answer (WE-10)
}

// Ack is the session's HELLO_ACK.
func (s *Session) Ack() HelloAck { return s.ack }

// Close ends the session (the other side sees a disconnect).
func (s *Session) Close() { s.p.close() }

func (s *Session) start(ack HelloAck) {
	s.ack = ack
	s.inflight = map[uint64]bool{}
	req := limits{ack.AgreedMaxRequestPayloadBytes, ack.AgreedMaxRequestBatchItems}
	resp := limits{ack.AgreedMaxResponsePayloadBytes, ack.AgreedMaxResponseBatchItems}
	s.ra = reassembler{packetSize: ack.AgreedPacketSize, lim: resp}
	s.send = req
	if s.server {
		s.ra.lim, s.send = req, resp
	}
}

// Send sends one message, chunked to the agreed packet size (WE-3). A
// message the agreed limits refuse is not sent (RefusedError).
func (s *Session) Send(m *Message, deadline time.Duration) error {
	h := newHeader(m.Kind, m.Flags, m.Code, m.Status, uint32(len(m.Payload)), m.ItemCount, m.MessageID)
	if err := checkHeader(&h, &s.send); err != nil {
		return &RefusedError{Rule: err.(*RuleError), Detail: "the agreed limits refuse this message, not sent"}
	}
	if !s.server {
		s.mu.Lock()
		s.inflight[m.MessageID] = true
		s.mu.Unlock()
	}
	return s.p.writeAll(splitMessage(h, m.Payload, s.ack.AgreedPacketSize), deadline)
}

// Receive returns the next whole message, checked: a server gets only
// REQUESTs, a client only RESPONSEs to requests in flight (WE-10).
func (s *Session) Receive(deadline time.Duration) (*Message, error) {
	for {
		pkt, err := s.p.readMessage(deadline)
		if err != nil {
			var io *IOError
			if errors.As(err, &io) {
				io.MidMessage = s.ra.midMessage()
			}
			return nil, err
		}
		m, err := s.ra.feed(pkt)
		if err != nil {
			return nil, err
		}
		if m != nil {
			return s.accept(m)
		}
	}
}

func (s *Session) accept(m *message) (*Message, error) {
	want, name := uint16(kindResp), "2 (RESPONSE)"
	if s.server {
		want, name = kindReq, "1 (REQUEST) after the handshake"
	}
	if m.h.kind != want {
		return nil, broke("bad_kind", "kind: expected %s, got %d", name, m.h.kind)
	}
	if !s.server {
		s.mu.Lock()
		known := s.inflight[m.h.messageID]
		delete(s.inflight, m.h.messageID)
		s.mu.Unlock()
		if !known {
			return nil, broke("unknown_message_id", "message_id %d: no request in flight has it", m.h.messageID)
		}
	}
	return &Message{Kind: m.h.kind, Flags: m.h.flags, Code: m.h.code, Status: m.h.transportStatus,
		ItemCount: m.h.itemCount, MessageID: m.h.messageID, Payload: m.payload}, nil
}

// ServerHandshake is what the server's handshake did.
type ServerHandshake struct {
	Decided        bool // a HELLO_ACK was decided (and sent, unless the write failed)
	Status         uint16
	Ack            HelloAck
	Rule           *RuleError // why it refused
	HelloMalformed bool       // what arrived was no HELLO
}

// ServerHandshake reads the HELLO, decides (wire-envelope.md 4.3) and
// writes the HELLO_ACK. This library implements the NAMED_PIPE baseline
// only: it never selects an SHM profile.
func (s *Session) ServerHandshake(deadline time.Duration) (ServerHandshake, error) {
	var r ServerHandshake
	cfg := s.cfg
	msg, err := s.p.readMessage(deadline)
	if err != nil {
		return r, err
	}
	cfg.SupportedProfiles &= 1
	hh, body, err := parseControl(msg, codeHello, helloLen, "hello_bad_payload_len")
	if err != nil {
		// Not a HELLO at all: answer BAD_ENVELOPE and end the session.
		r = ServerHandshake{Decided: true, Status: stBadEnvelope, Rule: err.(*RuleError), HelloMalformed: true,
			Ack: HelloAck{LayoutVersion: 1, ServerSupportedProfiles: cfg.SupportedProfiles}}
		s.p.write(controlMessage(codeAck, stBadEnvelope, hh.messageID, r.Ack.encode()), deadline)
		return r, err
	}
	h := decodeHello(body)
	ack, status, rule := decide(&cfg, &h)
	r = ServerHandshake{Decided: true, Status: status, Ack: ack, Rule: rule}
	if err := s.p.write(controlMessage(codeAck, status, hh.messageID, ack.encode()), deadline); err != nil {
		return r, err
	}
	if status != stOK {
		return r, &RefusedError{Status: status, Rule: rule, Detail: "the handshake was refused with " + StatusName(status)}
	}
	s.start(ack)
	return r, nil
}

// Attempt is one client handshake.
type Attempt struct {
	Status   uint16
	Accepted bool // the ACK was OK and passed every check
	Ack      HelloAck
	Rule     *RuleError // why the ACK was refused
	SHM      *ShmAttempt
	// Reconnect is the proposal of the next attempt, when this one was
	// closed to reconnect without SHM (NP-11).
	Reconnect *Hello
}

// ShmAttempt is an SHM profile the ACK selected. This library implements
// the NAMED_PIPE baseline only and never attaches.
type ShmAttempt struct {
	Mapping, ReqEvent, RespEvent string
	Detail                       string
}

// Dial connects and handshakes with cfg as the proposal. When the ACK
// selects an SHM profile it cannot attach, it closes the session and
// reconnects offering the baseline only (NP-11: no same-session fallback).
func Dial(runDir, service string, cfg Config, deadline time.Duration) (*Session, []Attempt, error) {
	name, err := PipeName(runDir, service)
	if err != nil {
		return nil, nil, err
	}
	proposal := cfg.proposal()
	var attempts []Attempt
	for {
		s, a, err := dialOnce(name, &proposal, deadline)
		if a != nil {
			attempts = append(attempts, *a)
		}
		if err != nil || a.SHM == nil {
			return s, attempts, err
		}
		a.SHM.Mapping, a.SHM.ReqEvent, a.SHM.RespEvent = ShmNames(runDir, service, proposal.AuthToken,
			a.Ack.SelectedProfile, a.Ack.SessionID)
		s.Close()
		proposal.SupportedProfiles &= 1
		proposal.PreferredProfiles &= 1
		next := proposal
		attempts[len(attempts)-1].Reconnect = &next
		if proposal.SupportedProfiles == 0 {
			return nil, attempts, errors.New("no profile left to offer without SHM")
		}
	}
}

// dialOnce is one connection and handshake.
func dialOnce(name string, proposal *Hello, deadline time.Duration) (*Session, *Attempt, error) {
	p, err := dial(name, deadline)
	if err != nil {
		return nil, nil, err
	}
	s := &Session{p: p}
	a, err := s.clientHandshake(proposal, deadline)
	if err != nil {
		p.close()
		return nil, a, err
	}
	return s, a, nil
}

func (s *Session) clientHandshake(proposal *Hello, deadline time.Duration) (*Attempt, error) {
	if err := s.p.write(controlMessage(codeHello, stOK, 0, proposal.encode()), deadline); err != nil {
		return nil, err
	}
	msg, err := s.p.readMessage(deadline)
	if err != nil {
		return nil, err
	}
	h, body, err := parseControl(msg, codeAck, helloAckLn, "hello_ack_bad_payload_len")
	if err != nil {
		return nil, err
	}
	a := &Attempt{Status: h.transportStatus, Ack: decodeAck(body)}
	if h.transportStatus != stOK {
		a.Rule = broke("ack_rejected", "transport_status: expected OK, got %s", StatusName(h.transportStatus))
		return a, &RefusedError{Status: h.transportStatus, Rule: a.Rule, Detail: "the server refused the handshake"}
	}
	if a.Rule = checkAck(proposal, &a.Ack); a.Rule != nil {
		return a, a.Rule
	}
	a.Accepted = true
	if a.Ack.SelectedProfile != 1 {
		a.SHM = &ShmAttempt{Detail: fmt.Sprintf("profile %d: this library implements the NAMED_PIPE baseline only",
			a.Ack.SelectedProfile)}
		return a, nil
	}
	s.start(a.Ack)
	return a, nil
}
