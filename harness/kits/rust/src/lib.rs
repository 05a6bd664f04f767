//! netipc peer kit for Rust: the whole peer CLI of docs/peer-cli.md
//! (arguments, events, close reasons, exit codes, server sessions and
//! serve-forever, client payload sizes, messages, pipelining, batches, stats
//! with latency and CPU), written once over [`Adapter`], which you fill with
//! calls into your own library. std only; builds with rustc 1.63.
//!
//! What the contract governs stays in your library: pipe names, the
//! handshake, chunking, batch layout and every validation. The kit only
//! drives and reports, so the suite judges your library, never the kit.
//! See README.md for the adapter call by call.

mod args;
mod client;
mod events;
mod server;
#[cfg(test)]
mod tests;

use std::time::Duration;

/// Header `kind` values the kit puts on messages (wire-envelope.md 1).
pub const KIND_REQUEST: u16 = 1;
pub const KIND_RESPONSE: u16 = 2;
/// The BATCH bit of the header `flags`.
pub const FLAG_BATCH: u16 = 0x0001;
/// transport_status values the kit puts on responses.
pub const STATUS_OK: u16 = 0;
pub const STATUS_LIMIT_EXCEEDED: u16 = 5;

/// One side's configuration: the config flags of docs/peer-cli.md, named
/// as the HELLO fields. A server decides handshakes with it; a client
/// proposes exactly these values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub auth_token: u64,
    pub supported_profiles: u32,
    pub preferred_profiles: u32,
    pub max_request_payload_bytes: u32,
    pub max_request_batch_items: u32,
    pub max_response_payload_bytes: u32,
    pub max_response_batch_items: u32,
    pub packet_size: u32,
    /// Server only (`--shm-prepare=0`): when an SHM profile is selected, do
    /// NOT create the session's mapping and events (a deliberately broken
    /// server for NP-11 tests). Ignore it if you have no SHM profile.
    pub shm_prepare: bool,
}

impl Default for Config {
    /// The reference defaults of docs/peer-cli.md (and the minimal tier).
    fn default() -> Config {
        Config {
            auth_token: 0,
            supported_profiles: 1,
            preferred_profiles: 1,
            max_request_payload_bytes: 1024,
            max_request_batch_items: 1,
            max_response_payload_bytes: 1024,
            max_response_batch_items: 1,
            packet_size: 65536,
            shm_prepare: true,
        }
    }
}

/// Every HELLO_ACK field by its wire-envelope.md name, as your library saw
/// or sent it (all zero but what a refusing server filled in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ack {
    pub layout_version: u16,
    pub flags: u16,
    pub server_supported_profiles: u32,
    pub intersection_profiles: u32,
    pub selected_profile: u32,
    pub agreed_max_request_payload_bytes: u32,
    pub agreed_max_request_batch_items: u32,
    pub agreed_max_response_payload_bytes: u32,
    pub agreed_max_response_batch_items: u32,
    pub agreed_packet_size: u32,
    pub padding: u32,
    pub session_id: u64,
}

/// The shared-memory objects of a session that selected an SHM profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shm {
    pub mapping: String,
    pub req_event: String,
    pub resp_event: String,
    /// Server: the objects were created (`prepared`); client: it attached.
    pub ready: bool,
}

/// What one handshake showed, for the `handshake` event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Handshake {
    /// "OK" or the transport_status name answered ("AUTH_FAILED", ...).
    pub status: String,
    /// Client: the library accepted the ACK (false when it refused it).
    pub accepted: bool,
    pub ack: Ack,
    /// The rule (rules.hpp name) when the handshake was refused.
    pub rule: Option<String>,
    pub detail: String,
    /// Server: filled when an SHM profile was selected.
    pub shm: Option<Shm>,
}

/// What a client's connect reports as it goes, in order (docs/peer-cli.md
/// events `handshake`, `shm`, `reconnecting`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    Handshake(Handshake),
    Shm {
        session_id: u64,
        shm: Shm,
        detail: String,
    },
    /// NP-11: the library closes and proposes again with this HELLO.
    Reconnecting(Config),
}

/// One logical message: the outer header's variable fields and the whole
/// payload. Your library chunks and reassembles it (WE-3, WE-4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub kind: u16,
    pub code: u16,
    pub flags: u16,
    pub item_count: u32,
    pub message_id: u64,
    pub transport_status: u16,
    pub payload: Vec<u8>,
}

/// The `reason` of a `close` event (docs/peer-cli.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// This side ended the session on purpose (the kit uses it).
    Closed,
    /// The other side left (NP-17): ERROR_BROKEN_PIPE, ERROR_NO_DATA,
    /// ERROR_PIPE_NOT_CONNECTED.
    Disconnected,
    /// The other side broke a rule; set `rule`.
    Protocol,
    /// The handshake ended with a non-OK transport_status, or the agreed
    /// limits refuse the requests the client was asked to send.
    Rejected,
    /// A wait reached its deadline.
    Timeout,
    /// Anything else; set `win32_code`.
    Win32Error,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Closed => "closed",
            Reason::Disconnected => "disconnected",
            Reason::Protocol => "protocol",
            Reason::Rejected => "rejected",
            Reason::Timeout => "timeout",
            Reason::Win32Error => "win32_error",
        }
    }
    /// The exit status this ending implies (docs/peer-cli.md).
    pub fn exit_code(self) -> i32 {
        match self {
            Reason::Closed => 0,
            Reason::Rejected => 3,
            Reason::Disconnected => 4,
            Reason::Protocol => 5,
            Reason::Timeout => 6,
            Reason::Win32Error => 7,
        }
    }
}

