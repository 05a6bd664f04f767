//! netipc-rust-peer: the Rust sample peer of netipc-conformance
//! (docs/peer-cli.md), Windows Named Pipe baseline profile, std only. The
//! peer CLI is the Rust peer kit (harness/kits/rust); this crate is the
//! transport (session.rs and below) and the adapter between them (adapter.rs).

mod adapter;
mod chunk;
mod handshake;
mod names;
mod pipe;
mod rules;
mod session;
mod win;
mod wire;

fn main() {
    netipc_peer_kit::main("netipc-rust-peer", adapter::Peer)
}
