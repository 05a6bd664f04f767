package kit

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// The kit's own tests, on the build machine, over an in-memory adapter:
// `go test` in harness/kits/go.

type failure struct{ f Failure }

func (e failure) Error() string { return e.f.Detail }

// fake is an Adapter whose library is a few channels.
type fake struct {
	mu         sync.Mutex
	calls      []string
	badService bool
	connect    func() (Session, []Handshake, error)
	listener   *fakeListener
}

func (a *fake) call(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, name)
}

func (a *fake) ValidateService(runDir, service string) error {
	a.call("validate")
	if a.badService {
		return errors.New("service_name_bad_char: got ' ' at index 3")
	}
	return nil
}

func (a *fake) Listen(cfg Config, runDir, service string, deadline time.Duration) (Listener, error) {
	a.call("listen")
	return a.listener, nil
}

func (a *fake) Connect(cfg Config, runDir, service string, deadline time.Duration) (Session, []Handshake, error) {
	a.call("connect")
	return a.connect()
}

func (a *fake) Explain(err error) Failure {
	var f failure
	if errors.As(err, &f) {
		return f.f
	}
	return Failure{Reason: Win32Error, Detail: err.Error()}
}

// batching adds a batch API: items joined with a one-byte length each.
type batching struct{ *fake }

func (batching) BatchEncode(items [][]byte) ([]byte, error) {
	var b []byte
	for _, it := range items {
		b = append(append(b, byte(len(it))), it...)
	}
	return b, nil
}

func (batching) BatchDecode(p []byte, count uint32) ([][]byte, error) {
	var items [][]byte
	for len(p) > 0 {
		items, p = append(items, p[1:1+p[0]]), p[1+p[0]:]
	}
	return items, nil
}

// echoSession answers every request through a channel, after change.
type echoSession struct {
	answers chan *Message
	change  func(*Message)
	sendErr error
	closed  bool
}

func newEcho(change func(*Message)) *echoSession {
	return &echoSession{answers: make(chan *Message, 1024), change: change}
}

func (s *echoSession) Send(m *Message, _ time.Duration) error {
	if s.sendErr != nil {
		return s.sendErr
	}
	a := *m
	a.Kind = KindResponse
	a.Payload = append([]byte(nil), m.Payload...)
	if s.change != nil {
		s.change(&a)
	}
	s.answers <- &a
	return nil
}

func (s *echoSession) Receive(_ time.Duration) (*Message, error) { return <-s.answers, nil }
func (s *echoSession) Close()                                    { s.closed = true }

var okHandshake = []Handshake{{Status: "OK", Accepted: true, Ack: Ack{SessionID: 7, AgreedMaxResponsePayloadBytes: 1024}}}

// serverSession replays requests, then ends with end.
type serverSession struct {
	requests []*Message
	end      error
	hsErr    error
	sent     []*Message
	closed   bool
}

func (s *serverSession) Handshake(time.Duration) (Handshake, error) {
	if s.hsErr != nil {
		return Handshake{Status: "AUTH_FAILED", Rule: "auth_token_mismatch"}, s.hsErr
	}
	return okHandshake[0], nil
}

func (s *serverSession) Send(m *Message, _ time.Duration) error {
	s.sent = append(s.sent, m)
	return nil
}

func (s *serverSession) Receive(time.Duration) (*Message, error) {
	if len(s.requests) == 0 {
		return nil, s.end
	}
	m := s.requests[0]
	s.requests = s.requests[1:]
	return m, nil
}

func (s *serverSession) Close() { s.closed = true }

type fakeListener struct {
	sessions []*serverSession
	stop     chan struct{}
	closes   int
}

func (l *fakeListener) PipeName() string { return `\\.\pipe\netipc-test` }

func (l *fakeListener) Accept(deadline time.Duration) (ServerSession, error) {
	if len(l.sessions) > 0 {
		s := l.sessions[0]
		l.sessions = l.sessions[1:]
		return s, nil
	}
	if deadline != Forever {
		return nil, failure{Failure{Reason: Timeout, Detail: "no client"}}
	}
	<-l.stop
	return nil, errors.New("closed")
}

func (l *fakeListener) Close() {
	l.closes++
	close(l.stop)
}

// result is one run: exit code, events by name, raw stdout and stderr.
type result struct {
	code   int
	events []map[string]interface{}
	stdout string
	stderr string
}

func (r *result) find(name string) []map[string]interface{} {
	var out []map[string]interface{}
	for _, e := range r.events {
		if e["event"] == name {
			out = append(out, e)
		}
	}
	return out
}

func runKit(t *testing.T, a Adapter, stdin string, args ...string) *result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() { done <- Run("test-peer", a, args, strings.NewReader(stdin), &stdout, &stderr) }()
	var r result
	select {
	case r.code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("Run %v did not return", args)
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	for _, line := range lines {
		var e map[string]interface{}
		if json.Unmarshal([]byte(line), &e) == nil {
			r.events = append(r.events, e)
		}
	}
	last := r.events[len(r.events)-1]
	if last["event"] != "exit" || int(last["code"].(float64)) != r.code {
		t.Fatalf("last line %q: expected the exit event with code %d", lines[len(lines)-1], r.code)
	}
	return &r
}

