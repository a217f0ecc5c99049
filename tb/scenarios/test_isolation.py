"""Isolation where memory and NIC resources change hands (tb_nic, one host, no OS stack): the
register bus keeps the order a driver relies on, registered memory stays pinned, and a freed VI
leaves its old process nothing to touch."""

from __future__ import annotations

import os

import cocotb
from cocotb.triggers import Timer
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter
from host.driver.vi import Vi
from host.layout import PAGE_SIZE
from host.udpsend import Flow, UdpSender
from tb.env import CLOCK_NS, NicBench, now_ns
from tb.scenarios.apps import A_IP, DEFAULT_FLOW, TxApp, parse_udp, to_host, udp_payload
from tb.scenarios.dma_fuzz import World

SIM_TOP = "tb_nic"  # the sim top these tests run on (tb/scenario_info.py)


@cocotb.test(timeout_time=1_000, timeout_unit="us")
async def settle_waits_for_every_posted_write(dut):
    """``settle`` returns only once the NIC has answered every posted register write: 64 pages
    registered are 256 writes, and none is still queued or in flight afterwards, even when the
    settle was scheduled before the writes were posted (cocotbext-axi counts a write as in
    flight only once the task that queues it has started)."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    proc = host.os.spawn("app")
    vaddr = proc.mmap_anonymous(64 * PAGE_SIZE)
    t0 = now_ns()
    settled = cocotb.start_soon(bench.settle())
    host.kernel.register_memory(proc, vaddr, 64 * PAGE_SIZE)
    await settled
    took = now_ns() - t0
    await Timer(1, unit="ns")  # let any write task that had not started yet start
    writes = host.axil.write_if
    assert writes.idle() and writes.write_command_queue.empty(), \
        f"settle returned after {took} ns with writes still queued"
    assert took >= 256 * 4, f"256 register writes cannot reach the NIC in {took} ns"


@cocotb.test(timeout_time=1_000, timeout_unit="us")
async def register_reads_do_not_pass_posted_writes(dut):
    """As on PCIe, a register read completes after every write posted before it: a VI's status
    read right after the VI is set up shows it enabled, with no settle in between."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    res = host.kernel.alloc_vi(host.os.spawn("app"))
    status = await host.kernel.vi_status(res.vi)
    assert status["enabled"] == 1, f"the status read overtook the VI's set-up: {status}"


def tagged(tag: int, seq: int) -> bytes:
    return tag.to_bytes(2, "big") + seq.to_bytes(4, "big") + bytes(200)


