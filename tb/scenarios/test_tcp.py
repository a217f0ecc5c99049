"""The user-level TCP/IP stack over the simulated NICs: two hosts, a process on each, each with
its own VI, registered buffers and a filter steering its TCP port to its VI (tb_two_hosts).

A process blocked in a socket call sleeps the way a kernel-bypass application does: on its VI's
interrupt line (the NIC wrote an event: a frame arrived or a transmit completed) or until the
stack's next timer, whichever comes first; Python never wakes on a fixed period.
"""

from __future__ import annotations

import hashlib
import os
import random
import time

import cocotb
from cocotb.triggers import First, Timer

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter
from host.driver.vi import Vi
from host.stack.api import SHUT_WR, AsyncStack
from host.stack.iface.interface import Interface
from host.stack.phy.vi import ViDevice
from host.stack.socket.tcp import TcpConfig
from host.stack.wire import ip_from_str, mac_from_str
from tb.env import CLOCK_NS, NicBench, SimHost, now_ns

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

QUICK = os.environ.get("NICSIM_QUICK", "0") != "0"
# the 1 MiB by default; SOAK=1 a longer run; NICSIM_TCP_BULK sets any size
SOAK = os.environ.get("SOAK", "0") != "0"
BULK_BYTES = int(os.environ.get("NICSIM_TCP_BULK", str((16 if SOAK else 1) << 20)))
A = ("198.18.0.1", "02:00:00:00:00:01")
B = ("198.18.0.2", "02:00:00:00:00:02")

# TCP for two hosts one simulated wire apart. The stack's timer defaults (RTO >= 200 ms, 1 s
# before the first RTT sample, 40 ms delayed ACK, 1 ms clock granularity) are the RFC/Linux
# values for paths of unknown, millisecond-to-second RTTs. Here the RTT is a few microseconds (the
# measured SRTT is 2-7 us), as in a datacenter, and a simulated millisecond costs seconds of wall
# time, so the in-sim stack scales them down the way datacenter stacks do with fine-grained
# timers (Vasudevan et al., SIGCOMM 2009: RTO_min of a few hundred us for ~100 us RTTs): still
# tens of RTTs, so a timer firing means a real loss, and the delayed ACK stays well below
# RTO_min so it can never be mistaken for one.
#
# Windows: 128 KiB, several times the bandwidth-delay product here (128 Gbps x ~2-3 us), so
# line-rate bursts of ~90 frames hit the NIC's receive path. That is also the regression test
# of a deadlock fixed in nic_rx_dma: it held BREADY low while a completed frame's RX event
# waited for nic_evq, whose own B responses then queued behind it in the in-order memory; with
# 64 writes outstanding nothing moved again (it struck every run at ~43 us with this window).
TCP_WINDOW = int(os.environ.get("NICSIM_TCP_WINDOW", str(128 * 1024)))
SIM_TCP = TcpConfig(rto_initial=1e-3, rto_min=100e-6, clock_granularity=1e-6,
                    delayed_ack=20e-6, rx_buffer=TCP_WINDOW, tx_buffer=TCP_WINDOW)
# minimum cycles between two interrupts of a VI: a burst of frames wakes the process once
IRQ_MODERATION_CYCLES = int(os.environ.get("NICSIM_TCP_IRQ_MOD", "64"))
MIN_SLEEP_NS = 8  # a wait asked for "now" (the stack is blocked on the device) still sleeps


def sim_seconds() -> float:
    return now_ns() * 1e-9


class UserStack:
    """A process on ``host`` running the user-level stack on its own VI."""

    def __init__(self, host: SimHost, name: str, me, peer, tcp_ports: list[int],
                 tcp_config: TcpConfig = SIM_TCP, irq_moderation: int = IRQ_MODERATION_CYCLES):
        self.proc = host.os.spawn(name)
        kernel = host.kernel
        res = kernel.alloc_vi(self.proc, txq_entries=256, rxq_entries=256,
                              irq_moderation_cycles=irq_moderation)
        self.vi = Vi(res)
        tx_pool = BufferPool(kernel, self.proc, 192)
        rx_pool = BufferPool(kernel, self.proc, 256)
        self.device = ViDevice(self.vi, tx_pool, rx_pool, interrupts=True)
        self.iface = Interface(self.device, me[1], f"{me[0]}/24")
        # ARP goes to the kernel's VI, not to this one: the kernel's neighbour entry is shared
        self.iface.neighbors.fill(ip_from_str(peer[0]), mac_from_str(peer[1]), 0.0)
        self.line = host.irq
        self.irq_bit = 1 << self.vi.vi
        self.sleeps = 0      # waits, and how many the interrupt ended
        self.irq_wakeups = 0
        self.spurious = 0    # levels that had to be re-armed without new events
        self._writes_at_wake = -1
        self.stack = AsyncStack(self.iface, clock=sim_seconds, wait=self.wait,
                                tcp_config=tcp_config)
        for port in tcp_ports:
            kernel.insert_filter(Filter(L.IPPROTO_TCP, me[0], port), self.vi.vi)

    async def wait(self, timeout: float | None) -> None:
        """Sleep until the VI's interrupt rises or ``timeout`` seconds (the stack's next timer,
        capped by the caller's deadline; None: no timer) pass.

        The line is a level: it rises when the NIC has an event the host has not acknowledged,
        drops with every EVQ_READ write, and the device re-arms it with each of those. A level
        still high when we go to sleep was either acknowledged by this poll (the write is on its
        way) or is spurious -- the host can read an event from memory before the NIC counts its
        write as complete, so the NIC may fire for an event already taken -- and a spurious
        level would never rise again: acknowledge and re-arm it, as an interrupt handler does.
        """
        self.sleeps += 1
        line, bit, vi = self.line, self.irq_bit, self.vi
        if int(line.value) & bit and vi.evq_writes == self._writes_at_wake:
            self.spurious += 1
            vi.arm_interrupt()
        try:
            if timeout is None:
                while True:
                    await line.value_change
                    if int(line.value) & bit:
                        self.irq_wakeups += 1
                        return
            deadline = now_ns() + max(timeout * 1e9, MIN_SLEEP_NS)
            while True:
                left = deadline - now_ns()
                if left <= 0:
                    return
                await First(line.value_change, Timer(left, unit="ns", round_mode="ceil"))
                if int(line.value) & bit:
                    self.irq_wakeups += 1
                    return
        finally:
            self._writes_at_wake = vi.evq_writes


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


