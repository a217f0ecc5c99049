"""BSD-shaped sockets over one ``Interface``.

``Stack(iface, clock=..., wait=...)`` owns no thread and never sleeps. A blocking call loops:
poll the interface, check whether the call can complete, otherwise call ``wait(delay)`` where
``delay`` is the interface's ``poll_delay`` (None: nothing is scheduled, only a received frame can
wake us), capped by the call's timeout. The ``wait`` callback is what makes time pass:

- on a TAP: ``select`` on the TAP fd for ``delay`` seconds (``Stack.for_tap``);
- on the pipe / in a simulator: advance a simulated clock (``sim.SimWorld.wait``).

Errors are ``OSError`` instances built from an errno, so Python maps them to the usual subclasses
(``ConnectionRefusedError`` for ECONNREFUSED, ``BlockingIOError`` for EAGAIN, ``TimeoutError`` for
ETIMEDOUT, ...); ``exc.errno`` always carries the value.

``AsyncStack`` offers the same operations as coroutines: its ``wait`` is an ``async`` callable
(e.g. a cocotb ``Timer`` await) so a simulator can run its own clock between polls.
"""

from __future__ import annotations

import errno
import select as _select
import socket as _pysocket
import struct
import time
from collections.abc import Callable

from .socket.tcp import (
    CLOSE_WAIT,
    CLOSED,
    ESTABLISHED,
    LISTEN,
    SYN_RECEIVED,
    SYN_SENT,
    TcpConfig,
    TcpSocket,
)
from .socket.udp import UdpSocket
from .wire.ipv4 import ip_from_str, ip_to_str

AF_INET = _pysocket.AF_INET
SOCK_STREAM = _pysocket.SOCK_STREAM
SOCK_DGRAM = _pysocket.SOCK_DGRAM
SOL_SOCKET = _pysocket.SOL_SOCKET
IPPROTO_TCP = _pysocket.IPPROTO_TCP
TCP_NODELAY = _pysocket.TCP_NODELAY
SO_REUSEADDR = _pysocket.SO_REUSEADDR
SO_RCVBUF = _pysocket.SO_RCVBUF
SO_SNDBUF = _pysocket.SO_SNDBUF
SO_LINGER = _pysocket.SO_LINGER
SO_ERROR = _pysocket.SO_ERROR
SO_KEEPALIVE = _pysocket.SO_KEEPALIVE
SO_BROADCAST = _pysocket.SO_BROADCAST
SHUT_RD, SHUT_WR, SHUT_RDWR = _pysocket.SHUT_RD, _pysocket.SHUT_WR, _pysocket.SHUT_RDWR
SENDING_STATES = (SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT)  # a send may queue data


def _err(code: int, text: str | None = None) -> OSError:
    return OSError(code, text or errno.errorcode.get(code, "error"))


def _addr_in(addr) -> tuple[bytes, int]:
    try:
        host, port = addr
        ip = b"\x00\x00\x00\x00" if host in ("", "0.0.0.0") else ip_from_str(host)
        port = int(port)
    except (TypeError, ValueError):
        raise _err(errno.EINVAL, "address must be (ip, port)") from None
    if not 0 <= port < 65536:
        raise _err(errno.EINVAL, "port out of range")
    return ip, port


