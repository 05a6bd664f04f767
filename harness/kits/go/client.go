package kit

import (
	"bytes"
	"fmt"
	"sync"
	"time"
)

// clientRun is what one client run achieved.
type clientRun struct {
	sessionID uint64
	end       Failure
	echoesOK  uint64
	echoesBad uint64
	seconds   float64
	lat       latencies
	done      bool // the run has ended: answers still arriving are ignored
}

func (r *run) client(o *options) int {
	var run clientRun
	s, attempts, err := r.a.Connect(o.cfg, o.runDir, o.service, o.deadline)
	for i := range attempts {
		r.clientHandshake(&attempts[i])
		if attempts[i].Accepted {
			run.sessionID = attempts[i].Ack.SessionID
		}
	}
	if err != nil {
		run.end = r.a.Explain(err)
	} else {
		r.echo(o, s, &run)
	}
	r.out.emit(append(obj{{"event", "close"}, {"role", "client"}, {"session_id", run.sessionID}}, run.end.fields()...))
	rate := 0.0
	if run.seconds > 0 {
		rate = float64(run.echoesOK) / run.seconds
	}
	stats := obj{{"event", "stats"}, {"role", "client"}, {"messages", o.messages}, {"echoes_ok", run.echoesOK},
		{"echoes_bad", run.echoesBad}, {"seconds", run.seconds}, {"round_trips_per_second", rate}}
	r.out.emit(append(append(stats, cpuFields()...), run.lat.fields()...))
	code := exitFor(run.end.Reason)
	if run.end.Reason == Closed && run.echoesBad > 0 {
		code = exitProtocol
	}
	if o.minimal {
		switch {
		case code == exitOK:
			r.out.line("PASS")
		case run.echoesBad > 0:
			r.out.line(fmt.Sprintf("FAIL %d bad echoes", run.echoesBad))
		default:
			r.out.line("FAIL " + run.end.Detail)
		}
	}
	return code
}

// clientHandshake prints one attempt: handshake, then shm and reconnecting
// when the library reported them.
func (r *run) clientHandshake(h *Handshake) {
	ev := obj{{"event", "handshake"}, {"role", "client"}, {"status", h.Status}, {"accepted", h.Accepted},
		{"ack", ackJSON(&h.Ack)}}
	if !h.Accepted && h.Rule != "" {
		ev = append(ev, kv{"rule", h.Rule}, kv{"detail", h.Detail})
	}
	r.out.emit(ev)
	if h.SHM != nil {
		ev := obj{{"event", "shm"}, {"session_id", h.Ack.SessionID}, {"mapping", h.SHM.Mapping},
			{"req_event", h.SHM.ReqEvent}, {"resp_event", h.SHM.RespEvent}, {"attached", h.SHM.Attached}}
		if h.SHM.Detail != "" {
			ev = append(ev, kv{"detail", h.SHM.Detail})
		}
		r.out.emit(ev)
	}
	if h.Reconnect != nil {
		r.out.emit(obj{{"event", "reconnecting"}, {"hello", helloJSON(h.Reconnect)}})
	}
}

// request is message id's request: --payload-size bytes of a pattern, or
// --batch items of that size packed by the library.
func (r *run) request(o *options, id uint64) (*Message, error) {
	fill := func(item int, b []byte) {
		for i := range b {
			b[i] = byte(id*131 + uint64(item)*17 + uint64(i))
		}
	}
	if o.batch == 0 {
		payload := make([]byte, o.payloadSize)
		fill(0, payload)
		return &Message{Kind: KindRequest, Code: 1, ItemCount: 1, MessageID: id, Payload: payload}, nil
	}
	items := make([][]byte, o.batch)
	for i := range items {
		items[i] = make([]byte, o.payloadSize)
		fill(i, items[i])
	}
	payload, err := r.a.(Batcher).BatchEncode(items)
	if err != nil {
		return nil, err
	}
	return &Message{Kind: KindRequest, Flags: FlagBatch, Code: 1, ItemCount: uint32(o.batch), MessageID: id,
		Payload: payload}, nil
}

type inFlight struct {
	req  *Message
	sent time.Time
}

