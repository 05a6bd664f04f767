//! The Rust sample transport's API, of the usual library shape: a
//! `Listener` (listen, accept, close), a server `Session::handshake`, a
//! client `Session::connect`, and `send` / `receive` of whole messages. It
//! does all the contract's work: names, handshake, chunking, validation.

use crate::chunk::{split, Limits, Message, Reassembler};
use crate::handshake::{check_ack, decide, rejection_ack, Config, SessionCounter, BASELINE};
use crate::names::pipe_name;
use crate::pipe::{Fail, Pipe};
use crate::rules::{broke, expected, Rule, Violation};
use crate::win::wide;
use crate::wire::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Pipe buffers hold one agreed packet (NP-13); capped to stay allocatable.
const MAX_PIPE_BUFFER: u32 = 64 << 20;

/// How a call failed.
#[derive(Debug)]
pub enum Error {
    /// NP-4 or the name length: (rule name, sentence).
    BadName(&'static str, String),
    /// A pipe call failed; `mid` when a message was half received.
    Pipe(Fail, bool),
    /// The other side broke a rule; `mid` as above.
    Broke(Violation, bool),
    /// The handshake was refused (by this server, or by the server's ACK).
    Refused(Violation),
    /// NP-9: a request above the agreed limits; nothing was sent.
    OverLimit(Violation),
}

/// A handshake as one side saw it: the status, the ACK, the rule if refused.
pub struct Answer {
    pub status: u16,
    pub ack: HelloAck,
    pub rule: Option<Violation>,
}

/// What a client's connect went through, step by step.
pub enum Step {
    Answered(Answer),
    /// The server selected an SHM profile this transport cannot attach.
    NoShm(u64),
    /// NP-11: proposing again with this HELLO.
    Again(Hello),
}

pub struct Listener {
    name: Vec<u16>,
    buffer: u32,
    cfg: Config,
    counter: Arc<SessionCounter>,
    /// The instance the next accept waits on, created beforehand (NP-18).
    next: Mutex<Option<Pipe>>,
    closed: AtomicBool,
}

impl Listener {
    pub fn listen(cfg: &Config, run_dir: &str, service: &str) -> Result<(Listener, String), Error> {
        let name = pipe_name(run_dir, service).map_err(|(r, d)| Error::BadName(r, d))?;
        let buffer = cfg.packet_size.min(MAX_PIPE_BUFFER);
        let first = Pipe::listen(&wide(&name), buffer).map_err(|f| Error::Pipe(f, false))?;
        let l = Listener {
            name: wide(&name),
            buffer,
            cfg: *cfg,
            counter: Arc::new(SessionCounter::new()),
            next: Mutex::new(Some(first)),
            closed: AtomicBool::new(false),
        };
        Ok((l, name))
    }

    /// A connected client (no handshake yet); None once closed.
    pub fn accept(&self, deadline: Option<Duration>) -> Result<Option<Session>, Error> {
        let taken = self.next.lock().unwrap().take();
        let cur = match taken {
            Some(p) => p,
            None => Pipe::listen(&self.name, self.buffer).map_err(|f| Error::Pipe(f, false))?,
        };
        // the next instance exists before this accept completes (NP-18)
        if !self.closed.load(Ordering::SeqCst) {
            *self.next.lock().unwrap() = Pipe::listen(&self.name, self.buffer).ok();
        }
        match cur.accept(deadline, &self.closed) {
            Ok(()) => Ok(Some(Session::new(
                cur,
                Some((self.cfg, self.counter.clone())),
            ))),
            Err(Fail::Stopped) => Ok(None),
            Err(f) => Err(Error::Pipe(f, false)),
        }
    }

    /// Close the waiting instance; a pending accept returns None.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        drop(self.next.lock().unwrap().take());
    }
}

/// The receiving direction: reassembly state and a buffer of one packet.
struct Rx {
    reasm: Reassembler,
    buf: Vec<u8>,
}

