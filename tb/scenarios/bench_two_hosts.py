"""Benchmark scenarios on tb_two_hosts (run by tb/bench.py): UDP half round trip between
processes on the two hosts. Records go to NICSIM_BENCH_OUT like tb/scenarios/bench.py's."""

from __future__ import annotations

import cocotb

from tb.env import NicBench
from tb.scenarios.apps import app_on, ping_pong
from tb.scenarios.bench import LATENCY, record

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

PAYLOADS = (0, 64, 256, 1024, 1472)
ROUNDS = 16


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def udp_half_rtt(dut):
    """Median half round trip of a UDP ping-pong between busy-polling processes on host A and
    host B (doorbell on A to the echo's RX event in A's memory, halved)."""
    bench = await NicBench.start(dut, dma_latency=LATENCY, os_stack=False)
    ping = app_on(bench, "A", "ping", 7000)
    pong = app_on(bench, "B", "pong", 7000)
    await bench.settle()
    for size in PAYLOADS:
        halves = sorted([(await ping_pong(bench, ping, pong, bytes(size)))[1] / 2
                         for _ in range(ROUNDS)])
        record("udp_half_rtt", halves[len(halves) // 2], "ns", dma_latency_cycles=LATENCY,
               payload_bytes=size)