// echo sends --messages requests from a writer goroutine, at most
// --pipeline in flight, while a reader goroutine matches each answer to
// its request by message_id (WE-9). The first failure of either ends the
// run at once; a call still waiting in the other is left to the process's
// exit.
func (r *run) echo(o *options, s Session, run *clientRun) {
	var (
		mu       sync.Mutex // guards inflight and run's counters
		inflight = map[uint64]inFlight{}
		tokens   = make(chan struct{}, o.pipeline)
		failed   = make(chan Failure, 2)
		stop     = make(chan struct{})
		written  = make(chan struct{})
		answered = make(chan struct{})
	)
	start := time.Now()
	go func() {
		defer close(written)
		for id := uint64(1); id <= o.messages; id++ {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
			req, err := r.request(o, id)
			if err == nil {
				mu.Lock()
				inflight[id] = inFlight{req, time.Now()}
				mu.Unlock()
				err = s.Send(req, o.deadline)
			}
			if err != nil {
				failed <- r.a.Explain(err)
				return
			}
		}
	}()
	go func() {
		for got := uint64(0); got < o.messages; got++ {
			m, err := s.Receive(o.deadline)
			if err != nil {
				failed <- r.a.Explain(err)
				return
			}
			if f := r.answer(o, m, &mu, inflight, run); f != nil {
				failed <- *f
				return
			}
			<-tokens
		}
		close(answered)
	}()
	var end Failure
	select {
	case f := <-failed:
		end = f
	case <-answered:
		mu.Lock()
		run.seconds = time.Since(start).Seconds()
		mu.Unlock()
		select {
		case <-written: // every Send returned: the session is idle
			end = Failure{Reason: Closed, Detail: "all echoes received"}
			s.Close()
		case f := <-failed:
			end = f
		}
	}
	close(stop)
	mu.Lock()
	defer mu.Unlock()
	run.done = true // a reader still running reports nothing more
	run.end = end
	if run.seconds == 0 {
		run.seconds = time.Since(start).Seconds()
	}
}

// answer matches one answer to its request and prints its echo event. An
// answer to no request in flight ends the run: the library let through
// what WE-10 forbids, and the kit will not hide that as a mere bad echo.
func (r *run) answer(o *options, m *Message, mu *sync.Mutex, inflight map[uint64]inFlight, run *clientRun) *Failure {
	mu.Lock()
	defer mu.Unlock()
	if run.done {
		return nil
	}
	req, ok := inflight[m.MessageID]
	delete(inflight, m.MessageID)
	detail := "message_id: no request in flight has it"
	if ok {
		run.lat.add(time.Since(req.sent))
		detail = r.compareEcho(req.req, m)
	}
	if detail == "" {
		run.echoesOK++
	} else {
		run.echoesBad++
	}
	if o.echoAll || detail != "" {
		ev := obj{{"event", "echo"}, {"message_id", m.MessageID}, {"payload_len", len(m.Payload)}, {"ok", detail == ""}}
		if detail != "" {
			ev = append(ev, kv{"detail", detail})
		}
		r.out.emit(ev)
	}
	if !ok {
		return &Failure{Reason: Closed, Detail: fmt.Sprintf(
			"an answer with message_id %d matches no request in flight; the library returned it (WE-10)", m.MessageID)}
	}
	return nil
}

// compareEcho says how an answer differs from its request ("" when equal).
func (r *run) compareEcho(req, m *Message) string {
	switch {
	case m.Kind != KindResponse:
		return fmt.Sprintf("kind: expected %d (RESPONSE), got %d", KindResponse, m.Kind)
	case m.TransportStatus != StatusOK:
		return fmt.Sprintf("transport_status: expected 0 (OK), got %d", m.TransportStatus)
	case m.Code != req.Code:
		return fmt.Sprintf("code: expected %d, got %d", req.Code, m.Code)
	case m.Flags != req.Flags:
		return fmt.Sprintf("flags: expected %d, got %d", req.Flags, m.Flags)
	case m.ItemCount != req.ItemCount:
		return fmt.Sprintf("item_count: expected %d, got %d", req.ItemCount, m.ItemCount)
	case len(m.Payload) != len(req.Payload):
		return fmt.Sprintf("payload_len: expected %d, got %d", len(req.Payload), len(m.Payload))
	case !bytes.Equal(m.Payload, req.Payload):
		return "payload differs from the request" + r.differingItem(req, m)
	}
	return ""
}

// differingItem names the first batch item that differs, when the library
// can unpack both payloads.
func (r *run) differingItem(req, m *Message) string {
	b, ok := r.a.(Batcher)
	if !ok || req.Flags&FlagBatch == 0 {
		return ""
	}
	want, err1 := b.BatchDecode(req.Payload, req.ItemCount)
	got, err2 := b.BatchDecode(m.Payload, m.ItemCount)
	if err1 != nil || err2 != nil || len(want) != len(got) {
		return ""
	}
	for i := range want {
		if !bytes.Equal(want[i], got[i]) {
			return fmt.Sprintf(" (batch item %d)", i)
		}
	}
	return " (items equal, packing differs)"
}
