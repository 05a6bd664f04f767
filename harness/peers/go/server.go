package main

import (
	"bufio"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

type serverOpts struct {
	cfg      config
	runDir   string
	service  string
	name     string
	sessions uint64 // 0: serve until stdin ends or says quit
	deadline time.Duration
	minimal  bool
}

// sessionResult is how one accepted connection ended.
type sessionResult struct {
	connection uint64
	sessionID  uint64
	accepted   bool // handshake answered OK
	rejected   bool // handshake answered with a non-OK status
	end        ending
	midMessage bool
	echoed     uint64
}

// clean: the client left between messages after a good handshake.
func (r *sessionResult) clean() bool {
	return r.accepted && r.end.reason == reasonDisconnected && !r.midMessage
}

type listener struct {
	p         *pipe
	connected bool // ConnectNamedPipe found a client at once
}

func listen(o *serverOpts) (*listener, error) {
	p, err := createInstance(o.name, o.cfg.packetSize, o.deadline)
	if err != nil {
		return nil, err
	}
	connected, err := p.startConnect()
	if err != nil {
		p.close()
		return nil, err
	}
	return &listener{p: p, connected: connected}, nil
}

// abandon cancels a pending connect, waits for it, and closes the instance.
func (l *listener) abandon() {
	if !l.connected {
		var n uint32
		procCancelIoEx.Call(uintptr(l.p.h), uintptr(unsafe.Pointer(&l.p.cop.ov)))
		getOverlappedResult(l.p.h, &l.p.cop.ov, &n, true)
	}
	l.p.close()
}

func runServer(o *serverOpts) int {
	first, err := listen(o)
	if err != nil {
		e := endingFor(err)
		emit(append(obj{{"event", "listen_failed"}, {"pipe_name", o.name}}, e.fields()...))
		return exitFor(e.reason)
	}
	listeners := []*listener{first}
	if o.minimal {
		line("READY")
	} else {
		emit(obj{{"event", "ready"}, {"pipe_name", o.name}, {"run_dir", o.runDir}, {"service", o.service}})
	}

	var stop syscall.Handle
	if o.sessions == 0 {
		stop, _ = createEvent()
		go watchStdin(stop)
	}
	acceptWait := o.deadline
	if o.sessions == 0 {
		acceptWait = 0xFFFFFFFE * time.Millisecond
	}

	var results []*sessionResult
	var wg sync.WaitGroup
	var acceptFailure *ending
	var accepted uint64
	for o.sessions == 0 || accepted < o.sessions {
		// Keep a spare instance listening so that a client can connect
		// while the previous accept is being handed to its session (NP-18).
		want := 2
		if o.sessions != 0 && o.sessions-accepted < 2 {
			want = 1
		}
		for len(listeners) < want {
			l, err := listen(o)
			if err != nil {
				e := endingFor(err)
				acceptFailure = &e
				break
			}
			listeners = append(listeners, l)
		}
		if acceptFailure != nil && len(listeners) == 0 {
			break
		}
		idx := -1
		for i, l := range listeners {
			if l.connected {
				idx = i
				break
			}
		}
		if idx < 0 {
			handles := make([]syscall.Handle, 0, len(listeners)+1)
			for _, l := range listeners {
				handles = append(handles, l.p.cop.ev)
			}
			if stop != 0 {
				handles = append(handles, stop)
			}
			i, err := waitAny(handles, acceptWait)
			if err != nil {
				e := endingFor(err)
				acceptFailure = &e
				break
			}
			if i < 0 {
				acceptFailure = &ending{reason: reasonTimeout, detail: "ConnectNamedPipe: no client before the deadline"}
				break
			}
			if i == len(listeners) {
				break // stdin ended or said quit
			}
			if err := listeners[i].p.connectResult(); err != nil {
				// The client came and went before the accept: not a session.
				listeners[i].connected = true
				listeners[i].abandon()
				listeners = append(listeners[:i], listeners[i+1:]...)
				continue
			}
			idx = i
		}
		l := listeners[idx]
		listeners = append(listeners[:idx], listeners[idx+1:]...)
		accepted++
		res := &sessionResult{connection: accepted}
		results = append(results, res)
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveSession(l.p, o, res)
		}()
	}
	for _, l := range listeners {
		l.abandon()
	}
	wg.Wait()

	clean := 0
	for _, r := range results {
		if r.clean() {
			clean++
		}
	}
	stats := obj{{"event", "stats"}, {"role", "server"}, {"sessions", len(results)}, {"clean_sessions", clean}}
	stopping := o.sessions == 0
	if acceptFailure != nil && !stopping {
		stats = append(stats, kv{"accept_failure", acceptFailure.fields()})
	}
	emit(stats)
	for _, r := range results {
		if r.clean() {
			continue
		}
		if r.rejected {
			return exitRejected
		}
		return exitFor(r.end.reason)
	}
	if acceptFailure != nil && !stopping {
		return exitFor(acceptFailure.reason)
	}
	return exitOK
}

