//! The echo client: handshake (with the NP-11 reconnect when an SHM profile
//! is selected), then requests with up to `pipeline` in flight, a writer
//! thread beside the reading thread so neither direction can stall the other.

use crate::args::Options;
use crate::chunk::{split, Limits, Message, Reassembler};
use crate::events::{line, End, Event};
use crate::handshake::{check_ack, BASELINE};
use crate::pipe::{Fail, Pipe};
use crate::rules::{broke, expected, Rule, Violation};
use crate::wire::*;
use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Instant;

const METHOD: u16 = 1;

struct Tally {
    ok: u64,
    bad: u64,
    session_id: u64,
    last_bad: String,
}

pub fn run(o: &Options, pipe_name: &str) -> i32 {
    let start = Instant::now();
    let mut t = Tally {
        ok: 0,
        bad: 0,
        session_id: 0,
        last_bad: String::new(),
    };
    let end = match connect(o, pipe_name) {
        Ok((pipe, ack)) => {
            t.session_id = ack.session_id;
            match plan_fits(o, &ack) {
                Ok(()) => echoes(o, pipe, &ack, &mut t),
                Err(end) => end,
            }
        }
        Err(end) => end,
    };
    let secs = start.elapsed().as_secs_f64();
    end.add_to(
        Event::new("close")
            .str("role", "client")
            .num("session_id", t.session_id),
    )
    .emit();
    Event::new("stats")
        .str("role", "client")
        .num("messages", o.messages)
        .num("echoes_ok", t.ok)
        .num("echoes_bad", t.bad)
        .float("seconds", secs)
        .float(
            "round_trips_per_second",
            if secs > 0.0 { t.ok as f64 / secs } else { 0.0 },
        )
        .emit();
    let code = if end.reason == "closed" && t.bad == 0 {
        0
    } else if t.bad > 0 && end.reason == "closed" {
        5
    } else {
        end.exit_code()
    };
    if o.minimal {
        if code == 0 {
            line("PASS");
        } else if t.bad > 0 && end.reason == "closed" {
            line(&format!("FAIL {}", t.last_bad));
        } else {
            line(&format!("FAIL {}", end.detail));
        }
    }
    code
}

/// Connect and handshake; an SHM selection this peer cannot attach closes
/// the session and reconnects once with no SHM bits (NP-11).
fn connect(o: &Options, pipe_name: &str) -> Result<(Pipe, HelloAck), End> {
    let mut hello = o.cfg.hello();
    for attempt in 0..2 {
        let pipe = Pipe::connect(pipe_name, o.deadline).map_err(|f| End::from_fail(&f))?;
        let ack = handshake(o, &pipe, &hello)?;
        if ack.selected_profile == BASELINE || attempt == 1 {
            if ack.selected_profile != BASELINE {
                return Err(End::protocol(broke(
                    Rule::ack_profile_not_offered,
                    expected("selected_profile after reconnect", 1, ack.selected_profile),
                )));
            }
            return Ok((pipe, ack));
        }
        Event::new("shm")
            .num("session_id", ack.session_id)
            .str("mapping", "")
            .str("req_event", "")
            .str("resp_event", "")
            .flag("attached", false)
            .str("detail", "this peer implements the baseline profile only")
            .emit();
        drop(pipe);
        hello.supported_profiles &= BASELINE;
        hello.preferred_profiles &= BASELINE;
        let h = format!(
            "{{\"supported_profiles\":{},\"preferred_profiles\":{},\"max_request_payload_bytes\":{},\
             \"max_request_batch_items\":{},\"max_response_payload_bytes\":{},\
             \"max_response_batch_items\":{},\"auth_token\":{},\"packet_size\":{}}}",
            hello.supported_profiles,
            hello.preferred_profiles,
            hello.max_request_payload_bytes,
            hello.max_request_batch_items,
            hello.max_response_payload_bytes,
            hello.max_response_batch_items,
            hello.auth_token,
            hello.packet_size
        );
        Event::new("reconnecting").raw("hello", &h).emit();
    }
    unreachable!()
}

fn handshake_event(status: u16, accepted: bool, ack: &HelloAck, v: Option<&Violation>) {
    let mut e = Event::new("handshake")
        .str("role", "client")
        .str("status", &status_name(status))
        .flag("accepted", accepted)
        .raw("ack", &ack.json());
    if let Some(v) = v {
        e = e.str("rule", v.rule.name()).str("detail", &v.detail);
    }
    e.emit();
}

