//! The adapter between the Rust peer kit (harness/kits/rust) and this
//! peer's transport (session.rs): each kit call is one transport call, plus
//! the conversions of configs, messages, reports and errors.

use crate::chunk;
use crate::handshake;
use crate::names::pipe_name;
use crate::pipe::Fail;
use crate::rules::Violation;
use crate::session::{Answer, Error, Listener, Session, Step};
use crate::win::error_name;
use crate::wire::{decode_batch, encode_batch, status_name, Header, HelloAck};
use netipc_peer_kit::{
    Ack, Adapter, ClientEvent, Config, Failure, Handshake, Message, Reason, Shm,
};
use std::time::Duration;

pub struct Peer;

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

/// A broken rule as a `protocol` (or `rejected`) ending.
fn violation(reason: Reason, v: &Violation) -> Failure {
    let d = format!("{}: {}", v.rule.name(), v.detail);
    Failure::rule(reason, v.rule.name(), v.rule.clause(), d)
}

fn pipe_failure(f: &Fail) -> Failure {
    let (reason, op, code) = match *f {
        Fail::Disconnected { op, code } => (Reason::Disconnected, op, code),
        Fail::Timeout { op, code } => (Reason::Timeout, op, code),
        Fail::Win32 { op, code } => (Reason::Win32Error, op, code),
        Fail::TooBig { .. } | Fail::Stopped => (Reason::Win32Error, "pipe", 0),
    };
    let detail = match reason {
        Reason::Timeout => format!("{}: the deadline passed", op),
        _ => format!("{}: {}", op, error_name(code)),
    };
    Failure::win32(reason, code, detail)
}

/// Every transport error as one close reason.
fn failure(e: Error) -> Failure {
    let (mut f, mid) = match e {
        Error::BadName(rule, d) => (
            Failure::new(Reason::Win32Error, format!("{}: {}", rule, d)),
            false,
        ),
        Error::Pipe(f, mid) => (pipe_failure(&f), mid),
        Error::Broke(v, mid) => (violation(Reason::Protocol, &v), mid),
        Error::Refused(v) => (violation(Reason::Rejected, &v), false),
        Error::OverLimit(v) => {
            let mut f = violation(Reason::Rejected, &v);
            f.detail = format!(
                "the agreed limits refuse this client's requests, none sent: {}",
                f.detail
            );
            (f, false)
        }
    };
    f.mid_message = mid;
    f
}

fn ack(a: &HelloAck) -> Ack {
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

fn report(a: Answer) -> Handshake {
    Handshake {
        status: status_name(a.status),
        accepted: a.status == 0 && a.rule.is_none(),
        ack: ack(&a.ack),
        detail: a.rule.as_ref().map_or(String::new(), |v| v.detail.clone()),
        rule: a.rule.map(|v| v.rule.name().to_string()),
        shm: None,
    }
}

impl Adapter for Peer {
    type Listener = Listener;
    type Session = Session;
    const BATCHES: bool = true;

    fn validate_service(&self, run_dir: &str, service: &str) -> Result<(), String> {
        pipe_name(run_dir, service)
            .map(|_| ())
            .map_err(|(rule, detail)| format!("{}: {}", rule, detail))
    }

    fn listen(
        &self,
        c: &Config,
        run_dir: &str,
        service: &str,
    ) -> Result<(Listener, String), Failure> {
        Listener::listen(&config(c), run_dir, service).map_err(failure)
    }

    fn accept(&self, l: &Listener, deadline: Option<Duration>) -> Result<Option<Session>, Failure> {
        l.accept(deadline).map_err(failure)
    }

    fn close_listener(&self, l: &Listener) {
        l.close()
    }

    fn handshake(
        &self,
        s: &mut Session,
        deadline: Duration,
    ) -> (Option<Handshake>, Result<(), Failure>) {
        let (answer, result) = s.handshake(deadline);
        (answer.map(report), result.map_err(failure))
    }

    fn connect(
        &self,
        c: &Config,
        run_dir: &str,
        service: &str,
        deadline: Duration,
        report_to: &mut dyn FnMut(ClientEvent),
    ) -> Result<(Session, Ack), Failure> {
        let mut observe = |step: Step| {
            report_to(match step {
                Step::Answered(a) => ClientEvent::Handshake(report(a)),
                Step::NoShm(session_id) => ClientEvent::Shm {
                    session_id,
                    shm: Shm::default(),
                    detail: "this peer implements the baseline profile only".to_string(),
                },
                Step::Again(h) => ClientEvent::Reconnecting(Config {
                    supported_profiles: h.supported_profiles,
                    preferred_profiles: h.preferred_profiles,
                    ..*c
                }),
            })
        };
        let s = Session::connect(&config(c), run_dir, service, deadline, &mut observe)
            .map_err(failure)?;
        let a = ack(s.ack());
        Ok((s, a))
    }

    fn send(&self, s: &Session, m: &Message, deadline: Duration) -> Result<(), Failure> {
        let h = Header {
            kind: m.kind,
            flags: m.flags,
            code: m.code,
            status: m.transport_status,
            payload_len: m.payload.len() as u32,
            item_count: m.item_count,
            message_id: m.message_id,
        };
        s.send(&h, &m.payload, deadline).map_err(failure)
    }

    fn receive(&self, s: &Session, deadline: Duration) -> Result<Message, Failure> {
        let chunk::Message { header: h, payload } = s.receive(deadline).map_err(failure)?;
        Ok(Message {
            kind: h.kind,
            code: h.code,
            flags: h.flags,
            item_count: h.item_count,
            message_id: h.message_id,
            transport_status: h.status,
            payload,
        })
    }

    fn batch_encode(&self, items: &[Vec<u8>]) -> Vec<u8> {
        encode_batch(items)
    }

    fn batch_decode(&self, payload: &[u8], count: u32) -> Result<Vec<Vec<u8>>, Failure> {
        decode_batch(payload, count).map_err(|v| violation(Reason::Protocol, &v))
    }
}