pub struct Session {
    pipe: Pipe,
    /// Server sessions: the configuration and session_id source.
    server: Option<(Config, Arc<SessionCounter>)>,
    ack: HelloAck,
    rx: Mutex<Rx>,
    /// Client sessions: the message_ids sent and not yet answered (WE-10).
    in_flight: Mutex<HashSet<u64>>,
}

impl Session {
    fn new(pipe: Pipe, server: Option<(Config, Arc<SessionCounter>)>) -> Session {
        let none = Limits {
            packet_size: 0,
            max_payload: 0,
            max_items: 0,
        };
        Session {
            pipe,
            server,
            ack: HelloAck::default(),
            rx: Mutex::new(Rx {
                reasm: Reassembler::new(none),
                buf: Vec::new(),
            }),
            in_flight: Mutex::new(HashSet::new()),
        }
    }

    pub fn ack(&self) -> &HelloAck {
        &self.ack
    }

    /// After the handshake: receive under the limits of `ack` for our side.
    fn agree(&mut self, ack: HelloAck) {
        let (max_payload, max_items) = if self.server.is_some() {
            (
                ack.agreed_max_request_payload_bytes,
                ack.agreed_max_request_batch_items,
            )
        } else {
            (
                ack.agreed_max_response_payload_bytes,
                ack.agreed_max_response_batch_items,
            )
        };
        let limits = Limits {
            packet_size: ack.agreed_packet_size,
            max_payload,
            max_items,
        };
        let cap = (HEADER_LEN as u64 + max_payload as u64).min(limits.packet_size as u64);
        self.rx = Mutex::new(Rx {
            reasm: Reassembler::new(limits),
            buf: vec![0u8; cap as usize],
        });
        self.ack = ack;
    }

    /// Server: read the HELLO, decide (wire-envelope.md 4.3), answer. The
    /// answer is None when no HELLO arrived.
    pub fn handshake(&mut self, deadline: Duration) -> (Option<Answer>, Result<(), Error>) {
        let (cfg, counter) = self.server.clone().expect("a server session");
        let mut buf = vec![0u8; 4096];
        let parsed = match self.pipe.read(&mut buf, deadline) {
            Ok(n) => parse_hello(&buf[..n]),
            Err(Fail::TooBig { len }) => {
                let d = expected("HELLO packet length", 76, len);
                Err((0, broke(Rule::hello_bad_payload_len, d)))
            }
            Err(f) => return (None, Err(Error::Pipe(f, false))),
        };
        let (status, rule, ack, id, malformed) = match parsed {
            Ok((id, hello)) => {
                let d = decide(&cfg, &hello, &counter);
                let v = d.rule.map(|r| broke(r, String::new()));
                (d.status, v, d.ack, id, false)
            }
            Err((id, v)) => {
                let ack = rejection_ack(cfg.supported_profiles & BASELINE);
                (STATUS_BAD_ENVELOPE, Some(v), ack, id, true)
            }
        };
        let reply = control(CODE_HELLO_ACK, status, id, &ack.encode());
        let sent = self.pipe.write(&reply, deadline);
        let result = match (&sent, &rule) {
            (Err(f), _) => Err(Error::Pipe(f.clone(), false)),
            (_, Some(v)) if malformed => Err(Error::Broke(v.clone(), false)),
            (_, Some(v)) => Err(Error::Refused(v.clone())),
            (_, None) => {
                self.agree(ack);
                Ok(())
            }
        };
        (Some(Answer { status, ack, rule }), result)
    }

    /// Client: connect and handshake; an SHM selection this transport cannot
    /// attach closes the session and reconnects once with no SHM bits (NP-11).
    pub fn connect(
        cfg: &Config,
        run_dir: &str,
        service: &str,
        deadline: Duration,
        observe: &mut dyn FnMut(Step),
    ) -> Result<Session, Error> {
        let name = pipe_name(run_dir, service).map_err(|(r, d)| Error::BadName(r, d))?;
        let mut hello = cfg.hello();
        for attempt in 0..2 {
            let pipe = Pipe::connect(&name, deadline).map_err(|f| Error::Pipe(f, false))?;
            let ack = hello_exchange(&pipe, &hello, deadline, observe)?;
            if ack.selected_profile == BASELINE {
                let mut s = Session::new(pipe, None);
                s.agree(ack);
                return Ok(s);
            }
            if attempt == 1 {
                let d = expected("selected_profile after reconnect", 1, ack.selected_profile);
                return Err(Error::Broke(broke(Rule::ack_profile_not_offered, d), false));
            }
            observe(Step::NoShm(ack.session_id));
            drop(pipe);
            hello.supported_profiles &= BASELINE;
            hello.preferred_profiles &= BASELINE;
            observe(Step::Again(hello));
        }
        unreachable!()
    }

