"""A process's socket library: what an application calls. ``socket()`` takes the first
provider of the hierarchy for the protocol that does not decline (the user-level stack, then the
OS); a later call that the user-level provider cannot serve moves the socket to the OS.

Handover: a socket moves while it holds no connection state the OS could not take over (a TCP
socket before it connects or listens; a UDP socket at any time). What moves with it:

- the bound address and port (released by the user-level stack, bound again by the OS);
- every option set so far, in order, and the timeout;
- a UDP socket's connected peer; its received datagrams not yet read (served first); datagrams
  it queued and the user-level stack had not sent yet (the OS sends them);
- nothing else: a NIC filter the socket had is removed.

The application sees the same calls, errors and data whichever provider serves it (every call
goes to a ``BsdSocket``, which fails as Linux does). Each socket says which provider serves it
and why (``provider``, ``reason``, ``history``); ``SocketLibrary.stats`` counts sockets and
bytes per provider.
"""

from __future__ import annotations

import errno
import operator
import socket as _pysocket
from collections import deque
from dataclasses import dataclass

from host import layout as L
from host.stack.bsd import check_buffer, check_sockaddr, oserror, send_all
from host.stack.socket.tcp import CLOSED
from host.stack.wire.ipv4 import ip_to_str

from . import rules
from .rules import (
    ADDRESS,
    NO_BUFFERS,
    NO_FILTER,
    NO_VI,
    OPTION,
    PROTOCOL,
    TCP,
    UDP,
    UNREACHABLE,
    USER,
    Declined,
    Hierarchy,
)

AF_INET = _pysocket.AF_INET
SOCK_STREAM, SOCK_DGRAM = _pysocket.SOCK_STREAM, _pysocket.SOCK_DGRAM

# what a call fails with when the user-level provider declines and no provider is below it
_REFUSAL = {PROTOCOL: errno.EPROTONOSUPPORT, NO_VI: errno.ENOBUFS, NO_BUFFERS: errno.ENOBUFS,
            NO_FILTER: errno.ENOBUFS, UNREACHABLE: errno.ENETUNREACH,
            OPTION: errno.ENOPROTOOPT, ADDRESS: errno.EADDRNOTAVAIL}


@dataclass
class ProviderStats:
    sockets: int = 0         # sockets this provider took: at creation, accepted or handed over
    handovers_in: int = 0    # of which were handed over to it
    bytes_sent: int = 0      # payload bytes the application sent through it
    bytes_received: int = 0  # payload bytes it delivered to the application


@dataclass(frozen=True)
class Choice:
    """One step of a socket's history: ``provider`` took it, for ``why``."""

    provider: str
    why: str
    code: str | None = None  # the decline that led here (None: first choice)


class SocketLibrary:
    """The socket library of one process: ``await lib.socket(family, type, proto)``.

    ``providers`` maps a provider name (``rules.USER``, ``rules.OS``) to the provider; a name
    the hierarchy lists but ``providers`` lacks is skipped."""

    def __init__(self, providers: dict, hierarchy: Hierarchy | None = None) -> None:
        self.providers = providers
        self.hierarchy = hierarchy or Hierarchy()
        self.stats = {name: ProviderStats() for name in rules.PROVIDERS}

    async def socket(self, family: int = AF_INET, type: int = SOCK_STREAM,
                     proto: int = 0) -> LibSocket:
        # a socket no provider could serve (another family, an unknown type) goes to the
        # OS, which refuses it as Linux does
        protocol = rules.protocol_of(type, proto) if family == AF_INET else None
        declined: list[Choice] = []
        for name in self.hierarchy.order(protocol):
            provider = self.providers.get(name)
            if provider is None:
                declined.append(Choice(name, "not present in this process"))
                continue
            try:
                impl = await provider.open(type, proto, family)
            except Declined as d:
                declined.append(Choice(name, d.why, d.code))
                continue
            if not declined:
                choice = Choice(name, f"first in the hierarchy for {protocol}")
            else:
                choice = Choice(name, f"{declined[-1].provider} declined: {declined[-1].why}",
                                declined[-1].code)
            return LibSocket(self, protocol, type, proto, impl, [*declined, choice])
        code = declined[-1].code if declined else None
        raise oserror(_REFUSAL.get(code, errno.EPROTONOSUPPORT))

    def _count_socket(self, provider: str, handover: bool = False) -> None:
        st = self.stats[provider]
        st.sockets += 1
        st.handovers_in += int(handover)


