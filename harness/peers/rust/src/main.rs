//! netipc-rust-peer: the Rust sample peer of netipc-conformance
//! (docs/peer-cli.md), Windows Named Pipe baseline profile, std only.

mod args;
mod chunk;
mod client;
mod events;
mod handshake;
mod names;
mod pipe;
mod rules;
mod server;
mod win;
mod wire;

use args::{ArgError, Role};

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let o = match args::parse(&argv) {
        Ok(o) => o,
        Err(ArgError::Unknown(m)) => {
            eprintln!("netipc-rust-peer: {}", m);
            events::exit(127);
        }
        Err(ArgError::Bad(m)) => {
            eprintln!("netipc-rust-peer: {}", m);
            events::exit(2);
        }
    };
    // NP-4: refuse a bad service name before any pipe is created or opened
    let name = match names::pipe_name(&o.run_dir, &o.service) {
        Ok(n) => n,
        Err((rule, detail)) => {
            eprintln!(
                "netipc-rust-peer: invalid service name '{}': {}: {}",
                o.service, rule, detail
            );
            events::exit(2);
        }
    };
    let code = match o.role {
        Role::Server => server::run(&o, &name),
        Role::Client => client::run(&o, &name),
    };
    events::exit(code);
}
