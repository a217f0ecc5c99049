"""The transports a process's socket library can hand a socket to.

- ``UserLevelProvider``: the user-level stack on the process's own VI. Its sockets are
  ``BsdSocket`` s on that stack whose calls cross nothing (``UserCalls``); packets are formed in
  the process's registered buffers. It steers each socket's flows to its VI with NIC filters
  (``Steering``). The stack is set up on the first socket, as Onload creates its stack when an
  application makes its first socket; a setup that fails (no VI, no buffers) makes it decline.
- ``OsProvider``: the OS's socket system calls (``host.kernel.syscalls.OsSockets``).

Neither decides anything: the rules are in ``host.sockets.rules``, applied by the library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from host.driver.kernel import Filter, ResourceExhausted
from host.kernel.syscalls import OsSockets
from host.stack.api import AsyncStack
from host.stack.bsd import BsdSocket
from host.stack.socket.tcp import CLOSED, TIME_WAIT
from host.stack.wire.ipv4 import ip_to_str

from . import rules
from .rules import NO_FILTER, OS, USER, Declined


class UserCalls:
    """The ``Calls`` of user-level sockets: library calls in the process, no crossing into the
    kernel and no time charged; the calls and the bytes passing between the application's
    buffers and the stack's are counted."""

    def __init__(self, stack: AsyncStack, name: str) -> None:
        self.stack = stack
        self.label = f"user-level ({name})"
        self.calls = 0
        self.bytes_copied = 0

    async def enter(self, call: str) -> None:
        self.calls += 1

    async def leave(self) -> None:
        return None

    async def copy(self, nbytes: int, out: bool) -> None:
        self.bytes_copied += max(nbytes, 0)


@dataclass
class SteeringFilter:
    """One NIC filter and the sockets whose frames it steers (a listener and the connections
    it accepted share one). It is removed once every one of them is closed and done."""

    slot: int
    flt: Filter
    holders: list = field(default_factory=list)  # host.stack.api.Socket


def _done(sock) -> bool:
    if not sock._closed:
        return False
    tcp = sock.tcp
    return tcp is None or tcp.state in (CLOSED, TIME_WAIT)


class Steering:
    """The NIC filters of one user-level stack: ``insert(filter) -> slot`` and
    ``remove(slot)`` program the NIC (the kernel driver's, for this VI); a full table raises
    ``ResourceExhausted``, which becomes a ``no-filter`` decline."""

    def __init__(self, insert: Callable[[Filter], int], remove: Callable[[int], None],
                 capacity: int | None = None) -> None:
        self._insert = insert
        self._remove = remove
        self.capacity = capacity
        self.filters: list[SteeringFilter] = []

    def steer(self, flt: Filter, holder) -> SteeringFilter:
        self.reap()  # a closed flow's slot is free for this one
        try:
            slot = self._insert(flt)
        except ResourceExhausted as exc:
            raise Declined(NO_FILTER, f"the NIC's filter table is full ({exc})") from None
        entry = SteeringFilter(slot, flt, [holder])
        self.filters.append(entry)
        return entry

    def reap(self) -> None:
        """Remove the filters whose sockets are all closed and past their last exchange."""
        for entry in [e for e in self.filters if all(_done(s) for s in e.holders)]:
            self._remove(entry.slot)
            self.filters.remove(entry)


@dataclass
class UserLevelStack:
    """What the user-level provider serves sockets with, once set up."""

    stack: AsyncStack
    steering: Steering
    nic_addresses: frozenset[bytes]   # what the NIC's filters can match as a local address
    host_addresses: frozenset[bytes]  # every address of this host (the NIC cannot reach them)
    name: str = "process"

    @property
    def nic_ip(self) -> bytes:
        return self.stack.iface.ip

    def filter_for(self, protocol: int, port: int, remote: tuple[bytes, int] | None = None
                   ) -> Filter:
        if remote is None:
            return Filter(protocol, ip_to_str(self.nic_ip), port)
        return Filter(protocol, ip_to_str(self.nic_ip), port, ip_to_str(remote[0]), remote[1])


class UserLevelProvider:
    """``setup()`` builds the process's stack (VI, registered buffers, interface) or raises
    ``Declined`` (``no-vi``, ``no-buffers``); it runs on the first socket and again after a
    failure, since a VI may have been freed since."""

    name = USER

    def __init__(self, setup: Callable[[], UserLevelStack]) -> None:
        self._setup = setup
        self.ready: UserLevelStack | None = None
        self.calls: UserCalls | None = None

    def available(self) -> UserLevelStack:
        if self.ready is None:
            self.ready = self._setup()
            self.calls = UserCalls(self.ready.stack, self.ready.name)
        return self.ready

    async def open(self, type: int, proto: int, family: int = rules.AF_INET) -> BsdSocket:
        declined = rules.declines_protocol(
            rules.protocol_of(type, proto) if family == rules.AF_INET else None)
        if declined is not None:
            raise declined
        self.available()
        return BsdSocket(self.calls, type)


class OsProvider:
    name = OS

    def __init__(self, calls: OsSockets) -> None:
        self.calls = calls

    async def open(self, type: int, proto: int, family: int = rules.AF_INET):
        return await self.calls.socket(family, type, proto)
