"""The transport hierarchy through the simulated NICs (tb_two_hosts): one process on host A
asks its socket library (host.sockets, ``tb.socketlib.ProcessSockets``) for sockets; the
user-level stack on its own VI takes what it can, the OS stack on VI 0 the rest.

Host A is 198.18.0.1, host B 198.18.0.2. What moved is checked at B, byte for byte; where A's
NIC read each flow's frames from is checked in A's DMA log: the accelerated flow's from the
process's registered pages, the fallback's from the kernel's.
"""

from __future__ import annotations

import random
import socket as pysocket

import cocotb
from cocotb.triggers import Timer
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from host.sockets import OS, USER
from host.sockets.rules import NO_FILTER, OPTION
from tb.env import NicBench
from tb.scenarios.hierarchy import B_IP, T, TwoFlows
from tb.socketlib import ProcessSockets

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

MIB = 1 << 20


@cocotb.test(timeout_time=300_000, timeout_unit="us")
async def tcp_accelerated_and_fallback(dut):
    """One process on A opens two TCP connections to B through its socket library. The first
    is served by the user-level stack (a NIC filter steers it to the process's VI). The test
    then fills A's filter table; the second socket, created on the user-level stack, is handed
    to the OS when its connect finds no filter slot. Each moves 1 MiB exact; the first's frames
    are read from the process's pages, the second's from the kernel's; the library's
    per-provider counters and the OS's copy counters match the bytes moved."""
    bench = await NicBench.start(dut)
    host_a = bench.hosts[0]
    two = await TwoFlows.run(bench, MIB)
    app, fast, slow = two.app, two.flows["user"], two.flows["kernel"]
    entries = host_a.kernel.info.filter_entries
    assert two.filters_taken == entries - 1, \
        f"took {two.filters_taken} of {entries} slots; the accelerated flow holds one"
    assert fast.sock.provider == USER and len(fast.sock.history) == 1, fast.sock.history
    assert two.created_on == USER, "a new TCP socket starts on the user-level stack"
    assert slow.sock.provider == OS and slow.sock.history[-1].code == NO_FILTER, \
        slow.sock.history
    assert "filter table is full" in slow.sock.reason, slow.sock.reason
    for flow in (fast, slow):
        assert len(flow.payload) == MIB and flow.exact, \
            f"{flow.path} flow: {flow.arrived[0]} bytes arrived, or other data than was sent"

    pages = two.pages()
    assert not pages["user"] & pages["kernel"]
    for flow in (fast, slow):
        frames = flow.frame_reads
        assert len(frames) >= MIB // 1460, \
            f"{flow.path}: only {len(frames)} frame-sized DMA reads for 1 MiB"
        strays = flow.strays(pages[flow.path])
        assert not strays, (f"{flow.path}: {len(strays)} frame reads outside its provider's "
                            f"pages, e.g. {strays[0]}")

    user, osp = app.lib.stats[USER], app.lib.stats[OS]
    assert (user.sockets, user.handovers_in, osp.sockets, osp.handovers_in) == (2, 0, 1, 1), \
        (user, osp)
    assert user.bytes_sent == MIB and osp.bytes_sent == MIB, (user, osp)
    assert user.bytes_received == osp.bytes_received == 0, (user, osp)
    assert (fast.kernel_copies, slow.kernel_copies) == (0, MIB), \
        "the OS copied other than exactly the fallback flow's bytes in from the process"
    assert app.user_provider.calls.bytes_copied == MIB
    dut._log.info("\n%s", two.side_by_side())


@cocotb.test(timeout_time=50_000, timeout_unit="us")
async def udp_handed_over_on_option(dut):
    """A UDP socket of the process on A starts on the user-level stack, bound to a port, and
    exchanges a datagram with an echo server on B. The application then sets SO_BROADCAST,
    which the user-level stack does not implement: the socket moves to the OS with its port,
    and the echo that had arrived but was not read yet is delivered first. It goes on
    exchanging datagrams from the same port (scapy reads the wire), and sends a broadcast."""
    bench = await NicBench.start(dut)
    host_a, host_b = bench.hosts
    app = ProcessSockets(host_a, "app")
    echo_proc = host_b.os.spawn("echo")
    b_calls = host_b.os_stack.sockets(echo_proc)
    echo = await b_calls.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM)
    await echo.bind(("", 9001))
    rounds = 6
    rng = random.Random(5)
    sent = [rng.randbytes(64 + 200 * i) for i in range(rounds)]

    async def echo_server():
        for _ in range(rounds):
            data, addr = await echo.recvfrom(4096, timeout=T)
            await echo.sendto(data, addr)

    server = cocotb.start_soon(echo_server())
    sock = await app.lib.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM)
    await sock.bind(("", 9000))
    assert sock.provider == USER, sock
    await sock.sendto(sent[0], (B_IP, 9001))
    await Timer(30, unit="us")  # the echo arrives at the user-level stack; nobody reads it
    bench.wires[0].captured()  # what A sent so far; the wire is read again after the handover
    await sock.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_BROADCAST, 1)
    assert sock.provider == OS and sock.history[-1].code == OPTION, sock.history
    assert await sock.getsockopt(pysocket.SOL_SOCKET, pysocket.SO_BROADCAST) == 1
    assert (await sock.getsockname())[1] == 9000, "the bound port did not move"
    got = [await sock.recvfrom(4096, timeout=T)]
    for data in sent[1:]:
        await sock.sendto(data, (B_IP, 9001))
        got.append(await sock.recvfrom(4096, timeout=T))
    await server
    assert [d for d, _ in got] == sent, "an echo was lost, duplicated, reordered or changed"
    assert all(addr == (B_IP, 9001) for _, addr in got), got
    await sock.sendto(b"hello, everyone", ("198.18.0.255", 9002))
    await Timer(5, unit="us")

    after = [Ether(f.data) for f in bench.wires[0].captured()]
    udp = [f for f in after if UDP in f]
    to_b = [f for f in udp if f[IP].dst == B_IP]
    assert len(to_b) == rounds - 1 and all(f[UDP].sport == 9000 for f in to_b), \
        [f.summary() for f in udp]
    assert [bytes(f[UDP].payload) for f in to_b] == sent[1:]
    bcast = [f for f in udp if f[IP].dst == "198.18.0.255"]
    assert len(bcast) == 1 and bcast[0].dst == "ff:ff:ff:ff:ff:ff" and \
        bcast[0][UDP].sport == 9000, [f.summary() for f in udp]
    user, osp = app.lib.stats[USER], app.lib.stats[OS]
    assert (user.sockets, osp.sockets, osp.handovers_in) == (1, 1, 1), (user, osp)
    assert user.bytes_sent == len(sent[0]), user
    assert osp.bytes_sent == sum(map(len, sent[1:])) + len(b"hello, everyone"), osp
    # the first echo was received by the user-level stack but read after the handover
    assert user.bytes_received == 0 and osp.bytes_received == sum(map(len, sent)), osp
    await sock.close()
    await echo.close()
