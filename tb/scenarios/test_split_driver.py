"""Split mode through the simulated NICs (tb_two_hosts, hosts built with mode "split"): the OS
stack's frames cross the kernel/user-space interface and a user-space driver process that owns
VI 0, while applications' user-level stacks keep their own VIs.

Host A is 198.18.0.1, host B 198.18.0.2; both run in split mode.
"""

from __future__ import annotations

import errno
import random
import socket as pysocket

import cocotb
from cocotb.triggers import Timer
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether

from host import layout as L
from host.kernel.tunnel import TunnelRings
from tb.env import HOST_IPS, NicBench
from tb.scenarios.test_os_stack import (
    digest,
    os_bulk,
    os_drain,
    os_sockets,
    stray_reads,
    user_bulk,
)

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

A_IP, B_IP = HOST_IPS
KIB = 1 << 10
T = 0.01  # seconds of simulated time any one socket call may block


async def split_bench(dut) -> NicBench:
    bench = await NicBench.start(dut)
    assert bench.mode == "split", f"these scenarios need split mode, not {bench.mode}"
    return bench


def page_of(acc) -> int:
    return acc.addr >> L.PAGE_SHIFT << L.PAGE_SHIFT


async def ping(calls, sock, seq: int, timeout: float = T) -> ICMP:
    """One echo from ``sock`` (a ping socket of B) to A; the decoded reply."""
    data = bytes([seq]) * 56
    await sock.sendto(bytes(ICMP(type=8, id=0, seq=seq) / data), (A_IP, 0))
    reply, _ = await sock.recvfrom(2048, timeout=timeout)
    decoded = ICMP(reply)
    assert decoded.type == 0 and decoded.seq == seq and bytes(decoded.payload) == data
    return decoded


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def kernel_frames_cross_the_driver(dut):
    """An OS TCP flow and a user-level TCP flow from A to B at once, 256 KiB each, both exact.
    Every frame the kernel queued crossed A's user-space driver (its counters and the tunnel's
    agree, each way); the NIC read the kernel's frames from the tunnel's pages and the
    application's from its own, and nothing from any other page."""
    bench = await split_bench(dut)
    host_a, host_b = bench.hosts
    _, a_calls = os_sockets(host_a, "os-source")
    _, b_calls = os_sockets(host_b, "os-sink")
    os_payload = random.Random(5).randbytes(256 * KIB)
    user_payload = random.Random(6).randbytes(256 * KIB)
    got = bytearray()

    async def sink():
        lsock = await b_calls.socket()
        await lsock.bind(("", 7100))
        await lsock.listen(1)
        conn, _ = await lsock.accept(timeout=T)
        await os_drain(conn, got)
        await conn.close()
        await lsock.close()

    server = cocotb.start_soon(sink())
    await Timer(1, unit="us")
    log = host_a.dma_log
    log.enable()
    log.drain()
    stacks: dict = {}
    user = cocotb.start_soon(user_bulk(bench, user_payload, 7200, stacks))
    sock = await a_calls.socket()
    await sock.connect((B_IP, 7100), timeout=T)
    await os_bulk(a_calls, sock, os_payload, 65536)
    await sock.shutdown(pysocket.SHUT_WR)
    assert await sock.recv(1, timeout=T) == b""
    await sock.close()
    await server
    user_got = await user
    reads = [acc for acc in log.drain() if not acc.write]
    log.enable(False)

    assert digest(bytes(got)) == digest(os_payload), "the OS flow lost or reordered data"
    assert digest(user_got) == digest(user_payload), "the user-level flow lost data"

    def caught_up() -> bool:
        return all(h.os_stack.net.tunnel.stats.out_frames == h.split_driver.stats.tx_frames
                   for h in bench.hosts)

    await bench.wait_until(caught_up, 20_000, "the drivers to post every OUT record")
    for host in bench.hosts:
        tun, drv = host.os_stack.net.tunnel.stats, host.split_driver.stats
        assert (tun.out_frames, tun.out_bytes) == (drv.tx_frames, drv.tx_bytes), (host.name, tun,
                                                                                 drv)
        assert (tun.in_frames, tun.in_bytes) == (drv.rx_frames, drv.rx_bytes), (host.name, tun,
                                                                               drv)
        assert tun.bad_index == tun.bad_length == drv.bad_index == drv.bad_length == 0
    segments = len(os_payload) // 1460
    a_tun = host_a.os_stack.net.tunnel.stats
    assert a_tun.out_bytes > len(os_payload) and a_tun.out_frames >= segments
    app_vi = stacks["client"].device
    assert app_vi.tx_frames >= segments, "the application's frames left by its own VI"
    # the application's frames did not enter the tunnel: it carried the OS flow (and ARP)
    assert segments <= a_tun.out_frames < 2 * segments, (a_tun, app_vi.tx_frames)

    tunnel_pages = host_a.os_stack.net.frame_pages()
    app_pages = set(stacks["client"].proc.ram_pages())
    assert not tunnel_pages & app_pages
    big = [acc for acc in reads if acc.length >= 1024]
    from_tunnel = [acc for acc in big if page_of(acc) in tunnel_pages]
    from_app = [acc for acc in big if page_of(acc) in app_pages]
    assert len(from_tunnel) >= segments, f"{len(from_tunnel)} frame reads from the tunnel"
    assert len(from_app) >= segments, f"{len(from_app)} frame reads from the application"
    strays = stray_reads(reads, host_a.kernel_path_pages() | app_pages)
    assert not strays, f"{len(strays)} DMA reads from neither path's pages, e.g. {strays[0]}"