func client(extra ...string) []string {
	return append([]string{"client", "--run-dir=C:\\run", "--service=svc"}, extra...)
}

func TestArgumentErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		says string
	}{
		{client("--made-up-option=1"), 127, "unsupported option for client: --made-up-option=1"},
		{client("--sessions=2"), 127, "unsupported option for client: --sessions=2"},
		{client("--batch=2"), 127, "--batch=2"},
		{client("--messages=x"), 2, "--messages: expected a decimal number"},
		{client("--pipeline=0"), 2, "--pipeline: expected a decimal number in [1, 65536]"},
		{client("--echo-events=some"), 2, "--echo-events: expected all or failures"},
		{[]string{"client", "C:\\run"}, 2, "exactly two positional arguments"},
		{[]string{"client"}, 2, "no run directory"},
		{[]string{"dance"}, 2, "unknown command"},
	}
	for _, c := range cases {
		a := &fake{}
		r := runKit(t, a, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.says) {
			t.Errorf("%v: expected exit %d saying %q, got %d: %s", c.args, c.code, c.says, r.code, r.stderr)
		}
		if len(a.calls) != 0 {
			t.Errorf("%v: the library was called: %v", c.args, a.calls)
		}
	}
}

func TestInvalidServiceStopsBeforeAnyPipe(t *testing.T) {
	a := &fake{badService: true}
	r := runKit(t, a, "", "server", "C:\\run", "bad name")
	if r.code != 2 || !strings.Contains(r.stderr, "invalid service name 'bad name': service_name_bad_char") {
		t.Fatalf("expected exit 2 naming the rule, got %d: %s", r.code, r.stderr)
	}
	if strings.Join(a.calls, ",") != "validate" {
		t.Fatalf("expected only the validation, got %v", a.calls)
	}
}

