//! The echo server: one thread per session; accepting never waits for a
//! handshake, so a silent client holds up no one (NP-18).

use crate::args::Options;
use crate::events::{ending, handshake, line, with_cpu, Event};
use crate::{Adapter, Failure, Message, Reason};
use crate::{FLAG_BATCH, KIND_RESPONSE, STATUS_LIMIT_EXCEEDED, STATUS_OK};
use std::io::BufRead;
use std::sync::Arc;
use std::thread;

/// How one session ended; `clean` when the client left between messages.
struct SessionEnd {
    end: Failure,
    clean: bool,
}

pub fn run<A: Adapter>(adapter: Arc<A>, o: &Options) -> i32 {
    let listener = match adapter.listen(&o.cfg, &o.run_dir, &o.service) {
        Ok((l, name)) => {
            ready(o, &name);
            Arc::new(l)
        }
        Err(f) => {
            let e = Event::new("close").str("role", "server");
            ending(e.num("session_id", 0), &f).emit();
            return f.reason.exit_code();
        }
    };
    if o.serve_forever {
        let (a, l) = (adapter.clone(), listener.clone());
        thread::spawn(move || {
            wait_for_quit();
            a.close_listener(&l);
        });
    }
    let mut workers = Vec::new();
    let mut accept_end: Option<Failure> = None;
    let mut accepted: u64 = 0;
    let deadline = if o.serve_forever {
        None
    } else {
        Some(o.deadline)
    };
    while o.serve_forever || accepted < o.sessions {
        match adapter.accept(&listener, deadline) {
            Ok(Some(s)) => {
                accepted += 1;
                let (a, opts, conn) = (adapter.clone(), o.clone(), accepted);
                workers.push(thread::spawn(move || serve(&*a, conn, s, &opts)));
            }
            Ok(None) => break,
            Err(f) => {
                accept_end = Some(f);
                break;
            }
        }
    }
    let mut code = 0;
    let (mut sessions, mut clean) = (0u64, 0u64);
    // The listener (and the spare instance the library keeps, NP-18) lives
    // until the last session ends, as a server's does: closing it at the last
    // accept would be the kit's choice showing through as the library's.
    for w in workers {
        sessions += 1;
        let s = w.join().unwrap_or(SessionEnd {
            end: Failure::new(Reason::Win32Error, "session thread panicked"),
            clean: false,
        });
        if s.clean {
            clean += 1;
        } else if code == 0 {
            code = s.end.reason.exit_code().max(1);
        }
    }
    adapter.close_listener(&listener);
    if let Some(f) = accept_end.filter(|_| code == 0) {
        let e = Event::new("close").str("role", "server");
        let e = e.num("connection", accepted + 1).num("session_id", 0);
        ending(e, &f).emit();
        code = f.reason.exit_code();
    }
    let stats = Event::new("stats").str("role", "server");
    with_cpu(stats.num("sessions", sessions).num("clean_sessions", clean)).emit();
    code
}

fn ready(o: &Options, pipe_name: &str) {
    if o.minimal {
        line("READY");
    } else {
        Event::new("ready")
            .str("pipe_name", pipe_name)
            .str("run_dir", &o.run_dir)
            .str("service", &o.service)
            .emit();
    }
}

/// serve-forever ends on stdin's end of file or a line starting `quit`.
fn wait_for_quit() {
    let stdin = std::io::stdin();
    for l in stdin.lock().lines() {
        match l {
            Ok(t) if !t.starts_with("quit") => continue,
            _ => break,
        }
    }
}

fn serve<A: Adapter>(a: &A, conn: u64, mut s: A::Session, o: &Options) -> SessionEnd {
    let close = |session_id: u64, echoed: u64, end: Failure, clean: bool| {
        let e = Event::new("close").str("role", "server");
        let e = e.num("connection", conn).num("session_id", session_id);
        let e = e.num("echoed", echoed).flag("mid_message", end.mid_message);
        ending(e, &end).emit();
        SessionEnd { end, clean }
    };
    let (report, result) = a.handshake(&mut s, o.deadline);
    let mut session_id = 0;
    let mut max_response = 0;
    if let Some(h) = &report {
        let e = Event::new("handshake").str("role", "server");
        handshake(e.num("connection", conn), h, false).emit();
        if h.status == "OK" {
            session_id = h.ack.session_id;
            max_response = h.ack.agreed_max_response_payload_bytes;
        }
    }
    if let Err(f) = result {
        // a client that left before saying HELLO ended nothing badly
        let clean = report.is_none() && f.reason == Reason::Disconnected;
        a.close(s);
        return close(session_id, 0, f, clean);
    }
    let mut echoed = 0u64;
    let end = loop {
        let m = match a.receive(&s, o.deadline) {
            Ok(m) => m,
            Err(f) => {
                let clean = f.reason == Reason::Disconnected && !f.mid_message;
                a.close(s);
                return close(session_id, echoed, f, clean);
            }
        };
        if A::BATCHES && m.flags & FLAG_BATCH != 0 {
            if let Err(f) = a.batch_decode(&m.payload, m.item_count) {
                break f;
            }
        }
        if let Err(f) = a.send(&s, &response_to(m, max_response), o.deadline) {
            break f;
        }
        echoed += 1;
    };
    a.close(s);
    close(session_id, echoed, end, false)
}

/// The echo; a payload above the agreed response limit cannot be echoed and
/// is answered LIMIT_EXCEEDED with no payload (as the reference does).
pub(crate) fn response_to(m: Message, max_response: u32) -> Message {
    if m.payload.len() > max_response as usize {
        return Message {
            kind: KIND_RESPONSE,
            code: m.code,
            flags: 0,
            item_count: 1,
            message_id: m.message_id,
            transport_status: STATUS_LIMIT_EXCEEDED,
            payload: Vec::new(),
        };
    }
    Message {
        kind: KIND_RESPONSE,
        transport_status: STATUS_OK,
        ..m
    }
}
