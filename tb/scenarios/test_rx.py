"""Receive path, steering, interrupts and two hosts on one wire (tb_two_hosts).

Host A (198.18.0.1, MAC ...:01) and host B (198.18.0.2, MAC ...:02) each have a NIC and their
own memory; A's TX is wire channel 0 into B's RX, B's TX is channel 1 into A's RX.
"""

from __future__ import annotations

import os
import random

import cocotb
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from host import layout as L
from host.driver.kernel import Filter
from tb.env import NicBench
from tb.scenarios.apps import (
    A_IP,
    A_MAC,
    B_IP,
    B_MAC,
    app_on,
    parse_udp,
    ping_pong,
    ring_pages,
    udp_payload,
)

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

TEST_TIMEOUT_US = 40_000
QUICK = os.environ.get("NICSIM_QUICK", "0") != "0"


def payload_of(size: int, seed: int) -> bytes:
    return random.Random(seed * 131 + size).randbytes(size)


@cocotb.test(timeout_time=TEST_TIMEOUT_US * 4, timeout_unit="us")
async def udp_ping_pong_every_size(dut):
    """A process on each host: every payload size 0..1472 goes there and back byte for byte."""
    bench = await NicBench.start(dut, os_stack=False)
    a = app_on(bench, "A", "ping", 7000)
    b = app_on(bench, "B", "pong", 7000)
    await bench.settle()
    one_ways, rtts = [], []
    for size in range(0, 1473, 37 if QUICK else 1):
        one_way, rtt = await ping_pong(bench, a, b, payload_of(size, 1))
        one_ways.append(one_way)
        rtts.append(rtt)
    median = sorted(rtts)[len(rtts) // 2]
    dut._log.info("ping-pong: one way A->B median %.0f ns; round trip median %.0f ns "
                  "(half: %.0f ns)", sorted(one_ways)[len(one_ways) // 2], median, median / 2)


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def steering_to_the_owning_process(dut):
    """Three processes on B each own a port and get only their own traffic in their own
    buffers; unmatched traffic lands on the kernel's VI 0; a full 5-tuple filter beats a wild
    one; removing a filter moves the flow to VI 0."""
    bench = await NicBench.start(dut, os_stack=False)
    kernel_app = app_on(bench, "B", "kernel", 0, steer=False, vi_number=0)
    owners = [app_on(bench, "B", f"proc{i}", 7001 + i) for i in range(3)]
    sender = app_on(bench, "A", "client", 7000, steer=False)
    await bench.settle()

    async def send_to(port: int, tag: bytes) -> None:
        sender.sender.flow.dst_port = port
        sender.send(tag)
        sender.vi.tx_push()
        await sender.drain(bench)

    for round_ in range(3):
        for i in range(len(owners)):
            await send_to(7001 + i, b"to %d round %d" % (7001 + i, round_))
        await send_to(7999, b"nobody's")
    for i, app in enumerate(owners):
        got = await app.receive(bench, 3)
        for r, frame in enumerate(got):
            assert udp_payload(parse_udp(frame.data)) == b"to %d round %d" % (7001 + i, r)
            assert frame.event.vi == app.vi.vi and frame.event.filter == app.filter_slot
            assert frame.event.rx_flags & L.RXF_FILTER_HIT
            # it landed in this process's own registered buffers
            assert all(b in app.rx_pool.buffers for b in frame.buffers)
    got = await kernel_app.receive(bench, 3)
    assert all(udp_payload(parse_udp(f.data)) == b"nobody's" for f in got)
    assert all(f.event.filter == 0xFFFF and not f.event.rx_flags & L.RXF_FILTER_HIT
               for f in got)

    # a full match (this remote address and port) wins over proc0's wild filter
    host_b = bench.hosts[1]
    host_b.kernel.insert_filter(Filter(L.IPPROTO_UDP, B_IP, 7001, A_IP, 7000), owners[2].vi.vi)
    await bench.settle()
    await send_to(7001, b"full match")
    (frame,) = await owners[2].receive(bench)
    assert udp_payload(parse_udp(frame.data)) == b"full match"

    # removing proc1's filter moves its flow to VI 0
    host_b.kernel.remove_filter(owners[1].filter_slot)
    await bench.settle()
    await send_to(7002, b"after removal")
    (frame,) = await kernel_app.receive(bench)
    assert udp_payload(parse_udp(frame.data)) == b"after removal"
    await bench.cycles(500)
    for app in owners:
        app.poll()
    assert owners[0].received == [], "the wild filter took a frame the full filter owns"
    assert owners[1].received == [], "a removed filter still steered"


def _frames_for_bad_input() -> dict[str, tuple[bytes, str]]:
    """Malformed frames and what the NIC must do with each: 'drop' or a flag to check."""
    eth = Ether(src=A_MAC, dst=B_MAC)
    good_udp = eth / IP(src=A_IP, dst=B_IP) / UDP(sport=1, dport=7100) / Raw(b"x" * 32)
    raw = bytes(good_udp)
    cases: dict[str, tuple[bytes, str]] = {}
    cases["runt"] = (raw[:40], "drop")
    cases["oversize"] = (bytes(eth / IP(src=A_IP, dst=B_IP) / UDP(dport=7100)
                               / Raw(b"y" * 9300)), "drop")
    cases["other MAC"] = (bytes(Ether(src=A_MAC, dst="02:00:00:00:00:99")
                                / IP(src=A_IP, dst=B_IP) / UDP(dport=7100) / Raw(b"z" * 32)),
                          "drop")
    trunc = bytearray(raw)
    trunc[16:18] = (200).to_bytes(2, "big")  # total length beyond the frame
    cases["bad total length"] = (bytes(trunc), "truncated")
    ihl = bytearray(raw)
    ihl[14] = 0x43  # IHL 3 (< 5)
    cases["bad IHL"] = (bytes(ihl), "truncated")
    cases["truncated IPv4"] = (raw[:14] + raw[14:30] + bytes(30), "truncated")
    ipc = bytearray(raw)
    ipc[24] ^= 0xFF
    cases["bad IPv4 checksum"] = (bytes(ipc), "ip csum bad")
    udpc = bytearray(raw)
    udpc[40] ^= 0xFF
    cases["bad UDP checksum"] = (bytes(udpc), "l4 csum bad")
    tcp = bytearray(bytes(eth / IP(src=A_IP, dst=B_IP) / TCP(sport=1, dport=7100)
                          / Raw(b"t" * 20)))
    tcp[50] ^= 0xFF
    cases["bad TCP checksum"] = (bytes(tcp), "l4 csum bad")
    cases["unknown EtherType"] = (bytes(Ether(src=A_MAC, dst=B_MAC, type=0x88B5)
                                        / Raw(b"q" * 50)), "not ip")
    return cases


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def bad_input_is_dropped_or_flagged(dut):
    """Malformed frames from the wire: dropped and counted, or delivered to VI 0 with flags
    that no host could mistake for a good frame."""
    bench = await NicBench.start(dut, os_stack=False)
    host_b = bench.hosts[1]
    kernel_app = app_on(bench, "B", "kernel", 0, steer=False, vi_number=0, rx_buffers=32)
    await bench.settle()
    before = await host_b.kernel.read_stats()
    cases = _frames_for_bad_input()
    for name, (frame, expect) in cases.items():
        bench.wires[0].inject(frame)
        await bench.cycles(400)
        kernel_app.poll()
        got = kernel_app.received
        if expect == "drop":
            assert got == [], f"{name}: delivered ({got[0].event if got else ''})"
            continue
        assert len(got) == 1, f"{name}: {len(got)} frames delivered"
        flags = got[0].event.rx_flags
        kernel_app.received = []
        if expect == "truncated":
            assert flags & L.RXF_TRUNCATED and not flags & L.RXF_L4_CSUM_OK, f"{name}: {flags:#x}"
        elif expect == "ip csum bad":
            assert flags & L.RXF_IP and not flags & L.RXF_IP_CSUM_OK, f"{name}: {flags:#x}"
        elif expect == "l4 csum bad":
            assert flags & L.RXF_L4 and not flags & L.RXF_L4_CSUM_OK, f"{name}: {flags:#x}"
        elif expect == "not ip":
            assert not flags & (L.RXF_IP | L.RXF_L4), f"{name}: {flags:#x}"
    after = await host_b.kernel.read_stats()
    delta = {k: after[k] - before[k] for k in after}
    assert delta["RX_DROP_RUNT"] >= 1 and delta["RX_DROP_OVERSIZE"] >= 1
    assert delta["RX_DROP_MAC"] >= 1
    assert delta["RX_BAD_IP"] >= 3
    assert delta["RX_BAD_IP_CSUM"] >= 1 and delta["RX_BAD_L4_CSUM"] >= 2


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def rx_ring_exhaustion_drops_then_recovers(dut):
    """With 8 buffers posted and no refill, the 9th frame on is dropped and counted; the wire
    never stalls; after a refill traffic flows again."""
    bench = await NicBench.start(dut, os_stack=False)
    b = app_on(bench, "B", "slow", 7200, rx_buffers=8, rxq=8)
    a = app_on(bench, "A", "fast", 7200, steer=False)
    await bench.settle()
    host_b = bench.hosts[1]
    before = await host_b.kernel.read_stats()
    for i in range(20):
        a.send(i.to_bytes(2, "big"))
    a.vi.tx_push()
    await a.drain(bench)
    await bench.cycles(2000)
    events = b.vi.poll(64)  # take events without refilling
    rx = [e for e in events if e.type == L.EV_TYPE_RX]
    assert len(rx) == 8
    after = await host_b.kernel.read_stats()
    assert after["RX_DROP_NO_DESC"] - before["RX_DROP_NO_DESC"] == 12
    assert bench.wires[0].counters()["frames_out"] >= 20, "the wire stalled"
    for ev in rx:
        for buf in ev.cookies:
            b.rx_pool.free(buf)
    b.refill()
    a.send(b"after refill")
    a.vi.tx_push()
    (got,) = await b.receive(bench)
    assert udp_payload(parse_udp(got.data)) == b"after refill"


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def rx_descriptor_naming_another_owner_faults_that_vi(dut):
    """An RX descriptor pointing at another process's buffer: the write is refused, no memory
    changes, an error event on that VI only, and another VI keeps receiving."""
    bench = await NicBench.start(dut, os_stack=False)
    host_b = bench.hosts[1]
    victim = app_on(bench, "B", "victim", 7301)
    thief = app_on(bench, "B", "thief", 7302, rx_buffers=0)
    a = app_on(bench, "A", "sender", 7000, steer=False)
    await bench.settle()
    thief.vi.rx_post(victim.rx_pool.iova, 2048)
    thief.vi.rx_push()
    await bench.settle()
    await bench.cycles(200)
    before = host_b.memory_snapshot()
    a.sender.flow.dst_port = 7302
    a.send(b"steal me")
    a.vi.tx_push()
    await bench.wait_until(lambda: (thief.poll(), thief.vi.fault)[1], 100_000, "RX fault")
    assert thief.vi.fault.code in (L.ERR_RX_WRITE_FAULT, L.ERR_RX_DESC_FAULT)
    after = host_b.memory_snapshot()
    evq = ring_pages(thief.proc, thief.res.evq)
    changed = {off for off in range(0, len(before), 4096)
               if before[off:off + 4096] != after[off:off + 4096]}
    assert changed <= evq, "memory outside the faulted VI's event queue changed"
    a.sender.flow.dst_port = 7301
    a.send(b"still works")
    a.vi.tx_push()
    (got,) = await victim.receive(bench)
    assert udp_payload(parse_udp(got.data)) == b"still works"


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def interrupt_driven_and_busy_polling_receivers(dut):
    """One receiver sleeps on its interrupt line (armed through its doorbell page), the other
    busy-polls; both get every frame."""
    bench = await NicBench.start(dut, os_stack=False)
    host_b = bench.hosts[1]
    sleeper = app_on(bench, "B", "sleeper", 7401)
    poller = app_on(bench, "B", "poller", 7402)
    a = app_on(bench, "A", "sender", 7000, steer=False)
    await bench.settle()
    for i in range(5):
        sleeper.vi.arm_interrupt()
        await bench.cycles(20)
        assert not (int(host_b.irq.value) >> sleeper.vi.vi) & 1, "interrupt before any event"
        for port in (7401, 7402):
            a.sender.flow.dst_port = port
            a.send(b"frame %d" % i)
        a.vi.tx_push()
        assert await bench.wait_irq(host_b, sleeper.vi.vi, 100_000), "no interrupt"
        (got,) = await sleeper.receive(bench)
        assert udp_payload(parse_udp(got.data)) == b"frame %d" % i
        (got,) = await poller.receive(bench)
        assert udp_payload(parse_udp(got.data)) == b"frame %d" % i
        a.poll()


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def line_rate_burst_is_received_in_full(dut):
    """A's NIC sends a burst of full-size frames faster than 100 GbE; the wire paces them at
    line rate (24 bytes of FCS, preamble and gap each) and B's NIC writes every one into the
    process's buffers at that pace: none dropped, one frame's data every 30.76 cycles."""
    frames, size = 48, 1472
    bench = await NicBench.start(dut, os_stack=False)
    a = app_on(bench, "A", "burst", 7200, txq=64, buffers=frames)
    b = app_on(bench, "B", "sink", 7200, rx_buffers=frames + 16, rxq=128)
    await bench.settle()
    log = bench.hosts[1].dma_log
    log.drain()
    log.enable(True)
    for i in range(frames):
        a.send(payload_of(size, i))
    a.vi.tx_push()
    got = await b.receive(bench, frames)
    log.enable(False)
    assert [udp_payload(parse_udp(r.data)) for r in got] == \
        [payload_of(size, i) for i in range(frames)]
    # the cycle at which each frame's data started to land: the write to its buffer's start
    starts = {b.proc.physical_address(r.buffers[0].vaddr): None for r in got}
    for access in log.drain():
        if access.write and access.addr in starts and starts[access.addr] is None:
            starts[access.addr] = access.cycle
    cycles = sorted(starts.values())
    assert None not in cycles, "a frame's data write is missing from the DMA log"
    per_frame = (cycles[-1] - cycles[0]) / (frames - 1)
    line = (size + 42 + 24) / 50  # 100 GbE: 50 bytes per 4 ns cycle
    assert line * 0.99 <= per_frame <= line * 1.02, \
        f"{per_frame:.2f} cycles per frame, line rate is {line:.2f}"
    stats = await bench.hosts[1].kernel.read_stats()
    assert not any(v for k, v in stats.items() if k.startswith("RX_DROP")), stats
