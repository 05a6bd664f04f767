//! The peer command line (docs/peer-cli.md): the minimal positional form
//! and the full `--flag=value` form.

use crate::Config;
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

/// A refused command line: the exit status (2 bad, 127 not implemented)
/// and the line for stderr.
#[derive(Debug)]
pub struct ArgError {
    pub code: i32,
    pub message: String,
}

fn bad(message: String) -> ArgError {
    ArgError { code: 2, message }
}

fn unknown(message: String) -> ArgError {
    ArgError { code: 127, message }
}

const USAGE: &str = "usage: PEER server|client RUN_DIR SERVICE\n       \
PEER server|client --run-dir=DIR --service=NAME [flags] (docs/peer-cli.md)";

const FLAGS: [&str; 18] = [
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

fn defaults(role: Role) -> Options {
    Options {
        role,
        minimal: false,
        run_dir: String::new(),
        service: String::new(),
        cfg: Config::default(),
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
        .map_err(|_| bad(format!("{}: expected a decimal number, got '{}'", flag, v)))
}

/// `batches`: the adapter has a batch API (else `--batch=K>0` is 127).
pub fn parse(args: &[String], batches: bool) -> Result<Options, ArgError> {
    let role = match args.first().map(|s| s.as_str()) {
        Some("server") => Role::Server,
        Some("client") => Role::Client,
        Some(other) if other.starts_with("--") => {
            return Err(unknown(format!("option '{}' before the role", other)))
        }
        Some(other) => return Err(bad(format!("unknown role '{}'\n{}", other, USAGE))),
        None => return Err(bad(USAGE.to_string())),
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
            return Err(bad(format!("unexpected argument '{}'\n{}", a, USAGE)));
        }
        let (flag, value) = match a.find('=') {
            Some(i) => (&a[..i], Some(&a[i + 1..])),
            None => (a.as_str(), None),
        };
        if flag == "--serve-forever" {
            o.serve_forever = value != Some("0");
            continue;
        }
        if !FLAGS.contains(&flag) {
            return Err(unknown(format!("unknown option '{}'", flag)));
        }
        let v = value.ok_or_else(|| bad(format!("{}: expected {}=VALUE", flag, flag)))?;
        let c = &mut o.cfg;
        match flag {
            "--run-dir" => {
                o.run_dir = v.to_string();
                have_dir = true;
            }
            "--service" => {
                o.service = v.to_string();
                have_service = true;
            }
            "--auth-token" => c.auth_token = number(flag, v)?,
            "--supported-profiles" => c.supported_profiles = number(flag, v)?,
            "--preferred-profiles" => c.preferred_profiles = number(flag, v)?,
            "--max-request-payload" => c.max_request_payload_bytes = number(flag, v)?,
            "--max-request-batch" => c.max_request_batch_items = number(flag, v)?,
            "--max-response-payload" => c.max_response_payload_bytes = number(flag, v)?,
            "--max-response-batch" => c.max_response_batch_items = number(flag, v)?,
            "--packet-size" => c.packet_size = number(flag, v)?,
            "--shm-prepare" => c.shm_prepare = number::<u8>(flag, v)? != 0,
            "--sessions" => o.sessions = number(flag, v)?,
            "--deadline-ms" => o.deadline = Duration::from_millis(number(flag, v)?),
            "--payload-size" => o.payload_size = number(flag, v)?,
            "--messages" => o.messages = number(flag, v)?,
            "--pipeline" => o.pipeline = number::<usize>(flag, v)?.max(1),
            "--batch" => o.batch = number(flag, v)?,
            "--echo-events" => o.echo_all = echo_events(v)?,
            _ => unreachable!(),
        }
    }
    if !have_dir || !have_service {
        return Err(bad(format!(
            "--run-dir and --service are required\n{}",
            USAGE
        )));
    }
    if o.batch > 0 && !batches {
        return Err(unknown(
            "--batch: this peer's library has no batch API".to_string(),
        ));
    }
    Ok(o)
}

fn echo_events(v: &str) -> Result<bool, ArgError> {
    match v {
        "all" => Ok(true),
        "failures" => Ok(false),
        _ => Err(bad(format!(
            "--echo-events: expected all or failures, got '{}'",
            v
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(|a| a.to_string()).collect()
    }

    #[test]
    fn minimal_and_full_forms() {
        let o = parse(&argv("server DIR svc"), false).unwrap();
        assert!(o.minimal && o.run_dir == "DIR" && o.service == "svc");
        let o = parse(
            &argv("client --run-dir=D --service=s --packet-size=100 --pipeline=4 --shm-prepare=0"),
            false,
        )
        .unwrap();
        assert!(!o.minimal && o.cfg.packet_size == 100 && o.pipeline == 4);
        assert!(!o.cfg.shm_prepare);
    }

    #[test]
    fn refusals_and_their_codes() {
        let code = |s: &str, b: bool| parse(&argv(s), b).unwrap_err().code;
        assert_eq!(
            code("client --run-dir=D --service=s --made-up=1", true),
            127
        );
        assert_eq!(code("client --run-dir=D --service=s --batch=2", false), 127);
        assert_eq!(code("client --run-dir=D --service=s --messages=x", true), 2);
        assert_eq!(code("client --run-dir=D", true), 2);
        assert_eq!(code("peer D s", true), 2);
        assert!(parse(&argv("client --run-dir=D --service=s --batch=2"), true).is_ok());
        assert!(parse(&argv("client --run-dir=D --service=s --batch=0"), false).is_ok());
    }
}
