//! Byte layouts of wire-envelope.md: outer header, continuation header,
//! HELLO, HELLO_ACK, batch directory. Little-endian throughout.

use crate::rules::{broke, expected, Rule, Violation};

pub const MAGIC: u32 = 0x4e49_5043;
pub const CHUNK_MAGIC: u32 = 0x4e43_484b;
pub const VERSION: u16 = 1;
pub const HEADER_LEN: usize = 32;

pub const KIND_REQUEST: u16 = 1;
pub const KIND_RESPONSE: u16 = 2;
pub const KIND_CONTROL: u16 = 3;
pub const FLAG_BATCH: u16 = 0x0001;
pub const CODE_HELLO: u16 = 1;
pub const CODE_HELLO_ACK: u16 = 2;

pub const HELLO_LEN: usize = 44;
pub const ACK_LEN: usize = 48;

pub const STATUS_OK: u16 = 0;
pub const STATUS_BAD_ENVELOPE: u16 = 1;
pub const STATUS_AUTH_FAILED: u16 = 2;
pub const STATUS_INCOMPATIBLE: u16 = 3;
pub const STATUS_UNSUPPORTED: u16 = 4;
pub const STATUS_LIMIT_EXCEEDED: u16 = 5;

pub fn status_name(s: u16) -> String {
    match s {
        0 => "OK".into(),
        1 => "BAD_ENVELOPE".into(),
        2 => "AUTH_FAILED".into(),
        3 => "INCOMPATIBLE".into(),
        4 => "UNSUPPORTED".into(),
        5 => "LIMIT_EXCEEDED".into(),
        6 => "INTERNAL_ERROR".into(),
        n => format!("STATUS_{}", n),
    }
}

pub fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
pub fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
pub fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}
fn put16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], o: usize, v: u64) {
    b[o..o + 8].copy_from_slice(&v.to_le_bytes());
}

/// The outer header's variable fields (magic, version, header_len are fixed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub kind: u16,
    pub flags: u16,
    pub code: u16,
    pub status: u16,
    pub payload_len: u32,
    pub item_count: u32,
    pub message_id: u64,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        put32(&mut b, 0, MAGIC);
        put16(&mut b, 4, VERSION);
        put16(&mut b, 6, HEADER_LEN as u16);
        put16(&mut b, 8, self.kind);
        put16(&mut b, 10, self.flags);
        put16(&mut b, 12, self.code);
        put16(&mut b, 14, self.status);
        put32(&mut b, 16, self.payload_len);
        put32(&mut b, 20, self.item_count);
        put64(&mut b, 24, self.message_id);
        b
    }

    /// Decode and check the fixed fields, kind, flags and item_count
    /// (WE-1); limits are checked by the caller that knows them.
    pub fn decode(b: &[u8]) -> Result<Header, Violation> {
        if b.len() < HEADER_LEN {
            return Err(broke(
                Rule::message_truncated,
                expected("packet length", ">= 32", b.len()),
            ));
        }
        let magic = u32_at(b, 0);
        if magic != MAGIC {
            return Err(broke(
                Rule::bad_magic,
                expected("magic", "0x4e495043", format!("{:#010x}", magic)),
            ));
        }
        if u16_at(b, 4) != VERSION {
            return Err(broke(
                Rule::bad_version,
                expected("version", 1, u16_at(b, 4)),
            ));
        }
        if u16_at(b, 6) as usize != HEADER_LEN {
            return Err(broke(
                Rule::bad_header_len,
                expected("header_len", 32, u16_at(b, 6)),
            ));
        }
        let h = Header {
            kind: u16_at(b, 8),
            flags: u16_at(b, 10),
            code: u16_at(b, 12),
            status: u16_at(b, 14),
            payload_len: u32_at(b, 16),
            item_count: u32_at(b, 20),
            message_id: u64_at(b, 24),
        };
        if !(KIND_REQUEST..=KIND_CONTROL).contains(&h.kind) {
            return Err(broke(Rule::bad_kind, expected("kind", "1, 2 or 3", h.kind)));
        }
        if h.flags & !FLAG_BATCH != 0 {
            return Err(broke(Rule::bad_flags, expected("flags", "0 or 1", h.flags)));
        }
        if h.item_count == 0 || (h.flags & FLAG_BATCH == 0 && h.item_count != 1) {
            return Err(broke(
                Rule::bad_item_count,
                expected("item_count", "1 without BATCH, >= 1 with it", h.item_count),
            ));
        }
        Ok(h)
    }
}

