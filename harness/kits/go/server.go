package kit

import (
	"bufio"
	"math"
	"strings"
	"sync"
	"time"
)

// Forever is the Accept deadline of --serve-forever: the wait ends when a
// client connects or Close is called.
const Forever = time.Duration(math.MaxInt64)

// sessionResult is how one accepted connection ended.
type sessionResult struct {
	connection uint64
	sessionID  uint64
	accepted   bool // the handshake answered OK
	end        Failure
	echoed     uint64
}

// clean: the client left between messages after a good handshake.
func (s *sessionResult) clean() bool {
	return s.accepted && s.end.Reason == Disconnected && !s.end.MidMessage
}

func (r *run) server(o *options) int {
	l, err := r.a.Listen(o.cfg, o.runDir, o.service, o.deadline)
	if err != nil {
		f := r.a.Explain(err)
		r.out.emit(append(obj{{"event", "listen_failed"}}, f.fields()...))
		return exitFor(f.Reason)
	}
	if o.minimal {
		r.out.line("READY")
	} else {
		r.out.emit(obj{{"event", "ready"}, {"pipe_name", l.PipeName()}, {"run_dir", o.runDir}, {"service", o.service}})
	}
	var closeOnce sync.Once
	closeListener := func() { closeOnce.Do(l.Close) }
	stopped := make(chan struct{})
	wait := o.deadline
	if o.sessions == 0 {
		wait = Forever
		go func() {
			r.watchStdin()
			close(stopped)
			closeListener()
		}()
	}

	var results []*sessionResult
	var wg sync.WaitGroup
	var acceptFailure *Failure
	for accepted := uint64(0); o.sessions == 0 || accepted < o.sessions; {
		s, err := l.Accept(wait)
		if err != nil {
			select {
			case <-stopped: // stdin ended or said quit: not a failure
			default:
				f := r.a.Explain(err)
				acceptFailure = &f
			}
			break
		}
		accepted++
		res := &sessionResult{connection: accepted}
		results = append(results, res)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.serveSession(s, o, res)
		}()
	}
	// The listener (and the spare instance the library keeps, NP-18) lives
	// until the last session ends, as a server's does: closing it at the last
	// accept would be the kit's choice showing through as the library's.
	wg.Wait()
	closeListener()
	return r.serverEnd(results, acceptFailure)
}

// serverEnd prints the stats and chooses the exit code: 0 when every
// session was clean, else the first unclean session's reason.
func (r *run) serverEnd(results []*sessionResult, acceptFailure *Failure) int {
	clean := 0
	for _, s := range results {
		if s.clean() {
			clean++
		}
	}
	stats := obj{{"event", "stats"}, {"role", "server"}, {"sessions", len(results)}, {"clean_sessions", clean}}
	if acceptFailure != nil {
		stats = append(stats, kv{"accept_failure", acceptFailure.fields()})
	}
	r.out.emit(append(stats, cpuFields()...))
	for _, s := range results {
		if !s.clean() {
			return exitFor(s.end.Reason)
		}
	}
	if acceptFailure != nil {
		return exitFor(acceptFailure.Reason)
	}
	return exitOK
}

// watchStdin returns when stdin ends or a line starts with quit.
func (r *run) watchStdin() {
	sc := bufio.NewScanner(r.stdin)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "quit") {
			return
		}
	}
}

// serveSession runs one connection: the library's handshake, then an echo
// of every request until the client leaves or breaks a rule.
func (r *run) serveSession(s ServerSession, o *options, res *sessionResult) {
	defer s.Close()
	defer func() {
		e := obj{{"event", "close"}, {"role", "server"}, {"connection", res.connection},
			{"session_id", res.sessionID}, {"echoed", res.echoed}, {"mid_message", res.end.MidMessage}}
		r.out.emit(append(e, res.end.fields()...))
	}()
	h, err := s.Handshake(o.deadline)
	if h.Status != "" {
		r.serverHandshake(res.connection, &h)
	}
	if err != nil {
		res.end = r.a.Explain(err)
		return
	}
	res.accepted = true
	res.sessionID = h.Ack.SessionID
	limit := h.Ack.AgreedMaxResponsePayloadBytes
	for {
		m, err := s.Receive(o.deadline)
		if err != nil {
			res.end = r.a.Explain(err)
			return
		}
		if err := s.Send(echoOf(m, limit), o.deadline); err != nil {
			res.end = r.a.Explain(err)
			return
		}
		res.echoed++
	}
}

// echoOf is the answer to a request: a RESPONSE with its message_id, code,
// flags, item_count and payload; a payload over the agreed response limit
// cannot be echoed and gets LIMIT_EXCEEDED with no payload (as the
// reference does).
func echoOf(m *Message, limit uint32) *Message {
	if uint64(len(m.Payload)) > uint64(limit) {
		return &Message{Kind: KindResponse, Code: m.Code, TransportStatus: StatusLimitExceeded, ItemCount: 1,
			MessageID: m.MessageID}
	}
	return &Message{Kind: KindResponse, Flags: m.Flags, Code: m.Code, ItemCount: m.ItemCount,
		MessageID: m.MessageID, Payload: m.Payload}
}

func (r *run) serverHandshake(connection uint64, h *Handshake) {
	ev := obj{{"event", "handshake"}, {"role", "server"}, {"connection", connection}, {"status", h.Status},
		{"hello_malformed", h.HelloMalformed}, {"ack", ackJSON(&h.Ack)}}
	if h.Rule != "" {
		ev = append(ev, kv{"rule", h.Rule}, kv{"detail", h.Detail})
	}
	if h.SHM != nil {
		ev = append(ev, kv{"shm", obj{{"mapping", h.SHM.Mapping}, {"req_event", h.SHM.ReqEvent},
			{"resp_event", h.SHM.RespEvent}, {"prepared", h.SHM.Prepared}}})
	}
	r.out.emit(ev)
}