fn handshake(o: &Options, pipe: &Pipe, hello: &Hello) -> Result<HelloAck, End> {
    let body = hello.encode();
    let head = Header {
        kind: KIND_CONTROL,
        flags: 0,
        code: CODE_HELLO,
        status: STATUS_OK,
        payload_len: body.len() as u32,
        item_count: 1,
        message_id: 0,
    };
    let mut msg = head.encode().to_vec();
    msg.extend_from_slice(&body);
    pipe.write(&msg, o.deadline)
        .map_err(|f| End::from_fail(&f))?;
    let mut buf = vec![0u8; 4096];
    let n = match pipe.read(&mut buf, o.deadline) {
        Ok(n) => n,
        Err(Fail::TooBig { len }) => {
            return Err(End::protocol(broke(
                Rule::hello_ack_bad_payload_len,
                expected("HELLO_ACK packet length", 80, len),
            )))
        }
        Err(f) => return Err(End::from_fail(&f)),
    };
    let pkt = &buf[..n];
    let h = Header::decode(pkt).map_err(End::protocol)?;
    if h.kind != KIND_CONTROL {
        return Err(End::protocol(broke(
            Rule::control_wrong_kind,
            expected("kind", 3, h.kind),
        )));
    }
    if h.code != CODE_HELLO_ACK {
        return Err(End::protocol(broke(
            Rule::control_wrong_code,
            expected("code", 2, h.code),
        )));
    }
    if h.payload_len as usize != ACK_LEN || n != HEADER_LEN + ACK_LEN {
        return Err(End::protocol(broke(
            Rule::hello_ack_bad_payload_len,
            expected(
                "HELLO_ACK payload_len / packet",
                "48 / 80",
                format!("{} / {}", h.payload_len, n),
            ),
        )));
    }
    let ack = HelloAck::decode(&pkt[HEADER_LEN..]);
    if h.status != STATUS_OK {
        let v = broke(
            Rule::ack_rejected,
            expected("transport_status", "OK", status_name(h.status)),
        );
        handshake_event(h.status, false, &ack, Some(&v));
        return Err(End::rejected(v));
    }
    if let Err(v) = check_ack(hello, &ack) {
        handshake_event(h.status, false, &ack, Some(&v));
        return Err(End::protocol(v));
    }
    handshake_event(h.status, true, &ack, None);
    Ok(ack)
}

/// Deterministic request payload for message `id` (batch items per item).
fn request(o: &Options, id: u64) -> (Header, Vec<u8>) {
    let fill = |seed: u64, n: usize| -> Vec<u8> {
        (0..n)
            .map(|i| (seed.wrapping_mul(131).wrapping_add(i as u64 * 7)) as u8)
            .collect()
    };
    let (flags, items, payload) = if o.batch > 0 {
        let parts: Vec<Vec<u8>> = (0..o.batch as u64)
            .map(|k| fill(id * 1000 + k, o.payload_size))
            .collect();
        (FLAG_BATCH, o.batch, encode_batch(&parts))
    } else {
        (0, 1, fill(id, o.payload_size))
    };
    let h = Header {
        kind: KIND_REQUEST,
        flags,
        code: METHOD,
        status: STATUS_OK,
        payload_len: payload.len() as u32,
        item_count: items,
        message_id: id,
    };
    (h, payload)
}

/// The client obeys the ACK (NP-9): requests above the agreed request
/// limits are never sent; the session ends refused instead.
fn plan_fits(o: &Options, ack: &HelloAck) -> Result<(), End> {
    let (h, _) = request(o, 1);
    let v = if o.messages == 0 {
        return Ok(());
    } else if h.payload_len > ack.agreed_max_request_payload_bytes {
        broke(
            Rule::payload_over_limit,
            expected(
                "request payload_len",
                format!("<= {}", ack.agreed_max_request_payload_bytes),
                h.payload_len,
            ),
        )
    } else if h.item_count > ack.agreed_max_request_batch_items {
        broke(
            Rule::item_count_over_limit,
            expected(
                "request item_count",
                format!("<= {}", ack.agreed_max_request_batch_items),
                h.item_count,
            ),
        )
    } else {
        return Ok(());
    };
    let mut end = End::rejected(v);
    end.detail = format!(
        "the agreed limits refuse this client's requests, none sent: {}",
        end.detail
    );
    Err(end)
}

struct Window {
    outstanding: HashSet<u64>,
    stop: bool,
    failure: Option<Fail>,
}

