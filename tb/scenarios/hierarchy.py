"""Two TCP flows of one process on host A to host B through its socket library: one the
user-level stack serves, one it hands to the OS because A's NIC filter table is full (the
scenario fills it). Shared by the hierarchy tests, the demo and the bench (tb_two_hosts).
"""

from __future__ import annotations

import hashlib
import random
import socket as pysocket
from dataclasses import dataclass, field

import cocotb

from host import layout as L
from host.driver.kernel import Filter, ResourceExhausted
from host.layout import PAGE_SHIFT
from tb.env import HOST_IPS, NicBench, SimHost
from tb.socketlib import ProcessSockets
from tb.userstack import UserStack, sim_seconds

A_IP, B_IP = HOST_IPS
T = 0.01  # seconds of simulated time any one socket call may block: far above any RTT here
PORTS = {"user": 7001, "kernel": 7002}  # B's listener for each path


def fill_filter_table(host: SimHost) -> int:
    """Take every free slot of ``host``'s NIC filter table for another process's VI (as other
    accelerated applications would); return how many were taken."""
    proc = host.os.spawn("filter-hog")
    vi = UserStack.alloc_vi(host, proc)
    taken = 0
    try:
        while True:
            host.kernel.insert_filter(Filter(L.IPPROTO_TCP, host.ip, 40000 + taken), vi.vi)
            taken += 1
    except ResourceExhausted:
        return taken


async def tcp_sink(lib_sock, got: dict, port: int) -> None:
    """Accept one connection on a listening library socket, read it to EOF, record the length
    and digest of what came in ``got[port]``, then close."""
    conn, _ = await lib_sock.accept(timeout=T)
    digest = hashlib.sha256()
    n = 0
    while data := await conn.recv(1 << 16, timeout=T):
        digest.update(data)
        n += len(data)
    got[port] = (n, digest.digest())
    await conn.close()
    await lib_sock.close()


@dataclass
class TcpFlow:
    path: str            # "user" or "kernel": the provider the library gave it
    sock: object         # its host.sockets.LibSocket
    payload: bytes
    seconds: float = 0.0  # simulated time from the first send to the peer's FIN
    reads: list = field(default_factory=list)  # A's DMA reads meanwhile
    kernel_copies: int = 0  # bytes copied across the kernel boundary for it
    arrived: tuple[int, bytes] = (0, b"")  # (length, sha256) of what B read

    @property
    def exact(self) -> bool:
        return self.arrived == (len(self.payload), hashlib.sha256(self.payload).digest())

    @property
    def frame_reads(self) -> list:
        """A's frame-sized DMA reads during the flow (descriptor reads are 16 bytes)."""
        return [acc for acc in self.reads if acc.length >= 1024]

    def strays(self, pages: set[int]) -> list:
        """The flow's frame reads from outside ``pages`` (physical page addresses)."""
        return [acc for acc in self.frame_reads if acc.addr >> PAGE_SHIFT << PAGE_SHIFT
                not in pages]

    @property
    def gbps(self) -> float:
        return len(self.payload) * 8 / self.seconds / 1e9


async def timed_send(flow: TcpFlow, log) -> None:
    """Send the flow's payload, then FIN, and wait for the peer's FIN; note the simulated time
    it took and A's DMA reads meanwhile."""
    log.enable()
    log.drain()
    start = sim_seconds()
    await flow.sock.sendall(flow.payload, timeout=T)
    await flow.sock.shutdown(pysocket.SHUT_WR)
    assert await flow.sock.recv(1, timeout=T) == b"", "B sent data on a one-way flow"
    flow.seconds = sim_seconds() - start
    flow.reads = [acc for acc in log.drain() if not acc.write]
    log.enable(False)
    await flow.sock.close()


class TwoFlows:
    """``await TwoFlows.run(bench, size)``: the process (``app``), B's server process, and the
    two flows (``flows["user"]``, ``flows["kernel"]``), each moved once, one after the other;
    each flow's ``arrived`` is (length, sha256) of what B read."""

    def __init__(self, bench: NicBench) -> None:
        self.bench = bench
        host_a, host_b = bench.hosts
        self.app = ProcessSockets(host_a, "app")
        self.server = ProcessSockets(host_b, "server")
        self.flows: dict[str, TcpFlow] = {}
        self.filters_taken = 0
        self.created_on = None  # the provider the fallback socket was created on
        self._got: dict[int, tuple[int, bytes]] = {}  # B's sinks: port -> what arrived
        self._sinks = []

    @classmethod
    async def run(cls, bench: NicBench, size: int) -> TwoFlows:
        two = cls(bench)
        await two._connect(size)
        await two._move()
        return two

    async def _connect(self, size: int) -> None:
        for port in PORTS.values():
            lsock = await self.server.lib.socket()
            await lsock.bind(("", port))
            await lsock.listen(1)
            self._sinks.append(cocotb.start_soon(tcp_sink(lsock, self._got, port)))
        lib = self.app.lib
        fast = await lib.socket()
        await fast.connect((B_IP, PORTS["user"]), timeout=T)
        self.filters_taken = fill_filter_table(self.bench.hosts[0])
        slow = await lib.socket()
        self.created_on = slow.provider
        await slow.connect((B_IP, PORTS["kernel"]), timeout=T)
        for i, (path, sock) in enumerate((("user", fast), ("kernel", slow))):
            self.flows[path] = TcpFlow(path, sock, random.Random(11 + i).randbytes(size))

    async def _move(self) -> None:
        log = self.bench.hosts[0].dma_log
        stats = self.app.os_calls.stats
        for flow in self.flows.values():
            before = stats.bytes_copied_in
            await timed_send(flow, log)
            flow.kernel_copies = stats.bytes_copied_in - before
        for task in self._sinks:
            await task
        for path, flow in self.flows.items():
            flow.arrived = self._got[PORTS[path]]

    def pages(self) -> dict[str, set[int]]:
        """Where each path's frames must be read from: the process's pages; the pages the OS
        builds its frames in (its own, or in split mode the tunnel's)."""
        return {"user": set(self.app.proc.ram_pages()),
                "kernel": self.bench.hosts[0].os_stack.net.frame_pages()}

    def side_by_side(self) -> str:
        """The two flows as the demo prints them."""
        rows = [f"  {'':22}{'accelerated':>16}{'fallback':>16}"]
        fast, slow = self.flows["user"], self.flows["kernel"]
        for name, f in (("provider", lambda x: x.sock.provider),
                        ("why", lambda x: x.sock.history[-1].code or "first choice"),
                        ("bytes moved (exact)", lambda x: f"{len(x.payload):,}"),
                        ("simulated time", lambda x: f"{x.seconds * 1e6:.1f} us"),
                        ("throughput", lambda x: f"{x.gbps:.2f} Gb/s"),
                        ("kernel copies/byte",
                         lambda x: f"{x.kernel_copies / len(x.payload):.2f}")):
            rows.append(f"  {name:22}{f(fast):>16}{f(slow):>16}")
        return "\n".join(rows)