@cocotb.test(timeout_time=300_000, timeout_unit="us")
async def driver_stop_ends_only_the_kernel_path(dut):
    """A's user-space driver stops while a user-level TCP flow moves 1 MiB from A to B: the flow
    stays exact, B's pings to A go unanswered and A's OS sockets fail with ENETDOWN, and once a
    new driver starts the pings are answered again."""
    bench = await split_bench(dut)
    host_a, host_b = bench.hosts
    payload = random.Random(7).randbytes(1 << 20)
    flow = cocotb.start_soon(user_bulk(bench, payload, 7300))
    _, b_calls = os_sockets(host_b, "ping")
    _, a_calls = os_sockets(host_a, "os-app")
    pinger = await b_calls.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM, 1)
    await ping(b_calls, pinger, 0)

    before = await host_a.kernel.read_stats()
    stopped = host_a.stop_split_driver()
    assert not host_a.os_stack.net.link_up
    udp = await a_calls.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM)
    try:
        await udp.sendto(b"no way out", (B_IP, 9000))
        raise AssertionError("an OS socket sent with no user-space driver")
    except OSError as err:
        assert err.errno == errno.ENETDOWN, err
    for seq in (1, 2):
        try:
            await ping(b_calls, pinger, seq, timeout=200e-6)
            raise AssertionError(f"echo {seq} was answered with A's driver stopped")
        except TimeoutError:
            pass
    after = await host_a.kernel.read_stats()
    dut._log.info("A's NIC while its driver was stopped: %s",
                  {k: after[k] - before[k] for k in after if after[k] != before[k]})
    moved = {k: after[k] - before[k] for k in after}
    assert moved["RX_FILTER_MISSES"] >= 2 and moved["RX_DROP_NO_DESC"] >= 2, \
        "the echoes reached A's NIC and were dropped there: VI 0 had no driver"
    assert moved["TX_FRAMES"] > 100 and moved["RX_FILTER_HITS"] > 50, \
        "the user-level flow stopped moving while the kernel's path was down"

    restarted = await host_a.start_split_driver("nic-splitd-2")
    assert restarted.driver.vi.vi == 0 and restarted.proc is not stopped.proc
    assert host_a.os_stack.net.link_up
    for seq in (3, 4):
        await ping(b_calls, pinger, seq)
    await udp.sendto(b"back again", (B_IP, 9000))
    received = await flow
    assert digest(received) == digest(payload), "the user-level flow lost data"
    await bench.wait_until(lambda: restarted.stats.tx_frames >= 3, 20_000,
                           "the new driver to send two echo replies and the datagram")
    assert restarted.stats.rx_frames >= 2
    assert host_a.os_stack.net.tunnel.stats.attaches == 2
    await pinger.close()
    await udp.close()


A_MAC, B_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


def echo_from_b(seq: int) -> bytes:
    return bytes(Ether(src=B_MAC, dst=A_MAC) / IP(src=B_IP, dst=A_IP) /
                 ICMP(type=8, id=0x99, seq=seq) / b"rogue?")


def arp_from_b() -> bytes:
    return bytes(Ether(src=B_MAC, dst="ff:ff:ff:ff:ff:ff") /
                 ARP(op=1, hwsrc=B_MAC, psrc=B_IP, pdst=A_IP))


@cocotb.test(timeout_time=100_000, timeout_unit="us")
async def a_rogue_driver_cannot_take_the_kernel_down(dut):
    """A process that opens A's kernel/user-space interface in place of the driver writes an
    impossible record length and an out-of-range index: the kernel refuses and counts both,
    still answers a good echo request through it, and serves B's pings again once the real
    driver is back."""
    bench = await split_bench(dut)
    host_a, host_b = bench.hosts
    host_a.stop_split_driver()
    rogue = host_a.os.spawn("rogue")
    mapping = host_a.kernel.open_tunnel(rogue, lambda: None)
    rings = TunnelRings(rogue, mapping.vaddr, mapping.entries)
    tunnel = host_a.os_stack.net.tunnel

    async def publish(seq: int, frame: bytes, length: int, prod: int) -> None:
        rings.put_frame("IN", seq, frame, L.RXF_IP | L.RXF_IP_CSUM_OK, length)
        rings.write_index("IN_PROD", prod)
        mapping.wake_kernel()
        await Timer(2, unit="us")

    arp = arp_from_b()
    await publish(0, arp, len(arp), 1)                             # A learns B's address
    await publish(1, echo_from_b(1), 9, 2)                         # shorter than a header
    await publish(2, echo_from_b(2), 0xFFFF, 3)                    # longer than a slot
    await publish(3, echo_from_b(3), len(echo_from_b(3)), 3 + 10 * mapping.entries)
    assert (tunnel.stats.bad_length, tunnel.stats.bad_index) == (2, 1), tunnel.stats
    assert rings.read_index("IN_CONS") == 3
    await publish(3, echo_from_b(3), len(echo_from_b(3)), 4)
    length, _ = rings.read_record("OUT", rings.read_index("OUT_PROD") - 1)
    reply = Ether(bytes(rings.data("OUT", rings.read_index("OUT_PROD") - 1, length)))
    assert reply.haslayer(ICMP) and reply[ICMP].type == 0 and reply[ICMP].seq == 3, \
        reply.summary()
    host_a.kernel.close_tunnel(rogue)

    await host_a.start_split_driver("nic-splitd-2")
    _, b_calls = os_sockets(host_b, "ping")
    pinger = await b_calls.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM, 1)
    for seq in range(3):
        await ping(b_calls, pinger, seq)
    await pinger.close()