/// Continuation header (3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkHeader {
    pub message_id: u64,
    pub total_len: u32,
    pub index: u32,
    pub count: u32,
    pub payload_len: u32,
}

impl ChunkHeader {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        put32(&mut b, 0, CHUNK_MAGIC);
        put16(&mut b, 4, VERSION);
        put16(&mut b, 6, 0);
        put64(&mut b, 8, self.message_id);
        put32(&mut b, 16, self.total_len);
        put32(&mut b, 20, self.index);
        put32(&mut b, 24, self.count);
        put32(&mut b, 28, self.payload_len);
        b
    }

    /// Decode and check magic, version, flags (the fields that need no state).
    pub fn decode(b: &[u8]) -> Result<ChunkHeader, Violation> {
        if b.len() < HEADER_LEN {
            return Err(broke(
                Rule::message_truncated,
                expected("continuation length", ">= 32", b.len()),
            ));
        }
        let magic = u32_at(b, 0);
        if magic == MAGIC {
            return Err(broke(
                Rule::chunk_interleaved,
                "a new message started before the previous one's last chunk".into(),
            ));
        }
        if magic != CHUNK_MAGIC {
            return Err(broke(
                Rule::bad_chunk_magic,
                expected("chunk magic", "0x4e43484b", format!("{:#010x}", magic)),
            ));
        }
        if u16_at(b, 4) != VERSION {
            return Err(broke(
                Rule::bad_chunk_version,
                expected("chunk version", 1, u16_at(b, 4)),
            ));
        }
        if u16_at(b, 6) != 0 {
            return Err(broke(
                Rule::bad_chunk_flags,
                expected("chunk flags", 0, u16_at(b, 6)),
            ));
        }
        Ok(ChunkHeader {
            message_id: u64_at(b, 8),
            total_len: u32_at(b, 16),
            index: u32_at(b, 20),
            count: u32_at(b, 24),
            payload_len: u32_at(b, 28),
        })
    }
}

/// HELLO payload (4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hello {
    pub layout_version: u16,
    pub flags: u16,
    pub supported_profiles: u32,
    pub preferred_profiles: u32,
    pub max_request_payload_bytes: u32,
    pub max_request_batch_items: u32,
    pub max_response_payload_bytes: u32,
    pub max_response_batch_items: u32,
    pub padding: u32,
    pub auth_token: u64,
    pub packet_size: u32,
}

impl Hello {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; HELLO_LEN];
        put16(&mut b, 0, self.layout_version);
        put16(&mut b, 2, self.flags);
        put32(&mut b, 4, self.supported_profiles);
        put32(&mut b, 8, self.preferred_profiles);
        put32(&mut b, 12, self.max_request_payload_bytes);
        put32(&mut b, 16, self.max_request_batch_items);
        put32(&mut b, 20, self.max_response_payload_bytes);
        put32(&mut b, 24, self.max_response_batch_items);
        put32(&mut b, 28, self.padding);
        put64(&mut b, 32, self.auth_token);
        put32(&mut b, 40, self.packet_size);
        b
    }

    /// `b` must be exactly HELLO_LEN bytes (checked by the caller).
    pub fn decode(b: &[u8]) -> Hello {
        Hello {
            layout_version: u16_at(b, 0),
            flags: u16_at(b, 2),
            supported_profiles: u32_at(b, 4),
            preferred_profiles: u32_at(b, 8),
            max_request_payload_bytes: u32_at(b, 12),
            max_request_batch_items: u32_at(b, 16),
            max_response_payload_bytes: u32_at(b, 20),
            max_response_batch_items: u32_at(b, 24),
            padding: u32_at(b, 28),
            auth_token: u64_at(b, 32),
            packet_size: u32_at(b, 40),
        }
    }
}

