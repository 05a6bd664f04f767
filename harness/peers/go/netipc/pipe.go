package netipc

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

var (
	kernel32                    = syscall.NewLazyDLL("kernel32.dll")
	procCreateNamedPipeW        = kernel32.NewProc("CreateNamedPipeW")
	procConnectNamedPipe        = kernel32.NewProc("ConnectNamedPipe")
	procWaitNamedPipeW          = kernel32.NewProc("WaitNamedPipeW")
	procSetNamedPipeHandleState = kernel32.NewProc("SetNamedPipeHandleState")
	procWaitForMultipleObjects  = kernel32.NewProc("WaitForMultipleObjects")
	procCancelIoEx              = kernel32.NewProc("CancelIoEx")
	procCreateEventW            = kernel32.NewProc("CreateEventW")
	procSetEvent                = kernel32.NewProc("SetEvent")
	procGetOverlappedResult     = kernel32.NewProc("GetOverlappedResult")
)

// createEvent makes an unnamed manual-reset event, initially unsignaled.
func createEvent() (syscall.Handle, error) {
	r, _, e := procCreateEventW.Call(0, 1, 0, 0)
	if r == 0 {
		return 0, win32Err("CreateEventW", e)
	}
	return syscall.Handle(r), nil
}

func setEvent(h syscall.Handle) { procSetEvent.Call(uintptr(h)) }

// getOverlappedResult returns nil or the Errno of the completed operation.
func getOverlappedResult(h syscall.Handle, ov *syscall.Overlapped, n *uint32, wait bool) error {
	w := uintptr(0)
	if wait {
		w = 1
	}
	r, _, e := procGetOverlappedResult.Call(uintptr(h), uintptr(unsafe.Pointer(ov)), uintptr(unsafe.Pointer(n)), w)
	if r != 0 {
		return nil
	}
	return e
}

const (
	pipeAccessDuplex        = 0x3
	fileFlagOverlapped      = 0x40000000
	pipeTypeMessage         = 0x4
	pipeReadmodeMessage     = 0x2
	pipeRejectRemoteClients = 0x8
	pipeUnlimitedInstances  = 255
	maxPipeBuffer           = 16 << 20

	errFileNotFound     = syscall.Errno(2)
	errBrokenPipe       = syscall.Errno(109)
	errSemTimeout       = syscall.Errno(121)
	errPipeBusy         = syscall.Errno(231)
	errNoData           = syscall.Errno(232)
	errPipeNotConnected = syscall.Errno(233)
	errMoreData         = syscall.Errno(234)
	errPipeConnected    = syscall.Errno(535)
	errOperationAborted = syscall.Errno(995)
	errIOPending        = syscall.Errno(997)
	waitTimeout         = 258
)

var win32Names = map[syscall.Errno]string{
	2: "ERROR_FILE_NOT_FOUND", 5: "ERROR_ACCESS_DENIED", 6: "ERROR_INVALID_HANDLE", 87: "ERROR_INVALID_PARAMETER",
	109: "ERROR_BROKEN_PIPE", 121: "ERROR_SEM_TIMEOUT", 161: "ERROR_BAD_PATHNAME", 231: "ERROR_PIPE_BUSY",
	232: "ERROR_NO_DATA", 233: "ERROR_PIPE_NOT_CONNECTED", 234: "ERROR_MORE_DATA", 535: "ERROR_PIPE_CONNECTED",
	995: "ERROR_OPERATION_ABORTED", 997: "ERROR_IO_PENDING", 1460: "ERROR_TIMEOUT",
}

// Win32Name is a Win32 error's name (ERROR_BROKEN_PIPE...).
func Win32Name(e syscall.Errno) string {
	if n, ok := win32Names[e]; ok {
		return n
	}
	return fmt.Sprintf("WIN32_%d", uint32(e))
}

// IsDisconnect says the peer left (NP-17): a graceful close.
func IsDisconnect(e syscall.Errno) bool {
	return e == errBrokenPipe || e == errNoData || e == errPipeNotConnected
}

// IOError is a failed Win32 call, or a wait that reached its deadline.
type IOError struct {
	Op         string
	Code       syscall.Errno
	Timeout    bool
	MidMessage bool // a read failed inside a chunked message
}

