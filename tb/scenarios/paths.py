"""The three paths a UDP datagram between processes on two hosts can take, measured the same
way for the bench (tb/scenarios/bench_two_hosts.py) and the demo (tb/scenarios/demo.py):

- ``user``: each process on its own VI, busy-polling (zero copy, no system call);
- ``kernel``: OS sockets, the OS stack driving VI 0 itself (onload mode);
- ``tunnel``: OS sockets, the OS stack's frames tunnelled through each host's user-space
  driver (split mode).

Half round trips are medians over ``ROUNDS`` ping-pongs, in simulated time.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import cocotb

from host.kernel.syscalls import SyscallCosts
from tb.env import HOST_IPS, NicBench, now_ns
from tb.scenarios.apps import app_on, ping_pong

ROUNDS = 16
KERNEL_PORT = 7100  # no filter: the OS's VI 0 (or the user-space driver's) gets it
USER_PORT = 7000


def payload_of(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


class UserPingPong:
    """Processes on A and B on their own VIs (a filter steers ``USER_PORT`` to each)."""

    def __init__(self, bench: NicBench) -> None:
        self.bench = bench
        self.ping = app_on(bench, "A", "user-ping", USER_PORT)
        self.pong = app_on(bench, "B", "user-pong", USER_PORT)

    async def half_rtt(self, payload: bytes) -> float:
        return median([(await ping_pong(self.bench, self.ping, self.pong, payload))[1] / 2
                       for _ in range(ROUNDS)])


@dataclass
class OsHalfRtt:
    """One payload's median half round trip over OS sockets, and what a round trip cost."""

    ns: float
    syscalls: float        # per round trip, both hosts
    bytes_copied: float    # by the socket calls, per round trip, both hosts
    tunnel_copied: float   # by the kernels out of the tunnels' IN slots, per round trip


class OsPingPong:
    """A process's OS socket on A sends to an echo process's OS socket on B, whichever way
    the hosts' OS stacks reach their NICs (``bench.mode``). ``await OsPingPong.start(bench)``
    binds, connects and warms the neighbour tables up, as on a running host."""

    def __init__(self, bench: NicBench) -> None:
        self.bench = bench
        host_a, host_b = bench.hosts
        self.ping_calls = host_a.os_stack.sockets(host_a.os.spawn("ping"))
        self.pong_calls = host_b.os_stack.sockets(host_b.os.spawn("pong"))
        self.costs = host_a.os_stack.costs
        self.ping = self.pong = self._server = None

    @classmethod
    async def start(cls, bench: NicBench) -> OsPingPong:
        pp = cls(bench)
        await bench.settle()
        pp.pong = await pp.pong_calls.socket(type=socket.SOCK_DGRAM)
        await pp.pong.bind(("", KERNEL_PORT))
        pp.ping = await pp.ping_calls.socket(type=socket.SOCK_DGRAM)
        await pp.ping.connect((HOST_IPS[1], KERNEL_PORT))
        pp._server = cocotb.start_soon(pp._echo())
        await pp.ping.send(b"warm-up")
        assert await pp.ping.recv(2048, timeout=0.01) == b"warm-up"
        return pp

    async def _echo(self) -> None:
        while (got := await self.pong.recvfrom(2048, timeout=0.01))[0] != b"stop":
            await self.pong.sendto(*got)

    def _tunnel_copied(self) -> int:
        return sum(h.os_stack.net.tunnel.stats.bytes_copied_in for h in self.bench.hosts
                   if h.os_stack.net.tunnel is not None)

    async def half_rtt(self, payload: bytes, costs: SyscallCosts | None = None) -> OsHalfRtt:
        """``costs``: what the socket calls charge on both hosts (default: the OS's own)."""
        self.ping_calls.costs = self.pong_calls.costs = costs or self.costs
        st_a, st_b = self.ping_calls.stats, self.pong_calls.stats
        before = (st_a.syscalls + st_b.syscalls, st_a.bytes_copied + st_b.bytes_copied,
                  self._tunnel_copied())
        halves = []
        for _ in range(ROUNDS):
            t0 = now_ns()
            await self.ping.send(payload)
            assert await self.ping.recv(2048, timeout=0.01) == payload, "the echo differs"
            halves.append((now_ns() - t0) / 2)
        after = (st_a.syscalls + st_b.syscalls, st_a.bytes_copied + st_b.bytes_copied,
                 self._tunnel_copied())
        per = [(a - b) / ROUNDS for a, b in zip(after, before, strict=True)]
        self.ping_calls.costs = self.pong_calls.costs = self.costs
        return OsHalfRtt(median(halves), *per)

    async def split_costs(self, payload: bytes) -> dict[str, float]:
        """The half round trip split into copies, system calls and the rest (NICs, wire,
        wake-ups, the tunnel): measured again without copy costs, then without any."""
        costs = self.costs
        full = await self.half_rtt(payload)
        no_copies = await self.half_rtt(payload, SyscallCosts(costs.syscall_s, float("inf")))
        bare = await self.half_rtt(payload, SyscallCosts(0.0, float("inf")))
        return {"full": full, "copy_ns": round(full.ns - no_copies.ns, 1),
                "syscall_ns": round(no_copies.ns - bare.ns, 1), "other_ns": round(bare.ns, 1)}

    async def stop(self) -> None:
        await self.ping.send(b"stop")
        await self._server
