//! One named-pipe handle in message mode with overlapped I/O: every wait has
//! a deadline and an expired one is cancelled (CancelIoEx) before returning.
//! One read and one write may be in flight at once (separate events).

use crate::win::*;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub enum Fail {
    /// NP-17: the other side left (109, 232, 233).
    Disconnected {
        op: &'static str,
        code: u32,
    },
    Timeout {
        op: &'static str,
        code: u32,
    },
    Win32 {
        op: &'static str,
        code: u32,
    },
    /// A message longer than the buffer (ERROR_MORE_DATA); `len` is its size.
    TooBig {
        len: usize,
    },
    /// The stop flag was raised while waiting.
    Stopped,
}

fn classify(op: &'static str, code: u32) -> Fail {
    if is_disconnect(code) {
        Fail::Disconnected { op, code }
    } else {
        Fail::Win32 { op, code }
    }
}

pub struct Pipe {
    h: Owned,
    rd: Owned,
    wr: Owned,
}

const INFINITE: u32 = 0xFFFF_FFFF;

impl Pipe {
    fn wrap(h: Handle) -> Result<Pipe, Fail> {
        let h = Owned(h);
        let rd = new_event().map_err(|c| Fail::Win32 {
            op: "CreateEventW",
            code: c,
        })?;
        let wr = new_event().map_err(|c| Fail::Win32 {
            op: "CreateEventW",
            code: c,
        })?;
        Ok(Pipe { h, rd, wr })
    }

    /// A new server instance of `name` (message type, message read mode,
    /// overlapped), with in/out buffers of `buffer` bytes (NP-13).
    pub fn listen(name: &[u16], buffer: u32) -> Result<Pipe, Fail> {
        let h = unsafe {
            CreateNamedPipeW(
                name.as_ptr(),
                PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_REJECT_REMOTE_CLIENTS,
                PIPE_UNLIMITED_INSTANCES,
                buffer,
                buffer,
                0,
                ptr::null_mut(),
            )
        };
        if h == invalid_handle() {
            return Err(Fail::Win32 {
                op: "CreateNamedPipeW",
                code: last_error(),
            });
        }
        Pipe::wrap(h)
    }

    /// Wait for a client on this instance. `deadline` None waits forever;
    /// `stop` is polled so a watcher can end the wait.
    pub fn accept(&self, deadline: Option<Duration>, stop: &AtomicBool) -> Result<(), Fail> {
        let mut ov = overlapped(self.rd.0);
        let ok = unsafe { ConnectNamedPipe(self.h.0, &mut ov) };
        if ok == 0 {
            let e = last_error();
            // a client that opened before we asked, even one already gone
            if e == ERROR_PIPE_CONNECTED || e == ERROR_NO_DATA {
                return Ok(());
            }
        }
        self.finish(ok, &mut ov, deadline, Some(stop), "ConnectNamedPipe")
            .map(|_| ())
    }

    /// Open `name` as a client, retrying a missing name and waiting out a
    /// busy one (ERROR_PIPE_BUSY + WaitNamedPipeW) until `deadline`.
    pub fn connect(name: &str, deadline: Duration) -> Result<Pipe, Fail> {
        let w = wide(name);
        let start = Instant::now();
        loop {
            let h = unsafe {
                CreateFileW(
                    w.as_ptr(),
                    GENERIC_READ | GENERIC_WRITE,
                    0,
                    ptr::null_mut(),
                    OPEN_EXISTING,
                    FILE_FLAG_OVERLAPPED,
                    ptr::null_mut(),
                )
            };
            if h != invalid_handle() {
                let pipe = Pipe::wrap(h)?;
                let mut mode = PIPE_READMODE_MESSAGE;
                let ok = unsafe {
                    SetNamedPipeHandleState(h, &mut mode, ptr::null_mut(), ptr::null_mut())
                };
                if ok == 0 {
                    return Err(Fail::Win32 {
                        op: "SetNamedPipeHandleState",
                        code: last_error(),
                    });
                }
                return Ok(pipe);
            }
            let e = last_error();
            let left = deadline.checked_sub(start.elapsed()).unwrap_or_default();
            if left.is_zero() {
                return Err(Fail::Timeout {
                    op: "CreateFileW",
                    code: e,
                });
            }
            match e {
                ERROR_PIPE_BUSY => {
                    let ms = (left.as_millis() as u32).max(1);
                    unsafe { WaitNamedPipeW(w.as_ptr(), ms) };
                }
                ERROR_FILE_NOT_FOUND => std::thread::sleep(left.min(Duration::from_millis(10))),
                _ => return Err(classify("CreateFileW", e)),
            }
        }
    }

