//! The peer command line (docs/peer-cli.md): minimal positional form and
//! the full `--flag=value` form.

use crate::handshake::Config;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Server,
    Client,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub role: Role,
    pub minimal: bool,
    pub run_dir: String,
    pub service: String,
    pub cfg: Config,
    pub sessions: u64,
    pub serve_forever: bool,
    pub deadline: Duration,
    pub payload_size: usize,
    pub messages: u64,
    pub pipeline: usize,
    pub batch: u32,
    pub echo_all: bool,
}

pub enum ArgError {
    /// exit 127: an option this peer does not implement
    Unknown(String),
    /// exit 2: a malformed or missing value
    Bad(String),
}

pub const USAGE: &str = "usage: netipc-rust-peer server|client RUN_DIR SERVICE\n       \
netipc-rust-peer server|client --run-dir=DIR --service=NAME [flags]";

fn defaults(role: Role) -> Options {
    Options {
        role,
        minimal: false,
        run_dir: String::new(),
        service: String::new(),
        cfg: Config {
            auth_token: 0,
            supported_profiles: 1,
            preferred_profiles: 1,
            max_request_payload: 1024,
            max_request_batch: 1,
            max_response_payload: 1024,
            max_response_batch: 1,
            packet_size: 65536,
        },
        sessions: 1,
        serve_forever: false,
        deadline: Duration::from_millis(30000),
        payload_size: 64,
        messages: 1,
        pipeline: 1,
        batch: 0,
        echo_all: true,
    }
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, ArgError> {
    v.parse::<T>()
        .map_err(|_| ArgError::Bad(format!("{}: expected a decimal number, got '{}'", flag, v)))
}

pub fn parse(args: &[String]) -> Result<Options, ArgError> {
    let role = match args.first().map(|s| s.as_str()) {
        Some("server") => Role::Server,
        Some("client") => Role::Client,
        Some(other) if other.starts_with("--") => {
            return Err(ArgError::Unknown(format!(
                "option '{}' before the role",
                other
            )))
        }
        Some(other) => {
            return Err(ArgError::Bad(format!(
                "unknown role '{}'\n{}",
                other, USAGE
            )))
        }
        None => return Err(ArgError::Bad(USAGE.to_string())),
    };
    let mut o = defaults(role);
    let rest = &args[1..];
    if rest.len() == 2 && !rest[0].starts_with("--") && !rest[1].starts_with("--") {
        o.minimal = true;
        o.run_dir = rest[0].clone();
        o.service = rest[1].clone();
        return Ok(o);
    }
    let (mut have_dir, mut have_service) = (false, false);
    for a in rest {
        if !a.starts_with("--") {
            return Err(ArgError::Bad(format!(
                "unexpected argument '{}'\n{}",
                a, USAGE
            )));
        }
        let (flag, value) = match a.find('=') {
            Some(i) => (&a[..i], Some(&a[i + 1..])),
            None => (a.as_str(), None),
        };
        if flag == "--serve-forever" {
            o.serve_forever = value.map_or(true, |v| v != "0");
            continue;
        }
        let known = [
            "--run-dir",
            "--service",
            "--auth-token",
            "--supported-profiles",
            "--preferred-profiles",
            "--max-request-payload",
            "--max-request-batch",
            "--max-response-payload",
            "--max-response-batch",
            "--packet-size",
            "--sessions",
            "--shm-prepare",
            "--deadline-ms",
            "--payload-size",
            "--messages",
            "--pipeline",
            "--batch",
            "--echo-events",
        ];
        if !known.contains(&flag) {
            return Err(ArgError::Unknown(format!("unknown option '{}'", flag)));
        }
        let v = value.ok_or_else(|| ArgError::Bad(format!("{}: expected {}=VALUE", flag, flag)))?;
        match flag {
            "--run-dir" => {
                o.run_dir = v.to_string();
                have_dir = true;
            }
            "--service" => {
                o.service = v.to_string();
                have_service = true;
            }
            "--auth-token" => o.cfg.auth_token = number(flag, v)?,
            "--supported-profiles" => o.cfg.supported_profiles = number(flag, v)?,
            "--preferred-profiles" => o.cfg.preferred_profiles = number(flag, v)?,
            "--max-request-payload" => o.cfg.max_request_payload = number(flag, v)?,
            "--max-request-batch" => o.cfg.max_request_batch = number(flag, v)?,
            "--max-response-payload" => o.cfg.max_response_payload = number(flag, v)?,
            "--max-response-batch" => o.cfg.max_response_batch = number(flag, v)?,
            "--packet-size" => o.cfg.packet_size = number(flag, v)?,
            "--sessions" => o.sessions = number(flag, v)?,
            // baseline only: there is no shared memory to prepare
            "--shm-prepare" => {
                let _: u8 = number(flag, v)?;
            }
            "--deadline-ms" => o.deadline = Duration::from_millis(number(flag, v)?),
            "--payload-size" => o.payload_size = number(flag, v)?,
            "--messages" => o.messages = number(flag, v)?,
            "--pipeline" => o.pipeline = number::<usize>(flag, v)?.max(1),
            "--batch" => o.batch = number(flag, v)?,
            "--echo-events" => {
                o.echo_all = match v {
                    "all" => true,
                    "failures" => false,
                    _ => {
                        return Err(ArgError::Bad(format!(
                            "--echo-events: expected all or failures, got '{}'",
                            v
                        )))
                    }
                }
            }
            _ => unreachable!(),
        }
    }
    if !have_dir || !have_service {
        return Err(ArgError::Bad(format!(
            "--run-dir and --service are required\n{}",
            USAGE
        )));
    }
    Ok(o)
}