func TestClientPipelinedBatchesAllEchoed(t *testing.T) {
	s := newEcho(nil)
	a := batching{&fake{connect: func() (Session, []Handshake, error) { return s, okHandshake, nil }}}
	r := runKit(t, a, "", client("--messages=50", "--pipeline=8", "--batch=3", "--payload-size=5")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
	if n := len(r.find("echo")); n != 50 {
		t.Fatalf("expected 50 echo events, got %d", n)
	}
	closing := r.find("close")[0]
	if closing["reason"] != "closed" || closing["session_id"] != 7.0 || !s.closed {
		t.Fatalf("close event %v, session closed %v", closing, s.closed)
	}
	stats := r.find("stats")[0]
	for _, key := range []string{"latency_p50_us", "latency_p95_us", "latency_p99_us", "cpu_seconds", "round_trips_per_second"} {
		if _, ok := stats[key]; !ok {
			t.Errorf("stats lacks %s: %v", key, stats)
		}
	}
	if stats["echoes_ok"] != 50.0 {
		t.Errorf("echoes_ok: expected 50, got %v", stats["echoes_ok"])
	}
}

func TestClientBadEchoIsProtocol(t *testing.T) {
	s := newEcho(func(m *Message) { m.Payload[2] ^= 1 })
	a := batching{&fake{connect: func() (Session, []Handshake, error) { return s, okHandshake, nil }}}
	r := runKit(t, a, "", client("--messages=3", "--batch=2", "--payload-size=4", "--echo-events=failures")...)
	echoes := r.find("echo")
	if r.code != 5 || len(echoes) != 3 || echoes[0]["detail"] != "payload differs from the request (batch item 0)" {
		t.Fatalf("expected exit 5 and 3 bad echoes naming item 0, got %d: %v", r.code, echoes)
	}
}

func TestClientAnswerToNoRequestEndsTheRun(t *testing.T) {
	s := newEcho(func(m *Message) { m.MessageID += 1000 })
	a := &fake{connect: func() (Session, []Handshake, error) { return s, okHandshake, nil }}
	r := runKit(t, a, "", client("--messages=5")...)
	closing := r.find("close")[0]
	if r.code != 5 || closing["reason"] != "closed" || !strings.Contains(closing["detail"].(string), "WE-10") {
		t.Fatalf("expected exit 5, reason closed naming WE-10, got %d: %v", r.code, closing)
	}
}

func TestClientRefusedSendEndsAtOnce(t *testing.T) {
	// Receive would wait forever: the writer's refusal must end the run.
	s := newEcho(nil)
	s.sendErr = failure{Failure{Reason: Rejected, Rule: "payload_over_limit", Detail: "not sent"}}
	a := &fake{connect: func() (Session, []Handshake, error) { return s, okHandshake, nil }}
	r := runKit(t, a, "", client("--messages=5")...)
	closing := r.find("close")[0]
	if r.code != 3 || closing["rule"] != "payload_over_limit" {
		t.Fatalf("expected exit 3 with the rule, got %d: %v", r.code, closing)
	}
}

func TestClientReasonsAndExitCodes(t *testing.T) {
	for reason, code := range map[Reason]int{Disconnected: 4, Protocol: 5, Rejected: 3, Timeout: 6, Win32Error: 7} {
		f := Failure{Reason: reason, Rule: "some_rule", Win32Code: 109, Detail: "why"}
		attempts := []Handshake{{Status: "OK", Accepted: true, SHM: &SHM{Mapping: "m"}, Reconnect: &Hello{PacketSize: 9}}}
		a := &fake{connect: func() (Session, []Handshake, error) { return nil, attempts, failure{f} }}
		r := runKit(t, a, "", client()...)
		closing := r.find("close")[0]
		if r.code != code || closing["reason"] != string(reason) || closing["win32_name"] != "WIN32_109" {
			t.Errorf("%s: expected exit %d, got %d: %v", reason, code, r.code, closing)
		}
		if len(r.find("shm")) != 1 || len(r.find("reconnecting")) != 1 {
			t.Errorf("%s: expected the shm and reconnecting events: %s", reason, r.stdout)
		}
	}
}

func TestMinimalClientSaysPass(t *testing.T) {
	s := newEcho(nil)
	a := &fake{connect: func() (Session, []Handshake, error) { return s, okHandshake, nil }}
	r := runKit(t, a, "", "client", "C:\\run", "svc")
	if r.code != 0 || !strings.Contains(r.stdout, "\nPASS\n") || len(r.find("echo")) != 0 {
		t.Fatalf("expected PASS and no echo events, got %d: %s", r.code, r.stdout)
	}
}

func request(id uint64, size int) *Message {
	return &Message{Kind: KindRequest, Code: 4, ItemCount: 1, MessageID: id, Payload: make([]byte, size)}
}

func TestServerSessionsEchoAndEnd(t *testing.T) {
	left := failure{Failure{Reason: Disconnected, Detail: "client left"}}
	one := &serverSession{requests: []*Message{request(1, 10), request(2, 2000)}, end: left}
	two := &serverSession{end: left}
	l := &fakeListener{sessions: []*serverSession{one, two}, stop: make(chan struct{})}
	r := runKit(t, &fake{listener: l}, "", "server", "--run-dir=C:\\run", "--service=svc", "--sessions=2")
	stats := r.find("stats")[0]
	if r.code != 0 || stats["clean_sessions"] != 2.0 || l.closes != 1 || !one.closed || !two.closed {
		t.Fatalf("expected exit 0, 2 clean sessions, all closed, got %d: %v", r.code, stats)
	}
	if len(one.sent) != 2 || one.sent[0].Code != 4 || len(one.sent[0].Payload) != 10 ||
		one.sent[1].TransportStatus != StatusLimitExceeded || len(one.sent[1].Payload) != 0 {
		t.Fatalf("expected an echo and a LIMIT_EXCEEDED answer, got %+v", one.sent)
	}
	if r.find("ready")[0]["pipe_name"] != `\\.\pipe\netipc-test` || len(r.find("handshake")) != 2 {
		t.Fatalf("events: %s", r.stdout)
	}
}

func TestServerUncleanSessions(t *testing.T) {
	mid := failure{Failure{Reason: Disconnected, MidMessage: true, Detail: "left mid-message"}}
	refused := failure{Failure{Reason: Rejected, Rule: "auth_token_mismatch", Detail: "refused"}}
	for _, c := range []struct {
		s    *serverSession
		code int
	}{{&serverSession{end: mid}, 4}, {&serverSession{hsErr: refused}, 3}} {
		l := &fakeListener{sessions: []*serverSession{c.s}, stop: make(chan struct{})}
		r := runKit(t, &fake{listener: l}, "", "server", "--run-dir=C:\\run", "--service=svc")
		if r.code != c.code {
			t.Errorf("expected exit %d, got %d: %s", c.code, r.code, r.stdout)
		}
	}
}

func TestServerAcceptTimeout(t *testing.T) {
	l := &fakeListener{stop: make(chan struct{})}
	r := runKit(t, &fake{listener: l}, "", "server", "--run-dir=C:\\run", "--service=svc")
	stats := r.find("stats")[0]
	if r.code != 6 || stats["accept_failure"] == nil {
		t.Fatalf("expected exit 6 with accept_failure, got %d: %v", r.code, stats)
	}
}

func TestServeForeverStopsOnQuit(t *testing.T) {
	left := failure{Failure{Reason: Disconnected, Detail: "client left"}}
	l := &fakeListener{sessions: []*serverSession{{end: left}}, stop: make(chan struct{})}
	r := runKit(t, &fake{listener: l}, "hello\nquit\n", "server", "--run-dir=C:\\run", "--service=svc", "--serve-forever")
	stats := r.find("stats")[0]
	if r.code != 0 || stats["sessions"] != 1.0 || stats["accept_failure"] != nil || l.closes != 1 {
		t.Fatalf("expected exit 0 after one session, got %d: %v (closes %d)", r.code, stats, l.closes)
	}
}
