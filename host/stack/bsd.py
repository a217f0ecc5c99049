"""Awaitable BSD sockets over an ``AsyncStack``, checked and failing exactly as Python's
``socket`` module and Linux do, whichever stack serves them.

``BsdSocket(calls, type)`` is a TCP or UDP socket; ``calls`` (a ``Calls``) is what each call
costs the caller and where the stack is. The OS's system calls (``host.kernel.syscalls``) charge
a user/kernel crossing per call and a copy per byte; the user-level library's calls
(``host.sockets``) cross nothing. Bad arguments raise what Python raises for them (the type,
the errno, the message) and leave the stack as it was.
"""

from __future__ import annotations

import errno
import operator
import os
import socket as _pysocket
from typing import Protocol

from .api import SENDING_STATES, AsyncStack, Socket
from .socket.tcp import CLOSED, LISTEN, SYN_RECEIVED, SYN_SENT
from .wire.ipv4 import ip_from_str, ip_to_str

AF_INET = _pysocket.AF_INET
SOCK_STREAM, SOCK_DGRAM = _pysocket.SOCK_STREAM, _pysocket.SOCK_DGRAM


class Calls(Protocol):
    """What the sockets of one process on one stack need from their caller's side."""

    stack: AsyncStack  # the stack serving the sockets
    label: str         # what the sockets are, for repr ("OS", "user-level")

    async def enter(self, call: str) -> None:
        """A call starts (count it, charge its entry)."""

    async def leave(self) -> None:
        """A call returns (charge its exit; let whatever runs the stack re-plan its timers)."""

    async def copy(self, nbytes: int, out: bool) -> None:
        """``nbytes`` of data pass between the process's buffer and the stack's (out: to the
        process)."""


# ----------------------------------------------------------------- arguments, as Python checks them

def check_sockaddr(address, call: str) -> tuple[bytes, int]:
    """An AF_INET address, refused the way CPython's socket module refuses it."""
    if not isinstance(address, tuple):
        raise TypeError(f"{call}(): AF_INET address must be tuple, not {type(address).__name__}")
    if len(address) != 2:
        raise TypeError("AF_INET address must be a pair (host, port)")
    host, port = address
    if not isinstance(host, (str, bytes, bytearray)):
        raise TypeError(f"str, bytes or bytearray expected, not {type(host).__name__}")
    port = operator.index(port)
    if not 0 <= port <= 0xFFFF:
        raise OverflowError(f"{call}(): port must be 0-65535.")
    if isinstance(host, (bytes, bytearray)):
        host = host.decode()
    if host in ("", "0.0.0.0"):
        return b"\x00\x00\x00\x00", port
    try:
        return ip_from_str(host), port
    except ValueError:  # a name: this OS has no resolver
        raise _pysocket.gaierror(_pysocket.EAI_NONAME, "Name or service not known") from None


def check_buffer(data) -> memoryview:
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    try:
        return memoryview(data).cast("B")
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") \
            from None


def check_bufsize(n, call: str) -> int:
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"negative buffersize in {call}")
    return n


def check_no_flags(flags: int) -> None:
    """MSG_* flags are not modelled: refuse them rather than ignore them."""
    if operator.index(flags):
        raise oserror(errno.EOPNOTSUPP)


def oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))



class CallScope:
    """``async with`` one call: entered first; left on the way out, whatever the outcome; an
    OSError leaves with the system's message for its errno."""

    def __init__(self, calls: Calls, name: str) -> None:
        self.calls = calls
        self.name = name

    async def __aenter__(self) -> None:
        await self.calls.enter(self.name)

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and not isinstance(exc, Exception):
            return False  # the caller is being cancelled or closed: nothing more may happen
        await self.calls.leave()
        if isinstance(exc, OSError) and exc.errno and not isinstance(exc, _pysocket.gaierror):
            # the system's message for the errno, as Python shows a failed system call
            raise type(exc)(exc.errno, os.strerror(exc.errno)) from None
        return False


async def send_all(send, data, flags: int, timeout: float | None) -> None:
    """Call ``send`` (a socket's) until it has taken all of ``data``."""
    view = check_buffer(data)
    off = await send(view, flags, timeout)
    while off < len(view):
        off += await send(view[off:], flags, timeout)