@cocotb.test(timeout_time=5_000, timeout_unit="us")
async def reset_vi_under_load_leaves_a_working_vi(dut):
    """A VI is reset while 200 frames are in flight. Afterwards the fresh VI gets no event of
    its old configuration: 100 new frames give exactly 100 TX completions, in ring order, and
    all 100 reach the wire."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    proc = host.os.spawn("flood")
    res = host.kernel.alloc_vi(proc, txq_entries=256, rxq_entries=16)
    flow = Flow(**DEFAULT_FLOW, src_port=9000, dst_port=9000)

    def sender(vi):
        return UdpSender(vi, BufferPool(host.kernel, proc, 256), flow)

    vi = Vi(res)
    old = sender(vi)
    for seq in range(200):
        old.send(tagged(1, seq))
    vi.tx_push()
    await bench.settle()
    await bench.wait_until(lambda: bench.tx_wire.counters()["frames_in"] >= 30, 50_000,
                           "the flood to be on the wire")
    await vi.reset(host.kernel)
    await bench.settle()
    await Timer(20, unit="us")  # whatever the old configuration still had in flight lands
    bench.tx_wire.captured()
    new = sender(vi)
    for seq in range(100):
        new.send(tagged(2, seq))
    vi.tx_push()
    events = []

    def done() -> bool:
        events.extend(vi.poll())
        return sum(len(ev.cookies) for ev in events if ev.type == L.EV_TYPE_TX) >= 100

    await bench.wait_until(done, 100_000, "100 TX completions on the fresh VI",
                           wake=host.write_bursts)
    await Timer(5, unit="us")
    events.extend(vi.poll())
    assert all(ev.type == L.EV_TYPE_TX for ev in events), [ev.kind for ev in events]
    assert vi.tx.cons == 100 and vi.tx_in_flight == 0
    assert (await host.kernel.vi_status(res.vi))["faulted"] == 0
    frames = await bench.collect(bench.tx_wire, 100, timeout_ns=50_000)
    seqs = [int.from_bytes(bytes(Ether(f.data)[UDP].payload)[2:6], "big") for f in frames
            if bytes(Ether(f.data)[UDP].payload)[:2] == b"\x00\x02"]
    assert seqs == list(range(100)), seqs[:10]


@cocotb.test(timeout_time=5_000, timeout_unit="us")
async def rx_exhaustion_stalls_only_its_own_vi(dut):
    """Two processes receive a sustained stream, interleaved frame by frame: one posts 8
    buffers and never re-posts, the other keeps up. The first gets its 8 and the NIC drops and
    counts the rest of its frames; the second gets all of its own, exact and in order. Once the
    first re-posts, it receives again."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    slow = TxApp(host, "slow", 9001, rx_buffers=8, rxq=8)
    fast = TxApp(host, "fast", 9002, rx_buffers=64, rxq=64)
    for app in (slow, fast):
        host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", app.port), app.vi.vi)
    await bench.settle()
    before = await host.kernel.read_stats()

    def frame(port: int, seq: int) -> bytes:
        return bytes(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
                     IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=5000, dport=port) /
                     (seq.to_bytes(4, "big") + bytes(300)))

    got = []
    for seq in range(120):
        for port in (9001, 9002):
            while bench.rx_wire.inject_pending() >= 8:
                fast.poll()
                got += [udp_payload(parse_udp(r.data)) for r in fast.received]
                fast.received.clear()
                await bench.cycles(50)
            bench.rx_wire.inject(frame(port, seq))
    await bench.wait_until(lambda: (fast.poll(), len(got) + len(fast.received) >= 120)[1],
                           100_000, "the fast receiver's 120 frames", wake=host.write_bursts)
    got += [udp_payload(parse_udp(r.data)) for r in fast.received]
    fast.received.clear()
    assert [int.from_bytes(p[:4], "big") for p in got] == list(range(120)), \
        "the receiver that kept up lost or reordered frames"
    events = slow.vi.poll(64)  # what the slow one got, without re-posting
    assert len([e for e in events if e.type == L.EV_TYPE_RX]) == 8
    after = await host.kernel.read_stats()
    assert after["RX_DROP_NO_DESC"] - before["RX_DROP_NO_DESC"] == 112
    assert (await host.kernel.vi_status(slow.vi.vi))["faulted"] == 0
    for ev in events:
        for buf in ev.cookies:
            slow.rx_pool.free(buf)
    slow.refill()
    await bench.settle()
    bench.rx_wire.inject(frame(9001, 999))
    (back,) = await slow.receive(bench)
    assert int.from_bytes(udp_payload(parse_udp(back.data))[:4], "big") == 999


def payloads(frames) -> list[bytes]:
    """The UDP payloads of frames, in order, each parsed and checksum-checked by scapy."""
    return [udp_payload(parse_udp(f.data)) for f in frames]


