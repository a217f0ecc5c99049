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
import socket as _pysocket
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from host.process import Process
from host.stack.bsd import (
    BsdSocket,
    CallingSocket,
    CallScope,
    check_buffer,
    check_sockaddr,
    oserror,
)
from host.stack.wire.checksum import checksum
from host.stack.wire.icmpv4 import TYPE_ECHO_REPLY, TYPE_ECHO_REQUEST
from host.stack.wire.ipv4 import ip_to_str

AF_INET = _pysocket.AF_INET
SOCK_STREAM, SOCK_DGRAM = _pysocket.SOCK_STREAM, _pysocket.SOCK_DGRAM
IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP = 1, 6, 17
SENDING_CALLS = frozenset({"connect", "send", "sendto"})  # they need the link up


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


class OsSockets:
    """The socket system calls of process ``proc``, served by the OS stack ``net``.

    ``spend(seconds)`` is awaited for every cost (it lets that much simulated time pass in the
    calling process); ``kick()`` is called when a call returns, so whatever runs the OS stack
    between calls (the softirq) re-plans its timers."""

    def __init__(self, net, proc: Process, *, spend, kick: Callable[[], None] | None = None,
                 costs: SyscallCosts | None = None) -> None:
        self.net = net
        self.stack = net.stack
        self.proc = proc
        self.label = f"OS ({proc.name})" if proc is not None else "OS"
        self.spend = spend
        self.kick = kick or (lambda: None)
        self.costs = costs or SyscallCosts()
        self.stats = SyscallStats()

    async def enter(self, call: str) -> None:
        """Into the kernel: counted; half the crossing's cost is paid here, half on the way
        back (``leave``), so a call that blocks pays the return after it wakes, as a process
        does when it is scheduled back to user mode. A call that must send fails with ENETDOWN
        while the interface has no way to the wire (split mode with no user-space driver)."""
        st = self.stats
        st.syscalls += 1
        st.calls[call] += 1
        st.syscall_time_s += self.costs.syscall_s
        await self.spend(self.costs.syscall_s / 2)
        if call in SENDING_CALLS and not self.net.link_up:
            await self.leave()
            raise oserror(errno.ENETDOWN)

    async def leave(self) -> None:
        await self.spend(self.costs.syscall_s / 2)
        self.kick()

    async def copy(self, nbytes: int, out: bool) -> None:
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
                     proto: int = 0) -> BsdSocket | OsPingSocket:
        async with CallScope(self, "socket"):
            if family != AF_INET:
                raise oserror(errno.EAFNOSUPPORT)
            if type == _pysocket.SOCK_RAW:
                raise oserror(errno.ESOCKTNOSUPPORT)  # this OS has no raw sockets
            if type not in (SOCK_STREAM, SOCK_DGRAM):
                raise oserror(errno.EINVAL)
            wanted = {SOCK_STREAM: (0, IPPROTO_TCP), SOCK_DGRAM: (0, IPPROTO_UDP, IPPROTO_ICMP)}
            if proto not in wanted[type]:
                raise oserror(errno.EPROTONOSUPPORT)
            if proto == IPPROTO_ICMP:
                return OsPingSocket(self)
            return BsdSocket(self, type)


class OsPingSocket(CallingSocket):
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
            view = check_buffer(data)
            ip, _ = check_sockaddr(address, "sendto")
            if len(view) < 8 or view[0] != TYPE_ECHO_REQUEST or view[1] != 0:
                raise oserror(errno.EINVAL)  # a ping socket sends echo requests only
            await self._calls.copy(len(view), out=False)
            seq = (view[6] << 8) | view[7]
            if not self._calls.net.iface.send_echo_request(ip, self.ident, seq, bytes(view[8:])):
                raise oserror(errno.ENOBUFS)  # no kernel packet buffer free
            self._calls.net.stack.sync.poll()  # the request leaves now
            return len(view)

    async def recvfrom(self, bufsize: int, flags: int = 0,
                       timeout: float | None = None) -> tuple[bytes, tuple[str, int]]:
        async with self._call("recvfrom"):
            n = self._receive_args(bufsize, flags, "recvfrom")
            replies = self._replies

            def attempt():
                if not replies:
                    raise oserror(errno.EAGAIN)
                return replies.popleft()

            src, seq, data, _ = await self._block(attempt, lambda: bool(replies), timeout)
            msg = bytearray(struct.pack("!BBHHH", TYPE_ECHO_REPLY, 0, 0, self.ident, seq) + data)
            struct.pack_into("!H", msg, 2, checksum(msg))
            out = bytes(msg[:n])
            await self._calls.copy(len(out), out=True)
            return out, (ip_to_str(src), 0)

    async def close(self) -> None:
        if self.closed:
            return
        async with self._call("close"):
            self.closed = True
            iface = self._calls.net.iface
            iface.close_echo(self.ident)
            iface.ports.release(IPPROTO_ICMP, self.ident)