    /// One whole message into `buf`; a longer one is drained and reported
    /// as TooBig with its length.
    pub fn read(&self, buf: &mut [u8], deadline: Duration) -> Result<usize, Fail> {
        match self.read_once(buf, deadline) {
            Err(Fail::TooBig { len }) => {
                let mut total = len;
                let mut scratch = vec![0u8; 65536];
                loop {
                    match self.read_once(&mut scratch, deadline) {
                        Err(Fail::TooBig { len }) => total += len,
                        Ok(n) => return Err(Fail::TooBig { len: total + n }),
                        Err(_) => return Err(Fail::TooBig { len: total }),
                    }
                }
            }
            other => other,
        }
    }

    fn read_once(&self, buf: &mut [u8], deadline: Duration) -> Result<usize, Fail> {
        let mut ov = overlapped(self.rd.0);
        let ok = unsafe {
            ReadFile(
                self.h.0,
                buf.as_mut_ptr(),
                buf.len() as u32,
                ptr::null_mut(),
                &mut ov,
            )
        };
        self.finish(ok, &mut ov, Some(deadline), None, "ReadFile")
            .map(|n| n as usize)
    }

    /// One message (one pipe write).
    pub fn write(&self, data: &[u8], deadline: Duration) -> Result<(), Fail> {
        let mut ov = overlapped(self.wr.0);
        let ok = unsafe {
            WriteFile(
                self.h.0,
                data.as_ptr(),
                data.len() as u32,
                ptr::null_mut(),
                &mut ov,
            )
        };
        let n = self.finish(ok, &mut ov, Some(deadline), None, "WriteFile")?;
        if n as usize != data.len() {
            return Err(Fail::Win32 {
                op: "WriteFile (short write)",
                code: 0,
            });
        }
        Ok(())
    }

    /// Complete an overlapped operation started with result `ok`.
    fn finish(
        &self,
        ok: Bool,
        ov: &mut Overlapped,
        deadline: Option<Duration>,
        stop: Option<&AtomicBool>,
        op: &'static str,
    ) -> Result<u32, Fail> {
        if ok == 0 {
            let e = last_error();
            if e != ERROR_IO_PENDING && e != ERROR_MORE_DATA {
                return Err(classify(op, e));
            }
            if e == ERROR_IO_PENDING {
                self.wait(ov, deadline, stop, op)?;
            }
        }
        let mut n = 0u32;
        let done = unsafe { GetOverlappedResult(self.h.0, ov, &mut n, 0) };
        if done != 0 {
            return Ok(n);
        }
        match last_error() {
            ERROR_MORE_DATA => Err(Fail::TooBig { len: n as usize }),
            e => Err(classify(op, e)),
        }
    }

    fn wait(
        &self,
        ov: &mut Overlapped,
        deadline: Option<Duration>,
        stop: Option<&AtomicBool>,
        op: &'static str,
    ) -> Result<(), Fail> {
        let start = Instant::now();
        loop {
            let left = deadline.map(|d| d.checked_sub(start.elapsed()).unwrap_or_default());
            let mut slice = match left {
                Some(l) => l.as_millis().min(INFINITE as u128 - 1) as u32,
                None => INFINITE,
            };
            if stop.is_some() {
                slice = slice.min(50);
            }
            let r = unsafe { WaitForSingleObject(ov.event, slice) };
            if r == WAIT_OBJECT_0 {
                return Ok(());
            }
            if r != WAIT_TIMEOUT {
                let e = last_error();
                self.cancel(ov);
                return Err(Fail::Win32 {
                    op: "WaitForSingleObject",
                    code: e,
                });
            }
            if stop.map_or(false, |s| s.load(Ordering::SeqCst)) {
                self.cancel(ov);
                return Err(Fail::Stopped);
            }
            if left.map_or(false, |l| l.as_millis() as u64 <= slice as u64) {
                self.cancel(ov);
                return Err(Fail::Timeout {
                    op,
                    code: WAIT_TIMEOUT,
                });
            }
        }
    }

    /// Cancel and wait until the system no longer uses `ov`.
    fn cancel(&self, ov: &mut Overlapped) {
        let mut n = 0u32;
        unsafe {
            CancelIoEx(self.h.0, ov);
            GetOverlappedResult(self.h.0, ov, &mut n, 1);
        }
    }
}

fn overlapped(event: Handle) -> Overlapped {
    Overlapped {
        internal: 0,
        internal_high: 0,
        offset: 0,
        offset_high: 0,
        event,
    }
}