@cocotb.test(timeout_time=5_000, timeout_unit="us")
async def an_event_queue_never_read_stalls_only_its_own_vi(dut):
    """Process "stuck" has a 16-entry event queue and stops reading it; "busy" keeps up. 48
    frames stream in for each, interleaved: stuck's queue fills with 16 events and the NIC drops
    and counts its other 32 (RX_DROP_EVQ_FULL) without taking a descriptor or faulting the VI.
    Then both post 48 frames: busy's all go out, exact and in order, while none of stuck's
    does (a TX frame needs an event slot). When stuck reads its queue, its 48 frames go out in
    order and it receives again into the descriptors the dropped frames did not take."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    stuck = TxApp(host, "stuck", 9001, txq=64, rx_buffers=64, rxq=64, evq=16)
    busy = TxApp(host, "busy", 9002, txq=64, rx_buffers=64, rxq=64)
    for app in (stuck, busy):
        host.kernel.insert_filter(Filter(L.IPPROTO_UDP, A_IP, app.port), app.vi.vi)
    await bench.settle()
    before = await host.kernel.read_stats()

    got = []

    def busy_poll() -> int:
        busy.poll()
        got.extend(payloads(busy.received))
        busy.received.clear()
        return len(got)

    for seq in range(48):
        for app in (stuck, busy):
            while bench.rx_wire.inject_pending() >= 8:
                busy_poll()
                await bench.cycles(50)
            bench.rx_wire.inject(to_host(app.port, tagged(1, seq)))
    await bench.wait_until(lambda: busy_poll() >= 48 and bench.rx_wire.inject_pending() == 0,
                           100_000, "busy's 48 frames", wake=host.write_bursts)
    assert got == [tagged(1, seq) for seq in range(48)], \
        "the VI that kept up lost or reordered frames"
    after = await host.kernel.read_stats()
    assert after["RX_DROP_EVQ_FULL"] - before["RX_DROP_EVQ_FULL"] == 32
    assert after["EVENTS_LOST"] == before["EVENTS_LOST"], "an event was lost, not refused"
    assert (await host.kernel.vi_status(stuck.vi.vi))["faulted"] == 0

    bench.tx_wire.captured()
    for seq in range(48):
        for app in (stuck, busy):
            app.send(tagged(2, seq))
        if seq % 8 == 7:
            for app in (stuck, busy):
                app.vi.tx_push()
            await bench.wait_until(lambda: (busy.poll(), busy.completed == busy.sent)[1],
                                   100_000, "busy's TX completions", wake=host.write_bursts)
    await Timer(20, unit="us")  # time enough for stuck's frames, were any to go
    sent = bench.tx_wire.captured()
    assert all(parse_udp(f.data)[UDP].sport == busy.port for f in sent), \
        "a frame of the stuck VI went out while its event queue was full"
    assert payloads(sent) == [tagged(2, seq) for seq in range(48)], \
        "busy's frames are not exact and in order"

    # stuck catches up: 16 RX events of the first 16 frames, then its TX completions
    first = stuck.poll()
    assert [ev.type for ev in first] == [L.EV_TYPE_RX] * 16
    assert payloads(stuck.received) == [tagged(1, seq) for seq in range(16)]
    stuck.received.clear()
    await stuck.drain(bench)
    resumed = await bench.collect(bench.tx_wire, 48, timeout_ns=100_000)
    assert all(parse_udp(f.data)[UDP].sport == stuck.port for f in resumed)
    assert payloads(resumed) == [tagged(2, seq) for seq in range(48)], \
        "stuck's frames after it caught up are not exact and in order"
    for seq in range(8):
        bench.rx_wire.inject(to_host(stuck.port, tagged(3, seq)))
    back = await stuck.receive(bench, 8)
    assert payloads(back) == [tagged(3, seq) for seq in range(8)]
    assert [r.event.index for r in back] == list(range(16, 24)), \
        "the dropped frames took RX descriptors"
    assert (await host.kernel.vi_status(stuck.vi.vi))["faulted"] == 0


@cocotb.test(timeout_time=5_000, timeout_unit="us")
async def reset_vi_during_an_rx_flood_leaves_a_working_vi(dut):
    """A receiving VI is reset while frames for it stream in. Afterwards its fresh event queue
    holds nothing of the old configuration: 50 new frames give exactly 50 RX events, exact and
    in order."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    proc = host.os.spawn("rx")
    res = host.kernel.alloc_vi(proc, txq_entries=16, rxq_entries=256)
    host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", 9003), res.vi)
    vi = Vi(res)
    BufferPool(host.kernel, proc, 256).post_rx(vi)
    await bench.settle()

    def frame(tag: int, seq: int) -> bytes:
        return bytes(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
                     IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=5000, dport=9003) /
                     (bytes([tag]) + seq.to_bytes(4, "big") + bytes(1000)))

    async def inject(tag: int, count: int) -> None:
        for seq in range(count):
            while bench.rx_wire.inject_pending() >= 64:
                await bench.cycles(20)
            bench.rx_wire.inject(frame(tag, seq))

    await inject(1, 64)
    await bench.cycles(300)  # frames of the old configuration are being written
    await vi.reset(host.kernel)
    await bench.settle()
    await Timer(20, unit="us")
    pool = BufferPool(host.kernel, proc, 64)
    pool.post_rx(vi)
    await bench.settle()
    await inject(2, 50)
    got = []

    def done() -> bool:
        evs = vi.poll()
        for ev in evs:
            assert ev.type == L.EV_TYPE_RX, f"{ev.kind} event on the fresh VI"
            buf = ev.cookies[0]
            got.append(bytes(buf.view[42:47]))
            pool.free(buf)
        pool.post_rx(vi)
        return len(got) >= 50

    await bench.wait_until(done, 100_000, "50 RX events on the fresh VI", wake=host.write_bursts)
    await Timer(5, unit="us")
    done()
    assert got == [bytes([2]) + seq.to_bytes(4, "big") for seq in range(50)], got[:4]


