//! kernel32 declarations (written by hand, std only) and small RAII wrappers.
#![allow(non_snake_case, dead_code)]

use std::ffi::c_void;
use std::ptr;

pub type Handle = *mut c_void;
pub type Bool = i32;

#[repr(C)]
pub struct Overlapped {
    pub internal: usize,
    pub internal_high: usize,
    pub offset: u32,
    pub offset_high: u32,
    pub event: Handle,
}

#[link(name = "kernel32")]
extern "system" {
    pub fn CreateNamedPipeW(
        name: *const u16,
        open_mode: u32,
        pipe_mode: u32,
        max_instances: u32,
        out_buffer: u32,
        in_buffer: u32,
        default_timeout: u32,
        security: *mut c_void,
    ) -> Handle;
    pub fn ConnectNamedPipe(pipe: Handle, ov: *mut Overlapped) -> Bool;
    pub fn CreateFileW(
        name: *const u16,
        access: u32,
        share: u32,
        security: *mut c_void,
        disposition: u32,
        flags: u32,
        template: Handle,
    ) -> Handle;
    pub fn SetNamedPipeHandleState(
        pipe: Handle,
        mode: *mut u32,
        max_collection: *mut u32,
        timeout: *mut u32,
    ) -> Bool;
    pub fn WaitNamedPipeW(name: *const u16, timeout_ms: u32) -> Bool;
    pub fn ReadFile(h: Handle, buf: *mut u8, len: u32, read: *mut u32, ov: *mut Overlapped)
        -> Bool;
    pub fn WriteFile(
        h: Handle,
        buf: *const u8,
        len: u32,
        written: *mut u32,
        ov: *mut Overlapped,
    ) -> Bool;
    pub fn GetOverlappedResult(h: Handle, ov: *mut Overlapped, n: *mut u32, wait: Bool) -> Bool;
    pub fn CancelIoEx(h: Handle, ov: *mut Overlapped) -> Bool;
    pub fn CreateEventW(
        security: *mut c_void,
        manual: Bool,
        initial: Bool,
        name: *const u16,
    ) -> Handle;
    pub fn WaitForSingleObject(h: Handle, ms: u32) -> u32;
    pub fn CloseHandle(h: Handle) -> Bool;
    pub fn GetLastError() -> u32;
}

pub const PIPE_ACCESS_DUPLEX: u32 = 0x3;
pub const FILE_FLAG_OVERLAPPED: u32 = 0x4000_0000;
pub const PIPE_TYPE_MESSAGE: u32 = 0x4;
pub const PIPE_READMODE_MESSAGE: u32 = 0x2;
pub const PIPE_REJECT_REMOTE_CLIENTS: u32 = 0x8;
pub const PIPE_UNLIMITED_INSTANCES: u32 = 255;
pub const GENERIC_READ: u32 = 0x8000_0000;
pub const GENERIC_WRITE: u32 = 0x4000_0000;
pub const OPEN_EXISTING: u32 = 3;
pub const WAIT_OBJECT_0: u32 = 0;
pub const WAIT_TIMEOUT: u32 = 258;

pub const ERROR_FILE_NOT_FOUND: u32 = 2;
pub const ERROR_BROKEN_PIPE: u32 = 109;
pub const ERROR_SEM_TIMEOUT: u32 = 121;
pub const ERROR_PIPE_BUSY: u32 = 231;
pub const ERROR_NO_DATA: u32 = 232;
pub const ERROR_PIPE_NOT_CONNECTED: u32 = 233;
pub const ERROR_MORE_DATA: u32 = 234;
pub const ERROR_PIPE_CONNECTED: u32 = 535;
pub const ERROR_OPERATION_ABORTED: u32 = 995;
pub const ERROR_IO_INCOMPLETE: u32 = 996;
pub const ERROR_IO_PENDING: u32 = 997;

pub fn invalid_handle() -> Handle {
    usize::MAX as Handle
}

pub fn last_error() -> u32 {
    unsafe { GetLastError() }
}

/// The three codes NP-17 calls a graceful close.
pub fn is_disconnect(code: u32) -> bool {
    code == ERROR_BROKEN_PIPE || code == ERROR_NO_DATA || code == ERROR_PIPE_NOT_CONNECTED
}

pub fn error_name(code: u32) -> String {
    let known = match code {
        0 => "ERROR_SUCCESS",
        2 => "ERROR_FILE_NOT_FOUND",
        5 => "ERROR_ACCESS_DENIED",
        6 => "ERROR_INVALID_HANDLE",
        87 => "ERROR_INVALID_PARAMETER",
        109 => "ERROR_BROKEN_PIPE",
        121 => "ERROR_SEM_TIMEOUT",
        123 => "ERROR_INVALID_NAME",
        231 => "ERROR_PIPE_BUSY",
        232 => "ERROR_NO_DATA",
        233 => "ERROR_PIPE_NOT_CONNECTED",
        234 => "ERROR_MORE_DATA",
        258 => "WAIT_TIMEOUT",
        535 => "ERROR_PIPE_CONNECTED",
        995 => "ERROR_OPERATION_ABORTED",
        996 => "ERROR_IO_INCOMPLETE",
        997 => "ERROR_IO_PENDING",
        _ => "",
    };
    if known.is_empty() {
        format!("WIN32_{}", code)
    } else {
        known.to_string()
    }
}

/// A NUL-terminated UTF-16 copy of `s`.
pub fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// An owned kernel handle, closed on drop.
pub struct Owned(pub Handle);

unsafe impl Send for Owned {}
unsafe impl Sync for Owned {}

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.0.is_null() && self.0 != invalid_handle() {
            unsafe {
                CloseHandle(self.0);
            }
        }
    }
}

/// A manual-reset event for one overlapped operation at a time.
pub fn new_event() -> Result<Owned, u32> {
    let h = unsafe { CreateEventW(ptr::null_mut(), 1, 0, ptr::null()) };
    if h.is_null() {
        Err(last_error())
    } else {
        Ok(Owned(h))
    }
}
