//! The echo client: connect (the library handshakes), then requests with up
//! to `pipeline` in flight, a writer thread beside the reading thread so
//! neither direction can stall the other; answers are matched by
//! message_id (WE-9) and compared with what was sent.

use crate::args::Options;
use crate::events::{closed, ending, handshake, hello_json, line, percentiles, status_name};
use crate::events::{with_cpu, Event};
use crate::{Adapter, ClientEvent, Failure, Message, Reason};
use crate::{FLAG_BATCH, KIND_REQUEST, STATUS_OK};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::Instant;

/// The method code of every request.
const METHOD: u16 = 1;

#[derive(Default)]
struct Tally {
    ok: u64,
    bad: u64,
    last_bad: String,
    latencies_us: Vec<f64>,
}

pub fn run<A: Adapter>(a: &A, o: &Options) -> i32 {
    let start = Instant::now();
    let mut t = Tally::default();
    let mut session_id = 0;
    let connected = a.connect(&o.cfg, &o.run_dir, &o.service, o.deadline, &mut report);
    let end = match connected {
        Ok((s, ack)) => {
            session_id = ack.session_id;
            let end = echoes(a, o, &s, &mut t);
            a.close(s);
            end
        }
        Err(f) => f,
    };
    let secs = start.elapsed().as_secs_f64();
    let e = Event::new("close").str("role", "client");
    ending(e.num("session_id", session_id), &end).emit();
    let rate = if secs > 0.0 { t.ok as f64 / secs } else { 0.0 };
    let mut stats = Event::new("stats")
        .str("role", "client")
        .num("messages", o.messages)
        .num("echoes_ok", t.ok)
        .num("echoes_bad", t.bad)
        .float("seconds", secs)
        .float("round_trips_per_second", rate);
    if let Some([p50, p95, p99]) = percentiles(std::mem::take(&mut t.latencies_us)) {
        stats = stats.float("latency_p50_us", p50);
        stats = stats.float("latency_p95_us", p95);
        stats = stats.float("latency_p99_us", p99);
    }
    with_cpu(stats).emit();
    let code = match (end.reason, t.bad) {
        (Reason::Closed, 0) => 0,
        (Reason::Closed, _) => 5,
        (r, _) => r.exit_code(),
    };
    if o.minimal {
        match (code, end.reason) {
            (0, _) => line("PASS"),
            (_, Reason::Closed) => line(&format!("FAIL {}", t.last_bad)),
            _ => line(&format!("FAIL {}", end.detail)),
        }
    }
    code
}

/// Print what the library's connect reports, as it happens.
fn report(ev: ClientEvent) {
    match ev {
        ClientEvent::Handshake(h) => {
            handshake(Event::new("handshake").str("role", "client"), &h, true).emit()
        }
        ClientEvent::Shm {
            session_id,
            shm,
            detail,
        } => Event::new("shm")
            .num("session_id", session_id)
            .str("mapping", &shm.mapping)
            .str("req_event", &shm.req_event)
            .str("resp_event", &shm.resp_event)
            .flag("attached", shm.ready)
            .str("detail", &detail)
            .emit(),
        ClientEvent::Reconnecting(c) => Event::new("reconnecting")
            .raw("hello", &hello_json(&c))
            .emit(),
    }
}

/// Deterministic payload bytes for `seed`.
fn fill(seed: u64, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (seed.wrapping_mul(131).wrapping_add(i as u64 * 7)) as u8)
        .collect()
}

/// Request `id`: `--payload-size` bytes, or a batch of `--batch` items of
/// that size encoded by the library.
fn request<A: Adapter>(a: &A, o: &Options, id: u64) -> Message {
    let (flags, item_count, payload) = if o.batch > 0 {
        let items: Vec<Vec<u8>> = (0..o.batch as u64)
            .map(|k| fill(id * 1000 + k, o.payload_size))
            .collect();
        (FLAG_BATCH, o.batch, a.batch_encode(&items))
    } else {
        (0, 1, fill(id, o.payload_size))
    };
    Message {
        kind: KIND_REQUEST,
        code: METHOD,
        flags,
        item_count,
        message_id: id,
        transport_status: STATUS_OK,
        payload,
    }
}

/// Requests in flight (with the time each send started) and how the
/// writer ended. `sending` is the one being written: no answer to wait for.
struct Window {
    in_flight: HashMap<u64, Instant>,
    sending: Option<u64>,
    failure: Option<Failure>,
    stop: bool,
}

