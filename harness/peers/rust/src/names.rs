//! NP-2 / NP-3 / NP-4: FNV-1a 64, service-name rule, pipe name.

pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
pub const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
pub const MAX_PIPE_NAME: usize = 256;

pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Err((rule name, sentence)) when `service` breaks NP-4.
pub fn check_service(service: &str) -> Result<(), (&'static str, String)> {
    if service.is_empty() {
        return Err((
            "service_name_empty",
            "service_name: expected at least one character".to_string(),
        ));
    }
    for (i, c) in service.chars().enumerate() {
        let ok = c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
        if !ok {
            return Err((
                "service_name_bad_char",
                format!(
                    "service_name: expected only [A-Za-z0-9-_.], got {:?} at index {}",
                    c, i
                ),
            ));
        }
    }
    Ok(())
}

/// The pipe name for (run_dir, service), or the rule it breaks.
pub fn pipe_name(run_dir: &str, service: &str) -> Result<String, (&'static str, String)> {
    check_service(service)?;
    let name = format!(
        "\\\\.\\pipe\\netipc-{:016x}-{}",
        fnv1a64(run_dir.as_bytes()),
        service
    );
    let len = name.encode_utf16().count();
    if len > MAX_PIPE_NAME {
        return Err((
            "pipe_name_too_long",
            format!(
                "pipe name: expected at most {} characters, got {}",
                MAX_PIPE_NAME, len
            ),
        ));
    }
    Ok(name)
}