@cocotb.test(timeout_time=5_000, timeout_unit="us")
async def a_vi_faulted_by_a_bad_rx_descriptor_recovers_after_reset(dut):
    """A receiving VI posts descriptors naming an IOVA it does not own; the first frame for it
    faults it (RX write fault, one error event). It is reset while frames keep coming, posts
    good buffers, and from then on receives every frame: no fault of its old configuration
    reaches it."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    other = host.os.spawn("other")
    foreign = BufferPool(host.kernel, other, 8)   # pages of another owner
    proc = host.os.spawn("rx")
    res = host.kernel.alloc_vi(proc, txq_entries=16, rxq_entries=64)
    host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", 9004), res.vi)
    vi = Vi(res)
    for buf in foreign.buffers:
        vi.rx_post(buf.iova, buf.size)
    vi.rx_push()
    await bench.settle()

    def frame(seq: int) -> bytes:
        return bytes(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
                     IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=5000, dport=9004) /
                     (seq.to_bytes(4, "big") + bytes(500)))

    for seq in range(16):
        bench.rx_wire.inject(frame(seq))
    await bench.wait_until(lambda: (vi.poll(), vi.fault is not None)[1], 50_000,
                           "the fault event", wake=host.write_bursts)
    assert vi.fault.code == L.ERR_RX_WRITE_FAULT
    assert bytes(foreign.buffers[0].view[:4]) == bytes(4), "a foreign page was written"
    for seq in range(16, 32):
        bench.rx_wire.inject(frame(seq))
    await vi.reset(host.kernel)
    pool = BufferPool(host.kernel, proc, 32)
    pool.post_rx(vi)
    await bench.settle()
    await Timer(10, unit="us")
    got = []
    for seq in range(100, 120):
        bench.rx_wire.inject(frame(seq))

    def done() -> bool:
        for ev in vi.poll():
            assert ev.type == L.EV_TYPE_RX, f"{ev.kind} event (code {ev.code}) after the reset"
            got.append(int.from_bytes(bytes(ev.cookies[0].view[42:46]), "big"))
            pool.free(ev.cookies[0])
        pool.post_rx(vi)
        return len([seq for seq in got if seq >= 100]) >= 20

    await bench.wait_until(done, 100_000, "20 frames after the reset", wake=host.write_bursts)
    # frames sent while the reset went on may arrive in the fresh VI: whole, in order
    early = [seq for seq in got if seq < 100]
    assert got == early + list(range(100, 120)), got
    assert early == sorted(set(early)) and all(16 <= seq < 32 for seq in early), early
    assert (await host.kernel.vi_status(res.vi))["faulted"] == 0


async def flood_both_ways(bench, app: TxApp, fill: bytes) -> None:
    """128 frames of 1442 bytes posted by ``app`` for the wire and 24 jumbo frames to its port
    from the wire; returns once both directions are under way."""
    for seq in range(128):
        app.send(seq.to_bytes(4, "big") + fill * 1396)
    app.vi.tx_push()
    for seq in range(24):
        bench.rx_wire.inject(to_host(app.port, seq.to_bytes(4, "big") + bytes(7996)))
    await bench.wait_until(lambda: bench.tx_wire.counters()["frames_in"] >= 8 and
                           bench.rx_wire.counters()["frames_out"] >= 4, 200_000,
                           "both directions under way")


HEIR_BYTES = b"HEIR" * (PAGE_SIZE // 4)  # what the next owner writes into every page it gets


class Heir:
    """A process that takes every page the OS frees, at once, and fills it with its own bytes:
    the next owner of whatever a dying process leaves."""

    def __init__(self, host):
        self.os = host.os
        self.proc = host.os.spawn("heir")
        self.pages: dict[int, int] = {}  # physical page -> its virtual address here

    def take_free(self) -> int:
        n = self.os.phys.free_pages
        if n:
            va = self.proc.mmap_anonymous(n * PAGE_SIZE)
            for i, pa in enumerate(self.proc.physical_pages(va, n * PAGE_SIZE)):
                self.proc.write(va + i * PAGE_SIZE, HEIR_BYTES)
                self.pages[pa] = va + i * PAGE_SIZE
        return n

    def overwritten(self) -> list[int]:
        """Its pages that no longer hold exactly what it wrote."""
        return [pa for pa, va in self.pages.items()
                if self.proc.read(va, PAGE_SIZE) != HEIR_BYTES]


SLOW_DMA_CYCLES = 10_000  # 40 us: DMA stays in flight longer than the driver takes to unregister


def slow_memory(dut) -> None:
    """Host memory answers reads and acknowledges writes 40 us after the request (from now on),
    so DMA issued before an invalidation is still in flight after every register write of the
    teardown has been taken: only the NIC's fence can tell when it is over."""
    dut.dma_read_latency.value = SLOW_DMA_CYCLES
    dut.dma_write_latency.value = SLOW_DMA_CYCLES