class CallingSocket:
    """What every kind of socket here shares: the blocking loop and the calls' bookkeeping."""

    def __init__(self, calls: Calls) -> None:
        self._calls = calls
        self._stack = calls.stack
        self._timeout: float | None = None
        self.closed = False

    def settimeout(self, value: float | None) -> None:
        """Seconds of simulated time a blocking call may wait (None: for ever; 0: never)."""
        if value is not None and value < 0:
            raise ValueError("Timeout value out of range")
        self._timeout = value

    def gettimeout(self) -> float | None:
        return self._timeout

    def _check_open(self) -> None:
        if self.closed:
            raise oserror(errno.EBADF)

    def _call(self, name: str) -> CallScope:
        return CallScope(self._calls, name)

    def _receive_args(self, bufsize, flags: int, call: str) -> int:
        """A receive call's checks (open socket, no flags, a valid size); returns the size."""
        self._check_open()
        check_no_flags(flags)
        return check_bufsize(bufsize, call)

    async def _block(self, attempt, ready, timeout: float | None):
        """``attempt()`` until it stops raising BlockingIOError; in between, sleep until the
        stack made progress, at most ``timeout`` (else the socket's timeout) in all."""
        limit = self._timeout if timeout is None else timeout
        stack = self._stack
        deadline = None if limit is None else stack.sync.clock() + limit
        while True:
            try:
                return attempt()
            except BlockingIOError:
                if limit == 0:
                    raise
            left = None if deadline is None else deadline - stack.sync.clock()
            if (left is not None and left <= 0) or not await stack.drive(ready, left):
                raise TimeoutError("timed out")


