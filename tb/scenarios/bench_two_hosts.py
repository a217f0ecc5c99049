"""Benchmark scenarios on tb_two_hosts (run by tb/bench.py): UDP half round trip between
processes on the two hosts, on the user-level path (each process on its own VI), the kernel
path (OS sockets on both hosts, through VI 0) and the tunnel path (OS sockets, the hosts in
split mode: through each host's user-space driver; tb/scenarios/paths.py); TCP goodput on each
path a process's socket library gives it. Records go to NICSIM_BENCH_OUT like
tb/scenarios/bench.py's."""

from __future__ import annotations

import cocotb

from tb.env import NicBench
from tb.scenarios.apps import app_on, ping_pong
from tb.scenarios.bench import LATENCY, record
from tb.scenarios.hierarchy import TwoFlows
from tb.scenarios.paths import OsPingPong, UserPingPong, payload_of

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

PAYLOADS = (0, 64, 256, 1024, 1472)
KERNEL_PAYLOADS = (0, 1024)
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
               payload_bytes=size, path="user")


async def os_path_records(bench: NicBench, path: str) -> None:
    """Record the OS-socket half round trip of ``path`` ("kernel" or "tunnel", as the hosts
    were built) at each of ``KERNEL_PAYLOADS``, beside the user-level path on the same hosts,
    split into system calls, copies and the rest."""
    os_path = await OsPingPong.start(bench)
    user_path = UserPingPong(bench)
    costs = os_path.costs
    for size in KERNEL_PAYLOADS:
        payload = payload_of(size)
        split = await os_path.split_costs(payload)
        full = split.pop("full")
        user = await user_path.half_rtt(payload)
        assert full.ns > user, f"{size} B: the {path} path ({full.ns} ns) is not dearer " \
                               f"than the user-level one ({user} ns)"
        record("udp_half_rtt", full.ns, "ns", dma_latency_cycles=LATENCY, payload_bytes=size,
               path=path, **split, user_path_ns=user, syscalls_per_round_trip=full.syscalls,
               bytes_copied_per_round_trip=full.bytes_copied,
               tunnel_bytes_copied_per_round_trip=full.tunnel_copied,
               syscall_cost_ns=costs.syscall_s * 1e9,
               copy_bandwidth_gbps=costs.copy_bytes_per_s * 8 / 1e9)
    await os_path.stop()


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def udp_half_rtt_kernel(dut):
    """Median half round trip of a UDP ping-pong between OS sockets of a process on host A and
    one on host B: each datagram is a system call and a copy on each side, goes through the OS
    stack on VI 0, and wakes the receiver through VI 0's interrupt and the softirq. Measured
    from the start of A's sendto to the return of A's recvfrom, halved."""
    await os_path_records(await NicBench.start(dut, dma_latency=LATENCY, mode="onload"),
                          "kernel")


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def udp_half_rtt_tunnel(dut):
    """The same ping-pong with both hosts in split mode: each OS stack's frames go through the
    kernel/user-space interface and the host's user-space driver, which must be woken (a
    context switch) for every frame each way."""
    await os_path_records(await NicBench.start(dut, dma_latency=LATENCY, mode="split"),
                          "tunnel")


@cocotb.test(timeout_time=300_000, timeout_unit="us")
async def tcp_goodput(dut):
    """TCP goodput of one process on A to B in simulated time, 1 MiB per flow, on each path
    its socket library can give it: the user-level stack on its own VI (``path=user``) and the
    OS, once A's filter table is full (``path=kernel``); see tb/scenarios/hierarchy.py."""
    bench = await NicBench.start(dut, dma_latency=LATENCY)
    two = await TwoFlows.run(bench, 1 << 20)
    for path, flow in two.flows.items():
        assert flow.exact, f"{path}: {flow.arrived[0]} of {len(flow.payload)} bytes arrived"
        record("tcp_goodput", round(flow.gbps, 3), "Gbps", dma_latency_cycles=LATENCY,
               path=path, provider=flow.sock.provider, bytes=len(flow.payload),
               sim_us=round(flow.seconds * 1e6, 1),
               kernel_copies_per_byte=flow.kernel_copies / len(flow.payload))
