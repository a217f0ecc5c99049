"""The socket library (host.sockets) of a process on a simulated host, for scenarios.

``ProcessSockets(host, name)`` spawns a process and gives it a ``SocketLibrary`` whose
providers are the user-level stack on a VI of its own (``UserStack``, set up on the first
socket) and the host's OS (its socket system calls, ``host.os_stack``). The user-level stack
steers each socket's flows with the NIC's real filter table, through the kernel driver, so a
full table makes it decline. Part of the testbench API (docs/testbench.md).
"""

from __future__ import annotations

from host.driver.kernel import NicError, ResourceExhausted
from host.process import Process
from host.sockets import (
    OS,
    USER,
    Declined,
    Hierarchy,
    OsProvider,
    SocketLibrary,
    Steering,
    UserLevelProvider,
    UserLevelStack,
)
from host.sockets.rules import NO_BUFFERS, NO_VI
from host.stack.wire import ip_from_str, mac_to_str
from tb.env import SimHost
from tb.userstack import UserStack


def _user_level_setup(host: SimHost, proc: Process, name: str, stacks: list[UserStack]):
    """The user-level provider's setup: a VI and registered buffers for ``proc``, the stack on
    them, its filters in the NIC's table. No VI left, or no room to register the buffers,
    makes it decline; the VI of a setup that failed is given back."""
    kernel = host.kernel

    def setup() -> UserLevelStack:
        try:
            vi = UserStack.alloc_vi(host, proc)
        except ResourceExhausted as exc:
            raise Declined(NO_VI, str(exc)) from None
        try:
            user = UserStack(host, name, (host.ip, mac_to_str(kernel.mac)), None, proc=proc,
                             vi=vi)
        except (ResourceExhausted, NicError, MemoryError) as exc:
            kernel.free_vi(vi)
            raise Declined(NO_BUFFERS, f"cannot register packet buffers ({exc})") from None
        stacks.append(user)
        own = frozenset({ip_from_str(host.ip)})
        steering = Steering(lambda flt: kernel.insert_filter(flt, vi.vi), kernel.remove_filter,
                            capacity=kernel.info.filter_entries)
        return UserLevelStack(user.stack, steering, nic_addresses=own, host_addresses=own,
                              name=name)

    return setup


class ProcessSockets:
    """One process on a simulated host with its socket library: ``lib`` (``await
    lib.socket(...)``), ``proc``, ``os_calls`` (its OS system calls and their counters) and,
    once its first socket set it up, ``user`` (the ``UserStack`` of its user-level
    provider)."""

    def __init__(self, host: SimHost, name: str, hierarchy: Hierarchy | None = None) -> None:
        if host.os_stack is None:
            raise ValueError(f"host {host.name} runs no OS stack to fall back to")
        self.host = host
        self.proc = host.os.spawn(name)
        self.os_calls = host.os_stack.sockets(self.proc)
        self._stacks: list[UserStack] = []
        self.user_provider = UserLevelProvider(_user_level_setup(host, self.proc, name,
                                                                 self._stacks))
        self.lib = SocketLibrary({USER: self.user_provider, OS: OsProvider(self.os_calls)},
                                 hierarchy)

    @property
    def user(self) -> UserStack | None:
        return self._stacks[-1] if self._stacks else None

