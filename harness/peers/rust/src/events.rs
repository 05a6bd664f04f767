//! JSON-lines events on stdout, written by hand; every line is flushed
//! (a Unix pipe under Wine is fully buffered).

use crate::pipe::Fail;
use crate::rules::Violation;
use crate::win::error_name;
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

/// How a session ended: `reason` and the keys that explain it.
#[derive(Clone, Debug)]
pub struct End {
    pub reason: &'static str,
    pub detail: String,
    pub rule: Option<Violation>,
    pub win32: Option<u32>,
}

impl End {
    pub fn closed(detail: &str) -> End {
        End {
            reason: "closed",
            detail: detail.to_string(),
            rule: None,
            win32: None,
        }
    }
    pub fn protocol(v: Violation) -> End {
        End {
            reason: "protocol",
            detail: format!("{}: {}", v.rule.name(), v.detail),
            rule: Some(v),
            win32: None,
        }
    }
    pub fn rejected(v: Violation) -> End {
        End {
            reason: "rejected",
            ..End::protocol(v)
        }
    }
    pub fn from_fail(f: &Fail) -> End {
        let (reason, op, code) = match *f {
            Fail::Disconnected { op, code } => ("disconnected", op, code),
            Fail::Timeout { op, code } => ("timeout", op, code),
            Fail::Win32 { op, code } => ("win32_error", op, code),
            Fail::TooBig { .. } | Fail::Stopped => ("win32_error", "pipe", 0),
        };
        let detail = if reason == "timeout" {
            format!("{}: the deadline passed", op)
        } else {
            format!("{}: {}", op, error_name(code))
        };
        End {
            reason,
            detail,
            rule: None,
            win32: Some(code),
        }
    }
    /// The exit status this ending implies (docs/peer-cli.md).
    pub fn exit_code(&self) -> i32 {
        match self.reason {
            "closed" => 0,
            "rejected" => 3,
            "disconnected" => 4,
            "protocol" => 5,
            "timeout" => 6,
            _ => 7,
        }
    }
    /// Append reason, detail, rule, clause, win32_code, win32_name.
    pub fn add_to(&self, mut e: Event) -> Event {
        e = e.str("reason", self.reason).str("detail", &self.detail);
        if let Some(v) = &self.rule {
            e = e.str("rule", v.rule.name()).str("clause", v.rule.clause());
        }
        if let Some(c) = self.win32 {
            e = e.num("win32_code", c).str("win32_name", &error_name(c));
        }
        e
    }
}

pub fn exit(code: i32) -> ! {
    Event::new("exit").num("code", code).emit();
    std::process::exit(code)
}
