//! JSON-lines events on stdout, written by hand; every line is flushed
//! (a Unix pipe under Wine is fully buffered). Also the figures of the
//! `stats` event: latency percentiles and process CPU time.

use crate::{Ack, Config, Failure, Handshake, Reason};
use std::io::Write;

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// One JSON object under construction; keys keep their insertion order.
pub struct Event(String);

impl Event {
    pub fn new(event: &str) -> Event {
        Event(format!("{{\"event\":{}", escape(event)))
    }
    pub fn raw(mut self, key: &str, json: &str) -> Event {
        self.0.push_str(&format!(",{}:{}", escape(key), json));
        self
    }
    pub fn str(self, key: &str, v: &str) -> Event {
        let j = escape(v);
        self.raw(key, &j)
    }
    pub fn num<N: std::fmt::Display>(self, key: &str, v: N) -> Event {
        let j = v.to_string();
        self.raw(key, &j)
    }
    pub fn float(self, key: &str, v: f64) -> Event {
        let j = if v.is_finite() {
            format!("{:?}", v)
        } else {
            "0.0".to_string()
        };
        self.raw(key, &j)
    }
    pub fn flag(self, key: &str, v: bool) -> Event {
        self.raw(key, if v { "true" } else { "false" })
    }
    pub fn emit(mut self) {
        self.0.push('}');
        line(&self.0);
    }
}

/// Print one line and flush it at once.
pub fn line(s: &str) {
    let out = std::io::stdout();
    let mut lock = out.lock();
    let _ = lock.write_all(s.as_bytes());
    let _ = lock.write_all(b"\n");
    let _ = lock.flush();
}

pub fn ack_json(a: &Ack) -> String {
    format!(
        "{{\"layout_version\":{},\"flags\":{},\"server_supported_profiles\":{},\
         \"intersection_profiles\":{},\"selected_profile\":{},\
         \"agreed_max_request_payload_bytes\":{},\"agreed_max_request_batch_items\":{},\
         \"agreed_max_response_payload_bytes\":{},\"agreed_max_response_batch_items\":{},\
         \"agreed_packet_size\":{},\"padding\":{},\"session_id\":{}}}",
        a.layout_version,
        a.flags,
        a.server_supported_profiles,
        a.intersection_profiles,
        a.selected_profile,
        a.agreed_max_request_payload_bytes,
        a.agreed_max_request_batch_items,
        a.agreed_max_response_payload_bytes,
        a.agreed_max_response_batch_items,
        a.agreed_packet_size,
        a.padding,
        a.session_id
    )
}

/// A HELLO proposal by its wire-envelope.md field names.
pub fn hello_json(c: &Config) -> String {
    format!(
        "{{\"supported_profiles\":{},\"preferred_profiles\":{},\"max_request_payload_bytes\":{},\
         \"max_request_batch_items\":{},\"max_response_payload_bytes\":{},\
         \"max_response_batch_items\":{},\"auth_token\":{},\"packet_size\":{}}}",
        c.supported_profiles,
        c.preferred_profiles,
        c.max_request_payload_bytes,
        c.max_request_batch_items,
        c.max_response_payload_bytes,
        c.max_response_batch_items,
        c.auth_token,
        c.packet_size
    )
}

/// The `handshake` event's common keys (`role` and `connection` come first).
pub fn handshake(mut e: Event, h: &Handshake, client: bool) -> Event {
    e = e.str("status", &h.status);
    if client {
        e = e.flag("accepted", h.accepted);
    }
    e = e.raw("ack", &ack_json(&h.ack));
    if let Some(r) = &h.rule {
        e = e.str("rule", r).str("detail", &h.detail);
    }
    if let Some(s) = &h.shm {
        let j = format!(
            "{{\"mapping\":{},\"req_event\":{},\"resp_event\":{},\"prepared\":{}}}",
            escape(&s.mapping),
            escape(&s.req_event),
            escape(&s.resp_event),
            s.ready
        );
        e = e.raw("shm", &j);
    }
    e
}

/// Append reason, detail, rule, clause, win32_code, win32_name.
pub fn ending(mut e: Event, f: &Failure) -> Event {
    e = e.str("reason", f.reason.name()).str("detail", &f.detail);
    if let Some(r) = &f.rule {
        e = e.str("rule", r);
    }
    if let Some(c) = &f.clause {
        e = e.str("clause", c);
    }
    if let Some(c) = f.win32_code {
        e = e.num("win32_code", c).str("win32_name", &error_name(c));
    }
    e
}