/// How one of your library's errors ends a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub reason: Reason,
    /// A sentence: which field, expected what, got what.
    pub detail: String,
    /// rules.hpp name (`bad_magic`, ...) and its clause (`WE-1`, ...).
    pub rule: Option<String>,
    pub clause: Option<String>,
    pub win32_code: Option<u32>,
    /// Server receive: the other side left between two chunks of a message.
    pub mid_message: bool,
}

impl Failure {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Failure {
        Failure {
            reason,
            detail: detail.into(),
            rule: None,
            clause: None,
            win32_code: None,
            mid_message: false,
        }
    }
    /// `reason` protocol or rejected, naming the rule broken.
    pub fn rule(reason: Reason, rule: &str, clause: &str, detail: impl Into<String>) -> Failure {
        Failure {
            rule: Some(rule.to_string()),
            clause: Some(clause.to_string()),
            ..Failure::new(reason, detail)
        }
    }
    /// A Win32 error code with the reason it maps to.
    pub fn win32(reason: Reason, code: u32, detail: impl Into<String>) -> Failure {
        Failure {
            win32_code: Some(code),
            ..Failure::new(reason, detail)
        }
    }
}

/// The calls into your library. The kit calls them from several threads
/// (one per server session; a client's writer beside its reader), hence
/// `Send + Sync`. Every `deadline` is the longest that one wait may take.
pub trait Adapter: Send + Sync + 'static {
    /// A listening pipe name with its instances.
    type Listener: Send + Sync + 'static;
    /// One connection; after the handshake, one session.
    type Session: Send + Sync + 'static;

    /// Set to true only when your library has a batch API (WE-2) and
    /// `batch_encode` / `batch_decode` call it; otherwise the kit refuses
    /// `--batch` with exit 127 and your manifest says `batches = false`.
    const BATCHES: bool = false;

    /// NP-4 (and the name length): Err("rule_name: sentence") makes the
    /// kit exit 2 before any pipe is created or opened.
    fn validate_service(&self, run_dir: &str, service: &str) -> Result<(), String>;

    /// Derive the pipe name (NP-2) and create the first instance; return
    /// the listener and the name for the `ready` event.
    fn listen(
        &self,
        config: &Config,
        run_dir: &str,
        service: &str,
    ) -> Result<(Self::Listener, String), Failure>;

    /// Wait for a client on an instance, keeping a new instance available
    /// (NP-18). No handshake here: a silent client must not hold up the
    /// next one. `deadline` None waits until `close_listener`; return
    /// Ok(None) when the listener was closed.
    fn accept(
        &self,
        listener: &Self::Listener,
        deadline: Option<Duration>,
    ) -> Result<Option<Self::Session>, Failure>;

    /// No more accepts follow: close every instance not handed out. Called
    /// from another thread too (serve-forever's stdin watcher), where it
    /// must make a pending `accept` return Ok(None).
    fn close_listener(&self, listener: &Self::Listener);

    /// The server handshake on an accepted session (runs on the session's
    /// own thread). The report is Some as soon as a HELLO arrived, also
    /// when your library refused it; the result says how it ended.
    fn handshake(
        &self,
        session: &mut Self::Session,
        deadline: Duration,
    ) -> (Option<Handshake>, Result<(), Failure>);

    /// Client: connect, HELLO, HELLO_ACK (and SHM attach, NP-11 reconnect),
    /// reporting each step through `report` as it happens. Returns the
    /// session and the ACK it accepted.
    fn connect(
        &self,
        config: &Config,
        run_dir: &str,
        service: &str,
        deadline: Duration,
        report: &mut dyn FnMut(ClientEvent),
    ) -> Result<(Self::Session, Ack), Failure>;

    /// Send one whole message (your library chunks it). A client's library
    /// refuses a request above the agreed limits with `Reason::Rejected`.
    /// May run beside `receive` on the same session (pipelining).
    fn send(
        &self,
        session: &Self::Session,
        message: &Message,
        deadline: Duration,
    ) -> Result<(), Failure>;

    /// One whole message, reassembled and validated by your library.
    fn receive(&self, session: &Self::Session, deadline: Duration) -> Result<Message, Failure>;

    /// End the session (the default drops it).
    fn close(&self, session: Self::Session) {
        drop(session);
    }

    /// A batch payload holding `items` in order (only with BATCHES).
    fn batch_encode(&self, items: &[Vec<u8>]) -> Vec<u8> {
        let _ = items;
        Vec::new()
    }

    /// The `count` items of a batch payload, validated (WE-2); only with
    /// BATCHES. The server checks each batch request with it.
    fn batch_decode(&self, payload: &[u8], count: u32) -> Result<Vec<Vec<u8>>, Failure> {
        let _ = (payload, count);
        Err(Failure::new(Reason::Win32Error, "no batch API"))
    }
}

/// Run the peer CLI with `std::env::args` and exit; `program` names the
/// peer in stderr messages. The `exit` event is always the last line.
pub fn main<A: Adapter>(program: &str, adapter: A) -> ! {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let code = run(program, adapter, &argv);
    events::Event::new("exit").num("code", code).emit();
    std::process::exit(code)
}

/// Run the peer CLI on `argv` (without the program) and return the exit
/// status; the caller prints the `exit` event (see [`main`]).
pub fn run<A: Adapter>(program: &str, adapter: A, argv: &[String]) -> i32 {
    let o = match args::parse(argv, A::BATCHES) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{}: {}", program, e.message);
            return e.code;
        }
    };
    // NP-4: refuse a bad service name before any pipe is created or opened
    if let Err(why) = adapter.validate_service(&o.run_dir, &o.service) {
        eprintln!("{}: invalid service name '{}': {}", program, o.service, why);
        return 2;
    }
    match o.role {
        args::Role::Server => server::run(std::sync::Arc::new(adapter), &o),
        args::Role::Client => client::run(&adapter, &o),
    }
}
