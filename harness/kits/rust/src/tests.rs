//! Host-native tests of the kit's driving logic over an in-memory adapter
//! (no pipes): exit codes, pipelining, refusals, server sessions. The
//! events go to stdout; the tests judge exit codes and what was sent.

use crate::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// A loopback "library": what a client sends comes back as its echo.
#[derive(Default)]
struct Loop {
    /// Refuse requests with a payload above this many bytes (NP-9).
    max_request: Option<usize>,
    /// Flip a byte of this message's echo.
    corrupt: Option<u64>,
    /// The other side leaves after this many echoes.
    leave_after: Option<usize>,
    sent: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
    /// Server: scripted sessions (requests, then how each ends).
    scripts: Mutex<Vec<(Vec<Message>, Failure)>>,
}

struct Session {
    queue: Mutex<VecDeque<Message>>,
    cv: Condvar,
    echoes: AtomicUsize,
    script_end: Option<Failure>,
}

fn session(queue: VecDeque<Message>, script_end: Option<Failure>) -> Session {
    Session {
        queue: Mutex::new(queue),
        cv: Condvar::new(),
        echoes: AtomicUsize::new(0),
        script_end,
    }
}

impl Adapter for Loop {
    type Listener = ();
    type Session = Session;
    const BATCHES: bool = true;

    fn validate_service(&self, _: &str, service: &str) -> Result<(), String> {
        match service.contains(' ') {
            true => Err("service_name_bad_char: a space".to_string()),
            false => Ok(()),
        }
    }
    fn listen(&self, _: &Config, _: &str, s: &str) -> Result<((), String), Failure> {
        Ok(((), format!("\\\\.\\pipe\\{}", s)))
    }
    fn accept(&self, _: &(), _: Option<Duration>) -> Result<Option<Session>, Failure> {
        match self.scripts.lock().unwrap().pop() {
            Some((reqs, end)) => Ok(Some(session(reqs.into(), Some(end)))),
            None => Err(Failure::new(Reason::Timeout, "no client")),
        }
    }
    fn close_listener(&self, _: &()) {}
    fn handshake(&self, _: &mut Session, _: Duration) -> (Option<Handshake>, Result<(), Failure>) {
        let mut h = Handshake {
            status: "OK".to_string(),
            ..Handshake::default()
        };
        h.ack.agreed_max_response_payload_bytes = 100;
        (Some(h), Ok(()))
    }
    fn connect(
        &self,
        _: &Config,
        _: &str,
        _: &str,
        _: Duration,
        report: &mut dyn FnMut(ClientEvent),
    ) -> Result<(Session, Ack), Failure> {
        report(ClientEvent::Handshake(Handshake::default()));
        Ok((session(VecDeque::new(), None), Ack::default()))
    }
    fn send(&self, s: &Session, m: &Message, _: Duration) -> Result<(), Failure> {
        if s.script_end.is_some() {
            s.echoes.fetch_add(1, Ordering::SeqCst);
            return Ok(());
        }
        if matches!(self.max_request, Some(n) if m.payload.len() > n) {
            return Err(Failure::rule(
                Reason::Rejected,
                "payload_over_limit",
                "WE-1",
                "big",
            ));
        }
        self.sent.fetch_add(1, Ordering::SeqCst);
        let mut q = s.queue.lock().unwrap();
        let mut echo = Message {
            kind: KIND_RESPONSE,
            ..m.clone()
        };
        if self.corrupt == Some(m.message_id) {
            echo.payload[0] ^= 1;
        }
        q.push_back(echo);
        let n = q.len().max(self.most_in_flight.load(Ordering::SeqCst));
        self.most_in_flight.store(n, Ordering::SeqCst);
        s.cv.notify_all();
        Ok(())
    }
    fn receive(&self, s: &Session, _: Duration) -> Result<Message, Failure> {
        let mut q = s.queue.lock().unwrap();
        if let Some(end) = &s.script_end {
            return q.pop_front().ok_or_else(|| end.clone());
        }
        if Some(s.echoes.load(Ordering::SeqCst)) == self.leave_after {
            return Err(Failure::win32(Reason::Disconnected, 109, "ReadFile"));
        }
        while q.is_empty() {
            q = s.cv.wait(q).unwrap();
        }
        s.echoes.fetch_add(1, Ordering::SeqCst);
        Ok(q.pop_front().unwrap())
    }
    fn batch_encode(&self, items: &[Vec<u8>]) -> Vec<u8> {
        items.concat()
    }
    fn batch_decode(&self, p: &[u8], _: u32) -> Result<Vec<Vec<u8>>, Failure> {
        match p.is_empty() {
            true => Err(Failure::rule(Reason::Protocol, "batch_x", "WE-2", "empty")),
            false => Ok(vec![p.to_vec()]),
        }
    }
}

