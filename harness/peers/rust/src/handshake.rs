//! The server's decision (wire-envelope.md 4.3), the session counter (WE-8)
//! and the client's check of a HELLO_ACK against its HELLO (NP-9, WE-6).

use crate::rules::{broke, expected, Rule, Violation};
use crate::wire::*;
use std::sync::atomic::{AtomicU64, Ordering};

pub const BASELINE: u32 = 0x01;

/// One side's configuration (the config flags of docs/peer-cli.md).
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub auth_token: u64,
    pub supported_profiles: u32,
    pub preferred_profiles: u32,
    pub max_request_payload: u32,
    pub max_request_batch: u32,
    pub max_response_payload: u32,
    pub max_response_batch: u32,
    pub packet_size: u32,
}

impl Config {
    pub fn hello(&self) -> Hello {
        Hello {
            layout_version: 1,
            flags: 0,
            supported_profiles: self.supported_profiles,
            preferred_profiles: self.preferred_profiles,
            max_request_payload_bytes: self.max_request_payload,
            max_request_batch_items: self.max_request_batch,
            max_response_payload_bytes: self.max_response_payload,
            max_response_batch_items: self.max_response_batch,
            padding: 0,
            auth_token: self.auth_token,
            packet_size: self.packet_size,
        }
    }
}

/// session_id source: 1, 2, 3 ... for the server's lifetime.
pub struct SessionCounter(AtomicU64);

impl SessionCounter {
    pub fn new() -> SessionCounter {
        SessionCounter(AtomicU64::new(1))
    }
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
}

pub struct Decision {
    pub status: u16,
    pub rule: Option<Rule>,
    pub ack: HelloAck,
}

fn highest_bit(mask: u32) -> u32 {
    if mask == 0 {
        0
    } else {
        1 << (31 - mask.leading_zeros())
    }
}

/// What a refusing server sends: its profiles, everything else zero.
pub fn rejection_ack(server_supported: u32) -> HelloAck {
    HelloAck {
        layout_version: 1,
        server_supported_profiles: server_supported,
        ..HelloAck::default()
    }
}

/// 4.3, field by field. This peer serves the baseline profile only, so its
/// supported set is the configured one limited to NAMED_PIPE.
pub fn decide(cfg: &Config, h: &Hello, counter: &SessionCounter) -> Decision {
    let server_supported = cfg.supported_profiles & BASELINE;
    let reject = |status: u16, rule: Rule| Decision {
        status,
        rule: Some(rule),
        ack: rejection_ack(server_supported),
    };
    if h.layout_version != 1 {
        return reject(STATUS_INCOMPATIBLE, Rule::hello_bad_layout_version);
    }
    if h.flags != 0 {
        return reject(STATUS_BAD_ENVELOPE, Rule::hello_nonzero_flags);
    }
    if h.padding != 0 {
        return reject(STATUS_BAD_ENVELOPE, Rule::hello_nonzero_padding);
    }
    if h.auth_token != cfg.auth_token {
        return reject(STATUS_AUTH_FAILED, Rule::auth_token_mismatch);
    }
    let intersection = h.supported_profiles & server_supported;
    if intersection == 0 {
        return reject(STATUS_UNSUPPORTED, Rule::no_common_profile);
    }
    let preferred = intersection & h.preferred_profiles & cfg.preferred_profiles;
    let selected = if preferred != 0 {
        highest_bit(preferred)
    } else {
        highest_bit(intersection)
    };
    if h.max_request_payload_bytes > cfg.max_request_payload {
        return reject(
            STATUS_LIMIT_EXCEEDED,
            Rule::request_payload_over_server_limit,
        );
    }
    let packet = h.packet_size.min(cfg.packet_size);
    if packet <= HEADER_LEN as u32 {
        return reject(STATUS_INCOMPATIBLE, Rule::packet_size_too_small);
    }
    Decision {
        status: STATUS_OK,
        rule: None,
        ack: HelloAck {
            layout_version: 1,
            flags: 0,
            server_supported_profiles: server_supported,
            intersection_profiles: intersection,
            selected_profile: selected,
            agreed_max_request_payload_bytes: h.max_request_payload_bytes,
            agreed_max_request_batch_items: h.max_request_batch_items,
            // policy: the larger of the client's hint and our configuration
            agreed_max_response_payload_bytes: h
                .max_response_payload_bytes
                .max(cfg.max_response_payload),
            agreed_max_response_batch_items: h.max_request_batch_items,
            agreed_packet_size: packet,
            padding: 0,
            session_id: counter.next(),
        },
    }
}

/// The client's check of a successful ACK against what it proposed.
pub fn check_ack(h: &Hello, a: &HelloAck) -> Result<(), Violation> {
    let fail = |rule: Rule, d: String| Err(broke(rule, d));
    if a.layout_version != 1 {
        return fail(
            Rule::ack_bad_layout_version,
            expected("layout_version", 1, a.layout_version),
        );
    }
    if a.flags != 0 {
        return fail(Rule::ack_nonzero_flags, expected("flags", 0, a.flags));
    }
    if a.padding != 0 {
        return fail(Rule::ack_nonzero_padding, expected("padding", 0, a.padding));
    }
    if a.agreed_max_response_batch_items != a.agreed_max_request_batch_items {
        return fail(
            Rule::ack_batch_items_differ,
            expected(
                "agreed_max_response_batch_items",
                a.agreed_max_request_batch_items,
                a.agreed_max_response_batch_items,
            ),
        );
    }
    let inter = h.supported_profiles & a.server_supported_profiles;
    if a.intersection_profiles != inter {
        return fail(
            Rule::ack_intersection_wrong,
            expected("intersection_profiles", inter, a.intersection_profiles),
        );
    }
    let s = a.selected_profile;
    if s == 0 || s & (s - 1) != 0 || s & inter == 0 {
        return fail(
            Rule::ack_profile_not_offered,
            expected("selected_profile", format!("one bit of {}", inter), s),
        );
    }
    if a.agreed_packet_size <= HEADER_LEN as u32 {
        return fail(
            Rule::ack_packet_size_too_small,
            expected("agreed_packet_size", "> 32", a.agreed_packet_size),
        );
    }
    if a.agreed_packet_size > h.packet_size {
        return fail(
            Rule::ack_packet_size_over_proposal,
            expected(
                "agreed_packet_size",
                format!("<= {}", h.packet_size),
                a.agreed_packet_size,
            ),
        );
    }
    if a.agreed_max_request_payload_bytes > h.max_request_payload_bytes {
        return fail(
            Rule::ack_request_payload_over_proposal,
            expected(
                "agreed_max_request_payload_bytes",
                format!("<= {}", h.max_request_payload_bytes),
                a.agreed_max_request_payload_bytes,
            ),
        );
    }
    if a.session_id == 0 {
        return fail(Rule::ack_session_id_zero, expected("session_id", ">= 1", 0));
    }
    Ok(())
}