async def watchdog(bench: NicBench, tcp, period_us: float = 200) -> None:
    """Fail at once, with the NICs' counters, when the transfer stops: the sender has data
    outstanding and, for a whole period (twice RTO_min), nothing was acknowledged and neither
    NIC wrote to host memory. On the lossless wire no timer is waited for, so that is a hang."""
    last = None
    while True:
        await Timer(period_us, unit="us")
        now = (tcp.snd_una, *(int(h.write_bursts.value) for h in bench.hosts))
        if now == last and tcp.snd_una < tcp.snd_max:
            stats = [{k: v for k, v in (await h.kernel.read_stats()).items() if v}
                     for h in bench.hosts]
            raise AssertionError(f"TCP transfer stalled for {period_us} us with "
                                 f"{tcp.snd_max - tcp.snd_una} bytes in flight and no DMA "
                                 f"write on either host; NIC counters A {stats[0]}, B {stats[1]}")
        last = now


# simulated-time limit: generous for any sane goodput (>= ~1 Gbps), short of an endless hang
@cocotb.test(timeout_time=20_000 + BULK_BYTES // 1000, timeout_unit="us")
async def tcp_bulk_transfer(dut):
    """Bulk data from host A to host B over TCP (1 MiB; 16 MiB with SOAK=1), delivered exactly
    once and in order, with no retransmission on the lossless wire."""
    bench = await NicBench.start(dut)
    server, client = pair(bench, 5001, 40001)
    await bench.settle()
    payload = random.Random(9).randbytes(BULK_BYTES)
    received = bytearray()
    conns = {}

    async def sink():
        lsock = server.stack.socket()
        lsock.bind((B[0], 5001))
        lsock.listen(1)
        conn, _ = await lsock.accept(timeout=0.01)
        conns["server"] = conn.sock.tcp
        while True:
            data = await conn.recv(1 << 16, timeout=0.01)
            if not data:
                break
            received.extend(data)
        conn.close()  # answers the client's FIN: everything it sent has been read

    task = cocotb.start_soon(sink())
    sock = client.stack.socket()
    sock.bind((A[0], 40001))
    await sock.connect((B[0], 5001), timeout=0.01)
    tcp = sock.sock.tcp
    dog = cocotb.start_soon(watchdog(bench, tcp))
    wall0, sim0, cpu0 = time.time(), sim_seconds(), time.process_time()
    await sock.sendall(payload, timeout=0.01)
    sock.shutdown(SHUT_WR)
    # Like any sender, keep the stack running until the peer has everything: wait for its
    # close. (Returning right after sendall leaves up to a send buffer of data that only this
    # process's stack can transmit, and no one to poll it.)
    assert await sock.recv(1, timeout=0.01) == b"", "data from the sink"
    await task
    sim_s, wall, cpu = sim_seconds() - sim0, time.time() - wall0, time.process_time() - cpu0
    dog.cancel()
    sock.close()
    assert len(received) == len(payload), \
        f"received {len(received)} bytes of {len(payload)}"
    assert hashlib.sha256(received).digest() == hashlib.sha256(payload).digest(), \
        "received bytes differ from what was sent (order, duplication or corruption)"
    goodput = len(payload) * 8 / sim_s / 1e9
    log = dut._log.info
    log("TCP bulk %d bytes: %.2f Gbps simulated goodput, %.2f MB/s wall (%.1f us simulated = "
        "%d cycles, %.2f s wall, %.2f s CPU)", len(payload), goodput, len(payload) / wall / 1e6,
        sim_s * 1e6, round(sim_s * 1e9 / CLOCK_NS), wall, cpu)
    for name, user, t in (("client", client, tcp), ("server", server, conns["server"])):
        log("%s: %d segments sent, %d received, %d retransmitted (%d timeouts, %d fast), "
            "srtt %.2f us; %d sleeps (%d ended by the interrupt, %d spurious levels), "
            "%d doorbells, %d event-queue writes, %d frames out, %d in", name,
            t.stats_segments_sent, t.stats_segments_received, t.stats_retransmits,
            t.stats_timeouts, t.stats_fast_retransmits, (t.srtt or 0) * 1e6, user.sleeps,
            user.irq_wakeups, user.spurious, user.device.doorbells, user.vi.evq_writes,
            user.device.tx_frames, user.device.rx_frames)
    assert tcp.stats_retransmits == 0 and conns["server"].stats_retransmits == 0, \
        "retransmissions on a lossless wire"
    assert server.device.faults == [] and client.device.faults == []
    if os.environ.get("NICSIM_BENCH_OUT"):
        from tb.scenarios.bench import record

        latency = int(os.environ.get("NICSIM_DMA_LATENCY", "0"))
        record("tcp_goodput", round(goodput, 3), "Gbps", bytes=len(payload),
               dma_latency_cycles=latency)
        record("tcp_wall_rate", round(len(payload) / wall), "B/s", bytes=len(payload))