@cocotb.test(timeout_time=5_000, timeout_unit="us")
async def a_process_that_dies_under_traffic_leaks_nothing_to_the_next_owner(dut):
    """A process dies while the NIC writes jumbo frames into its buffers and reads its frames
    for the wire. Another process takes every page the moment the OS frees it. The dying
    process's pages reach it only after the NIC's DMA fence has completed, so nothing meant for
    the dead process lands in the heir's pages and none of the heir's bytes reach the wire,
    although the NIC was still moving the dead process's data when it died."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    dying = TxApp(host, "dying", 9005, txq=256, buffers=128, rx_buffers=64, rxq=64)
    host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", 9005), dying.vi.vi)
    its_pages = {pa for reg in host.kernel.registrations_of(dying.proc) for pa in reg.pages}
    heir = Heir(host)
    heir.take_free()  # from now on only pages the OS frees can reach the heir
    await bench.settle()
    slow_memory(dut)
    host.dma_log.enable()
    host.dma_log.drain()

    await flood_both_ways(bench, dying, b"\xAA")
    t_exit = now_ns()
    host.os.exit(dying.proc)
    assert not heir.take_free(), "a page of the dead process was free before its DMA fence"
    for _ in range(800):  # the heir grabs pages as they come free, for 80 us
        heir.take_free()
        await bench.cycles(25)
    await host.fences_done()
    heir.take_free()
    await Timer(20, unit="us")
    assert its_pages <= set(heir.pages), "the dead process's pages never went back to the OS"
    late = [a for a in host.dma_log.drain() if a.cycle * CLOCK_NS > t_exit and
            a.addr & ~(PAGE_SIZE - 1) in its_pages]
    assert late, "no DMA was in flight to the dying process's pages: this proves nothing"
    assert not heir.overwritten(), "a write meant for the dead process landed in the heir's page"
    frames = bench.tx_wire.captured()
    assert not [f for f in frames if b"HEIR" in f.data], "the heir's bytes reached the wire"
    st = await host.kernel.fence_status()
    assert st == dict(st, busy=0, error=0, inflight=0), st


@cocotb.test(timeout_time=2_000, timeout_unit="us")
async def every_translation_is_retired_once_the_nic_is_idle(dut):
    """The fence's accounting balances after traffic of every kind (TX, RX, events, refused
    translations on both paths, a faulted VI, a reset): nothing in flight, no error, and a
    fence started on the idle NIC completes at once."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    app = TxApp(host, "app", 9006, rx_buffers=32, rxq=64)
    host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", 9006), app.vi.vi)
    other = host.os.spawn("other")
    foreign = BufferPool(host.kernel, other, 4)
    bad = Vi(host.kernel.alloc_vi(host.os.spawn("bad"), txq_entries=16, rxq_entries=16))
    host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", 9007), bad.vi)
    bad.rx_post(foreign.buffers[0].iova, 2048)  # RX write fault
    bad.rx_push()
    bad.tx_post([(foreign.buffers[1].iova, 100)])  # TX read fault
    bad.tx_push()
    await bench.settle()  # the filters are in place before the frames arrive
    for seq in range(40):
        app.send(seq.to_bytes(4, "big") + bytes(600))
    app.vi.tx_push()

    for size in (60, 1000, 5000, 9000):
        bench.rx_wire.inject(to_host(9006, bytes(size)))
    bench.rx_wire.inject(to_host(9007, bytes(300)))
    await app.receive(bench, 4)
    await app.drain(bench)
    await bench.wait_until(lambda: (bad.poll(), bad.fault is not None)[1], 50_000,
                           "the bad VI's fault", wake=host.write_bursts)
    await bad.reset(host.kernel)
    await bench.settle()
    await Timer(10, unit="us")
    st = await host.kernel.fence_status()
    assert st == dict(st, busy=0, error=0, inflight=0), st
    host.bus.write32(L.PRIV_REG["BT_FENCE"], 1)
    after = await host.kernel.fence_status()
    assert after["busy"] == 0 and after["epoch"] != st["epoch"], (st, after)


