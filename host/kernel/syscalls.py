"""OS sockets: the socket system calls of one process, served by the OS's own stack.

BSD-shaped like ``host.stack.api`` (``await sock.recv(n)`` and so on), with what makes the OS
path cost more than the user-level one made explicit:

- every call is a system call: counted per process and charged ``SyscallCosts.syscall_s`` of
  simulated time (the process is in the kernel for that long);
- data is copied between the process's buffer and the kernel's socket buffers (``send`` copies
  in, ``recv`` copies out): the bytes are counted and charged at ``copy_bytes_per_s``.

Bad arguments raise what Python's ``socket`` module raises for them (the type, the errno, the
message), and the call then leaves the stack as it was.
"""

from __future__ import annotations

import errno
import operator
import os
import socket as _pysocket
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from host.process import Process
from host.stack.api import SENDING_STATES, Socket
from host.stack.socket.tcp import CLOSED, LISTEN, SYN_RECEIVED, SYN_SENT
from host.stack.wire.checksum import checksum
from host.stack.wire.icmpv4 import TYPE_ECHO_REPLY, TYPE_ECHO_REQUEST
from host.stack.wire.ipv4 import ip_from_str, ip_to_str

AF_INET = _pysocket.AF_INET
SOCK_STREAM, SOCK_DGRAM = _pysocket.SOCK_STREAM, _pysocket.SOCK_DGRAM
IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP = 1, 6, 17


@dataclass(frozen=True)
class SyscallCosts:
    """Simulated time the OS path charges the calling process.

    Defaults, from published measurements:

    - ``syscall_s`` 300 ns: a ``getpid()`` round trip into the kernel and back on a Skylake
      desktop with the Meltdown/Spectre mitigations (KPTI) on, the floor price of one
      user/kernel crossing ("what a syscall actually costs",
      https://blog.i0.pm/posts/the-cost-of-a-syscall-measured-190303/).
    - ``copy_bytes_per_s`` 7.5 GB/s: ``rep movsb``, which Linux's ``copy_to_user`` and
      ``copy_from_user`` use on CPUs with ERMS, measured at 15 GB/s of read plus write traffic
      on a Skylake i7-6700HQ with DDR4-2400 (https://stackoverflow.com/q/43343231), so
      7.5 GB/s of bytes copied.
    """

    syscall_s: float = 300e-9
    copy_bytes_per_s: float = 7.5e9

    def __post_init__(self) -> None:
        if self.syscall_s < 0 or self.copy_bytes_per_s <= 0:
            raise ValueError("a system call costs zero or more seconds, and copies need a "
                             "positive bandwidth")

    def copy_s(self, nbytes: int) -> float:
        return nbytes / self.copy_bytes_per_s  # 0 for an infinite bandwidth


@dataclass
class SyscallStats:
    """One process's use of the OS path."""

    syscalls: int = 0
    bytes_copied_in: int = 0   # process buffer -> kernel socket buffer (send, sendto)
    bytes_copied_out: int = 0  # kernel socket buffer -> process buffer (recv, recvfrom)
    syscall_time_s: float = 0.0
    copy_time_s: float = 0.0
    calls: Counter = field(default_factory=Counter)  # per call name

    @property
    def bytes_copied(self) -> int:
        return self.bytes_copied_in + self.bytes_copied_out


# ----------------------------------------------------------------- arguments, as Python checks them

def _sockaddr(address, call: str) -> tuple[bytes, int]:
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


def _buffer(data) -> memoryview:
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    try:
        return memoryview(data).cast("B")
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") \
            from None


def _bufsize(n, call: str) -> int:
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"negative buffersize in {call}")
    return n


def _no_flags(flags: int) -> None:
    """MSG_* flags are not modelled: refuse them rather than ignore them."""
    if operator.index(flags):
        raise _oserror(errno.EOPNOTSUPP)


def _oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