/// A `closed` ending: this side ended the session on purpose.
pub fn closed(detail: &str) -> Failure {
    Failure::new(Reason::Closed, detail)
}

pub fn error_name(code: u32) -> String {
    let known = match code {
        0 => "ERROR_SUCCESS",
        2 => "ERROR_FILE_NOT_FOUND",
        5 => "ERROR_ACCESS_DENIED",
        6 => "ERROR_INVALID_HANDLE",
        87 => "ERROR_INVALID_PARAMETER",
        109 => "ERROR_BROKEN_PIPE",
        121 => "ERROR_SEM_TIMEOUT",
        123 => "ERROR_INVALID_NAME",
        231 => "ERROR_PIPE_BUSY",
        232 => "ERROR_NO_DATA",
        233 => "ERROR_PIPE_NOT_CONNECTED",
        234 => "ERROR_MORE_DATA",
        258 => "WAIT_TIMEOUT",
        535 => "ERROR_PIPE_CONNECTED",
        995 => "ERROR_OPERATION_ABORTED",
        996 => "ERROR_IO_INCOMPLETE",
        997 => "ERROR_IO_PENDING",
        _ => return format!("WIN32_{}", code),
    };
    known.to_string()
}

pub fn status_name(s: u16) -> String {
    let known = [
        "OK",
        "BAD_ENVELOPE",
        "AUTH_FAILED",
        "INCOMPATIBLE",
        "UNSUPPORTED",
        "LIMIT_EXCEEDED",
        "INTERNAL_ERROR",
    ];
    match known.get(s as usize) {
        Some(n) => n.to_string(),
        None => format!("STATUS_{}", s),
    }
}

/// p50, p95, p99 of `us` (nearest rank, as the reference peer computes).
pub fn percentiles(mut us: Vec<f64>) -> Option<[f64; 3]> {
    if us.is_empty() {
        return None;
    }
    us.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let at = |q: f64| us[(q * (us.len() - 1) as f64 + 0.5) as usize];
    Some([at(0.50), at(0.95), at(0.99)])
}

#[cfg(windows)]
mod cpu {
    #[repr(C)]
    #[derive(Default)]
    pub struct FileTime(u32, u32);

    #[link(name = "kernel32")]
    extern "system" {
        fn GetCurrentProcess() -> *mut std::ffi::c_void;
        fn GetProcessTimes(
            p: *mut std::ffi::c_void,
            created: *mut FileTime,
            exited: *mut FileTime,
            kernel: *mut FileTime,
            user: *mut FileTime,
        ) -> i32;
    }

    /// This process's user + kernel time in seconds (100 ns ticks).
    pub fn seconds() -> Option<f64> {
        let mut t: [FileTime; 4] = Default::default();
        let [c, e, k, u] = &mut t;
        let ok = unsafe { GetProcessTimes(GetCurrentProcess(), c, e, k, u) };
        let ticks = |f: &FileTime| ((f.1 as u64) << 32 | f.0 as u64) as f64;
        if ok == 0 {
            None
        } else {
            Some((ticks(k) + ticks(u)) / 1e7)
        }
    }
}

#[cfg(not(windows))]
mod cpu {
    /// Off Windows (host unit tests) the figure is left out.
    pub fn seconds() -> Option<f64> {
        None
    }
}

/// Add `cpu_seconds` when the process times are known.
pub fn with_cpu(e: Event) -> Event {
    match cpu::seconds() {
        Some(s) => e.float("cpu_seconds", s),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentiles(vec![]), None);
        let v: Vec<f64> = (1..=100).rev().map(|i| i as f64).collect();
        assert_eq!(percentiles(v), Some([51.0, 95.0, 99.0]));
        assert_eq!(percentiles(vec![7.0]), Some([7.0, 7.0, 7.0]));
    }

    #[test]
    fn escaping_and_names() {
        assert_eq!(escape("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
        assert_eq!(status_name(5), "LIMIT_EXCEEDED");
        assert_eq!(status_name(9), "STATUS_9");
        assert_eq!(error_name(109), "ERROR_BROKEN_PIPE");
        assert_eq!(error_name(1), "WIN32_1");
    }
}
