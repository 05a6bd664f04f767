//! The Rust sample transport behind the peer kit (harness/kits/rust): each
//! kit call is one call into names, pipe, handshake, chunk and wire. All the
//! contract's work (names, handshake, chunking, batches, validation) is here.

use crate::chunk::{split, Limits, Reassembler};
use crate::handshake::{check_ack, decide, rejection_ack, SessionCounter, BASELINE};
use crate::pipe::{Fail, Pipe};
use crate::rules::{broke, expected, Rule, Violation};
use crate::wire::*;
use crate::{handshake, names, win};
use netipc_peer_kit::{
    Ack, Adapter, ClientEvent, Config, Failure, Handshake, Message, Reason, Shm,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Pipe buffers hold one agreed packet (NP-13); capped to stay allocatable.
const MAX_PIPE_BUFFER: u32 = 64 << 20;

pub struct Peer;

pub struct Listener {
    name: Vec<u16>,
    buffer: u32,
    cfg: handshake::Config,
    counter: Arc<SessionCounter>,
    /// The instance the next accept waits on, created beforehand (NP-18).
    next: Mutex<Option<Pipe>>,
    closed: AtomicBool,
}

/// The receiving direction: reassembly state and a buffer of one packet.
struct Rx {
    reasm: Reassembler,
    buf: Vec<u8>,
}

pub struct Session {
    pipe: Pipe,
    /// Server sessions: the configuration and session_id source.
    server: Option<(handshake::Config, Arc<SessionCounter>)>,
    ack: HelloAck,
    rx: Mutex<Rx>,
    /// Client sessions: the message_ids sent and not yet answered (WE-10).
    in_flight: Mutex<HashSet<u64>>,
}

impl Session {
    fn new(pipe: Pipe, server: Option<(handshake::Config, Arc<SessionCounter>)>) -> Session {
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
}

fn config(c: &Config) -> handshake::Config {
    handshake::Config {
        auth_token: c.auth_token,
        supported_profiles: c.supported_profiles,
        preferred_profiles: c.preferred_profiles,
        max_request_payload: c.max_request_payload_bytes,
        max_request_batch: c.max_request_batch_items,
        max_response_payload: c.max_response_payload_bytes,
        max_response_batch: c.max_response_batch_items,
        packet_size: c.packet_size,
    }
}

/// A pipe failure as the kit's close reason.
fn fail(f: Fail) -> Failure {
    match f {
        Fail::Disconnected { op, code } => {
            let d = format!("{}: {}", op, win::error_name(code));
            Failure::win32(Reason::Disconnected, code, d)
        }
        Fail::Timeout { op, code } => {
            let d = format!("{}: the deadline passed", op);
            Failure::win32(Reason::Timeout, code, d)
        }
        Fail::Win32 { op, code } => {
            let d = format!("{}: {}", op, win::error_name(code));
            Failure::win32(Reason::Win32Error, code, d)
        }
        Fail::TooBig { .. } | Fail::Stopped => Failure::win32(Reason::Win32Error, 0, "pipe"),
    }
}

/// A broken rule as a `protocol` (or `rejected`) ending.
fn violation(reason: Reason, v: &Violation) -> Failure {
    let d = format!("{}: {}", v.rule.name(), v.detail);
    Failure::rule(reason, v.rule.name(), v.rule.clause(), d)
}

fn protocol(v: Violation) -> Failure {
    violation(Reason::Protocol, &v)
}

fn ack_report(a: &HelloAck) -> Ack {
    Ack {
        layout_version: a.layout_version,
        flags: a.flags,
        server_supported_profiles: a.server_supported_profiles,
        intersection_profiles: a.intersection_profiles,
        selected_profile: a.selected_profile,
        agreed_max_request_payload_bytes: a.agreed_max_request_payload_bytes,
        agreed_max_request_batch_items: a.agreed_max_request_batch_items,
        agreed_max_response_payload_bytes: a.agreed_max_response_payload_bytes,
        agreed_max_response_batch_items: a.agreed_max_response_batch_items,
        agreed_packet_size: a.agreed_packet_size,
        padding: a.padding,
        session_id: a.session_id,
    }
}

fn report(status: u16, ack: &HelloAck, v: Option<&Violation>) -> Handshake {
    Handshake {
        status: status_name(status),
        accepted: status == STATUS_OK && v.is_none(),
        ack: ack_report(ack),
        rule: v.map(|v| v.rule.name().to_string()),
        detail: v.map_or(String::new(), |v| v.detail.clone()),
        shm: None,
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

/// Check a HELLO_ACK packet of `n` bytes and return its status and body.
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

impl Peer {
    /// One HELLO / HELLO_ACK exchange on a connected client pipe.
    fn hello(
        &self,
        pipe: &Pipe,
        hello: &Hello,
        deadline: Duration,
        report_to: &mut dyn FnMut(ClientEvent),
    ) -> Result<HelloAck, Failure> {
        let msg = control(CODE_HELLO, STATUS_OK, 0, &hello.encode());
        pipe.write(&msg, deadline).map_err(fail)?;
        let mut buf = vec![0u8; 4096];
        let n = match pipe.read(&mut buf, deadline) {
            Ok(n) => n,
            Err(Fail::TooBig { len }) => {
                let d = expected("HELLO_ACK packet length", 80, len);
                return Err(protocol(broke(Rule::hello_ack_bad_payload_len, d)));
            }
            Err(f) => return Err(fail(f)),
        };
        let (status, ack) = parse_ack(&buf[..n]).map_err(protocol)?;
        if status != STATUS_OK {
            let d = expected("transport_status", "OK", status_name(status));
            let v = broke(Rule::ack_rejected, d);
            report_to(ClientEvent::Handshake(report(status, &ack, Some(&v))));
            return Err(violation(Reason::Rejected, &v));
        }
        if let Err(v) = check_ack(hello, &ack) {
            report_to(ClientEvent::Handshake(report(status, &ack, Some(&v))));
            return Err(protocol(v));
        }
        report_to(ClientEvent::Handshake(report(status, &ack, None)));
        Ok(ack)
    }

    /// The client obeys the ACK (NP-9): a request above the agreed request
    /// limits is never sent; the session ends refused instead.
    fn fits(&self, s: &Session, m: &Message) -> Result<(), Failure> {
        let a = &s.ack;
        let v = if m.payload.len() as u64 > a.agreed_max_request_payload_bytes as u64 {
            let want = format!("<= {}", a.agreed_max_request_payload_bytes);
            let d = expected("request payload_len", want, m.payload.len());
            broke(Rule::payload_over_limit, d)
        } else if m.item_count > a.agreed_max_request_batch_items {
            let want = format!("<= {}", a.agreed_max_request_batch_items);
            let d = expected("request item_count", want, m.item_count);
            broke(Rule::item_count_over_limit, d)
        } else {
            return Ok(());
        };
        let mut f = violation(Reason::Rejected, &v);
        f.detail = format!(
            "the agreed limits refuse this client's requests, none sent: {}",
            f.detail
        );
        Err(f)
    }

    /// What a received message must be on this side (WE-1, WE-2, WE-10).
    fn check(&self, s: &Session, m: &Message) -> Result<(), Violation> {
        let want = if s.server.is_some() {
            KIND_REQUEST
        } else {
            KIND_RESPONSE
        };
        if m.kind != want {
            let d = expected("kind after the handshake", want, m.kind);
            return Err(broke(Rule::bad_kind, d));
        }
        if s.server.is_some() {
            if m.flags & FLAG_BATCH != 0 {
                check_batch(&m.payload, m.item_count)?;
            }
        } else if !s.in_flight.lock().unwrap().remove(&m.message_id) {
            let d = format!("message_id {} is not a request in flight", m.message_id);
            return Err(broke(Rule::unknown_message_id, d));
        }
        Ok(())
    }
}

impl Adapter for Peer {
    type Listener = Listener;
    type Session = Session;
    const BATCHES: bool = true;

    fn validate_service(&self, run_dir: &str, service: &str) -> Result<(), String> {
        names::pipe_name(run_dir, service)
            .map(|_| ())
            .map_err(|(rule, detail)| format!("{}: {}", rule, detail))
    }

    fn listen(
        &self,
        c: &Config,
        run_dir: &str,
        service: &str,
    ) -> Result<(Listener, String), Failure> {
        let name = names::pipe_name(run_dir, service)
            .map_err(|(r, d)| Failure::new(Reason::Win32Error, format!("{}: {}", r, d)))?;
        let wname = win::wide(&name);
        let buffer = c.packet_size.min(MAX_PIPE_BUFFER);
        let first = Pipe::listen(&wname, buffer).map_err(fail)?;
        let l = Listener {
            name: wname,
            buffer,
            cfg: config(c),
            counter: Arc::new(SessionCounter::new()),
            next: Mutex::new(Some(first)),
            closed: AtomicBool::new(false),
        };
        Ok((l, name))
    }

    fn accept(&self, l: &Listener, deadline: Option<Duration>) -> Result<Option<Session>, Failure> {
        let taken = l.next.lock().unwrap().take();
        let cur = match taken {
            Some(p) => p,
            None => Pipe::listen(&l.name, l.buffer).map_err(fail)?,
        };
        // the next instance exists before this accept completes (NP-18)
        if !l.closed.load(Ordering::SeqCst) {
            *l.next.lock().unwrap() = Pipe::listen(&l.name, l.buffer).ok();
        }
        match cur.accept(deadline, &l.closed) {
            Ok(()) => Ok(Some(Session::new(cur, Some((l.cfg, l.counter.clone()))))),
            Err(Fail::Stopped) => Ok(None),
            Err(f) => Err(fail(f)),
        }
    }

    fn close_listener(&self, l: &Listener) {
        l.closed.store(true, Ordering::SeqCst);
        drop(l.next.lock().unwrap().take());
    }

    fn handshake(
        &self,
        s: &mut Session,
        deadline: Duration,
    ) -> (Option<Handshake>, Result<(), Failure>) {
        let (cfg, counter) = s.server.clone().expect("a server session");
        let mut buf = vec![0u8; 4096];
        let parsed = match s.pipe.read(&mut buf, deadline) {
            Ok(n) => parse_hello(&buf[..n]),
            Err(Fail::TooBig { len }) => {
                let d = expected("HELLO packet length", 76, len);
                Err((0, broke(Rule::hello_bad_payload_len, d)))
            }
            Err(f) => return (None, Err(fail(f))),
        };
        let (status, rule, ack, id, malformed) = match parsed {
            Ok((id, hello)) => {
                let d = decide(&cfg, &hello, &counter);
                (
                    d.status,
                    d.rule.map(|r| broke(r, String::new())),
                    d.ack,
                    id,
                    false,
                )
            }
            Err((id, v)) => {
                let ack = rejection_ack(cfg.supported_profiles & BASELINE);
                (STATUS_BAD_ENVELOPE, Some(v), ack, id, true)
            }
        };
        let sent = s.pipe.write(
            &control(CODE_HELLO_ACK, status, id, &ack.encode()),
            deadline,
        );
        let r = report(status, &ack, rule.as_ref());
        if let Err(f) = sent {
            return (Some(r), Err(fail(f)));
        }
        let result = match rule {
            Some(v) if malformed => Err(protocol(v)),
            Some(v) => Err(violation(Reason::Rejected, &v)),
            None => {
                s.agree(ack);
                Ok(())
            }
        };
        (Some(r), result)
    }

    fn connect(
        &self,
        c: &Config,
        run_dir: &str,
        service: &str,
        deadline: Duration,
        report_to: &mut dyn FnMut(ClientEvent),
    ) -> Result<(Session, Ack), Failure> {
        let name = names::pipe_name(run_dir, service)
            .map_err(|(r, d)| Failure::new(Reason::Win32Error, format!("{}: {}", r, d)))?;
        let mut hello = config(c).hello();
        for attempt in 0..2 {
            let pipe = Pipe::connect(&name, deadline).map_err(fail)?;
            let ack = self.hello(&pipe, &hello, deadline, report_to)?;
            if ack.selected_profile == BASELINE {
                let mut s = Session::new(pipe, None);
                s.agree(ack);
                return Ok((s, ack_report(&ack)));
            }
            if attempt == 1 {
                let d = expected("selected_profile after reconnect", 1, ack.selected_profile);
                return Err(protocol(broke(Rule::ack_profile_not_offered, d)));
            }
            // NP-11: an SHM selection this transport cannot attach closes
            // the session and proposes again with no SHM bits
            report_to(ClientEvent::Shm {
                session_id: ack.session_id,
                shm: Shm::default(),
                detail: "this peer implements the baseline profile only".to_string(),
            });
            drop(pipe);
            hello.supported_profiles &= BASELINE;
            hello.preferred_profiles &= BASELINE;
            let again = Config {
                supported_profiles: hello.supported_profiles,
                preferred_profiles: hello.preferred_profiles,
                ..*c
            };
            report_to(ClientEvent::Reconnecting(again));
        }
        unreachable!()
    }

    fn send(&self, s: &Session, m: &Message, deadline: Duration) -> Result<(), Failure> {
        if s.server.is_none() {
            self.fits(s, m)?;
            s.in_flight.lock().unwrap().insert(m.message_id);
        }
        let h = Header {
            kind: m.kind,
            flags: m.flags,
            code: m.code,
            status: m.transport_status,
            payload_len: m.payload.len() as u32,
            item_count: m.item_count,
            message_id: m.message_id,
        };
        for p in split(&h, &m.payload, s.ack.agreed_packet_size) {
            s.pipe.write(&p, deadline).map_err(fail)?;
        }
        Ok(())
    }

    fn receive(&self, s: &Session, deadline: Duration) -> Result<Message, Failure> {
        let mut rx = s.rx.lock().unwrap();
        let Rx { reasm, buf } = &mut *rx;
        loop {
            let mid = reasm.mid_message();
            let n = match s.pipe.read(buf, deadline) {
                Ok(n) => n,
                Err(Fail::TooBig { len }) => {
                    let mut f = protocol(oversized(buf, len, &reasm.limits()));
                    f.mid_message = mid;
                    return Err(f);
                }
                Err(e) => {
                    let mut f = fail(e);
                    f.mid_message = mid;
                    return Err(f);
                }
            };
            let m = match reasm.feed(&buf[..n]).map_err(protocol)? {
                Some(m) => m,
                None => continue,
            };
            let h = m.header;
            let m = Message {
                kind: h.kind,
                code: h.code,
                flags: h.flags,
                item_count: h.item_count,
                message_id: h.message_id,
                transport_status: h.status,
                payload: m.payload,
            };
            self.check(s, &m).map_err(protocol)?;
            return Ok(m);
        }
    }

    fn batch_encode(&self, items: &[Vec<u8>]) -> Vec<u8> {
        encode_batch(items)
    }

    fn batch_decode(&self, payload: &[u8], count: u32) -> Result<Vec<Vec<u8>>, Failure> {
        decode_batch(payload, count).map_err(protocol)
    }
}