    /// One whole message, chunked to the agreed packet size. A client never
    /// sends a request above the agreed request limits (NP-9).
    pub fn send(&self, h: &Header, payload: &[u8], deadline: Duration) -> Result<(), Error> {
        if self.server.is_none() {
            self.fits(h).map_err(Error::OverLimit)?;
            self.in_flight.lock().unwrap().insert(h.message_id);
        }
        for p in split(h, payload, self.ack.agreed_packet_size) {
            self.pipe
                .write(&p, deadline)
                .map_err(|f| Error::Pipe(f, false))?;
        }
        Ok(())
    }

    fn fits(&self, h: &Header) -> Result<(), Violation> {
        let a = &self.ack;
        if h.payload_len > a.agreed_max_request_payload_bytes {
            let want = format!("<= {}", a.agreed_max_request_payload_bytes);
            let d = expected("request payload_len", want, h.payload_len);
            return Err(broke(Rule::payload_over_limit, d));
        }
        if h.item_count > a.agreed_max_request_batch_items {
            let want = format!("<= {}", a.agreed_max_request_batch_items);
            let d = expected("request item_count", want, h.item_count);
            return Err(broke(Rule::item_count_over_limit, d));
        }
        Ok(())
    }

    /// One whole message, reassembled and checked.
    pub fn receive(&self, deadline: Duration) -> Result<Message, Error> {
        let mut rx = self.rx.lock().unwrap();
        let Rx { reasm, buf } = &mut *rx;
        loop {
            let mid = reasm.mid_message();
            let n = match self.pipe.read(buf, deadline) {
                Ok(n) => n,
                Err(Fail::TooBig { len }) => {
                    return Err(Error::Broke(oversized(buf, len, &reasm.limits()), mid))
                }
                Err(f) => return Err(Error::Pipe(f, mid)),
            };
            if let Some(m) = reasm.feed(&buf[..n]).map_err(|v| Error::Broke(v, false))? {
                self.check(&m).map_err(|v| Error::Broke(v, false))?;
                return Ok(m);
            }
        }
    }

    /// What a message must be on this side (WE-1, WE-2, WE-10).
    fn check(&self, m: &Message) -> Result<(), Violation> {
        let h = &m.header;
        let want = if self.server.is_some() {
            KIND_REQUEST
        } else {
            KIND_RESPONSE
        };
        if h.kind != want {
            let d = expected("kind after the handshake", want, h.kind);
            return Err(broke(Rule::bad_kind, d));
        }
        if self.server.is_some() {
            if h.flags & FLAG_BATCH != 0 {
                check_batch(&m.payload, h.item_count)?;
            }
        } else if !self.in_flight.lock().unwrap().remove(&h.message_id) {
            let d = format!("message_id {} is not a request in flight", h.message_id);
            return Err(broke(Rule::unknown_message_id, d));
        }
        Ok(())
    }
}

/// Header and payload as one packet (HELLO, HELLO_ACK).
fn control(code: u16, status: u16, id: u64, body: &[u8]) -> Vec<u8> {
    let h = Header {
        kind: KIND_CONTROL,
        flags: 0,
        code,
        status,
        payload_len: body.len() as u32,
        item_count: 1,
        message_id: id,
    };
    let mut msg = h.encode().to_vec();
    msg.extend_from_slice(body);
    msg
}