fn echoes(o: &Options, pipe: Pipe, ack: &HelloAck, t: &mut Tally) -> End {
    let pipe = Arc::new(pipe);
    let shared = Arc::new((
        Mutex::new(Window {
            outstanding: HashSet::new(),
            stop: false,
            failure: None,
        }),
        Condvar::new(),
    ));
    let writer = {
        let (pipe, shared, o) = (pipe.clone(), shared.clone(), o.clone());
        let packet = ack.agreed_packet_size;
        thread::spawn(move || {
            let (lock, cv) = &*shared;
            for id in 1..=o.messages {
                {
                    let mut w = lock.lock().unwrap();
                    while w.outstanding.len() >= o.pipeline && !w.stop {
                        w = cv.wait(w).unwrap();
                    }
                    if w.stop {
                        return;
                    }
                    w.outstanding.insert(id);
                }
                let (h, payload) = request(&o, id);
                for p in split(&h, &payload, packet) {
                    if let Err(f) = pipe.write(&p, o.deadline) {
                        let mut w = lock.lock().unwrap();
                        w.failure = Some(f);
                        w.stop = true;
                        return;
                    }
                }
            }
        })
    };
    let end = read_echoes(o, &pipe, ack, &shared, t);
    {
        let mut w = shared.0.lock().unwrap();
        w.stop = true;
        shared.1.notify_all();
    }
    let _ = writer.join();
    end
}

fn read_echoes(
    o: &Options,
    pipe: &Pipe,
    ack: &HelloAck,
    shared: &Arc<(Mutex<Window>, Condvar)>,
    t: &mut Tally,
) -> End {
    let limits = Limits {
        packet_size: ack.agreed_packet_size,
        max_payload: ack.agreed_max_response_payload_bytes,
        max_items: ack.agreed_max_response_batch_items,
    };
    let cap = (HEADER_LEN as u64 + limits.max_payload as u64).min(limits.packet_size as u64);
    let mut buf = vec![0u8; cap as usize];
    let mut reasm = Reassembler::new(limits);
    let mut received = 0u64;
    while received < o.messages {
        let n = match pipe.read(&mut buf, o.deadline) {
            Ok(n) => n,
            Err(Fail::TooBig { len }) => {
                return End::protocol(broke(
                    Rule::packet_over_size,
                    expected("packet length", format!("<= {}", cap), len),
                ))
            }
            Err(f) => {
                // a write failure seen first explains the ending better
                let wf = shared.0.lock().unwrap().failure.clone();
                return End::from_fail(&wf.unwrap_or(f));
            }
        };
        let msg = match reasm.feed(&buf[..n]) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(v) => return End::protocol(v),
        };
        if msg.header.kind != KIND_RESPONSE {
            return End::protocol(broke(
                Rule::bad_kind,
                expected("kind", "2 (RESPONSE)", msg.header.kind),
            ));
        }
        let id = msg.header.message_id;
        {
            let (lock, cv) = &**shared;
            let mut w = lock.lock().unwrap();
            if !w.outstanding.remove(&id) {
                return End::protocol(broke(
                    Rule::unknown_message_id,
                    format!("message_id {} is not a request in flight", id),
                ));
            }
            cv.notify_all();
        }
        received += 1;
        let verdict = verify(o, &msg);
        let mut e = Event::new("echo")
            .num("message_id", id)
            .num("payload_len", msg.header.payload_len)
            .flag("ok", verdict.is_ok());
        let bad = verdict.is_err();
        match verdict {
            Ok(()) => t.ok += 1,
            Err(d) => {
                t.bad += 1;
                e = e.str("detail", &d);
                t.last_bad = format!("message {}: {}", id, d);
            }
        }
        if !o.minimal && (o.echo_all || bad) {
            e.emit();
        }
    }
    End::closed("all echoes received")
}

/// Is `m` the echo of request `m.message_id`?
fn verify(o: &Options, m: &Message) -> Result<(), String> {
    let (h, payload) = request(o, m.header.message_id);
    if m.header.status != STATUS_OK {
        return Err(expected(
            "transport_status",
            "OK",
            status_name(m.header.status),
        ));
    }
    if m.header.code != h.code {
        return Err(expected("code", h.code, m.header.code));
    }
    if m.header.flags != h.flags {
        return Err(expected("flags", h.flags, m.header.flags));
    }
    if m.header.item_count != h.item_count {
        return Err(expected("item_count", h.item_count, m.header.item_count));
    }
    if m.payload.len() != payload.len() {
        return Err(expected("payload_len", payload.len(), m.payload.len()));
    }
    if let Some(i) = (0..payload.len()).find(|&i| payload[i] != m.payload[i]) {
        return Err(format!("payload differs first at byte {}", i));
    }
    Ok(())
}
