//! Host-native unit tests of the pure modules (no kernel32): run test.sh.
#![allow(dead_code)]

#[path = "../src/chunk.rs"]
mod chunk;
#[path = "../src/handshake.rs"]
mod handshake;
#[path = "../src/names.rs"]
mod names;
#[path = "../src/rules.rs"]
mod rules;
#[path = "../src/wire.rs"]
mod wire;

use chunk::{split, Limits, Reassembler};
use handshake::{check_ack, decide, Config, SessionCounter};
use rules::Rule;
use wire::*;

fn cfg() -> Config {
    Config {
        auth_token: 0,
        supported_profiles: 1,
        preferred_profiles: 1,
        max_request_payload: 1024,
        max_request_batch: 1,
        max_response_payload: 1024,
        max_response_batch: 1,
        packet_size: 65536,
    }
}

fn req(id: u64, n: usize) -> (Header, Vec<u8>) {
    let p: Vec<u8> = (0..n).map(|i| (i * 3 + id as usize) as u8).collect();
    let h = Header {
        kind: KIND_REQUEST,
        flags: 0,
        code: 1,
        status: 0,
        payload_len: n as u32,
        item_count: 1,
        message_id: id,
    };
    (h, p)
}

fn lim(packet: u32) -> Limits {
    Limits {
        packet_size: packet,
        max_payload: 1 << 20,
        max_items: 16,
    }
}

fn feed_all(r: &mut Reassembler, pkts: &[Vec<u8>]) -> Result<Option<chunk::Message>, Rule> {
    let mut last = None;
    for p in pkts {
        last = r.feed(p).map_err(|v| v.rule)?;
    }
    Ok(last)
}