class LibSocket:
    """A socket of the library: the same calls as ``host.stack.bsd.BsdSocket``, on whichever
    provider serves it now (``provider``; ``reason`` says why; ``history`` every choice)."""

    def __init__(self, lib: SocketLibrary, protocol: str | None, type: int, proto: int, impl,
                 history: list[Choice]) -> None:
        self._lib = lib
        self.protocol = protocol
        self.type = type
        self.family = AF_INET
        self._proto = proto
        self._impl = impl
        self.history = history
        self._options: list[tuple[int, int, object]] = []
        self._bound: tuple[bytes, int] | None = None
        self._peer: tuple[bytes, int] | None = None  # a UDP socket's connected peer
        self._filter = None       # its SteeringFilter on the user-level provider
        self._carry: deque = deque()  # datagrams received before a handover, not yet read
        self.bytes_sent = 0
        self.bytes_received = 0
        lib._count_socket(self.provider)

    # ------------------------------------------------------------------ what serves it

    @property
    def provider(self) -> str:
        return self.history[-1].provider

    @property
    def reason(self) -> str:
        return self.history[-1].why

    @property
    def closed(self) -> bool:
        return self._impl.closed

    def __repr__(self) -> str:
        return f"<LibSocket {self.protocol} on {self.provider}: {self.reason}>"

    @property
    def _user(self):
        """The user-level stack serving this socket (None when another provider does)."""
        return self._lib.providers[USER].ready if self.provider == USER else None

    def _inner(self):
        return self._impl._sock  # the host.stack.api.Socket under the BsdSocket

    def _fresh_tcp(self) -> bool:
        """A TCP socket that has neither connected nor listened (its state can move)."""
        inner = self._inner()
        return inner.tcp.state is CLOSED and inner.tcp.remote_ip is None \
            and not inner._listening

    def _can_move(self) -> bool:
        return self.protocol == UDP or (self.protocol == TCP and self._fresh_tcp())

    def _check_open(self) -> None:
        if self._impl.closed:
            raise oserror(errno.EBADF)

    # ------------------------------------------------------------------ handover

    async def _hand_over(self, declined: Declined) -> None:
        """Move the socket to the next provider below this one, with its state; if there is
        none, or its state cannot move, the call fails as the decline says."""
        below = [n for n in self._lib.hierarchy.below(self.protocol, self.provider)
                 if n in self._lib.providers]
        if not below or not self._can_move():
            raise oserror(_REFUSAL[declined.code])
        name = below[0]
        old = self._impl
        new = await self._lib.providers[name].open(self.type, self._proto, AF_INET)
        new.settimeout(old.gettimeout())
        for option in self._options:
            await new.setsockopt(*option)
        unsent = []
        if self.protocol == UDP:
            inner = old._sock
            inner._stack.poll()  # what it queued leaves now if it can
            udp = inner._udp
            while (got := udp.recv_from()) is not None:
                data, (ip, port) = got
                self._carry.append((data, (ip_to_str(ip), port)))
            unsent = list(udp._tx)
            udp._tx.clear()
        await old.close()
        self._filter = None
        self._lib.providers[USER].ready.steering.reap()
        self._impl = new
        self.history.append(Choice(name, f"{self.history[-1].provider} declined: "
                                   f"{declined.why}", declined.code))
        self._lib._count_socket(name, handover=True)
        if self._bound is not None:
            await new.bind((ip_to_str(self._bound[0]), self._bound[1]))
        if self._peer is not None:
            await new.connect((ip_to_str(self._peer[0]), self._peer[1]))
        for data, ip, port in unsent:
            await new.sendto(data, (ip_to_str(ip), port))

    async def _steer(self, protocol: int, port: int, remote=None) -> None:
        """Give this user-level socket a NIC filter; a full table moves it to the OS."""
        user = self._user
        if user is None or self._filter is not None:
            return
        try:
            self._filter = user.steering.steer(user.filter_for(protocol, port, remote),
                                               self._inner())
        except Declined as d:
            await self._hand_over(d)

    async def _bind_here(self, ip: bytes, port: int) -> None:
        await self._impl.bind((ip_to_str(ip), port))
        self._bound = (ip, (await self._impl.getsockname())[1] if port == 0 else port)

    async def _ensure_bound(self) -> int:
        """The local port, bound now (an ephemeral one) if the socket had none."""
        if self._bound is None:
            port = 0
            if self.protocol == TCP:  # the stack would choose it only at connect/listen
                port = self._user.stack.iface.pick_ephemeral_tcp_port()
            await self._bind_here(b"\x00\x00\x00\x00", port)
        return self._bound[1]

    # ------------------------------------------------------------------ setup

    def settimeout(self, value: float | None) -> None:
        self._impl.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._impl.gettimeout()

    async def setsockopt(self, level: int, option: int, value) -> None:
        self._check_open()
        if self._user is not None:
            declined = rules.declines_option(level, option)
            if declined is not None and rules.os_implements(level, option) \
                    and self._can_move():
                await self._hand_over(declined)
        await self._impl.setsockopt(level, option, value)
        self._options.append((level, option, value))

    async def getsockopt(self, level: int, option: int):
        return await self._impl.getsockopt(level, option)

    async def bind(self, address) -> None:
        self._check_open()
        ip, port = check_sockaddr(address, "bind")
        if self._user is not None:
            declined = rules.declines_bind(ip, self._user.nic_addresses)
            if declined is not None and self._bound is None:
                await self._hand_over(declined)
        await self._bind_here(ip, port)
        if self._user is not None and self.protocol == UDP:
            await self._steer(L.IPPROTO_UDP, self._bound[1])

    async def listen(self, backlog: int = 128) -> None:
        self._check_open()
        backlog = operator.index(backlog)
        if self._user is not None and self.protocol == TCP and self._fresh_tcp():
            port = await self._ensure_bound()
            await self._steer(L.IPPROTO_TCP, port)
        await self._impl.listen(backlog)

    async def accept(self, timeout: float | None = None) -> tuple[LibSocket, tuple[str, int]]:
        impl, addr = await self._impl.accept(timeout)
        child = LibSocket(self._lib, self.protocol, self.type, self._proto, impl,
                          [Choice(self.provider, f"accepted by a listener on {self.provider}")])
        if self._filter is not None:  # its frames match the listener's filter
            child._filter = self._filter
            self._filter.holders.append(impl._sock)
        return child, addr

    async def connect(self, address, timeout: float | None = None) -> None:
        self._check_open()
        ip, port = check_sockaddr(address, "connect")
        if self._user is not None and port != 0:
            declined = rules.declines_destination(ip, self._user.host_addresses)
            if declined is not None and self._can_move():
                await self._hand_over(declined)
            elif self.protocol == TCP and self._fresh_tcp():
                lport = await self._ensure_bound()
                await self._steer(L.IPPROTO_TCP, lport, (ip, port))
            elif self.protocol == UDP:
                await self._steer(L.IPPROTO_UDP, await self._ensure_bound())
        await self._impl.connect(address, timeout)
        if self.protocol == UDP:
            self._peer = (ip, port)

    async def getsockname(self) -> tuple[str, int]:
        return await self._impl.getsockname()

    async def getpeername(self) -> tuple[str, int]:
        return await self._impl.getpeername()

    # ------------------------------------------------------------------ data

    def _count(self, sent: int = 0, received: int = 0) -> None:
        self.bytes_sent += sent
        self.bytes_received += received
        st = self._lib.stats[self.provider]
        st.bytes_sent += sent
        st.bytes_received += received

    async def send(self, data, flags: int = 0, timeout: float | None = None) -> int:
        n = await self._impl.send(data, flags, timeout)
        self._count(sent=n)
        return n

    async def sendall(self, data, flags: int = 0, timeout: float | None = None) -> None:
        await send_all(self.send, data, flags, timeout)  # counted per send

    async def sendto(self, data, address, timeout: float | None = None) -> int:
        self._check_open()
        check_buffer(data)
        ip, port = check_sockaddr(address, "sendto")
        if self._user is not None and self.protocol == UDP:
            declined = rules.declines_destination(ip, self._user.host_addresses)
            if declined is not None:
                await self._hand_over(declined)
            else:
                await self._steer(L.IPPROTO_UDP, await self._ensure_bound())
        n = await self._impl.sendto(data, address, timeout)
        self._count(sent=n)
        return n

    def _carried(self, bufsize, flags: int, call: str):
        """A datagram received before the handover, if one is left (checked as the call)."""
        if not self._carry:
            return None
        n = self._impl._receive_args(bufsize, flags, call)
        data, addr = self._carry.popleft()
        return data[:n], addr

    async def recv(self, bufsize: int, flags: int = 0, timeout: float | None = None) -> bytes:
        got = self._carried(bufsize, flags, "recv")
        data = got[0] if got is not None else await self._impl.recv(bufsize, flags, timeout)
        self._count(received=len(data))
        return data

    async def recvfrom(self, bufsize: int, flags: int = 0, timeout: float | None = None):
        got = self._carried(bufsize, flags, "recvfrom")
        if got is None:
            got = await self._impl.recvfrom(bufsize, flags, timeout)
        self._count(received=len(got[0]))
        return got

    # ------------------------------------------------------------------ teardown

    async def shutdown(self, how: int) -> None:
        await self._impl.shutdown(how)

    async def close(self) -> None:
        await self._impl.close()
        user = self._lib.providers.get(USER)
        if self._filter is not None and user is not None and user.ready is not None:
            user.ready.steering.reap()  # a flow still closing keeps its filter until done
