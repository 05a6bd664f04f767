package netipc

import (
	"errors"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// ErrListenerClosed is Accept's error once Close was called.
var ErrListenerClosed = errors.New("the listener was closed")

// Listener is a listening server: message-type instances of one pipe name.
type Listener struct {
	name string
	cfg  Config
	stop syscall.Handle // set by Close: a waiting Accept returns

	mu        sync.Mutex
	idle      []*instance
	closed    bool
	accepting bool
}

// instance is one pipe instance with its ConnectNamedPipe started.
type instance struct {
	p         *pipe
	connected bool // ConnectNamedPipe found a client at once
}

// Listen derives the pipe name (NP-2) and creates the first instance, so
// a client can connect as soon as it returns.
func Listen(runDir, service string, cfg Config) (*Listener, error) {
	name, err := PipeName(runDir, service)
	if err != nil {
		return nil, err
	}
	stop, err := createEvent()
	if err != nil {
		return nil, err
	}
	l := &Listener{name: name, cfg: cfg, stop: stop}
	first, err := l.newInstance()
	if err != nil {
		syscall.CloseHandle(stop)
		return nil, err
	}
	l.idle = []*instance{first}
	return l, nil
}

// Name is the pipe name the listener serves.
func (l *Listener) Name() string { return l.name }

func (l *Listener) newInstance() (*instance, error) {
	p, err := createInstance(l.name, l.cfg.PacketSize)
	if err != nil {
		return nil, err
	}
	connected, err := p.startConnect()
	if err != nil {
		p.close()
		return nil, err
	}
	return &instance{p: p, connected: connected}, nil
}

// abandon cancels a pending connect, waits for it, and closes the instance.
func (in *instance) abandon() {
	if !in.connected {
		var n uint32
		procCancelIoEx.Call(uintptr(in.p.h), uintptr(unsafe.Pointer(&in.p.cop.ov)))
		getOverlappedResult(in.p.h, &in.p.cop.ov, &n, true)
	}
	in.p.close()
}

// Accept waits up to deadline for a client and returns its session, whose
// ServerHandshake comes next. A spare instance is always listening while
// it waits, so a client arriving during the hand-over finds one (NP-18).
func (l *Listener) Accept(deadline time.Duration) (*Session, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrListenerClosed
	}
	l.accepting = true
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.accepting = false
		if l.closed {
			l.release()
		}
	}()
	for {
		for len(l.idle) < 2 {
			in, err := l.newInstance()
			if err != nil {
				if len(l.idle) == 0 {
					return nil, err
				}
				break
			}
			l.idle = append(l.idle, in)
		}
		i, err := l.waitConnected(deadline)
		if err != nil {
			return nil, err
		}
		in := l.idle[i]
		l.idle = append(l.idle[:i], l.idle[i+1:]...)
		if !in.connected {
			if err := in.p.connectResult(); err != nil {
				// The client came and went before the accept: not a session.
				in.connected = true
				in.abandon()
				continue
			}
		}
		return &Session{p: in.p, server: true, cfg: l.cfg}, nil
	}
}

// waitConnected returns the index of an instance a client connected to.
func (l *Listener) waitConnected(deadline time.Duration) (int, error) {
	handles := make([]syscall.Handle, 0, len(l.idle)+1)
	for i, in := range l.idle {
		if in.connected {
			return i, nil
		}
		handles = append(handles, in.p.cop.ev)
	}
	i, err := waitAny(append(handles, l.stop), deadline)
	switch {
	case err != nil:
		return 0, err
	case i < 0:
		return 0, &IOError{Op: "ConnectNamedPipe: no client before the deadline", Timeout: true}
	case i == len(l.idle):
		return 0, ErrListenerClosed
	}
	return i, nil
}

// Close ends the listener; an Accept waiting in another goroutine returns
// ErrListenerClosed.
func (l *Listener) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	setEvent(l.stop)
	if !l.accepting {
		l.release()
	}
}

// release closes every idle instance and the stop event (under mu).
func (l *Listener) release() {
	for _, in := range l.idle {
		in.abandon()
	}
	l.idle = nil
	syscall.CloseHandle(l.stop)
}
