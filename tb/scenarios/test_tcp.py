"""The user-level TCP/IP stack over the simulated NICs: two hosts, a process on each, each with
its own VI, registered buffers and a filter steering its TCP port to its VI (tb_two_hosts)."""

from __future__ import annotations

import hashlib
import os
import random
import time

import cocotb
from cocotb.triggers import Timer

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter
from host.driver.vi import Vi
from host.stack.api import AsyncStack
from host.stack.iface.interface import Interface
from host.stack.phy.vi import ViDevice
from host.stack.wire import ip_from_str, mac_from_str
from tb.env import NicBench, SimHost, now_ns

QUICK = os.environ.get("NICSIM_QUICK", "0") != "0"
# the suite moves 256 KiB; SOAK=1 (or NICSIM_TCP_BULK) the full 1 MiB of the issue
SOAK = os.environ.get("SOAK", "0") != "0"
BULK_BYTES = int(os.environ.get("NICSIM_TCP_BULK", str(1 << 20 if SOAK else 256 * 1024)))
A = ("198.18.0.1", "02:00:00:00:00:01")
B = ("198.18.0.2", "02:00:00:00:00:02")
WAKE_S = 2e-6  # Python wakes at most every 2 us of simulated time while a socket waits


def sim_seconds() -> float:
    return now_ns() * 1e-9


async def sim_wait(timeout: float | None) -> None:
    step = WAKE_S if timeout is None else min(max(timeout, 1e-8), WAKE_S)
    await Timer(step * 1e9, unit="ns")


class UserStack:
    """A process on ``host`` running the user-level stack on its own VI."""

    def __init__(self, host: SimHost, name: str, me, peer, tcp_ports: list[int]):
        self.proc = host.os.spawn(name)
        kernel = host.kernel
        res = kernel.alloc_vi(self.proc, txq_entries=256, rxq_entries=256)
        self.vi = Vi(res)
        tx_pool = BufferPool(kernel, self.proc, 192)
        rx_pool = BufferPool(kernel, self.proc, 256)
        self.device = ViDevice(self.vi, tx_pool, rx_pool)
        self.iface = Interface(self.device, me[1], f"{me[0]}/24")
        # ARP goes to the kernel's VI, not to this one: the kernel's neighbour entry is shared
        self.iface.neighbors.fill(ip_from_str(peer[0]), mac_from_str(peer[1]), 0.0)
        self.stack = AsyncStack(self.iface, clock=sim_seconds, wait=sim_wait)
        for port in tcp_ports:
            kernel.insert_filter(Filter(L.IPPROTO_TCP, me[0], port), self.vi.vi)


def pair(bench: NicBench, server_port: int, client_port: int):
    server = UserStack(bench.hosts[1], "server", B, A, [server_port])
    client = UserStack(bench.hosts[0], "client", A, B, [client_port])
    return server, client


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def tcp_echo_between_hosts(dut):
    """An echo server on host B, a client on host A: messages of many sizes come back intact."""
    bench = await NicBench.start(dut)
    server, client = pair(bench, 7, 40000)
    await bench.settle()

    async def echo_server():
        lsock = server.stack.socket()
        lsock.bind((B[0], 7))
        lsock.listen(4)
        conn, _ = await lsock.accept(timeout=0.05)
        while True:
            data = await conn.recv(65536, timeout=0.05)
            if not data:
                break
            await conn.sendall(data, timeout=0.05)
        conn.close()

    task = cocotb.start_soon(echo_server())
    sock = client.stack.socket()
    sock.bind((A[0], 40000))
    await sock.connect((B[0], 7), timeout=0.05)
    rng = random.Random(5)
    for size in [1, 100, 1460, 1461, 5000, 20000]:
        msg = rng.randbytes(size)
        await sock.sendall(msg, timeout=0.05)
        got = b""
        while len(got) < size:
            chunk = await sock.recv(65536, timeout=0.05)
            assert chunk, "connection closed early"
            got += chunk
        assert got == msg, f"echo of {size} bytes differs"
    sock.shutdown(1)
    assert await sock.recv(100, timeout=0.05) == b""
    sock.close()
    await task
    assert server.device.faults == [] and client.device.faults == []


@cocotb.test(timeout_time=2_000_000, timeout_unit="us")
async def tcp_bulk_transfer(dut):
    """Bulk data from host A to host B over TCP (256 KiB; 1 MiB with SOAK=1), delivered exactly
    once and in order."""
    bench = await NicBench.start(dut)
    server, client = pair(bench, 5001, 40001)
    await bench.settle()
    payload = random.Random(9).randbytes(BULK_BYTES)
    received = bytearray()

    async def sink():
        lsock = server.stack.socket()
        lsock.bind((B[0], 5001))
        lsock.listen(1)
        conn, _ = await lsock.accept(timeout=0.05)
        while True:
            data = await conn.recv(1 << 16, timeout=0.5)
            if not data:
                break
            received.extend(data)
        conn.close()

    task = cocotb.start_soon(sink())
    sock = client.stack.socket()
    sock.bind((A[0], 40001))
    await sock.connect((B[0], 5001), timeout=0.05)
    wall0, sim0 = time.time(), sim_seconds()
    await sock.sendall(payload, timeout=1.0)
    sock.shutdown(1)
    await task
    sim_s, wall = sim_seconds() - sim0, time.time() - wall0
    sock.close()
    assert hashlib.sha256(received).digest() == hashlib.sha256(payload).digest(), \
        f"received {len(received)} bytes, differing from what was sent"
    goodput = len(payload) * 8 / sim_s / 1e9
    dut._log.info("TCP bulk %d bytes: %.2f Gbps simulated goodput, %.0f KB/s wall "
                  "(%.1f us simulated, %.1f s wall)", len(payload), goodput,
                  len(payload) / wall / 1e3, sim_s * 1e6, wall)
    out = os.environ.get("NICSIM_TCP_RESULT")
    if out:
        with open(out, "w") as f:
            f.write(f"{goodput} {len(payload) / wall} {len(payload)}\n")