func watchStdin(stop syscall.Handle) {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "quit") {
			break
		}
	}
	setEvent(stop)
}

// serveSession runs one connection: HELLO, HELLO_ACK, then echo every
// request until the client leaves or breaks a rule.
func serveSession(p *pipe, o *serverOpts, res *sessionResult) {
	defer p.close()
	defer func() {
		e := obj{{"event", "close"}, {"role", "server"}, {"connection", res.connection},
			{"session_id", res.sessionID}, {"echoed", res.echoed}, {"mid_message", res.midMessage}}
		emit(append(e, res.end.fields()...))
	}()

	msg, err := p.readMessage()
	if err != nil {
		res.end = endingFor(err)
		return
	}
	cfg := o.cfg
	cfg.supported &= 1 // baseline only: this peer never prepares SHM objects
	hh, body, err := parseControl(msg, codeHello, helloLen, "hello_bad_payload_len")
	if err != nil {
		// Not a HELLO at all: answer BAD_ENVELOPE and end the session.
		rule := err.(*ruleError)
		ack := helloAck{layoutVersion: 1, serverSupported: cfg.supported}
		emit(obj{{"event", "handshake"}, {"role", "server"}, {"connection", res.connection},
			{"status", statusName(stBadEnvelope)}, {"hello_malformed", true}, {"ack", ackJSON(&ack)},
			{"rule", rule.rule}, {"detail", rule.detail}})
		p.write(controlMessage(codeAck, stBadEnvelope, hh.messageID, ack.encode()))
		res.end = endingFor(err)
		return
	}
	h := decodeHello(body)
	ack, status, rule := decide(&cfg, &h)
	ev := obj{{"event", "handshake"}, {"role", "server"}, {"connection", res.connection},
		{"status", statusName(status)}, {"hello_malformed", false}, {"ack", ackJSON(&ack)}}
	if rule != nil {
		ev = append(ev, kv{"rule", rule.rule}, kv{"detail", rule.detail})
	}
	emit(ev)
	if err := p.write(controlMessage(codeAck, status, hh.messageID, ack.encode())); err != nil {
		res.end = endingFor(err)
		return
	}
	if status != stOK {
		res.rejected = true
		res.end = ending{reason: reasonRejected, detail: rule.Error(), rule: rule}
		return
	}
	res.accepted = true
	res.sessionID = ack.sessionID

	ra := reassembler{packetSize: ack.packetSize, lim: limits{ack.reqPayload, ack.reqBatch}}
	for {
		pkt, err := p.readMessage()
		if err != nil {
			res.end = endingFor(err)
			res.midMessage = ra.midMessage()
			return
		}
		m, err := ra.feed(pkt)
		if err != nil {
			res.end = endingFor(err)
			return
		}
		if m == nil {
			continue
		}
		if m.h.kind != kindReq {
			res.end = endingFor(broke("bad_kind", "kind: expected 1 (REQUEST) after the handshake, got %d", m.h.kind))
			return
		}
		rh := m.h
		rh.kind = kindResp
		payload := m.payload
		if uint64(len(payload)) > uint64(ack.respPayload) {
			// Cannot be echoed within the agreed response limit.
			rh = newHeader(kindResp, 0, m.h.code, stLimitExceeded, 0, 1, m.h.messageID)
			payload = nil
		}
		if err := p.writeAll(splitMessage(rh, payload, ack.packetSize)); err != nil {
			res.end = endingFor(err)
			return
		}
		res.echoed++
	}
}