func (e *IOError) Error() string {
	if e.Timeout {
		return e.Op + ": deadline reached"
	}
	return e.Op + ": " + Win32Name(e.Code)
}

func win32Err(op string, err error) *IOError {
	var code syscall.Errno
	if !errors.As(err, &code) {
		code = syscall.Errno(0xFFFFFFFF)
	}
	return &IOError{Op: op, Code: code}
}

// ioOp is one overlapped operation slot; it lives on the heap with its pipe.
type ioOp struct {
	ov syscall.Overlapped
	ev syscall.Handle
}

func newOp() (*ioOp, error) {
	ev, err := createEvent()
	if err != nil {
		return nil, err
	}
	return &ioOp{ev: ev}, nil
}

func (o *ioOp) reset() { o.ov = syscall.Overlapped{HEvent: o.ev} }

// pipe is one end of a connected (or listening) pipe instance.
type pipe struct {
	h        syscall.Handle
	rop, wop *ioOp
	cop      *ioOp // the server's ConnectNamedPipe
	rbuf     []byte
}

func newPipe(h syscall.Handle) (*pipe, error) {
	p := &pipe{h: h, rbuf: make([]byte, 65536)}
	var err error
	if p.rop, err = newOp(); err != nil {
		return nil, err
	}
	if p.wop, err = newOp(); err != nil {
		return nil, err
	}
	if p.cop, err = newOp(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pipe) close() {
	syscall.CloseHandle(p.h)
	for _, o := range []*ioOp{p.rop, p.wop, p.cop} {
		syscall.CloseHandle(o.ev)
	}
}

func ms(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	if d/time.Millisecond >= 0xFFFFFFFE {
		return 0xFFFFFFFE
	}
	return uint32(d / time.Millisecond)
}

// finish waits for a started overlapped operation up to the deadline; on
// expiry it cancels the operation and waits for the cancellation.
func (p *pipe) finish(op string, o *ioOp, started error, deadline time.Duration) (uint32, error) {
	var n uint32
	if started != nil && started != errIOPending {
		if started == errMoreData {
			getOverlappedResult(p.h, &o.ov, &n, false)
			return n, errMoreData
		}
		return 0, win32Err(op, started)
	}
	if started == errIOPending {
		if r, _ := syscall.WaitForSingleObject(o.ev, ms(deadline)); r == waitTimeout {
			procCancelIoEx.Call(uintptr(p.h), uintptr(unsafe.Pointer(&o.ov)))
			err := getOverlappedResult(p.h, &o.ov, &n, true)
			if err == nil {
				return n, nil
			}
			if err == errMoreData {
				return n, errMoreData
			}
			return 0, &IOError{Op: op, Code: errOperationAborted, Timeout: true}
		}
	}
	err := getOverlappedResult(p.h, &o.ov, &n, true)
	if err == errMoreData {
		return n, errMoreData
	}
	if err != nil {
		return n, win32Err(op, err)
	}
	return n, nil
}

// readMessage returns one whole pipe message (ERROR_MORE_DATA is joined).
func (p *pipe) readMessage(deadline time.Duration) ([]byte, error) {
	off := 0
	for {
		if off == len(p.rbuf) {
			p.rbuf = append(p.rbuf, make([]byte, len(p.rbuf))...)
		}
		p.rop.reset()
		var done uint32
		started := syscall.ReadFile(p.h, p.rbuf[off:], &done, &p.rop.ov)
		n, err := p.finish("ReadFile", p.rop, started, deadline)
		off += int(n)
		if err == errMoreData {
			continue
		}
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), p.rbuf[:off]...), nil
	}
}

// write sends one pipe message (one packet).
func (p *pipe) write(pkt []byte, deadline time.Duration) error {
	p.wop.reset()
	var done uint32
	started := syscall.WriteFile(p.h, pkt, &done, &p.wop.ov)
	n, err := p.finish("WriteFile", p.wop, started, deadline)
	if err != nil {
		return err
	}
	if int(n) != len(pkt) {
		return &IOError{Op: "WriteFile (short write)", Code: syscall.Errno(0)}
	}
	return nil
}

