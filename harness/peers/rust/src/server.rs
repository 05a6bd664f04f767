//! The echo server: one thread per session, a spare pipe instance always
//! listening before the current accept completes (NP-18).

use crate::args::Options;
use crate::chunk::{split, Limits, Message, Reassembler};
use crate::events::{line, End, Event};
use crate::handshake::{decide, rejection_ack, SessionCounter, BASELINE};
use crate::pipe::{Fail, Pipe};
use crate::rules::{broke, expected, Rule, Violation};
use crate::wire::*;
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

/// Pipe buffers hold one agreed packet (NP-13); capped to stay allocatable.
const MAX_PIPE_BUFFER: u32 = 64 << 20;

struct SessionEnd {
    end: End,
    clean: bool,
}

pub fn run(o: &Options, pipe_name: &str) -> i32 {
    let wname = crate::win::wide(pipe_name);
    let buffer = o.cfg.packet_size.min(MAX_PIPE_BUFFER);
    let mut current = match Pipe::listen(&wname, buffer) {
        Ok(p) => Some(p),
        Err(f) => {
            let end = End::from_fail(&f);
            end.add_to(
                Event::new("close")
                    .str("role", "server")
                    .num("session_id", 0),
            )
            .emit();
            return end.exit_code();
        }
    };
    if o.minimal {
        line("READY");
    } else {
        Event::new("ready")
            .str("pipe_name", pipe_name)
            .str("run_dir", &o.run_dir)
            .str("service", &o.service)
            .emit();
    }
    let stop = Arc::new(AtomicBool::new(false));
    if o.serve_forever {
        let s = stop.clone();
        thread::spawn(move || {
            let stdin = std::io::stdin();
            for l in stdin.lock().lines() {
                match l {
                    Ok(t) if !t.starts_with("quit") => continue,
                    _ => break,
                }
            }
            s.store(true, Ordering::SeqCst);
        });
    }
    let counter = Arc::new(SessionCounter::new());
    let mut workers = Vec::new();
    let mut accept_end: Option<End> = None;
    let mut accepted: u64 = 0;
    while o.serve_forever || accepted < o.sessions {
        let cur = match current.take() {
            Some(p) => p,
            None => match Pipe::listen(&wname, buffer) {
                Ok(p) => p,
                Err(f) => {
                    accept_end = Some(End::from_fail(&f));
                    break;
                }
            },
        };
        // the next instance exists before this accept completes
        let need_spare = o.serve_forever || accepted + 1 < o.sessions;
        let spare = if need_spare {
            Pipe::listen(&wname, buffer).ok()
        } else {
            None
        };
        let deadline = if o.serve_forever {
            None
        } else {
            Some(o.deadline)
        };
        match cur.accept(deadline, &stop) {
            Ok(()) => {
                accepted += 1;
                let (opts, counter, conn) = (o.clone(), counter.clone(), accepted);
                workers.push(thread::spawn(move || serve(conn, cur, &opts, &counter)));
            }
            Err(Fail::Stopped) => break,
            Err(f) => {
                accept_end = Some(End::from_fail(&f));
                break;
            }
        }
        current = spare;
    }
    drop(current);
    let mut code = 0;
    let (mut sessions, mut clean) = (0u64, 0u64);
    for w in workers {
        sessions += 1;
        let s = w.join().unwrap_or(SessionEnd {
            end: End::closed("session thread panicked"),
            clean: false,
        });
        if s.clean {
            clean += 1;
        } else if code == 0 {
            code = s.end.exit_code().max(1);
        }
    }
    if code == 0 {
        if let Some(end) = &accept_end {
            end.add_to(
                Event::new("close")
                    .str("role", "server")
                    .num("connection", accepted + 1)
                    .num("session_id", 0),
            )
            .emit();
            code = end.exit_code();
        }
    }
    Event::new("stats")
        .str("role", "server")
        .num("sessions", sessions)
        .num("clean_sessions", clean)
        .emit();
    code
}

/// Check that the first packet is a HELLO and return its header and body.
fn parse_hello(pkt: &[u8]) -> Result<(Header, Hello), (u64, Violation)> {
    let h = Header::decode(pkt).map_err(|v| (0, v))?;
    let id = h.message_id;
    if h.kind != KIND_CONTROL {
        return Err((
            id,
            broke(Rule::control_wrong_kind, expected("kind", 3, h.kind)),
        ));
    }
    if h.code != CODE_HELLO {
        return Err((
            id,
            broke(Rule::control_wrong_code, expected("code", 1, h.code)),
        ));
    }
    if h.payload_len as usize != HELLO_LEN || pkt.len() != HEADER_LEN + HELLO_LEN {
        return Err((
            id,
            broke(
                Rule::hello_bad_payload_len,
                expected(
                    "HELLO payload_len / packet",
                    "44 / 76",
                    format!("{} / {}", h.payload_len, pkt.len()),
                ),
            ),
        ));
    }
    Ok((h, Hello::decode(&pkt[HEADER_LEN..])))
}

