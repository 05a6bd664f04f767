package main

import (
	"errors"
	"time"

	"netipc-go-peer/netipc"
	kit "netipc-kit"
)

// adapter is the kit's Adapter over package netipc. Everything the
// contract governs happens in netipc; here are only calls and conversions
// (netipc's Hello and HelloAck have the kit's fields in the kit's order, so
// Go converts them whole; a library with other structs copies the fields).
type adapter struct{}

func config(c kit.Config) netipc.Config {
	return netipc.Config{AuthToken: c.AuthToken, SupportedProfiles: c.SupportedProfiles,
		PreferredProfiles: c.PreferredProfiles, MaxRequestPayloadBytes: c.MaxRequestPayloadBytes,
		MaxRequestBatchItems: c.MaxRequestBatchItems, MaxResponsePayloadBytes: c.MaxResponsePayloadBytes,
		MaxResponseBatchItems: c.MaxResponseBatchItems, PacketSize: c.PacketSize}
}

func (adapter) ValidateService(runDir, service string) error {
	_, err := netipc.PipeName(runDir, service)
	return err
}

// Listen: this library has no SHM, so --shm-prepare is moot.
func (adapter) Listen(c kit.Config, runDir, service string, _ time.Duration) (kit.Listener, error) {
	l, err := netipc.Listen(runDir, service, config(c))
	if err != nil {
		return nil, err
	}
	return listener{l}, nil
}

func (adapter) Connect(c kit.Config, runDir, service string, deadline time.Duration) (kit.Session, []kit.Handshake, error) {
	s, attempts, err := netipc.Dial(runDir, service, config(c), deadline)
	reports := make([]kit.Handshake, len(attempts))
	for i, a := range attempts {
		reports[i] = kit.Handshake{Status: netipc.StatusName(a.Status), Accepted: a.Accepted, Ack: kit.Ack(a.Ack)}
		if a.Rule != nil {
			reports[i].Rule, reports[i].Detail = a.Rule.Rule, a.Rule.Detail
		}
		if a.SHM != nil {
			reports[i].SHM = &kit.SHM{Mapping: a.SHM.Mapping, ReqEvent: a.SHM.ReqEvent, RespEvent: a.SHM.RespEvent,
				Detail: a.SHM.Detail}
		}
		if a.Reconnect != nil {
			h := kit.Hello(*a.Reconnect)
			reports[i].Reconnect = &h
		}
	}
	if err != nil {
		return nil, reports, err
	}
	return session{s}, reports, nil
}

// Explain maps netipc's three error types to close reasons.
func (adapter) Explain(err error) kit.Failure {
	f := kit.Failure{Reason: kit.Win32Error, Detail: err.Error()}
	var refused *netipc.RefusedError
	var rule *netipc.RuleError
	var io *netipc.IOError
	switch {
	case errors.As(err, &refused):
		f.Reason, f.Rule, f.Clause = kit.Rejected, refused.Rule.Rule, refused.Rule.Clause
		if refused.Status != netipc.StatusOK {
			f.Status = netipc.StatusName(refused.Status)
		}
	case errors.As(err, &rule):
		f.Reason, f.Rule, f.Clause = kit.Protocol, rule.Rule, rule.Clause
	case errors.As(err, &io):
		f.MidMessage = io.MidMessage
		switch {
		case io.Timeout:
			f.Reason = kit.Timeout
		case netipc.IsDisconnect(io.Code):
			f.Reason = kit.Disconnected
		}
		if !io.Timeout {
			f.Win32Code, f.Win32Name = uint32(io.Code), netipc.Win32Name(io.Code)
		}
	}
	return f
}

func (adapter) BatchEncode(items [][]byte) ([]byte, error) { return netipc.EncodeBatch(items) }

func (adapter) BatchDecode(payload []byte, count uint32) ([][]byte, error) {
	return netipc.DecodeBatch(payload, count)
}

type listener struct{ l *netipc.Listener }

func (l listener) PipeName() string { return l.l.Name() }
func (l listener) Close()           { l.l.Close() }

func (l listener) Accept(deadline time.Duration) (kit.ServerSession, error) {
	s, err := l.l.Accept(deadline)
	if err != nil {
		return nil, err
	}
	return session{s}, nil
}

// session is both roles' session; Handshake is called on a server's only.
type session struct{ s *netipc.Session }

func (s session) Close() { s.s.Close() }

func (s session) Send(m *kit.Message, deadline time.Duration) error {
	return s.s.Send(&netipc.Message{Kind: m.Kind, Flags: m.Flags, Code: m.Code, Status: m.TransportStatus,
		ItemCount: m.ItemCount, MessageID: m.MessageID, Payload: m.Payload}, deadline)
}

func (s session) Receive(deadline time.Duration) (*kit.Message, error) {
	m, err := s.s.Receive(deadline)
	if err != nil {
		return nil, err
	}
	return &kit.Message{Kind: m.Kind, Flags: m.Flags, Code: m.Code, TransportStatus: m.Status,
		ItemCount: m.ItemCount, MessageID: m.MessageID, Payload: m.Payload}, nil
}

func (s session) Handshake(deadline time.Duration) (kit.Handshake, error) {
	r, err := s.s.ServerHandshake(deadline)
	if !r.Decided {
		return kit.Handshake{}, err
	}
	h := kit.Handshake{Status: netipc.StatusName(r.Status), Ack: kit.Ack(r.Ack), HelloMalformed: r.HelloMalformed}
	if r.Rule != nil {
		h.Rule, h.Detail = r.Rule.Rule, r.Rule.Detail
	}
	return h, err
}