impl Window {
    /// Requests fully sent and not yet answered.
    fn awaiting(&self) -> usize {
        self.in_flight.len() - self.sending.is_some() as usize
    }
}

type Shared = (Mutex<Window>, Condvar);

fn echoes<A: Adapter>(a: &A, o: &Options, s: &A::Session, t: &mut Tally) -> Failure {
    let shared: Shared = (
        Mutex::new(Window {
            in_flight: HashMap::new(),
            sending: None,
            failure: None,
            stop: false,
        }),
        Condvar::new(),
    );
    thread::scope(|scope| {
        scope.spawn(|| write_requests(a, o, s, &shared));
        let end = read_echoes(a, o, s, &shared, t);
        shared.0.lock().unwrap().stop = true;
        shared.1.notify_all();
        end
    })
}

fn write_requests<A: Adapter>(a: &A, o: &Options, s: &A::Session, shared: &Shared) {
    let (lock, cv) = shared;
    for id in 1..=o.messages {
        let m = request(a, o, id);
        {
            let mut w = lock.lock().unwrap();
            while w.in_flight.len() >= o.pipeline && !w.stop {
                w = cv.wait(w).unwrap();
            }
            if w.stop {
                return;
            }
            w.in_flight.insert(id, Instant::now());
            w.sending = Some(id);
        }
        let sent = a.send(s, &m, o.deadline);
        let mut w = lock.lock().unwrap();
        w.sending = None;
        cv.notify_all();
        if let Err(f) = sent {
            w.in_flight.remove(&id);
            w.failure = Some(f);
            return;
        }
    }
}

fn read_echoes<A: Adapter>(
    a: &A,
    o: &Options,
    s: &A::Session,
    shared: &Shared,
    t: &mut Tally,
) -> Failure {
    let (lock, cv) = shared;
    let mut received = 0u64;
    while received < o.messages {
        {
            let mut w = lock.lock().unwrap();
            while w.awaiting() == 0 && w.failure.is_none() {
                w = cv.wait(w).unwrap();
            }
            if w.awaiting() == 0 {
                // the writer failed and every request it sent was answered
                return w.failure.clone().unwrap();
            }
        }
        let m = match a.receive(s, o.deadline) {
            Ok(m) => m,
            // a write failure seen first explains the ending better
            Err(f) => return lock.lock().unwrap().failure.clone().unwrap_or(f),
        };
        let sent_at = lock.lock().unwrap().in_flight.remove(&m.message_id);
        cv.notify_all();
        received += 1;
        let verdict = match sent_at {
            Some(at) => {
                t.latencies_us.push(at.elapsed().as_secs_f64() * 1e6);
                verify(&request(a, o, m.message_id), &m)
            }
            None => Err(format!(
                "message_id {} is not a request in flight",
                m.message_id
            )),
        };
        let bad = verdict.is_err();
        let mut e = Event::new("echo")
            .num("message_id", m.message_id)
            .num("payload_len", m.payload.len())
            .flag("ok", !bad);
        match verdict {
            Ok(()) => t.ok += 1,
            Err(d) => {
                t.bad += 1;
                t.last_bad = format!("message {}: {}", m.message_id, d);
                e = e.str("detail", &d);
            }
        }
        if !o.minimal && (o.echo_all || bad) {
            e.emit();
        }
    }
    closed("all echoes received")
}

fn expected<A: std::fmt::Display, B: std::fmt::Display>(field: &str, want: A, got: B) -> String {
    format!("{}: expected {}, got {}", field, want, got)
}

/// Is `m` the echo of request `want`?
fn verify(want: &Message, m: &Message) -> Result<(), String> {
    if m.transport_status != STATUS_OK {
        let got = status_name(m.transport_status);
        return Err(expected("transport_status", "OK", got));
    }
    if m.code != want.code {
        return Err(expected("code", want.code, m.code));
    }
    if m.flags != want.flags {
        return Err(expected("flags", want.flags, m.flags));
    }
    if m.item_count != want.item_count {
        return Err(expected("item_count", want.item_count, m.item_count));
    }
    if m.payload.len() != want.payload.len() {
        return Err(expected("payload_len", want.payload.len(), m.payload.len()));
    }
    match (0..m.payload.len()).find(|&i| want.payload[i] != m.payload[i]) {
        Some(i) => Err(format!("payload differs first at byte {}", i)),
        None => Ok(()),
    }
}
