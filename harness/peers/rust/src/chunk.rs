//! Chunking (wire-envelope.md 3): splitting a logical message into packets
//! and reassembling packets into messages with every check.

use crate::rules::{broke, expected, Rule, Violation};
use crate::wire::*;

/// What the receiving direction agreed to accept.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub packet_size: u32,
    pub max_payload: u32,
    pub max_items: u32,
}

pub struct Message {
    pub header: Header,
    pub payload: Vec<u8>,
}

/// The packets of one logical message, in sending order.
pub fn split(h: &Header, payload: &[u8], packet_size: u32) -> Vec<Vec<u8>> {
    let head = h.encode();
    let total = HEADER_LEN + payload.len();
    if total <= packet_size as usize {
        let mut p = Vec::with_capacity(total);
        p.extend_from_slice(&head);
        p.extend_from_slice(payload);
        return vec![p];
    }
    let budget = packet_size as usize - HEADER_LEN;
    let first = budget.min(payload.len());
    let rest = payload.len() - first;
    let count = 1 + (rest + budget - 1) / budget;
    let mut out = Vec::with_capacity(count);
    let mut p = Vec::with_capacity(packet_size as usize);
    p.extend_from_slice(&head);
    p.extend_from_slice(&payload[..first]);
    out.push(p);
    let mut at = first;
    for index in 1..count {
        let n = budget.min(payload.len() - at);
        let ch = ChunkHeader {
            message_id: h.message_id,
            total_len: total as u32,
            index: index as u32,
            count: count as u32,
            payload_len: n as u32,
        };
        let mut p = Vec::with_capacity(HEADER_LEN + n);
        p.extend_from_slice(&ch.encode());
        p.extend_from_slice(&payload[at..at + n]);
        out.push(p);
        at += n;
    }
    out
}

struct Partial {
    header: Header,
    payload: Vec<u8>,
    next_index: u32,
    count: u32,
}

/// Turns packets into messages; one message in progress at a time.
pub struct Reassembler {
    limits: Limits,
    partial: Option<Partial>,
}

impl Reassembler {
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler {
            limits,
            partial: None,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn mid_message(&self) -> bool {
        self.partial.is_some()
    }

    /// Some(message) once its last packet arrived.
    pub fn feed(&mut self, pkt: &[u8]) -> Result<Option<Message>, Violation> {
        if pkt.len() > self.limits.packet_size as usize {
            return Err(broke(
                Rule::packet_over_size,
                expected(
                    "packet length",
                    format!("<= {}", self.limits.packet_size),
                    pkt.len(),
                ),
            ));
        }
        match self.partial.take() {
            None => self.first(pkt),
            Some(p) => self.continuation(p, pkt),
        }
    }

    fn first(&mut self, pkt: &[u8]) -> Result<Option<Message>, Violation> {
        if pkt.len() >= 4 && u32_at(pkt, 0) == CHUNK_MAGIC {
            return Err(broke(
                Rule::continuation_without_first,
                "a continuation arrived with no message in progress".into(),
            ));
        }
        let h = Header::decode(pkt)?;
        if h.payload_len > self.limits.max_payload {
            return Err(broke(
                Rule::payload_over_limit,
                expected(
                    "payload_len",
                    format!("<= {}", self.limits.max_payload),
                    h.payload_len,
                ),
            ));
        }
        if h.item_count > self.limits.max_items {
            return Err(broke(
                Rule::item_count_over_limit,
                expected(
                    "item_count",
                    format!("<= {}", self.limits.max_items),
                    h.item_count,
                ),
            ));
        }
        let total = HEADER_LEN as u64 + h.payload_len as u64;
        let got = pkt.len() - HEADER_LEN;
        if total <= self.limits.packet_size as u64 {
            if pkt.len() as u64 != total {
                return Err(broke(
                    Rule::message_length_mismatch,
                    expected("packet length", total, pkt.len()),
                ));
            }
            return Ok(Some(Message {
                header: h,
                payload: pkt[HEADER_LEN..].to_vec(),
            }));
        }
        // Chunked: the first packet must carry as many bytes as fit (WE-4).
        if pkt.len() != self.limits.packet_size as usize {
            return Err(broke(
                Rule::first_chunk_short,
                expected("first chunk length", self.limits.packet_size, pkt.len()),
            ));
        }
        let budget = self.limits.packet_size as u64 - HEADER_LEN as u64;
        let rest = h.payload_len as u64 - got as u64;
        let count = 1 + (rest + budget - 1) / budget;
        let mut payload = Vec::with_capacity(h.payload_len as usize);
        payload.extend_from_slice(&pkt[HEADER_LEN..]);
        self.partial = Some(Partial {
            header: h,
            payload,
            next_index: 1,
            count: count as u32,
        });
        Ok(None)
    }

    fn continuation(&mut self, mut p: Partial, pkt: &[u8]) -> Result<Option<Message>, Violation> {
        let c = ChunkHeader::decode(pkt)?;
        let total = HEADER_LEN as u32 + p.header.payload_len;
        if c.message_id != p.header.message_id {
            return Err(broke(
                Rule::chunk_message_id_mismatch,
                expected("chunk message_id", p.header.message_id, c.message_id),
            ));
        }
        if c.total_len != total {
            return Err(broke(
                Rule::chunk_total_len_mismatch,
                expected("total_message_len", total, c.total_len),
            ));
        }
        if c.index != p.next_index {
            return Err(broke(
                Rule::chunk_index_out_of_order,
                expected("chunk_index", p.next_index, c.index),
            ));
        }
        if c.count != p.count {
            return Err(broke(
                Rule::chunk_count_mismatch,
                expected("chunk_count", p.count, c.count),
            ));
        }
        if c.payload_len == 0 {
            return Err(broke(
                Rule::chunk_payload_empty,
                expected("chunk_payload_len", "> 0", 0),
            ));
        }
        let body = pkt.len() - HEADER_LEN;
        if c.payload_len as usize != body {
            return Err(broke(
                Rule::chunk_payload_len_mismatch,
                expected("chunk_payload_len", body, c.payload_len),
            ));
        }
        let budget = self.limits.packet_size as usize - HEADER_LEN;
        if body > budget {
            return Err(broke(
                Rule::chunk_payload_over_budget,
                expected("chunk_payload_len", format!("<= {}", budget), body),
            ));
        }
        let remaining = p.header.payload_len as usize - p.payload.len();
        if body > remaining {
            return Err(broke(
                Rule::chunk_payload_over_remaining,
                expected("chunk_payload_len", format!("<= {}", remaining), body),
            ));
        }
        let last = c.index + 1 == p.count;
        let want = if last { remaining } else { budget };
        if body != want {
            return Err(broke(
                Rule::chunk_payload_len_mismatch,
                expected("chunk_payload_len", want, body),
            ));
        }
        p.payload.extend_from_slice(&pkt[HEADER_LEN..]);
        if last {
            return Ok(Some(Message {
                header: p.header,
                payload: p.payload,
            }));
        }
        p.next_index += 1;
        self.partial = Some(p);
        Ok(None)
    }
}