fn client(a: Loop, flags: &str) -> (i32, usize, usize) {
    let (sent, most) = (a.sent.clone(), a.most_in_flight.clone());
    let argv: Vec<String> = format!("client --run-dir=D --service=s {}", flags)
        .split_whitespace()
        .map(String::from)
        .collect();
    let code = run("t", a, &argv);
    (
        code,
        sent.load(Ordering::SeqCst),
        most.load(Ordering::SeqCst),
    )
}

#[test]
fn client_exit_codes() {
    assert_eq!(client(Loop::default(), "--messages=20").0, 0);
    assert_eq!(client(Loop::default(), "--batch=3 --messages=2").0, 0);
    let bad = Loop {
        corrupt: Some(3),
        ..Loop::default()
    };
    assert_eq!(client(bad, "--messages=5").0, 5);
    let gone = Loop {
        leave_after: Some(2),
        ..Loop::default()
    };
    assert_eq!(client(gone, "--messages=5").0, 4);
    assert_eq!(client(Loop::default(), "--service=a b").0, 2);
    assert_eq!(client(Loop::default(), "--bogus=1").0, 127);
}

#[test]
fn a_refused_request_is_never_sent_and_exits_3() {
    let small = Loop {
        max_request: Some(10),
        ..Loop::default()
    };
    let (code, sent, _) = client(small, "--messages=4 --pipeline=2 --payload-size=64");
    assert_eq!((code, sent), (3, 0));
}

#[test]
fn pipelining_keeps_at_most_d_in_flight() {
    let (code, sent, most) = client(Loop::default(), "--messages=200 --pipeline=4");
    assert_eq!((code, sent), (0, 200));
    assert!((1..=4).contains(&most), "{} in flight", most);
    let (_, _, most) = client(Loop::default(), "--messages=50 --pipeline=1");
    assert_eq!(most, 1);
}

fn request(id: u64, n: usize, flags: u16) -> Message {
    Message {
        kind: KIND_REQUEST,
        code: 1,
        flags,
        item_count: 1,
        message_id: id,
        transport_status: STATUS_OK,
        payload: vec![7; n],
    }
}

fn server(scripts: Vec<(Vec<Message>, Failure)>) -> (i32, usize) {
    let n = scripts.len();
    let a = Loop {
        scripts: Mutex::new(scripts),
        ..Loop::default()
    };
    let argv: Vec<String> = format!("server --run-dir=D --service=s --sessions={}", n)
        .split_whitespace()
        .map(String::from)
        .collect();
    (run("t", a, &argv), n)
}

#[test]
fn server_sessions_and_their_endings() {
    let left = || Failure::win32(Reason::Disconnected, 109, "ReadFile");
    let two = vec![(vec![request(1, 8, 0)], left()), (vec![], left())];
    assert_eq!(server(two).0, 0);
    let mid = Failure {
        mid_message: true,
        ..left()
    };
    assert_eq!(server(vec![(vec![], mid)]).0, 4);
    let broke = Failure::rule(Reason::Protocol, "bad_magic", "WE-1", "x");
    assert_eq!(server(vec![(vec![], left()), (vec![], broke)]).0, 5);
    // an empty batch fails the library's batch_decode: a protocol ending
    let batch = vec![(vec![request(1, 0, FLAG_BATCH)], left())];
    assert_eq!(server(batch).0, 5);
    // the listener runs out of clients: the accept's own reason
    let a = Loop::default();
    let argv: Vec<String> = ["server", "--run-dir=D", "--service=s", "--sessions=1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(run("t", a, &argv), 6);
}

#[test]
fn an_echo_above_the_response_limit_is_limit_exceeded() {
    let m = server::response_to(request(4, 101, 0), 100);
    assert_eq!(
        (m.transport_status, m.payload.len()),
        (STATUS_LIMIT_EXCEEDED, 0)
    );
    let m = server::response_to(request(4, 100, FLAG_BATCH), 100);
    assert_eq!(
        (m.kind, m.flags, m.payload.len()),
        (KIND_RESPONSE, FLAG_BATCH, 100)
    );
}