class OsSockets:
    """The socket system calls of process ``proc``, served by the OS stack ``net``.

    ``spend(seconds)`` is awaited for every cost (it lets that much simulated time pass in the
    calling process); ``kick()`` is called when a call returns, so whatever runs the OS stack
    between calls (the softirq) re-plans its timers."""

    def __init__(self, net, proc: Process, *, spend, kick: Callable[[], None] | None = None,
                 costs: SyscallCosts | None = None) -> None:
        self.net = net
        self.proc = proc
        self.spend = spend
        self.kick = kick or (lambda: None)
        self.costs = costs or SyscallCosts()
        self.stats = SyscallStats()

    async def _enter(self, call: str) -> None:
        """Into the kernel: counted; half the crossing's cost is paid here, half on the way
        back (``_leave``), so a call that blocks pays the return after it wakes, as a process
        does when it is scheduled back to user mode."""
        st = self.stats
        st.syscalls += 1
        st.calls[call] += 1
        st.syscall_time_s += self.costs.syscall_s
        await self.spend(self.costs.syscall_s / 2)

    async def _leave(self) -> None:
        await self.spend(self.costs.syscall_s / 2)
        self.kick()

    async def _copy(self, nbytes: int, out: bool) -> None:
        if nbytes <= 0:
            return
        st = self.stats
        if out:
            st.bytes_copied_out += nbytes
        else:
            st.bytes_copied_in += nbytes
        seconds = self.costs.copy_s(nbytes)
        st.copy_time_s += seconds
        await self.spend(seconds)

    async def socket(self, family: int = AF_INET, type: int = SOCK_STREAM,
                     proto: int = 0) -> OsSocket:
        async with _Syscall(self, "socket"):
            if family != AF_INET:
                raise _oserror(errno.EAFNOSUPPORT)
            if type not in (SOCK_STREAM, SOCK_DGRAM):
                raise _oserror(errno.EINVAL)
            wanted = {SOCK_STREAM: (0, IPPROTO_TCP), SOCK_DGRAM: (0, IPPROTO_UDP, IPPROTO_ICMP)}
            if proto not in wanted[type]:
                raise _oserror(errno.EPROTONOSUPPORT)
            if proto == IPPROTO_ICMP:
                return OsPingSocket(self)
            return OsSocket(self, type)


class _Syscall:
    """``async with`` one system call: entered (counted, charged) first; left (charged, then
    ``kick``) on the way out, whatever the outcome."""

    def __init__(self, calls: OsSockets, name: str) -> None:
        self.calls = calls
        self.name = name

    async def __aenter__(self) -> None:
        await self.calls._enter(self.name)

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and not isinstance(exc, Exception):
            return False  # the caller is being cancelled or closed: nothing more may happen
        await self.calls._leave()
        if isinstance(exc, OSError) and exc.errno and not isinstance(exc, _pysocket.gaierror):
            # the kernel's message for the errno, as Python shows a failed system call
            raise type(exc)(exc.errno, os.strerror(exc.errno)) from None
        return False


class _SyscallSocket:
    """What every kind of OS socket shares: the blocking loop and the calls' bookkeeping."""

    def __init__(self, calls: OsSockets) -> None:
        self._calls = calls
        self._net = calls.net
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
            raise _oserror(errno.EBADF)

    def _call(self, name: str) -> _Syscall:
        return _Syscall(self._calls, name)

    def _receive_args(self, bufsize, flags: int, call: str) -> int:
        """A receive call's checks (open socket, no flags, a valid size); returns the size."""
        self._check_open()
        _no_flags(flags)
        return _bufsize(bufsize, call)

    async def _block(self, attempt, ready, timeout: float | None):
        """``attempt()`` until it stops raising BlockingIOError; in between, sleep until the OS
        stack made progress, at most ``timeout`` (else the socket's timeout) in all."""
        limit = self._timeout if timeout is None else timeout
        stack = self._net.stack
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