/// HELLO_ACK payload (4.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HelloAck {
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

impl HelloAck {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; ACK_LEN];
        put16(&mut b, 0, self.layout_version);
        put16(&mut b, 2, self.flags);
        put32(&mut b, 4, self.server_supported_profiles);
        put32(&mut b, 8, self.intersection_profiles);
        put32(&mut b, 12, self.selected_profile);
        put32(&mut b, 16, self.agreed_max_request_payload_bytes);
        put32(&mut b, 20, self.agreed_max_request_batch_items);
        put32(&mut b, 24, self.agreed_max_response_payload_bytes);
        put32(&mut b, 28, self.agreed_max_response_batch_items);
        put32(&mut b, 32, self.agreed_packet_size);
        put32(&mut b, 36, self.padding);
        put64(&mut b, 40, self.session_id);
        b
    }

    /// `b` must be exactly ACK_LEN bytes (checked by the caller).
    pub fn decode(b: &[u8]) -> HelloAck {
        HelloAck {
            layout_version: u16_at(b, 0),
            flags: u16_at(b, 2),
            server_supported_profiles: u32_at(b, 4),
            intersection_profiles: u32_at(b, 8),
            selected_profile: u32_at(b, 12),
            agreed_max_request_payload_bytes: u32_at(b, 16),
            agreed_max_request_batch_items: u32_at(b, 20),
            agreed_max_response_payload_bytes: u32_at(b, 24),
            agreed_max_response_batch_items: u32_at(b, 28),
            agreed_packet_size: u32_at(b, 32),
            padding: u32_at(b, 36),
            session_id: u64_at(b, 40),
        }
    }
}

fn round8(n: u64) -> u64 {
    (n + 7) & !7
}

/// A batch payload (section 2) holding `items` in order.
pub fn encode_batch(items: &[Vec<u8>]) -> Vec<u8> {
    let dir = items.len() * 8;
    let area = round8(dir as u64) as usize;
    let mut offsets = Vec::with_capacity(items.len());
    let mut at = 0usize;
    for it in items {
        offsets.push(at);
        at = round8((at + it.len()) as u64) as usize;
    }
    let mut out = vec![0u8; area + at];
    for (i, it) in items.iter().enumerate() {
        put32(&mut out, i * 8, offsets[i] as u32);
        put32(&mut out, i * 8 + 4, it.len() as u32);
        out[area + offsets[i]..area + offsets[i] + it.len()].copy_from_slice(it);
    }
    out
}

/// WE-2: the directory fits, every item is aligned and inside the area.
pub fn check_batch(payload: &[u8], item_count: u32) -> Result<(), Violation> {
    let dir = item_count as u64 * 8;
    let len = payload.len() as u64;
    if dir > len {
        return Err(broke(
            Rule::batch_directory_out_of_bounds,
            expected("batch directory bytes", format!("<= {}", len), dir),
        ));
    }
    let area = round8(dir);
    for i in 0..item_count as usize {
        let off = u32_at(payload, i * 8) as u64;
        let n = u32_at(payload, i * 8 + 4) as u64;
        if off % 8 != 0 {
            return Err(broke(
                Rule::batch_item_misaligned,
                expected(&format!("item {} offset", i), "a multiple of 8", off),
            ));
        }
        if area + off + n > len {
            return Err(broke(
                Rule::batch_item_out_of_bounds,
                expected(
                    &format!("item {} end", i),
                    format!("<= {}", len),
                    area + off + n,
                ),
            ));
        }
    }
    Ok(())
}

/// The `item_count` items of a batch payload, checked first (WE-2).
pub fn decode_batch(payload: &[u8], item_count: u32) -> Result<Vec<Vec<u8>>, Violation> {
    check_batch(payload, item_count)?;
    let area = round8(item_count as u64 * 8) as usize;
    let item = |i: usize| {
        let off = area + u32_at(payload, i * 8) as usize;
        payload[off..off + u32_at(payload, i * 8 + 4) as usize].to_vec()
    };
    Ok((0..item_count as usize).map(item).collect())
}