class BsdSocket(CallingSocket):
    """A TCP or UDP socket of the stack behind ``calls``."""

    def __init__(self, calls: Calls, type: int, inner: Socket | None = None) -> None:
        super().__init__(calls)
        self.type = type
        self.family = AF_INET
        self._sock = inner or calls.stack.sync.socket(AF_INET, type)
        self._sock.setblocking(False)

    def __repr__(self) -> str:
        return f"<{self._calls.label} socket {self._sock.state}>"

    @property
    def _tcp(self):
        return self._sock.tcp

    # ------------------------------------------------------------------ setup

    async def bind(self, address) -> None:
        async with self._call("bind"):
            self._check_open()
            ip, port = check_sockaddr(address, "bind")
            self._sock.bind((ip_to_str(ip), port))

    async def listen(self, backlog: int = 128) -> None:
        async with self._call("listen"):
            self._check_open()
            self._sock.listen(operator.index(backlog))

    async def accept(self, timeout: float | None = None) -> tuple[BsdSocket, tuple[str, int]]:
        async with self._call("accept"):
            self._check_open()
            if self.type != SOCK_STREAM:
                raise oserror(errno.EOPNOTSUPP)
            tcp = self._tcp
            child, addr = await self._block(
                self._sock.accept, lambda: tcp.accept_pending > 0 or tcp.state is not LISTEN,
                timeout)
            return BsdSocket(self._calls, SOCK_STREAM, child), addr

    async def connect(self, address, timeout: float | None = None) -> None:
        async with self._call("connect"):
            self._check_open()
            ip, port = check_sockaddr(address, "connect")
            sock = self._sock
            try:
                sock.connect((ip_to_str(ip), port))
                return
            except BlockingIOError:
                if (self._timeout if timeout is None else timeout) == 0:
                    raise
            tcp = self._tcp
            await self._block(sock.connect_outcome,
                              lambda: tcp.state not in (SYN_SENT, SYN_RECEIVED), timeout)

    # ------------------------------------------------------------------ data

    def _never_connected(self) -> bool:
        tcp = self._tcp
        return tcp is not None and tcp.state is CLOSED and tcp.remote_ip is None \
            and tcp.error is None

    async def send(self, data, flags: int = 0, timeout: float | None = None) -> int:
        async with self._call("send"):
            self._check_open()
            check_no_flags(flags)
            view = check_buffer(data)
            if self._tcp is None:
                peer = self._sock._peer
                if peer is None:
                    raise oserror(errno.EDESTADDRREQ)
                return await self._send_datagram(view, *peer, timeout)
            if self._never_connected() or self._tcp.state is LISTEN:
                raise oserror(errno.EPIPE)  # Linux: a stream socket that never connected
            return await self._send_stream(view, timeout)

    async def _send_stream(self, view: memoryview, timeout: float | None) -> int:
        """Wait for room in the send buffer, copy what fits in from the process (the copy's
        time passes before the stack may transmit a byte of it), then run the stack."""
        sock = self._sock
        tcp = self._tcp

        if not view:
            return 0

        def room() -> int:
            if tcp.error is None and tcp.send_capacity > 0:
                return min(len(view), tcp.send_capacity)
            if tcp.error is not None or tcp.state not in SENDING_STATES:
                return 0  # nothing can be sent: take_for_sending raises why
            raise oserror(errno.EAGAIN)

        fits = await self._block(room, sock._send_ready, timeout)
        await self._calls.copy(fits, out=False)
        n = sock.take_for_sending(view[:fits] if fits else view)
        self._stack.sync.poll()
        return n

    async def sendall(self, data, flags: int = 0, timeout: float | None = None) -> None:
        """``send`` until all of ``data`` is taken: as in C, one system call per ``send``."""
        await send_all(self.send, data, flags, timeout)

    async def recv(self, bufsize: int, flags: int = 0, timeout: float | None = None) -> bytes:
        async with self._call("recv"):
            n = self._receive_args(bufsize, flags, "recv")
            sock = self._sock
            data = await self._block(lambda: sock.recv(n), sock._readable, timeout)
            await self._calls.copy(len(data), out=True)
            return data

    async def sendto(self, data, address, timeout: float | None = None) -> int:
        async with self._call("sendto"):
            self._check_open()
            view = check_buffer(data)
            ip, port = check_sockaddr(address, "sendto")
            if self._tcp is not None:  # a stream socket ignores the address (Linux)
                if self._never_connected():
                    raise oserror(errno.EPIPE)
                return await self._send_stream(view, timeout)
            return await self._send_datagram(view, ip, port, timeout)

    async def _send_datagram(self, view: memoryview, ip: bytes, port: int,
                             timeout: float | None) -> int:
        """Copy the datagram in from the process, queue it, run the stack."""
        sock = self._sock
        udp = sock._udp
        if udp.error is not None:  # reported before anything is copied
            err, udp.error = udp.error, None
            raise oserror(err)
        if len(view) > udp.max_payload():
            raise oserror(errno.EMSGSIZE)
        await self._calls.copy(len(view), out=False)
        payload = bytes(view)
        n = await self._block(lambda: sock.queue_datagram(payload, ip, port),
                              lambda: udp.is_writable, timeout)
        self._stack.sync.poll()
        return n

    async def recvfrom(self, bufsize: int, flags: int = 0,
                       timeout: float | None = None) -> tuple[bytes, tuple[str, int]]:
        async with self._call("recvfrom"):
            n = self._receive_args(bufsize, flags, "recvfrom")
            sock = self._sock
            data, addr = await self._block(lambda: sock.recvfrom(n), sock._readable, timeout)
            await self._calls.copy(len(data), out=True)
            return data, addr

    # ------------------------------------------------------------------ options, names, teardown

    async def setsockopt(self, level: int, option: int, value) -> None:
        async with self._call("setsockopt"):
            self._check_open()
            self._sock.setsockopt(level, option, value)

    async def getsockopt(self, level: int, option: int):
        async with self._call("getsockopt"):
            self._check_open()
            return self._sock.getsockopt(level, option)

    async def getsockname(self) -> tuple[str, int]:
        async with self._call("getsockname"):
            self._check_open()
            return self._sock.getsockname()

    async def getpeername(self) -> tuple[str, int]:
        async with self._call("getpeername"):
            self._check_open()
            return self._sock.getpeername()

    async def shutdown(self, how: int) -> None:
        async with self._call("shutdown"):
            self._check_open()
            if how not in (_pysocket.SHUT_RD, _pysocket.SHUT_WR, _pysocket.SHUT_RDWR):
                raise oserror(errno.EINVAL)
            self._sock.shutdown(how)

    async def close(self) -> None:
        if self.closed:
            return  # as Python's close(): a second one does nothing (and is no system call)
        async with self._call("close"):
            self.closed = True
            self._sock.close()
