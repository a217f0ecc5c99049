"""The transport hierarchy through the simulated NICs (tb_two_hosts): one process on host A
asks its socket library (host.sockets, ``tb.socketlib.ProcessSockets``) for sockets; the
user-level stack on its own VI takes what it can, the OS stack on VI 0 the rest.

Host A is 198.18.0.1, host B 198.18.0.2. What moved is checked at B, byte for byte; where A's
NIC read each flow's frames from is checked in A's DMA log: the accelerated flow's from the
process's registered pages, the fallback's from the kernel's.
"""

from __future__ import annotations

import hashlib
import random
import socket as pysocket

import cocotb
from cocotb.triggers import Timer
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from host import layout as L
from host.driver.kernel import Filter, ResourceExhausted
from host.layout import PAGE_SHIFT
from host.sockets import OS, USER
from host.sockets.rules import NO_FILTER, OPTION
from tb.env import HOST_IPS, NicBench, SimHost
from tb.socketlib import ProcessSockets
from tb.userstack import UserStack, sim_seconds

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

A_IP, B_IP = HOST_IPS
MIB = 1 << 20
T = 0.01  # seconds of simulated time any one socket call may block: far above any RTT here


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


async def tcp_sink(lib_sock, digests: dict, port: int) -> None:
    """Accept one connection on a listening library socket, read it to EOF, record the
    digest and length of what came, then close."""
    conn, _ = await lib_sock.accept(timeout=T)
    got = hashlib.sha256()
    n = 0
    while data := await conn.recv(1 << 16, timeout=T):
        got.update(data)
        n += len(data)
    digests[port] = (n, got.digest())
    await conn.close()
    await lib_sock.close()


def page_of(addr: int) -> int:
    return addr >> PAGE_SHIFT << PAGE_SHIFT


async def timed_send(sock, payload: bytes, log) -> tuple[float, list]:
    """Send ``payload`` on a connected library socket, then FIN, and wait for the peer's FIN;
    return the simulated seconds it took and A's DMA reads meanwhile."""
    log.enable()
    log.drain()
    start = sim_seconds()
    await sock.sendall(payload, timeout=T)
    await sock.shutdown(pysocket.SHUT_WR)
    assert await sock.recv(1, timeout=T) == b"", "B sent data on a one-way flow"
    took = sim_seconds() - start
    reads = [acc for acc in log.drain() if not acc.write]
    log.enable(False)
    await sock.close()
    return took, reads


def frame_reads(reads: list) -> list:
    return [acc for acc in reads if acc.length >= 1024]


@cocotb.test(timeout_time=300_000, timeout_unit="us")
async def tcp_accelerated_and_fallback(dut):
    """One process on A opens two TCP connections to B through its socket library. The first
    is served by the user-level stack (a NIC filter steers it to the process's VI). The test
    then fills A's filter table; the second socket, created on the user-level stack, is handed
    to the OS when its connect finds no filter slot. Each moves 1 MiB exact; the first's frames
    are read from the process's pages, the second's from the kernel's; the library's
    per-provider counters and the OS's copy counters match the bytes moved."""
    bench = await NicBench.start(dut)
    host_a, host_b = bench.hosts
    app = ProcessSockets(host_a, "app")
    server = ProcessSockets(host_b, "server")
    digests: dict[int, tuple[int, bytes]] = {}
    sinks = []
    for port in (7001, 7002):
        lsock = await server.lib.socket()
        await lsock.bind(("", port))
        await lsock.listen(1)
        assert lsock.provider == USER, lsock
        sinks.append(cocotb.start_soon(tcp_sink(lsock, digests, port)))

    fast = await app.lib.socket()
    await fast.connect((B_IP, 7001), timeout=T)
    assert fast.provider == USER and len(fast.history) == 1, fast.history
    used = len(app.user_provider.ready.steering.filters)
    assert used == 1, f"the accelerated connection holds {used} filters"
    entries = host_a.kernel.info.filter_entries
    taken = fill_filter_table(host_a)
    assert taken == entries - 1, f"took {taken} of {entries} slots, one was in use"

    slow = await app.lib.socket()
    assert slow.provider == USER, "a new TCP socket starts on the user-level stack"
    await slow.connect((B_IP, 7002), timeout=T)
    assert slow.provider == OS and slow.history[-1].code == NO_FILTER, slow.history
    assert "filter table is full" in slow.reason, slow.reason

    payloads = {7001: random.Random(11).randbytes(MIB), 7002: random.Random(12).randbytes(MIB)}
    took_fast, reads_fast = await timed_send(fast, payloads[7001], host_a.dma_log)
    took_slow, reads_slow = await timed_send(slow, payloads[7002], host_a.dma_log)
    for task in sinks:
        await task

    for port, payload in payloads.items():
        n, got = digests[port]
        assert n == MIB and got == hashlib.sha256(payload).digest(), \
            f"flow to port {port}: {n} bytes arrived, or other data than was sent"
    process = set(app.proc.ram_pages())
    kernel = host_a.os_stack.net.kernel_pages()
    assert not process & kernel
    for name, reads, pages in (("accelerated", reads_fast, process),
                               ("fallback", reads_slow, kernel)):
        assert len(frame_reads(reads)) >= MIB // 1460, \
            f"{name}: only {len(frame_reads(reads))} frame-sized DMA reads for 1 MiB"
        strays = [acc for acc in frame_reads(reads) if page_of(acc.addr) not in pages]
        assert not strays, (f"{name}: {len(strays)} frame reads outside its provider's "
                            f"pages, e.g. {strays[0]}")

    user, osp = app.lib.stats[USER], app.lib.stats[OS]
    assert (user.sockets, user.handovers_in, osp.sockets, osp.handovers_in) == (2, 0, 1, 1), \
        (user, osp)
    assert user.bytes_sent == MIB and osp.bytes_sent == MIB, (user, osp)
    assert user.bytes_received == osp.bytes_received == 0, (user, osp)
    copied = app.os_calls.stats.bytes_copied_in
    assert copied == MIB, f"the OS copied {copied} bytes in from the process, not 1 MiB"
    assert app.user_provider.calls.bytes_copied == MIB
    dut._log.info("accelerated: %.1f Gb/s; fallback: %.1f Gb/s (simulated time)",
                  MIB * 8 / took_fast / 1e9, MIB * 8 / took_slow / 1e9)


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
