package main

import (
	"bytes"
	"fmt"
	"sync"
	"syscall"
	"time"
)

type clientOpts struct {
	cfg         config
	runDir      string
	service     string
	name        string
	payloadSize uint64
	messages    uint64
	pipeline    uint64
	batch       uint64
	echoAll     bool
	minimal     bool
	deadline    time.Duration
}

// clientRun is what one client run achieved.
type clientRun struct {
	sessionID uint64
	end       ending
	echoesOK  uint64
	echoesBad uint64
	seconds   float64
	shm       bool // the ACK selected an SHM profile this peer cannot attach
}

func runClient(o *clientOpts) int {
	proposal := o.cfg.proposal()
	run := clientSession(o, &proposal)
	if run.shm {
		// NP-11: no same-session fallback; reconnect offering the baseline only.
		proposal.supported &= 1
		proposal.preferred &= 1
		emit(obj{{"event", "reconnecting"}, {"hello", helloJSON(&proposal)}})
		if proposal.supported == 0 {
			run.end = ending{reason: reasonWin32, detail: "no profile left to offer without SHM"}
		} else {
			run = clientSession(o, &proposal)
		}
	}
	emit(append(obj{{"event", "close"}, {"role", "client"}, {"session_id", run.sessionID}}, run.end.fields()...))
	rate := 0.0
	if run.seconds > 0 {
		rate = float64(run.echoesOK) / run.seconds
	}
	emit(obj{{"event", "stats"}, {"role", "client"}, {"messages", o.messages}, {"echoes_ok", run.echoesOK},
		{"echoes_bad", run.echoesBad}, {"seconds", run.seconds}, {"round_trips_per_second", rate}})
	code := exitFor(run.end.reason)
	if run.end.reason == reasonClosed && run.echoesBad > 0 {
		code = exitProtocol
	}
	if o.minimal {
		if code == exitOK {
			line("PASS")
		} else {
			line("FAIL " + run.end.detail)
		}
	}
	return code
}

// clientSession connects, handshakes with the proposal, and runs the echoes.
func clientSession(o *clientOpts, proposal *hello) clientRun {
	var run clientRun
	p, err := dial(o.name, o.deadline)
	if err != nil {
		run.end = endingFor(err)
		return run
	}
	defer p.close()
	if err := p.write(controlMessage(codeHello, stOK, 0, proposal.encode())); err != nil {
		run.end = endingFor(err)
		return run
	}
	msg, err := p.readMessage()
	if err != nil {
		run.end = endingFor(err)
		return run
	}
	h, body, err := parseControl(msg, codeAck, helloAckLn, "hello_ack_bad_payload_len")
	if err != nil {
		run.end = endingFor(err)
		return run
	}
	ack := decodeAck(body)
	ev := obj{{"event", "handshake"}, {"role", "client"}, {"status", statusName(h.transportStatus)}}
	var broken *ruleError
	if h.transportStatus != stOK {
		broken = broke("ack_rejected", "transport_status: expected OK, got %s", statusName(h.transportStatus))
		run.end = ending{reason: reasonRejected, detail: broken.Error(), rule: broken}
	} else if broken = checkAck(proposal, &ack); broken != nil {
		run.end = endingFor(broken)
	}
	ev = append(ev, kv{"accepted", broken == nil}, kv{"ack", ackJSON(&ack)})
	if broken != nil {
		ev = append(ev, kv{"rule", broken.rule}, kv{"detail", broken.detail})
		emit(ev)
		return run
	}
	emit(ev)
	run.sessionID = ack.sessionID
	if ack.selected != 1 {
		mapping, req, resp := shmNames(o.runDir, o.service, proposal.authToken, ack.selected, ack.sessionID)
		emit(obj{{"event", "shm"}, {"session_id", ack.sessionID}, {"mapping", mapping}, {"req_event", req},
			{"resp_event", resp}, {"attached", false},
			{"failure", obj{{"reason", reasonWin32}, {"detail", "this peer implements the NAMED_PIPE baseline only"}}}})
		run.shm = true
		return run
	}
	// NP-9: the session runs on the ACK's limits; a request they refuse is
	// never sent.
	first := buildRequest(o, 1)
	if err := checkHeader(&first.h, &limits{ack.reqPayload, ack.reqBatch}); err != nil {
		r := err.(*ruleError)
		run.end = ending{reason: reasonRejected, detail: "the agreed limits refuse this client's requests, none sent: " + r.Error(), rule: r}
		return run
	}
	echo(o, p, &ack, &run)
	return run
}

