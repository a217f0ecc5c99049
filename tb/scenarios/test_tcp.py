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
from cocotb.triggers import Timer

from host.stack.api import SHUT_WR
from tb.env import CLOCK_NS, NicBench
from tb.userstack import UserStack, sim_seconds

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

QUICK = os.environ.get("NICSIM_QUICK", "0") != "0"
# the 1 MiB by default; SOAK=1 a longer run; NICSIM_TCP_BULK sets any size
SOAK = os.environ.get("SOAK", "0") != "0"
BULK_BYTES = int(os.environ.get("NICSIM_TCP_BULK", str((16 if SOAK else 1) << 20)))
A = ("198.18.0.1", "02:00:00:00:00:01")
B = ("198.18.0.2", "02:00:00:00:00:02")

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