/// One HELLO / HELLO_ACK exchange on a connected client pipe.
fn hello_exchange(
    pipe: &Pipe,
    hello: &Hello,
    deadline: Duration,
    observe: &mut dyn FnMut(Step),
) -> Result<HelloAck, Error> {
    let msg = control(CODE_HELLO, STATUS_OK, 0, &hello.encode());
    pipe.write(&msg, deadline)
        .map_err(|f| Error::Pipe(f, false))?;
    let mut buf = vec![0u8; 4096];
    let n = match pipe.read(&mut buf, deadline) {
        Ok(n) => n,
        Err(Fail::TooBig { len }) => {
            let d = expected("HELLO_ACK packet length", 80, len);
            return Err(Error::Broke(
                broke(Rule::hello_ack_bad_payload_len, d),
                false,
            ));
        }
        Err(f) => return Err(Error::Pipe(f, false)),
    };
    let (status, ack) = parse_ack(&buf[..n]).map_err(|v| Error::Broke(v, false))?;
    let (rule, error) = if status != STATUS_OK {
        let d = expected("transport_status", "OK", status_name(status));
        let v = broke(Rule::ack_rejected, d);
        (Some(v.clone()), Some(Error::Refused(v)))
    } else if let Err(v) = check_ack(hello, &ack) {
        (Some(v.clone()), Some(Error::Broke(v, false)))
    } else {
        (None, None)
    };
    observe(Step::Answered(Answer { status, ack, rule }));
    match error {
        Some(e) => Err(e),
        None => Ok(ack),
    }
}

/// Check that the first packet is a HELLO and return its id and body.
fn parse_hello(pkt: &[u8]) -> Result<(u64, Hello), (u64, Violation)> {
    let h = Header::decode(pkt).map_err(|v| (0, v))?;
    let id = h.message_id;
    if h.kind != KIND_CONTROL {
        let v = broke(Rule::control_wrong_kind, expected("kind", 3, h.kind));
        return Err((id, v));
    }
    if h.code != CODE_HELLO {
        let v = broke(Rule::control_wrong_code, expected("code", 1, h.code));
        return Err((id, v));
    }
    if h.payload_len as usize != HELLO_LEN || pkt.len() != HEADER_LEN + HELLO_LEN {
        let got = format!("{} / {}", h.payload_len, pkt.len());
        let d = expected("HELLO payload_len / packet", "44 / 76", got);
        return Err((id, broke(Rule::hello_bad_payload_len, d)));
    }
    Ok((id, Hello::decode(&pkt[HEADER_LEN..])))
}

/// Check a HELLO_ACK packet and return its status and body.
fn parse_ack(pkt: &[u8]) -> Result<(u16, HelloAck), Violation> {
    let h = Header::decode(pkt)?;
    if h.kind != KIND_CONTROL {
        return Err(broke(Rule::control_wrong_kind, expected("kind", 3, h.kind)));
    }
    if h.code != CODE_HELLO_ACK {
        return Err(broke(Rule::control_wrong_code, expected("code", 2, h.code)));
    }
    if h.payload_len as usize != ACK_LEN || pkt.len() != HEADER_LEN + ACK_LEN {
        let got = format!("{} / {}", h.payload_len, pkt.len());
        let d = expected("HELLO_ACK payload_len / packet", "48 / 80", got);
        return Err(broke(Rule::hello_ack_bad_payload_len, d));
    }
    Ok((h.status, HelloAck::decode(&pkt[HEADER_LEN..])))
}

/// Which rule a packet longer than our buffer broke.
fn oversized(head: &[u8], len: usize, l: &Limits) -> Violation {
    if len > l.packet_size as usize {
        let want = format!("<= {}", l.packet_size);
        return broke(Rule::packet_over_size, expected("packet length", want, len));
    }
    match Header::decode(head) {
        Err(v) => v,
        Ok(h) if h.payload_len > l.max_payload => {
            let want = format!("<= {}", l.max_payload);
            broke(
                Rule::payload_over_limit,
                expected("payload_len", want, h.payload_len),
            )
        }
        Ok(h) => {
            let want = HEADER_LEN as u64 + h.payload_len as u64;
            broke(
                Rule::message_length_mismatch,
                expected("packet length", want, len),
            )
        }
    }
}