#[test]
fn fnv_and_names() {
    assert_eq!(names::fnv1a64(b""), 0xcbf29ce484222325);
    assert_eq!(names::fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    assert_eq!(
        names::pipe_name("C:\\r", "s1").unwrap(),
        "\\\\.\\pipe\\netipc-aaf0f09dede15dfa-s1"
    );
    assert_eq!(
        names::check_service("").unwrap_err().0,
        "service_name_empty"
    );
    assert_eq!(
        names::check_service("a b").unwrap_err().0,
        "service_name_bad_char"
    );
    assert!(names::check_service("A-z_0.9").is_ok());
    assert_eq!(
        names::pipe_name("x", &"s".repeat(240)).unwrap_err().0,
        "pipe_name_too_long"
    );
}

#[test]
fn chunk_roundtrip_boundaries() {
    for &packet in &[33u32, 64, 100] {
        for n in [0usize, 1, 31, 32, 33, 67, 68, 69, 1000] {
            let (h, p) = req(9, n);
            let pkts = split(&h, &p, packet);
            let budget = packet as usize - 32;
            if n + 32 <= packet as usize {
                assert_eq!(pkts.len(), 1);
            } else {
                let first = budget.min(n);
                assert_eq!(pkts.len(), 1 + (n - first + budget - 1) / budget);
                assert_eq!(pkts[0].len(), packet as usize);
            }
            let mut r = Reassembler::new(lim(packet));
            let m = feed_all(&mut r, &pkts).unwrap().unwrap();
            assert_eq!(m.payload, p);
            assert_eq!(m.header, h);
            assert!(!r.mid_message());
        }
    }
}

#[test]
fn chunk_violations() {
    let (h, p) = req(5, 200);
    let pkts = split(&h, &p, 64);
    let check = |pk: Vec<Vec<u8>>, want: Rule| {
        let mut r = Reassembler::new(lim(64));
        assert_eq!(feed_all(&mut r, &pk).err(), Some(want));
    };
    let mut bad = pkts.clone();
    bad.swap(1, 2);
    check(bad, Rule::chunk_index_out_of_order);
    let mut bad = pkts.clone();
    bad[1][8] ^= 1;
    check(bad, Rule::chunk_message_id_mismatch);
    let mut bad = pkts.clone();
    bad[1][0] ^= 1;
    check(bad, Rule::bad_chunk_magic);
    let mut bad = pkts.clone();
    bad[1][24] += 1;
    check(bad, Rule::chunk_count_mismatch);
    let mut bad = pkts.clone();
    bad[1][16] += 1;
    check(bad, Rule::chunk_total_len_mismatch);
    let mut bad = pkts.clone();
    bad[1][6] = 1;
    check(bad, Rule::bad_chunk_flags);
    let mut bad = pkts.clone();
    bad[1][4] = 2;
    check(bad, Rule::bad_chunk_version);
    let mut bad = pkts.clone();
    bad[1].pop();
    check(bad, Rule::chunk_payload_len_mismatch);
    let mut bad = pkts.clone();
    bad.insert(1, pkts[0].clone());
    check(bad, Rule::chunk_interleaved);
    check(vec![pkts[1].clone()], Rule::continuation_without_first);
    let mut bad = pkts.clone();
    bad[0].pop();
    check(bad, Rule::first_chunk_short);
    let mut bad = vec![pkts[0].clone()];
    bad[0].push(0);
    check(bad, Rule::packet_over_size);
    let mut empty = pkts[1][..32].to_vec();
    empty[28..32].copy_from_slice(&0u32.to_le_bytes());
    check(vec![pkts[0].clone(), empty], Rule::chunk_payload_empty);
}

#[test]
fn header_violations() {
    let (h, p) = req(1, 10);
    let one = split(&h, &p, 65536).remove(0);
    let check = |b: Vec<u8>, want: Rule| {
        let mut r = Reassembler::new(Limits {
            packet_size: 65536,
            max_payload: 10,
            max_items: 1,
        });
        assert_eq!(r.feed(&b).err().map(|v| v.rule), Some(want));
    };
    check(one[..31].to_vec(), Rule::message_truncated);
    let mut b = one.clone();
    b[0] = 0;
    check(b, Rule::bad_magic);
    let mut b = one.clone();
    b[4] = 2;
    check(b, Rule::bad_version);
    let mut b = one.clone();
    b[6] = 31;
    check(b, Rule::bad_header_len);
    let mut b = one.clone();
    b[8] = 4;
    check(b, Rule::bad_kind);
    let mut b = one.clone();
    b[10] = 2;
    check(b, Rule::bad_flags);
    let mut b = one.clone();
    b[20] = 2;
    check(b, Rule::bad_item_count);
    let mut b = one.clone();
    b.push(0);
    check(b, Rule::message_length_mismatch);
    let (h, p) = req(1, 11);
    check(split(&h, &p, 65536).remove(0), Rule::payload_over_limit);
}

#[test]
fn batches() {
    let items = vec![vec![1u8; 3], vec![2u8; 9], vec![]];
    let b = encode_batch(&items);
    assert!(check_batch(&b, 3).is_ok());
    assert_eq!(decode_batch(&b, 3).unwrap(), items);
    assert_eq!(u32_at(&b, 8), 8); // second item starts after 3 bytes rounded up
    assert_eq!(
        check_batch(&b[..20], 3).unwrap_err().rule,
        Rule::batch_directory_out_of_bounds
    );
    let mut m = b.clone();
    m[8] = 4;
    assert_eq!(
        check_batch(&m, 3).unwrap_err().rule,
        Rule::batch_item_misaligned
    );
    let mut m = b.clone();
    m[12] = 200;
    assert_eq!(
        check_batch(&m, 3).unwrap_err().rule,
        Rule::batch_item_out_of_bounds
    );
    assert_eq!(
        decode_batch(&m, 3).unwrap_err().rule,
        Rule::batch_item_out_of_bounds
    );
}

#[test]
fn decision_table() {
    let c = cfg();
    let n = SessionCounter::new();
    let mut h = c.hello();
    let d = decide(&c, &h, &n);
    assert_eq!(
        (d.status, d.ack.session_id, d.ack.selected_profile),
        (0, 1, 1)
    );
    assert!(check_ack(&h, &d.ack).is_ok());
    assert_eq!(decide(&c, &h, &n).ack.session_id, 2);
    let rej = |h: &Hello| {
        let d = decide(&c, h, &n);
        (d.status, d.rule)
    };
    h.layout_version = 2;
    assert_eq!(
        rej(&h),
        (STATUS_INCOMPATIBLE, Some(Rule::hello_bad_layout_version))
    );
    h = c.hello();
    h.flags = 1;
    assert_eq!(
        rej(&h),
        (STATUS_BAD_ENVELOPE, Some(Rule::hello_nonzero_flags))
    );
    h = c.hello();
    h.padding = 1;
    assert_eq!(
        rej(&h),
        (STATUS_BAD_ENVELOPE, Some(Rule::hello_nonzero_padding))
    );
    h = c.hello();
    h.auth_token = 3;
    assert_eq!(
        rej(&h),
        (STATUS_AUTH_FAILED, Some(Rule::auth_token_mismatch))
    );
    h = c.hello();
    h.supported_profiles = 2;
    assert_eq!(rej(&h), (STATUS_UNSUPPORTED, Some(Rule::no_common_profile)));
    h = c.hello();
    h.max_request_payload_bytes = 1025;
    assert_eq!(
        rej(&h),
        (
            STATUS_LIMIT_EXCEEDED,
            Some(Rule::request_payload_over_server_limit)
        )
    );
    h = c.hello();
    h.packet_size = 32;
    assert_eq!(
        rej(&h),
        (STATUS_INCOMPATIBLE, Some(Rule::packet_size_too_small))
    );
    h.packet_size = 33;
    let d = decide(&c, &h, &n);
    assert_eq!(
        (d.status, d.ack.agreed_packet_size, d.ack.session_id),
        (0, 33, 3)
    );
    // the client's checks
    let h = c.hello();
    let mut a = decide(&c, &h, &n).ack;
    a.session_id = 0;
    assert_eq!(
        check_ack(&h, &a).unwrap_err().rule,
        Rule::ack_session_id_zero
    );
    a.session_id = 9;
    a.agreed_max_response_batch_items = 2;
    assert_eq!(
        check_ack(&h, &a).unwrap_err().rule,
        Rule::ack_batch_items_differ
    );
    a.agreed_max_response_batch_items = 1;
    a.agreed_packet_size = 65537;
    assert_eq!(
        check_ack(&h, &a).unwrap_err().rule,
        Rule::ack_packet_size_over_proposal
    );
}

#[test]
fn hello_layouts() {
    let h = cfg().hello();
    let b = h.encode();
    assert_eq!(b.len(), 44);
    assert_eq!(Hello::decode(&b), h);
    let a = HelloAck {
        session_id: 0x0102030405060708,
        ..HelloAck::default()
    };
    let b = a.encode();
    assert_eq!(b.len(), 48);
    assert_eq!(b[40], 8);
    assert_eq!(HelloAck::decode(&b), a);
}