class OsSocket(_SyscallSocket):
    """A TCP or UDP socket of the OS stack."""

    def __init__(self, calls: OsSockets, type: int, inner: Socket | None = None) -> None:
        super().__init__(calls)
        self.type = type
        self.family = AF_INET
        self._sock = inner or calls.net.stack.sync.socket(AF_INET, type)
        self._sock.setblocking(False)

    def __repr__(self) -> str:
        proc = self._calls.proc
        return f"<OsSocket of {proc.name if proc else 'kernel'} {self._sock.state}>"

    @property
    def _tcp(self):
        return self._sock.tcp

    # ------------------------------------------------------------------ setup

    async def bind(self, address) -> None:
        async with self._call("bind"):
            self._check_open()
            ip, port = _sockaddr(address, "bind")
            self._sock.bind((ip_to_str(ip), port))

    async def listen(self, backlog: int = 128) -> None:
        async with self._call("listen"):
            self._check_open()
            self._sock.listen(operator.index(backlog))

    async def accept(self, timeout: float | None = None) -> tuple[OsSocket, tuple[str, int]]:
        async with self._call("accept"):
            self._check_open()
            if self.type != SOCK_STREAM:
                raise _oserror(errno.EOPNOTSUPP)
            tcp = self._tcp
            child, addr = await self._block(
                self._sock.accept, lambda: tcp.accept_pending > 0 or tcp.state is not LISTEN,
                timeout)
            return OsSocket(self._calls, SOCK_STREAM, child), addr

    async def connect(self, address, timeout: float | None = None) -> None:
        async with self._call("connect"):
            self._check_open()
            ip, port = _sockaddr(address, "connect")
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
            _no_flags(flags)
            view = _buffer(data)
            if self._tcp is None:
                peer = self._sock._peer
                if peer is None:
                    raise _oserror(errno.EDESTADDRREQ)
                return await self._send_datagram(view, *peer, timeout)
            if self._never_connected() or self._tcp.state is LISTEN:
                raise _oserror(errno.EPIPE)  # Linux: a stream socket that never connected
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
            raise _oserror(errno.EAGAIN)

        fits = await self._block(room, sock._send_ready, timeout)
        await self._calls._copy(fits, out=False)
        n = sock.take_for_sending(view[:fits] if fits else view)
        self._net.stack.sync.poll()
        return n

    async def sendall(self, data, flags: int = 0, timeout: float | None = None) -> None:
        """``send`` until all of ``data`` is taken: as in C, one system call per ``send``."""
        view = _buffer(data)
        off = await self.send(view, flags, timeout)
        while off < len(view):
            off += await self.send(view[off:], flags, timeout)

    async def recv(self, bufsize: int, flags: int = 0, timeout: float | None = None) -> bytes:
        async with self._call("recv"):
            n = self._receive_args(bufsize, flags, "recv")
            sock = self._sock
            data = await self._block(lambda: sock.recv(n), sock._readable, timeout)
            await self._calls._copy(len(data), out=True)
            return data

    async def sendto(self, data, address, timeout: float | None = None) -> int:
        async with self._call("sendto"):
            self._check_open()
            view = _buffer(data)
            ip, port = _sockaddr(address, "sendto")
            if self._tcp is not None:  # a stream socket ignores the address (Linux)
                if self._never_connected():
                    raise _oserror(errno.EPIPE)
                return await self._send_stream(view, timeout)
            return await self._send_datagram(view, ip, port, timeout)

    async def _send_datagram(self, view: memoryview, ip: bytes, port: int,
                             timeout: float | None) -> int:
        """Copy the datagram in from the process, queue it, run the stack."""
        sock = self._sock
        udp = sock._udp
        if udp.error is not None:  # reported before anything is copied
            err, udp.error = udp.error, None
            raise _oserror(err)
        if len(view) > udp.max_payload():
            raise _oserror(errno.EMSGSIZE)
        await self._calls._copy(len(view), out=False)
        payload = bytes(view)
        n = await self._block(lambda: sock.queue_datagram(payload, ip, port),
                              lambda: udp.is_writable, timeout)
        self._net.stack.sync.poll()
        return n

    async def recvfrom(self, bufsize: int, flags: int = 0,
                       timeout: float | None = None) -> tuple[bytes, tuple[str, int]]:
        async with self._call("recvfrom"):
            n = self._receive_args(bufsize, flags, "recvfrom")
            sock = self._sock
            data, addr = await self._block(lambda: sock.recvfrom(n), sock._readable, timeout)
            await self._calls._copy(len(data), out=True)
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
                raise _oserror(errno.EINVAL)
            self._sock.shutdown(how)

    async def close(self) -> None:
        if self.closed:
            return  # as Python's close(): a second one does nothing (and is no system call)
        async with self._call("close"):
            self.closed = True
            self._sock.close()


class OsPingSocket(_SyscallSocket):
    """An ICMP echo ("ping") socket, as Linux's ``socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)``:
    ``sendto`` takes an echo request (8-byte ICMP header and data) and the kernel puts its own
    identifier and checksum in; ``recvfrom`` gives back the replies to that identifier."""

    type = SOCK_DGRAM

    def __init__(self, calls: OsSockets) -> None:
        super().__init__(calls)
        iface = calls.net.iface
        self.ident = iface.ports.claim(IPPROTO_ICMP, 0)  # identifiers share the port space
        self._replies = iface.open_echo(self.ident)

    async def sendto(self, data, address) -> int:
        async with self._call("sendto"):
            self._check_open()
            view = _buffer(data)
            ip, _ = _sockaddr(address, "sendto")
            if len(view) < 8 or view[0] != TYPE_ECHO_REQUEST or view[1] != 0:
                raise _oserror(errno.EINVAL)  # a ping socket sends echo requests only
            await self._calls._copy(len(view), out=False)
            seq = (view[6] << 8) | view[7]
            if not self._net.iface.send_echo_request(ip, self.ident, seq, bytes(view[8:])):
                raise _oserror(errno.ENOBUFS)  # no kernel packet buffer free
            self._net.stack.sync.poll()  # the request leaves now
            return len(view)

    async def recvfrom(self, bufsize: int, flags: int = 0,
                       timeout: float | None = None) -> tuple[bytes, tuple[str, int]]:
        async with self._call("recvfrom"):
            n = self._receive_args(bufsize, flags, "recvfrom")
            replies = self._replies

            def attempt():
                if not replies:
                    raise _oserror(errno.EAGAIN)
                return replies.popleft()

            src, seq, data, _ = await self._block(attempt, lambda: bool(replies), timeout)
            msg = bytearray(struct.pack("!BBHHH", TYPE_ECHO_REPLY, 0, 0, self.ident, seq) + data)
            struct.pack_into("!H", msg, 2, checksum(msg))
            out = bytes(msg[:n])
            await self._calls._copy(len(out), out=True)
            return out, (ip_to_str(src), 0)

    async def close(self) -> None:
        if self.closed:
            return
        async with self._call("close"):
            self.closed = True
            iface = self._net.iface
            iface.close_echo(self.ident)
            iface.ports.release(IPPROTO_ICMP, self.ident)
