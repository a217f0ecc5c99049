"""Benchmark scenarios on tb_two_hosts (run by tb/bench.py): UDP half round trip between
processes on the two hosts, on the user-level path (each process on its own VI) and the kernel
path (OS sockets on both hosts, through VI 0); TCP goodput on each path a process's socket
library gives it. Records go to NICSIM_BENCH_OUT like
tb/scenarios/bench.py's."""

from __future__ import annotations

import socket

import cocotb

from host.kernel.syscalls import SyscallCosts
from tb.env import HOST_IPS, NicBench, now_ns
from tb.scenarios.apps import app_on, ping_pong
from tb.scenarios.bench import LATENCY, record
from tb.scenarios.hierarchy import TwoFlows

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

PAYLOADS = (0, 64, 256, 1024, 1472)
KERNEL_PAYLOADS = (0, 1024)
ROUNDS = 16
KERNEL_PORT = 7100  # no filter: the OS's VI 0 gets it


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


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def udp_half_rtt_kernel(dut):
    """Median half round trip of a UDP ping-pong between OS sockets of a process on host A and
    one on host B: each datagram is a system call and a copy on each side, goes through the OS
    stack on VI 0, and wakes the receiver through VI 0's interrupt and the softirq. Measured
    from the start of A's sendto to the return of A's recvfrom, halved. The record splits the
    half round trip into system calls, copies and the rest (NICs, wire, wake-ups)."""
    bench = await NicBench.start(dut, dma_latency=LATENCY)
    host_a, host_b = bench.hosts
    ping_calls = host_a.os_stack.sockets(host_a.os.spawn("ping"))
    pong_calls = host_b.os_stack.sockets(host_b.os.spawn("pong"))
    await bench.settle()
    pong = await pong_calls.socket(type=socket.SOCK_DGRAM)
    await pong.bind(("", KERNEL_PORT))
    ping = await ping_calls.socket(type=socket.SOCK_DGRAM)
    await ping.connect((HOST_IPS[1], KERNEL_PORT))
    # the user-level path on the same hosts, for the comparison (its records come from
    # udp_half_rtt): processes on their own VIs, a filter steering port 7000 to each
    user_ping = app_on(bench, "A", "user-ping", 7000)
    user_pong = app_on(bench, "B", "user-pong", 7000)

    async def echo():
        while (got := await pong.recvfrom(2048, timeout=0.01))[0] != b"stop":
            await pong.sendto(*got)

    server = cocotb.start_soon(echo())
    await ping.send(b"warm-up")  # resolve the neighbours once, as a running host has
    assert await ping.recv(2048, timeout=0.01) == b"warm-up"
    costs = host_a.os_stack.costs
    free_copies = SyscallCosts(costs.syscall_s, float("inf"))
    free = SyscallCosts(0.0, float("inf"))

    async def median_half(payload: bytes, model: SyscallCosts) -> float:
        ping_calls.costs = pong_calls.costs = model
        halves = []
        for _ in range(ROUNDS):
            t0 = now_ns()
            await ping.send(payload)
            assert await ping.recv(2048, timeout=0.01) == payload, "the echo differs"
            halves.append((now_ns() - t0) / 2)
        return sorted(halves)[len(halves) // 2]

    for size in KERNEL_PAYLOADS:
        payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
        before = ping_calls.stats.syscalls, ping_calls.stats.bytes_copied
        full = await median_half(payload, costs)
        calls = (ping_calls.stats.syscalls - before[0]) / ROUNDS
        copied = (ping_calls.stats.bytes_copied - before[1]) / ROUNDS
        # the same ping-pong again without copy costs, then without any: the differences are
        # what the copies and the system calls add to the half round trip
        no_copies = await median_half(payload, free_copies)
        bare = await median_half(payload, free)
        user = sorted([(await ping_pong(bench, user_ping, user_pong, payload))[1] / 2
                       for _ in range(ROUNDS)])[ROUNDS // 2]
        assert full > user, f"{size} B: the kernel path ({full} ns) is not dearer than the " \
                            f"user-level one ({user} ns)"
        record("udp_half_rtt", full, "ns", dma_latency_cycles=LATENCY, payload_bytes=size,
               path="kernel", copy_ns=round(full - no_copies, 1),
               syscall_ns=round(no_copies - bare, 1), other_ns=round(bare, 1),
               user_path_ns=user, syscalls_per_round_trip=2 * calls,
               bytes_copied_per_round_trip=2 * copied,
               syscall_cost_ns=costs.syscall_s * 1e9,
               copy_bandwidth_gbps=costs.copy_bytes_per_s * 8 / 1e9)
    await ping.send(b"stop")
    await server


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