fn serve(conn: u64, pipe: Pipe, o: &Options, counter: &SessionCounter) -> SessionEnd {
    let close = |session_id: u64, echoed: u64, mid: bool, end: End, clean: bool| {
        end.add_to(
            Event::new("close")
                .str("role", "server")
                .num("connection", conn)
                .num("session_id", session_id)
                .num("echoed", echoed)
                .flag("mid_message", mid),
        )
        .emit();
        SessionEnd { end, clean }
    };
    let mut buf = vec![0u8; 4096];
    let first = match pipe.read(&mut buf, o.deadline) {
        Ok(n) => Ok(&buf[..n]),
        Err(Fail::TooBig { len }) => Err(len),
        Err(f) => {
            let end = End::from_fail(&f);
            let clean = end.reason == "disconnected";
            return close(0, 0, false, end, clean);
        }
    };
    let parsed = match first {
        Ok(pkt) => parse_hello(pkt),
        Err(len) => Err((
            0,
            broke(
                Rule::hello_bad_payload_len,
                expected("HELLO packet length", 76, len),
            ),
        )),
    };
    let (status, rule, ack, id, malformed) = match &parsed {
        Ok((h, hello)) => {
            let d = decide(&o.cfg, hello, counter);
            let v = d.rule.map(|r| broke(r, String::new()));
            (d.status, v, d.ack, h.message_id, false)
        }
        Err((id, v)) => (
            STATUS_BAD_ENVELOPE,
            Some(v.clone()),
            rejection_ack(o.cfg.supported_profiles & BASELINE),
            *id,
            true,
        ),
    };
    let reply = Header {
        kind: KIND_CONTROL,
        flags: 0,
        code: CODE_HELLO_ACK,
        status,
        payload_len: ACK_LEN as u32,
        item_count: 1,
        message_id: id,
    };
    let mut msg = reply.encode().to_vec();
    msg.extend_from_slice(&ack.encode());
    let sent = pipe.write(&msg, o.deadline);
    let mut ev = Event::new("handshake")
        .str("role", "server")
        .num("connection", conn)
        .str("status", &status_name(status))
        .flag("hello_malformed", malformed)
        .raw("ack", &ack.json());
    if let Some(v) = &rule {
        ev = ev.str("rule", v.rule.name()).str("detail", &v.detail);
    }
    ev.emit();
    if let Err(f) = sent {
        return close(ack.session_id, 0, false, End::from_fail(&f), false);
    }
    if status != STATUS_OK {
        let v = rule.unwrap();
        let end = if malformed {
            End::protocol(v)
        } else {
            End::rejected(v)
        };
        return close(0, 0, false, end, false);
    }
    let limits = Limits {
        packet_size: ack.agreed_packet_size,
        max_payload: ack.agreed_max_request_payload_bytes,
        max_items: ack.agreed_max_request_batch_items,
    };
    let cap = (HEADER_LEN as u64 + limits.max_payload as u64).min(limits.packet_size as u64);
    let mut buf = vec![0u8; cap as usize];
    let mut reasm = Reassembler::new(limits);
    let mut echoed = 0u64;
    loop {
        let n = match pipe.read(&mut buf, o.deadline) {
            Ok(n) => n,
            Err(Fail::TooBig { len }) => {
                let v = oversized(&buf, len, &limits);
                return close(
                    ack.session_id,
                    echoed,
                    reasm.mid_message(),
                    End::protocol(v),
                    false,
                );
            }
            Err(f) => {
                let end = End::from_fail(&f);
                let mid = reasm.mid_message();
                let clean = end.reason == "disconnected" && !mid;
                return close(ack.session_id, echoed, mid, end, clean);
            }
        };
        let msg = match reasm.feed(&buf[..n]) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(v) => return close(ack.session_id, echoed, false, End::protocol(v), false),
        };
        if let Err(v) = check_request(&msg) {
            return close(ack.session_id, echoed, false, End::protocol(v), false);
        }
        let (h, payload) = response_to(&msg, ack.agreed_max_response_payload_bytes);
        for p in split(&h, payload, ack.agreed_packet_size) {
            if let Err(f) = pipe.write(&p, o.deadline) {
                return close(ack.session_id, echoed, false, End::from_fail(&f), false);
            }
        }
        echoed += 1;
    }
}

/// Which rule a packet longer than our buffer broke.
fn oversized(head: &[u8], len: usize, l: &Limits) -> Violation {
    if len > l.packet_size as usize {
        return broke(
            Rule::packet_over_size,
            expected("packet length", format!("<= {}", l.packet_size), len),
        );
    }
    match Header::decode(head) {
        Err(v) => v,
        Ok(h) if h.payload_len > l.max_payload => broke(
            Rule::payload_over_limit,
            expected(
                "payload_len",
                format!("<= {}", l.max_payload),
                h.payload_len,
            ),
        ),
        Ok(h) => broke(
            Rule::message_length_mismatch,
            expected(
                "packet length",
                HEADER_LEN as u64 + h.payload_len as u64,
                len,
            ),
        ),
    }
}

fn check_request(m: &Message) -> Result<(), Violation> {
    if m.header.kind != KIND_REQUEST {
        return Err(broke(
            Rule::bad_kind,
            expected("kind after the handshake", "1 (REQUEST)", m.header.kind),
        ));
    }
    if m.header.flags & FLAG_BATCH != 0 {
        check_batch(&m.payload, m.header.item_count)?;
    }
    Ok(())
}

/// The echo; a payload above the agreed response limit cannot be echoed and
/// is answered LIMIT_EXCEEDED with no payload.
fn response_to(m: &Message, max_response: u32) -> (Header, &[u8]) {
    let mut h = Header {
        kind: KIND_RESPONSE,
        flags: 0,
        code: m.header.code,
        status: STATUS_OK,
        payload_len: 0,
        item_count: 1,
        message_id: m.header.message_id,
    };
    if m.payload.len() > max_response as usize {
        h.status = STATUS_LIMIT_EXCEEDED;
        return (h, &[]);
    }
    h.flags = m.header.flags;
    h.item_count = m.header.item_count;
    h.payload_len = m.payload.len() as u32;
    (h, &m.payload)
}
