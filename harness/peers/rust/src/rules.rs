//! The contract rules a message can break, by their public names and clauses.

macro_rules! rules {
    ($($name:ident => $clause:expr),* $(,)?) => {
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Rule { $($name),* }

        impl Rule {
            pub fn name(self) -> &'static str {
                match self { $(Rule::$name => stringify!($name)),* }
            }
            pub fn clause(self) -> &'static str {
                match self { $(Rule::$name => $clause),* }
            }
        }
    };
}

rules! {
    message_truncated => "WE-1",
    bad_magic => "WE-1",
    bad_version => "WE-1",
    bad_header_len => "WE-1",
    bad_kind => "WE-1",
    bad_flags => "WE-1",
    bad_item_count => "WE-1",
    message_length_mismatch => "WE-1",
    payload_over_limit => "WE-1",
    item_count_over_limit => "WE-1",
    packet_over_size => "NP-14",
    batch_directory_out_of_bounds => "WE-2",
    batch_item_misaligned => "WE-2",
    batch_item_out_of_bounds => "WE-2",
    bad_chunk_magic => "WE-3",
    bad_chunk_version => "WE-3",
    bad_chunk_flags => "WE-3",
    chunk_message_id_mismatch => "WE-3",
    chunk_index_out_of_order => "WE-3",
    chunk_count_mismatch => "WE-3",
    chunk_total_len_mismatch => "WE-3",
    chunk_payload_len_mismatch => "WE-3",
    chunk_payload_empty => "WE-3",
    chunk_payload_over_budget => "WE-3",
    chunk_payload_over_remaining => "WE-3",
    continuation_without_first => "WE-3",
    chunk_interleaved => "NP-14",
    first_chunk_short => "WE-4",
    control_wrong_kind => "NP-8",
    control_wrong_code => "NP-8",
    hello_bad_payload_len => "WE-5",
    hello_ack_bad_payload_len => "WE-6",
    hello_bad_layout_version => "WE-7",
    hello_nonzero_flags => "WE-7",
    hello_nonzero_padding => "WE-7",
    auth_token_mismatch => "WE-7",
    no_common_profile => "WE-7",
    request_payload_over_server_limit => "WE-7",
    packet_size_too_small => "NP-12",
    ack_rejected => "WE-7",
    ack_bad_layout_version => "WE-6",
    ack_nonzero_flags => "WE-6",
    ack_nonzero_padding => "WE-6",
    ack_batch_items_differ => "WE-6",
    ack_intersection_wrong => "WE-7",
    ack_profile_not_offered => "WE-7",
    ack_packet_size_too_small => "NP-12",
    ack_packet_size_over_proposal => "NP-12",
    ack_request_payload_over_proposal => "WE-7",
    ack_session_id_zero => "WE-8",
    unknown_message_id => "WE-10",
}

/// A broken rule and a sentence saying which field, expected and actual.
#[derive(Clone, Debug)]
pub struct Violation {
    pub rule: Rule,
    pub detail: String,
}

pub fn broke(rule: Rule, detail: String) -> Violation {
    Violation { rule, detail }
}

/// A `field: expected X, got Y` sentence.
pub fn expected<A: std::fmt::Display, B: std::fmt::Display>(
    field: &str,
    want: A,
    got: B,
) -> String {
    format!("{}: expected {}, got {}", field, want, got)
}