func (p *pipe) writeAll(pkts [][]byte, deadline time.Duration) error {
	for _, pkt := range pkts {
		if err := p.write(pkt, deadline); err != nil {
			return err
		}
	}
	return nil
}

// createInstance makes one listening instance: message type, read in
// message mode, overlapped, buffers sized for a whole packet (NP-6, NP-13).
func createInstance(name string, packetSize uint32) (*pipe, error) {
	name16, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return nil, win32Err("CreateNamedPipeW", err)
	}
	buf := packetSize
	if buf > maxPipeBuffer {
		buf = maxPipeBuffer
	}
	r, _, e := procCreateNamedPipeW.Call(uintptr(unsafe.Pointer(name16)),
		pipeAccessDuplex|fileFlagOverlapped,
		pipeTypeMessage|pipeReadmodeMessage|pipeRejectRemoteClients,
		pipeUnlimitedInstances, uintptr(buf), uintptr(buf), 0, 0)
	h := syscall.Handle(r)
	if h == syscall.InvalidHandle {
		return nil, win32Err("CreateNamedPipeW", e)
	}
	p, err := newPipe(h)
	if err != nil {
		syscall.CloseHandle(h)
		return nil, err
	}
	return p, nil
}

// startConnect begins ConnectNamedPipe; true when a client is already there.
func (p *pipe) startConnect() (bool, error) {
	p.cop.reset()
	r, _, e := procConnectNamedPipe.Call(uintptr(p.h), uintptr(unsafe.Pointer(&p.cop.ov)))
	if r != 0 {
		return true, nil
	}
	switch e {
	case errIOPending:
		return false, nil
	case errPipeConnected:
		return true, nil
	}
	return false, win32Err("ConnectNamedPipe", e)
}

// connectResult collects a completed ConnectNamedPipe.
func (p *pipe) connectResult() error {
	var n uint32
	if err := getOverlappedResult(p.h, &p.cop.ov, &n, false); err != nil {
		return win32Err("ConnectNamedPipe", err)
	}
	return nil
}

// waitAny waits for one of the handles; it returns its index, or -1 on timeout.
func waitAny(handles []syscall.Handle, d time.Duration) (int, error) {
	r, _, e := procWaitForMultipleObjects.Call(uintptr(len(handles)), uintptr(unsafe.Pointer(&handles[0])), 0, uintptr(ms(d)))
	if r == waitTimeout {
		return -1, nil
	}
	if r < uintptr(len(handles)) {
		return int(r), nil
	}
	return -1, win32Err("WaitForMultipleObjects", e)
}

// dial connects a client (NP-7): CreateFileW, ERROR_PIPE_BUSY is waited out
// with WaitNamedPipeW until the deadline; then message read mode.
func dial(name string, deadline time.Duration) (*pipe, error) {
	name16, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return nil, win32Err("CreateFileW", err)
	}
	end := time.Now().Add(deadline)
	for {
		h, err := syscall.CreateFile(name16, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil,
			syscall.OPEN_EXISTING, fileFlagOverlapped, 0)
		if err == nil {
			mode := uint32(pipeReadmodeMessage)
			r, _, e := procSetNamedPipeHandleState.Call(uintptr(h), uintptr(unsafe.Pointer(&mode)), 0, 0)
			if r == 0 {
				syscall.CloseHandle(h)
				return nil, win32Err("SetNamedPipeHandleState", e)
			}
			p, err := newPipe(h)
			if err != nil {
				syscall.CloseHandle(h)
				return nil, err
			}
			return p, nil
		}
		if err != errPipeBusy {
			return nil, win32Err("CreateFileW", err)
		}
		left := time.Until(end)
		if left <= 0 {
			return nil, &IOError{Op: "CreateFileW (ERROR_PIPE_BUSY until the deadline)", Code: errPipeBusy, Timeout: true}
		}
		r, _, e := procWaitNamedPipeW.Call(uintptr(unsafe.Pointer(name16)), uintptr(ms(left)+1))
		if r == 0 && e != errSemTimeout && e != errPipeBusy {
			return nil, win32Err("WaitNamedPipeW", e)
		}
	}
}