@cocotb.test(timeout_time=2_000, timeout_unit="us")
async def a_dma_fence_completes_only_after_dma_through_the_old_entries(dut):
    """A process's buffer-table entries are removed while the NIC reads its frames for the wire
    and writes jumbo frames into its buffers. The DMA fence started after the invalidation
    reports busy while DMA that translated the old entries is still under way, and once it
    reports done the NIC issues no more DMA to those pages."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    app = TxApp(host, "app", 9008, txq=256, buffers=128, rx_buffers=64, rxq=64)
    host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", 9008), app.vi.vi)
    regs = host.kernel.registrations_of(app.proc)
    pages = {pa for reg in regs for pa in reg.pages}
    await bench.settle()
    slow_memory(dut)
    host.dma_log.enable()
    host.dma_log.drain()
    await flood_both_ways(bench, app, b"\0")
    for reg in regs:
        host.kernel.unregister_memory(reg.iova, reg.length)  # each ends with a BT_FENCE write
    await host.bus.flush()
    t_invalidated = now_ns()
    busy_reads = 0
    while (await host.kernel.fence_status())["busy"]:
        busy_reads += 1
    t_done = now_ns()
    await host.fences_done()
    await Timer(20, unit="us")
    log = [a for a in host.dma_log.drain() if a.addr & ~(PAGE_SIZE - 1) in pages]

    def answered_ns(a) -> float:  # read data returned, write acknowledged: not before this
        return (a.cycle + SLOW_DMA_CYCLES) * CLOCK_NS

    in_flight = [a for a in log if a.cycle * CLOCK_NS < t_invalidated < answered_ns(a)]
    assert in_flight, "no DMA to the old pages was in flight at the invalidation: proves nothing"
    assert busy_reads, "the fence reported done at once although DMA was under way"
    early = [a for a in log if answered_ns(a) > t_done]
    assert not early, f"the fence completed before DMA to the old pages was answered: {early[:4]}"
    st = await host.kernel.fence_status()
    assert st == dict(st, busy=0, error=0, inflight=0), st


@cocotb.test(timeout_time=2_000, timeout_unit="us")
async def a_write_fault_is_the_last_event_of_its_vi(dut):
    """A VI's RX ring names another owner's buffer, then one of its own, alternately; four
    frames arrive back to back. The first faults the VI (ERR_RX_WRITE_FAULT, ring index 0),
    and that error is its last event: the later frames, walked before the fault stopped the
    VI, are neither written into its buffers nor completed, and the third (another foreign
    buffer) gives no second error. Found by the DMA isolation fuzz: before the fix the NIC
    wrote and completed them after the error event, and reported the third as a second
    fault."""
    bench = await NicBench.start(dut, os_stack=False)
    host = bench.host
    other = BufferPool(host.kernel, host.os.spawn("other"), 2)
    proc = host.os.spawn("faulty")
    vi = Vi(host.kernel.alloc_vi(proc, txq_entries=16, rxq_entries=16))
    pool = BufferPool(host.kernel, proc, 2)
    proc.write(pool.vaddr, b"\x5A" * PAGE_SIZE)
    host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", 9010), vi.vi)
    for foreign, own in zip(other.buffers, pool.buffers, strict=True):
        vi.rx_post(foreign.iova, 2048)
        vi.rx_post(own.iova, 2048)
    vi.rx_push()
    await bench.settle()
    for seq in range(4):
        bench.rx_wire.inject(to_host(9010, seq.to_bytes(4, "big") + bytes(400)))
    await bench.wait_until(lambda: bench.rx_wire.counters()["frames_out"] >= 4, 50_000,
                           "the four frames sent")
    await Timer(10, unit="us")
    events = vi.poll()
    assert [(e.kind, e.code, e.index) for e in events] == [("error", L.ERR_RX_WRITE_FAULT, 0)]
    assert proc.read(pool.vaddr, PAGE_SIZE) == b"\x5A" * PAGE_SIZE, \
        "a frame was written into the VI's buffers after its fault"
    status = await host.kernel.vi_status(vi.vi)
    assert status["faulted"] and status["fault_code"] == L.ERR_RX_WRITE_FAULT, status


FUZZ_ROUNDS = int(os.environ.get("NICSIM_DMAFUZZ_ROUNDS", "40"))
FUZZ_SEED = int(os.environ.get("NICSIM_DMAFUZZ_SEED", "1"))


@cocotb.test(timeout_time=100_000, timeout_unit="us")
async def random_descriptors_and_teardowns_never_cross_an_owner(dut):
    """Three attackers post random TX and RX descriptors and doorbells, and reset their VIs or
    die with work in flight, beside a victim with exact traffic and a canary (tb/scenarios/
    dma_fuzz.py): every round, the wire, the events, the buffers and the DMA log are exactly
    what the oracle says, and the canary is untouched. The run must have met every kind of
    fault, a reset, an exit and a stale ring walk, or it proves little."""
    bench = await NicBench.start(dut, os_stack=False)
    world = World(bench, seed=FUZZ_SEED)
    await bench.settle()
    await world.run(rounds=FUZZ_ROUNDS)
    assert not world.violations, "\n".join(world.violations[:20])
    seen = world.seen
    if FUZZ_ROUNDS >= 40:
        assert seen["faults"] >= {L.ERR_TX_READ_FAULT, L.ERR_TX_BAD_DESC,
                                  L.ERR_RX_WRITE_FAULT}, seen
        assert seen["resets"] and seen["respawns"] and seen["stale_walks"], seen
    cocotb.log.info(f"{world.rounds} rounds, {world.descriptors} descriptors: {seen}")