type request struct {
	h       header
	payload []byte
}

func buildRequest(o *clientOpts, id uint64) request {
	fill := func(item int, b []byte) {
		for i := range b {
			b[i] = byte(id*131 + uint64(item)*17 + uint64(i))
		}
	}
	if o.batch > 0 {
		payload := buildBatch(int(o.batch), int(o.payloadSize), fill)
		return request{newHeader(kindReq, flagBatch, 1, stOK, uint32(len(payload)), uint32(o.batch), id), payload}
	}
	payload := make([]byte, o.payloadSize)
	fill(0, payload)
	return request{newHeader(kindReq, 0, 1, stOK, uint32(len(payload)), 1, id), payload}
}

// echo sends --messages requests, at most --pipeline in flight, from a
// writer goroutine, and matches each response by message_id (WE-9, WE-10).
func echo(o *clientOpts, p *pipe, ack *helloAck, run *clientRun) {
	stop, err := createEvent()
	if err != nil {
		run.end = endingFor(err)
		return
	}
	defer syscall.CloseHandle(stop)
	p.stop = stop
	var (
		mu       sync.Mutex
		inflight = map[uint64]request{}
		once     sync.Once
		failure  *ending
		tokens   = make(chan struct{}, o.pipeline)
		done     = make(chan struct{})
		wg       sync.WaitGroup
	)
	fail := func(e ending) {
		once.Do(func() {
			failure = &e
			close(done)
			setEvent(stop)
		})
	}
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for id := uint64(1); id <= o.messages; id++ {
			select {
			case tokens <- struct{}{}:
			case <-done:
				return
			}
			req := buildRequest(o, id)
			mu.Lock()
			inflight[id] = req
			mu.Unlock()
			for _, pkt := range splitMessage(req.h, req.payload, ack.packetSize) {
				if err := p.write(pkt); err != nil {
					fail(endingFor(err))
					return
				}
			}
		}
	}()

	ra := reassembler{packetSize: ack.packetSize, lim: limits{ack.respPayload, ack.respBatch}}
	var got uint64
	for got < o.messages {
		pkt, err := p.readMessage()
		if err != nil {
			fail(endingFor(err))
			break
		}
		m, err := ra.feed(pkt)
		if err != nil {
			fail(endingFor(err))
			break
		}
		if m == nil {
			continue
		}
		if m.h.kind != kindResp {
			fail(endingFor(broke("bad_kind", "kind: expected 2 (RESPONSE), got %d", m.h.kind)))
			break
		}
		mu.Lock()
		req, ok := inflight[m.h.messageID]
		delete(inflight, m.h.messageID)
		mu.Unlock()
		if !ok {
			fail(endingFor(broke("unknown_message_id", "message_id %d: no request in flight has it", m.h.messageID)))
			break
		}
		detail := compareEcho(&req, m)
		if detail == "" {
			run.echoesOK++
		} else {
			run.echoesBad++
		}
		if o.echoAll || detail != "" {
			ev := obj{{"event", "echo"}, {"message_id", m.h.messageID}, {"payload_len", len(m.payload)}, {"ok", detail == ""}}
			if detail != "" {
				ev = append(ev, kv{"detail", detail})
			}
			emit(ev)
		}
		got++
		<-tokens
	}
	run.seconds = time.Since(start).Seconds()
	wg.Wait()
	if failure != nil {
		run.end = *failure
	} else {
		run.end = ending{reason: reasonClosed, detail: "all echoes received"}
	}
}

// compareEcho says how a response differs from its request ("" when equal).
func compareEcho(req *request, m *message) string {
	switch {
	case m.h.transportStatus != stOK:
		return "transport_status: expected OK, got " + statusName(m.h.transportStatus)
	case m.h.code != req.h.code:
		return fmt.Sprintf("code: expected %d, got %d", req.h.code, m.h.code)
	case m.h.flags != req.h.flags:
		return fmt.Sprintf("flags: expected %d, got %d", req.h.flags, m.h.flags)
	case m.h.itemCount != req.h.itemCount:
		return fmt.Sprintf("item_count: expected %d, got %d", req.h.itemCount, m.h.itemCount)
	case len(m.payload) != len(req.payload):
		return fmt.Sprintf("payload_len: expected %d, got %d", len(req.payload), len(m.payload))
	case !bytes.Equal(m.payload, req.payload):
		return "payload differs from the request"
	}
	return ""
}