class Stack:
    """A host: one interface plus a socket API."""

    def __init__(self, iface, *, clock: Callable[[], float],
                 wait: Callable[[float | None], None],
                 tcp_config: TcpConfig | None = None) -> None:
        self.iface = iface
        self.clock = clock
        self.wait = wait
        self.tcp_config = tcp_config or TcpConfig()
        self._bound: dict[int, Socket] = {}  # TCP ports bound by API sockets not yet listening

    @classmethod
    def for_tap(cls, device, mac, ip, gateway=None, iface_config=None,
                tcp_config: TcpConfig | None = None) -> Stack:
        """A stack on a real TAP device, with the monotonic clock and select-based waiting."""
        from .iface import Interface
        iface = Interface(device, mac, ip, gateway, iface_config)

        def wait(timeout: float | None) -> None:
            _select.select([device.fileno()], [], [], timeout)

        return cls(iface, clock=time.monotonic, wait=wait, tcp_config=tcp_config)

    def socket(self, family: int = AF_INET, type: int = SOCK_STREAM, proto: int = 0) -> Socket:
        if family != AF_INET:
            raise _err(errno.EAFNOSUPPORT)
        if type not in (SOCK_STREAM, SOCK_DGRAM):
            raise _err(errno.ESOCKTNOSUPPORT if hasattr(errno, "ESOCKTNOSUPPORT")
                       else errno.EINVAL)
        return Socket(self, type)

    def poll(self) -> bool:
        return self.iface.poll(self.clock())

    def drive(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Run the stack until ``predicate()`` holds (True) or ``timeout`` passes (False)."""
        clock = self.clock
        deadline = None if timeout is None else clock() + timeout
        iface = self.iface
        while True:
            iface.poll(clock())
            if predicate():
                return True
            now = clock()
            if deadline is not None and now >= deadline:
                return False
            delay = iface.poll_delay(now)
            if deadline is not None:
                delay = deadline - now if delay is None else min(delay, deadline - now)
            self.wait(delay)

    def select(self, rlist, wlist, xlist, timeout: float | None = None):
        """Like ``select.select`` over this stack's sockets (timeout None blocks)."""
        result: list = [[], [], []]

        def ready() -> bool:
            result[0] = [s for s in rlist if s._readable()]
            result[1] = [s for s in wlist if s._writable()]
            result[2] = [s for s in xlist if s._exceptional()]
            return bool(result[0] or result[1] or result[2])

        if timeout is not None and timeout <= 0:
            self.poll()
            ready()
        else:
            self.drive(ready, timeout)
        return result[0], result[1], result[2]

    def _port_in_use(self, port: int, reuse: bool, me: Socket) -> bool:
        iface = self.iface
        if port in iface._tcp_listeners:
            return True
        other = self._bound.get(port)
        if other is not None and other is not me:
            return True
        if not reuse:
            return any(k[0] == port for k in iface._tcp_conns)
        return False


class Socket:
    """A BSD-style socket. Blocking by default; ``setblocking(False)`` raises BlockingIOError
    (EAGAIN / EINPROGRESS) instead of waiting."""

    def __init__(self, stack: Stack, type: int) -> None:
        self._init_common(stack, type)
        if type == SOCK_STREAM:
            self._tcp = stack.iface.add_socket(TcpSocket(stack.tcp_config))
        else:
            self._udp = stack.iface.add_socket(UdpSocket())

    def _init_common(self, stack: Stack, type: int) -> None:
        self._stack = stack
        self.type = type
        self.family = AF_INET
        self._timeout: float | None = None
        self._blocking = True
        self._closed = False
        self._reuse = False
        self._broadcast = False  # SO_BROADCAST: may send to a broadcast address
        self._linger_abort = False
        self._local_port = 0
        self._peer: tuple[bytes, int] | None = None  # UDP default destination
        self._tcp: TcpSocket | None = None
        self._udp: UdpSocket | None = None
        self._listening = False

    @classmethod
    def _from_child(cls, stack: Stack, child: TcpSocket) -> Socket:
        s = cls.__new__(cls)
        s._init_common(stack, SOCK_STREAM)
        s._tcp = child
        s._local_port = child.local_port
        return s

    # ------------------------------------------------------------------ plumbing

    def _check_open(self) -> None:
        if self._closed:
            raise _err(errno.EBADF, "socket is closed")

    def _run(self, attempt: Callable, ready: Callable[[], bool]):
        """Try ``attempt()``; while it raises BlockingIOError, drive the stack until ``ready``."""
        stack = self._stack
        stack.poll()
        deadline = None if self._timeout is None else stack.clock() + self._timeout
        while True:
            try:
                result = attempt()
            except BlockingIOError:
                if not self._blocking:
                    raise
            else:
                stack.poll()  # let queued data leave at once
                return result
            remaining = None if deadline is None else deadline - stack.clock()
            if remaining is not None and remaining <= 0:
                raise _err(errno.ETIMEDOUT, "timed out")
            stack.drive(lambda: ready() or self._closed, remaining)

    def _readable(self) -> bool:
        if self._tcp is not None:
            return self._tcp.is_readable
        return self._udp.is_readable

    def _writable(self) -> bool:
        if self._tcp is not None:
            t = self._tcp
            if t.state is CLOSED and t.remote_ip is None:
                return False
            return t.is_writable
        return self._udp.is_writable

    def _exceptional(self) -> bool:
        sock = self._tcp if self._tcp is not None else self._udp
        return sock.error is not None

    # ------------------------------------------------------------------ options and modes

    def setblocking(self, flag: bool) -> None:
        self._blocking = bool(flag)
        self._timeout = None

    def getblocking(self) -> bool:
        return self._blocking

    def settimeout(self, value: float | None) -> None:
        if value is not None and value < 0:
            raise ValueError("timeout must be >= 0")
        self._timeout = value
        self._blocking = value != 0

    def gettimeout(self) -> float | None:
        return self._timeout if self._blocking else 0.0

    def setsockopt(self, level: int, option: int, value) -> None:
        self._check_open()
        if isinstance(value, (bytes, bytearray)) and option != SO_LINGER:
            value = int.from_bytes(value[:4], "little")
        if level == IPPROTO_TCP and option == TCP_NODELAY and self._tcp is not None:
            self._tcp.config.nodelay = bool(value)
        elif level == SOL_SOCKET and option == SO_REUSEADDR:
            self._reuse = bool(value)
        elif level == SOL_SOCKET and option == SO_RCVBUF:
            if value <= 0:
                raise _err(errno.EINVAL)
            if self._tcp is not None:
                self._tcp.config.rx_buffer = max(int(value), 1024)
            else:
                self._udp.rx_buffer = int(value)
        elif level == SOL_SOCKET and option == SO_SNDBUF:
            if value <= 0:
                raise _err(errno.EINVAL)
            if self._tcp is not None:
                self._tcp.config.tx_buffer = max(int(value), 1024)
            else:
                self._udp.tx_buffer = int(value)
        elif level == SOL_SOCKET and option == SO_LINGER:
            if isinstance(value, (bytes, bytearray)):
                onoff, seconds = struct.unpack("ii", bytes(value[:8]))
            else:
                onoff, seconds = value
            self._linger_abort = bool(onoff) and seconds == 0
        elif level == SOL_SOCKET and option == SO_KEEPALIVE:
            pass  # accepted and ignored: no keepalive timer yet
        elif level == SOL_SOCKET and option == SO_BROADCAST:
            self._broadcast = bool(value)
        else:
            raise _err(errno.ENOPROTOOPT)

    def getsockopt(self, level: int, option: int):
        if level == SOL_SOCKET and option == SO_ERROR:
            sock = self._tcp if self._tcp is not None else self._udp
            err = sock.error
            sock.error = None
            return err or 0
        if level == IPPROTO_TCP and option == TCP_NODELAY and self._tcp is not None:
            return int(self._tcp.config.nodelay)
        if level == SOL_SOCKET and option == SO_REUSEADDR:
            return int(self._reuse)
        if level == SOL_SOCKET and option == SO_BROADCAST:
            return int(self._broadcast)
        if level == SOL_SOCKET and option == SO_RCVBUF:
            return self._tcp.config.rx_buffer if self._tcp is not None else self._udp.rx_buffer
        if level == SOL_SOCKET and option == SO_SNDBUF:
            return self._tcp.config.tx_buffer if self._tcp is not None else self._udp.tx_buffer
        raise _err(errno.ENOPROTOOPT)

    # ------------------------------------------------------------------ addresses

    def getsockname(self) -> tuple[str, int]:
        ip = self._stack.iface.ip
        if self._tcp is not None:
            return ip_to_str(ip), self._tcp.local_port or self._local_port
        return ip_to_str(ip), self._udp.local_port

    def getpeername(self) -> tuple[str, int]:
        if self._tcp is not None:
            t = self._tcp
            if t.remote_ip is None or t.state in (CLOSED, LISTEN):
                raise _err(errno.ENOTCONN)
            return ip_to_str(t.remote_ip), t.remote_port
        if self._peer is None:
            raise _err(errno.ENOTCONN)
        return ip_to_str(self._peer[0]), self._peer[1]

    @property
    def state(self) -> str:
        return self._tcp.state.value if self._tcp is not None else "UDP"

    # ------------------------------------------------------------------ setup

    def bind(self, address) -> None:
        self._check_open()
        ip, port = _addr_in(address)
        if ip not in (b"\x00\x00\x00\x00", self._stack.iface.ip):
            raise _err(errno.EADDRNOTAVAIL)
        if self._udp is not None:
            self._udp.bind(port)
            return
        if self._local_port or self._tcp.state is not CLOSED:
            raise _err(errno.EINVAL, "already bound")
        if port == 0:
            return  # an ephemeral port is chosen at connect/listen time
        if self._stack._port_in_use(port, self._reuse, self):
            raise _err(errno.EADDRINUSE)
        # the host's port space: another stack of the host (the OS's) may hold the port
        self._stack.iface.ports.claim(IPPROTO_TCP, port)
        self._local_port = port
        self._stack._bound[port] = self

    def _release_bind(self) -> None:
        """Drop the claim ``bind`` took (listen and connect hold their own from then on)."""
        if self._stack._bound.get(self._local_port) is self:
            del self._stack._bound[self._local_port]
            self._stack.iface.ports.release(IPPROTO_TCP, self._local_port)

    def listen(self, backlog: int = 16) -> None:
        self._check_open()
        if self._tcp is None:
            raise _err(errno.EOPNOTSUPP)
        if self._listening:
            self._tcp.backlog = max(1, backlog)
            return
        port = self._local_port
        if port == 0:
            port = self._stack.iface.pick_ephemeral_tcp_port()
        self._tcp.listen(port, backlog)
        self._release_bind()
        self._local_port = port
        self._listening = True

    def accept(self) -> tuple[Socket, tuple[str, int]]:
        self._check_open()
        if not self._listening:
            raise _err(errno.EINVAL, "socket is not listening")
        tcp = self._tcp

        def attempt():
            child = tcp.accept()
            if child is None:
                if tcp.state is not LISTEN:
                    raise _err(errno.EINVAL)
                raise _err(errno.EAGAIN)
            return child

        child = self._run(attempt, lambda: tcp.accept_pending > 0 or tcp.state is not LISTEN)
        sock = Socket._from_child(self._stack, child)
        return sock, (ip_to_str(child.remote_ip), child.remote_port)

    def connect(self, address) -> None:
        self._check_open()
        ip, port = _addr_in(address)
        if self._udp is not None:
            if not self._udp.is_bound:
                self._udp.bind(0)
            self._peer = self._udp.remote = (ip, port)
            return
        tcp = self._tcp
        if tcp.state in (SYN_SENT, SYN_RECEIVED):
            if not self._blocking:
                raise _err(errno.EALREADY)
        elif tcp.state is not CLOSED or self._listening:
            raise _err(errno.EISCONN)
        else:
            if port == 0:
                raise _err(errno.EINVAL)
            tcp.connect(ip, port, self._local_port)
            self._release_bind()
            self._stack.poll()  # the SYN leaves now

        try:
            self._run(self.connect_outcome, lambda: tcp.state not in (SYN_SENT, SYN_RECEIVED))
        except BlockingIOError:
            raise _err(errno.EINPROGRESS) from None

    def connect_outcome(self) -> None:
        """The outcome of the TCP handshake under way: returns once connected; raises
        EINPROGRESS (a BlockingIOError) while it runs, else why it failed."""
        tcp = self._tcp
        if tcp.state in (SYN_SENT, SYN_RECEIVED):
            raise _err(errno.EINPROGRESS)
        if tcp.error is not None:
            raise tcp._take_error_exc()
        if tcp.state is CLOSED:
            raise _err(errno.ECONNREFUSED)

    def connect_ex(self, address) -> int:
        try:
            self.connect(address)
        except OSError as e:
            return e.errno or errno.EINVAL
        return 0

    # ------------------------------------------------------------------ data

    def send(self, data, flags: int = 0) -> int:
        self._check_open()
        if self._udp is not None:
            if self._peer is None:
                raise _err(errno.EDESTADDRREQ)
            return self.sendto(data, (ip_to_str(self._peer[0]), self._peer[1]))
        tcp = self._tcp
        if tcp.state in (CLOSED, LISTEN) and tcp.error is None and tcp.remote_ip is None:
            raise _err(errno.ENOTCONN)
        view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        if not view:
            return 0
        return self._run(lambda: self.take_for_sending(view), self._send_ready)

    def take_for_sending(self, data) -> int:
        """Copy what fits of ``data`` into the TCP send buffer and return how many bytes; the
        stack does not run (nothing is transmitted until its next poll). Raises EAGAIN when
        nothing fits, or the socket's pending error."""
        tcp = self._tcp
        if tcp.error is not None:
            raise tcp._take_error_exc()
        n = tcp.send(data)
        if n == 0:
            raise _err(errno.EAGAIN)
        return n

    def _send_ready(self) -> bool:
        tcp = self._tcp
        return tcp.send_capacity > 0 or tcp.error is not None \
            or tcp.state not in SENDING_STATES

    def sendall(self, data, flags: int = 0) -> None:
        view = memoryview(data).cast("B")
        off = 0
        while off < len(view):
            off += self.send(view[off:])

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._check_open()
        if bufsize < 0:
            raise ValueError("negative buffer size")
        if self._udp is not None:
            return self.recvfrom(bufsize)[0]
        tcp = self._tcp
        if tcp.state is LISTEN or (tcp.state is CLOSED and tcp.remote_ip is None
                                   and tcp.error is None):
            raise _err(errno.ENOTCONN)
        if bufsize == 0:
            return b""

        def attempt():
            data = tcp.recv(bufsize)
            if data:
                return data
            if tcp.error is not None:
                raise tcp._take_error_exc()
            if tcp.at_eof or tcp.state is CLOSED:
                return b""
            raise _err(errno.EAGAIN)

        return self._run(attempt, lambda: tcp.is_readable)

    def recv_into(self, buffer, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        data = self.recv(n)
        view[:len(data)] = data
        return len(data)

    def sendto(self, data, address) -> int:
        self._check_open()
        if self._udp is None:
            raise _err(errno.EISCONN)
        ip, port = _addr_in(address)
        payload = bytes(data)
        return self._run(lambda: self.queue_datagram(payload, ip, port),
                         lambda: self._udp.is_writable)

    def queue_datagram(self, payload: bytes, ip: bytes, port: int) -> int:
        """Queue one datagram for ``(ip, port)`` without running the stack; return its length.
        Raises EAGAIN when the send queue is full, or the socket's pending error."""
        udp = self._udp
        if udp.error is not None:  # e.g. ECONNREFUSED: an earlier datagram was refused
            err, udp.error = udp.error, None
            raise _err(err)
        if not self._broadcast and self._stack.iface.is_broadcast(ip):
            raise _err(errno.EACCES, "broadcast needs SO_BROADCAST")  # as Linux
        if not udp.send_to(payload, ip, port):
            raise _err(errno.EAGAIN)
        return len(payload)

    def recvfrom(self, bufsize: int, flags: int = 0) -> tuple[bytes, tuple[str, int]]:
        self._check_open()
        if self._udp is None:
            return self.recv(bufsize), self.getpeername()
        udp = self._udp

        def attempt():
            if udp.error is not None:
                err, udp.error = udp.error, None
                raise _err(err)
            got = udp.recv_from()
            if got is None:
                raise _err(errno.EAGAIN)
            data, (ip, port) = got
            return data[:bufsize], (ip_to_str(ip), port)

        return self._run(attempt, lambda: udp.is_readable)

    # ------------------------------------------------------------------ teardown

    def shutdown(self, how: int) -> None:
        self._check_open()
        if self._tcp is None:
            return
        tcp = self._tcp
        if tcp.state in (CLOSED, LISTEN, SYN_SENT) and not tcp.is_connected:
            raise _err(errno.ENOTCONN)
        if how in (SHUT_RD, SHUT_RDWR):
            tcp.shutdown_read()
        if how in (SHUT_WR, SHUT_RDWR):
            tcp.shutdown_write()
        self._stack.poll()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._release_bind()
        if self._tcp is not None:
            if self._linger_abort:
                self._tcp.abort()
            else:
                self._tcp.close()
        else:
            self._udp.close()
        self._stack.poll()

    def abort(self) -> None:
        """Close with a RST (like SO_LINGER {1, 0} then close)."""
        self._linger_abort = True
        self.close()

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<stack.Socket {self.state} {self._tcp or self._udp!r}>"

    # exposed for select-style callers that want the state machine
    @property
    def tcp(self) -> TcpSocket | None:
        return self._tcp


class AsyncStack:
    """Coroutine versions of the blocking calls for an event-loop or simulator (cocotb) driver.

    ``wait`` is ``async def wait(timeout: float | None)``; it should return after ``timeout``
    seconds of the driver's time, or earlier when a frame may have arrived. ``clock`` returns the
    driver's current time in seconds.

    The stack runs only inside these calls: data still queued when the caller stops calling
    (e.g. right after ``sendall``) is sent only by a later call, so a sender waits for its peer
    (``shutdown(SHUT_WR)`` then ``recv`` until EOF) before it stops driving the stack."""

    def __init__(self, iface, *, clock: Callable[[], float], wait,
                 tcp_config: TcpConfig | None = None) -> None:
        self.wait = wait
        # the synchronous stack is used for non-blocking attempts only; its wait must never run
        self.sync = Stack(iface, clock=clock, wait=self._no_sync_wait, tcp_config=tcp_config)

    @staticmethod
    def _no_sync_wait(timeout):
        raise RuntimeError("AsyncStack sockets must be awaited")

    @property
    def iface(self):
        return self.sync.iface

    def socket(self, family: int = AF_INET, type: int = SOCK_STREAM) -> AsyncSocket:
        s = self.sync.socket(family, type)
        s.setblocking(False)
        return AsyncSocket(self, s)

    async def drive(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        sync = self.sync
        clock = sync.clock
        deadline = None if timeout is None else clock() + timeout
        while True:
            sync.iface.poll(clock())
            if predicate():
                return True
            now = clock()
            if deadline is not None and now >= deadline:
                return False
            delay = sync.iface.poll_delay(now)
            if deadline is not None:
                delay = deadline - now if delay is None else min(delay, deadline - now)
            await self.wait(delay)

    async def select(self, rlist, wlist, xlist, timeout: float | None = None):
        result: list = [[], [], []]

        def ready() -> bool:
            result[0] = [s for s in rlist if s.sock._readable()]
            result[1] = [s for s in wlist if s.sock._writable()]
            result[2] = [s for s in xlist if s.sock._exceptional()]
            return bool(result[0] or result[1] or result[2])

        await self.drive(ready, timeout)
        return result[0], result[1], result[2]


class AsyncSocket:
    """Awaitable wrapper of a non-blocking ``Socket``."""

    def __init__(self, stack: AsyncStack, sock: Socket) -> None:
        self._stack = stack
        self.sock = sock

    async def _run(self, call, ready, timeout: float | None = None):
        while True:
            try:
                return call()
            except BlockingIOError:
                pass
            if not await self._stack.drive(ready, timeout):
                raise _err(errno.ETIMEDOUT, "timed out")

    def bind(self, address) -> None:
        self.sock.bind(address)

    def listen(self, backlog: int = 16) -> None:
        self.sock.listen(backlog)

    def setsockopt(self, *args) -> None:
        self.sock.setsockopt(*args)

    def getsockname(self):
        return self.sock.getsockname()

    async def accept(self, timeout: float | None = None):
        tcp = self.sock._tcp
        child, addr = await self._run(self.sock.accept, lambda: tcp.accept_pending > 0, timeout)
        child.setblocking(False)
        return AsyncSocket(self._stack, child), addr

    async def connect(self, address, timeout: float | None = None) -> None:
        try:
            self.sock.connect(address)
            return
        except BlockingIOError:
            pass
        tcp = self.sock._tcp
        if not await self._stack.drive(lambda: tcp.state not in (SYN_SENT, SYN_RECEIVED),
                                       timeout):
            raise _err(errno.ETIMEDOUT, "timed out")
        self.sock.connect_outcome()

    async def send(self, data, timeout: float | None = None) -> int:
        return await self._run(lambda: self.sock.send(data), self.sock._writable, timeout)

    async def sendall(self, data, timeout: float | None = None) -> None:
        view = memoryview(data).cast("B")
        off = 0
        while off < len(view):
            off += await self.send(view[off:], timeout)

    async def recv(self, bufsize: int, timeout: float | None = None) -> bytes:
        return await self._run(lambda: self.sock.recv(bufsize), self.sock._readable, timeout)

    async def sendto(self, data, address, timeout: float | None = None) -> int:
        return await self._run(lambda: self.sock.sendto(data, address), self.sock._writable,
                               timeout)

    async def recvfrom(self, bufsize: int, timeout: float | None = None):
        return await self._run(lambda: self.sock.recvfrom(bufsize), self.sock._readable,
                               timeout)

    def shutdown(self, how: int) -> None:
        self.sock.shutdown(how)

    def close(self) -> None:
        self.sock.close()
