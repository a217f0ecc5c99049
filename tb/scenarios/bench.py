"""Benchmark scenarios on tb_nic (run by tb/bench.py, not by the test suite): each appends result
records to the JSON-lines file named by NICSIM_BENCH_OUT.

TX frames go from a process's buffers to the captured wire; RX frames are injected on the wire
by Python through the channel's inject ring (the DPI wire source sends them back to back at the
wire's 100 GbE line rate, 24 bytes of FCS, preamble and gap per frame, or at the stream rate of
DATA_WIDTH bits per cycle where that is lower) and land in a process's buffers.
"""

from __future__ import annotations

import os
import time

import cocotb
from cocotb.triggers import First, RisingEdge, Timer
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter
from host.driver.vi import Vi
from tb.bench import append_record
from tb.env import CLOCK_NS, NicBench, now_ns
from tb.scenarios.apps import ring_pages

SIM_TOP = "tb_nic"  # the sim top these tests run on (tb/scenario_info.py)

OUT = os.environ.get("NICSIM_BENCH_OUT", "build/bench/partial.jsonl")
DATA_WIDTH = int(os.environ.get("NICSIM_DATA_WIDTH", "512"))
LATENCY = int(os.environ.get("NICSIM_DMA_LATENCY", "0"))
SIZES = [int(s) for s in os.environ.get("NICSIM_BENCH_SIZES", "60,256,1514,9000").split(",")]
MEMORY = os.environ.get("NICSIM_BENCH_MEMORY", "dpi")


def record(metric: str, value: float, unit: str, **params) -> None:
    append_record(OUT, metric, value, unit, **params)


class RawSender:
    """Frames of any size (up to 9000 bytes) as chains of 4 KiB descriptors; no offload."""

    def __init__(self, bench: NicBench, txq: int = 1024):
        host = bench.host
        self.proc = host.os.spawn("bench")
        self.vi = Vi(host.kernel.alloc_vi(self.proc, txq_entries=txq, rxq_entries=16))
        self.pool = BufferPool(host.kernel, self.proc, 96, size=4096)

    def frame_segments(self, size: int, slot: int) -> list[tuple[int, int]]:
        segs, left, i = [], size, 0
        while left:
            n = min(left, 4096)
            buf = self.pool.buffers[(slot * 3 + i) % len(self.pool.buffers)]
            segs.append((buf.iova, n))
            left -= n
            i += 1
        return segs

    def prime(self) -> None:
        for buf in self.pool.buffers:  # a plausible Ethernet/IPv4 header at the front
            buf.view[0:14] = bytes.fromhex("020000000002020000000001" "0800")

    def reap(self) -> int:
        return sum(1 for ev in self.vi.poll(256) if ev.type == L.EV_TYPE_TX)


async def burst(bench: NicBench, sender: RawSender, size: int, count: int) -> tuple[list, float]:
    frames, posted, done = [], 0, 0
    t0 = time.time()
    deadline = now_ns() + 20_000_000  # 20 ms of simulated time: far more than any burst needs
    while len(frames) < count:
        if now_ns() > deadline:
            raise AssertionError(f"burst of {count} x {size} B: {len(frames)} frames came out")
        while posted < count and sender.vi.tx_space >= 3:
            sender.vi.tx_post(sender.frame_segments(size, posted))
            posted += 1
        sender.vi.tx_push()
        await bench.cycles(256)
        done += sender.reap()
        frames.extend(bench.tx_wire.captured())
    return frames, time.time() - t0


@cocotb.test(timeout_time=2_000_000, timeout_unit="us")
async def tx_stream_rate(dut):
    """What the NIC's TX stream delivers into the wire's sink, which takes a beat every cycle:
    line-rate pacing happens where a channel hands frames to the far NIC, so this record can
    pass 100 GbE (a 512-bit stream at 250 MHz carries up to 128 Gbps). The paced wire is
    measured by rx_throughput, offered at line rate."""
    bench = await NicBench.start(dut, dma_latency=LATENCY, os_stack=False)
    sender = RawSender(bench)
    sender.prime()
    for size in SIZES:
        count = max(64, min(2000, 400_000 // size))
        frames, _ = await burst(bench, sender, size, count)
        # steady state: from the end of the first frame to the end of the last
        span = frames[-1].cycle - frames[0].cycle
        nbytes = sum(len(f.data) for f in frames[1:])
        gbps = nbytes * 8 / (span * CLOCK_NS)
        record("tx_stream_rate", round(gbps, 3), "Gbps", frame_bytes=size,
               dma_latency_cycles=LATENCY, data_width=DATA_WIDTH)
        line = 8 * size / ((size + 24) * 8 / 100)  # 100 GbE incl. 24 bytes per frame overhead
        dut._log.info("tx %5d B: %.1f Gbps (100GbE line rate for this size: %.1f Gbps)",
                      size, gbps, line)


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def tx_doorbell_to_wire(dut):
    bench = await NicBench.start(dut, dma_latency=LATENCY, os_stack=False)
    sender = RawSender(bench)
    sender.prime()
    samples = []
    for i in range(16):
        sender.vi.tx_post(sender.frame_segments(60, i))
        start_cycle = now_ns() / CLOCK_NS
        sender.vi.tx_push()
        frames = await bench.collect(bench.tx_wire, 1, 100_000, step_ns=20)
        samples.append(frames[0].cycle - start_cycle)
        await bench.cycles(200)
        sender.reap()
    samples.sort()
    record("tx_doorbell_to_wire", samples[len(samples) // 2], "cycles",
           dma_latency_cycles=LATENCY, data_width=DATA_WIDTH)


@cocotb.test(timeout_time=2_000_000, timeout_unit="us")
async def sim_speed(dut):
    bench = await NicBench.start(dut, dma_latency=LATENCY, os_stack=False)
    sender = RawSender(bench)
    sender.prime()
    sim0 = now_ns()
    frames, wall = await burst(bench, sender, 1514, 300 if MEMORY == "axiram" else 3000)
    cycles = (now_ns() - sim0) / CLOCK_NS
    record("sim_speed", round(cycles / wall), "cycles/s", memory=MEMORY,
           scenario=f"tx_burst_1514B_dw{DATA_WIDTH}")


class RawReceiver:
    """A process receiving on its own VI into 4 KiB buffers (a 9000-byte frame takes three),
    steered by a UDP filter; it counts what lands and re-posts buffers as it goes."""

    PORT = 5555

    def __init__(self, bench: NicBench, rxq: int = 1024):
        host = bench.host
        self.bench = bench
        self.proc = host.os.spawn("bench-rx")
        self.vi = Vi(host.kernel.alloc_vi(self.proc, txq_entries=16, rxq_entries=rxq))
        self.pool = BufferPool(host.kernel, self.proc, rxq, size=4096)
        host.kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", self.PORT), self.vi.vi)
        self.frames = 0
        self.nbytes = 0
        self.refill()

    def refill(self) -> None:
        self.pool.post_rx(self.vi)

    def reap(self) -> int:
        got = 0
        for ev in self.vi.poll(1024):
            assert ev.type == L.EV_TYPE_RX, f"unexpected event {ev}"
            for buf in ev.cookies:
                self.pool.free(buf)
            self.frames += 1
            self.nbytes += ev.length
            got += 1
        if got:
            self.refill()
        return got

    def frame(self, size: int) -> bytes:
        """A UDP/IPv4 frame of ``size`` bytes (without FCS) to this receiver, checksums valid."""
        hdr = Ether(dst=self.bench.host.kernel.mac.hex(":"), src="02:00:00:00:00:09") / \
            IP(src="198.18.0.9", dst="198.18.0.1") / UDP(sport=9, dport=self.PORT)
        return bytes(hdr / bytes(size - len(hdr)))

    def evq_pages(self) -> set[int]:
        return {p >> L.PAGE_SHIFT for p in ring_pages(self.proc, self.vi.res.evq)}


async def rx_drops(bench: NicBench) -> int:
    stats = await bench.host.kernel.read_stats()
    return sum(v for k, v in stats.items() if k.startswith("RX_DROP"))


@cocotb.test(timeout_time=2_000_000, timeout_unit="us")
async def rx_throughput(dut):
    """Frames offered back to back at 100 GbE line rate; the rate at which they land in the
    process's buffers: frames delivered over the time from the first event write to the last
    (steady state)."""
    bench = await NicBench.start(dut, dma_latency=LATENCY, os_stack=False)
    rx = RawReceiver(bench)
    await bench.settle()
    wire = bench.rx_wire
    beat_bytes = DATA_WIDTH // 8
    log = bench.host.dma_log
    for size in SIZES:
        count = max(64, min(2000, 400_000 // size))
        frame = rx.frame(size)
        beats = -(-size // beat_bytes)
        step = max(16, 32 * beats)  # top the 128-slot inject ring up a few times per drain
        log.drain()
        log.enable(True)
        drops0, frames0 = await rx_drops(bench), rx.frames
        injected = 0
        deadline = now_ns() + 50_000_000
        while True:
            while injected < count and wire.inject_pending() < 128:
                wire.inject(frame)
                injected += 1
            await bench.cycles(step)
            rx.reap()
            if injected == count and wire.inject_pending() == 0:
                if rx.frames - frames0 + await rx_drops(bench) - drops0 >= count:
                    break
            if now_ns() > deadline:
                raise AssertionError(f"rx {size} B: frames stopped arriving")
        log.enable(False)
        evq = rx.evq_pages()
        writes = [a.cycle for a in log.drain() if a.write and a.addr >> L.PAGE_SHIFT in evq]
        delivered = rx.frames - frames0
        dropped = await rx_drops(bench) - drops0
        span = writes[-1] - writes[0]
        # one event write may carry several events (nic_evq fills a beat when events come
        # fast), so count the frames delivered, not the writes; the first write's frames
        # landed before the span starts (at most DATA_WIDTH/128 of them: a slight overestimate)
        gbps = (delivered - 1) * size * 8 / (span * CLOCK_NS) if span else 0.0
        record("rx_throughput", round(gbps, 3), "Gbps", frame_bytes=size,
               dma_latency_cycles=LATENCY, data_width=DATA_WIDTH)
        record("rx_dropped_at_line_rate", dropped, f"frames of {count}", frame_bytes=size,
               dma_latency_cycles=LATENCY, data_width=DATA_WIDTH)
        dut._log.info("rx %5d B: %.1f Gbps delivered, %d of %d dropped (event writes seen %d)",
                      size, gbps, dropped, count, len(writes))
        assert delivered + dropped == count


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def rx_wire_to_event(dut):
    """Cycles from the NIC taking the last beat of a frame off the wire to its RX event being in
    host memory (median of 16 frames of 256 bytes, one at a time)."""
    bench = await NicBench.start(dut, dma_latency=LATENCY, os_stack=False)
    rx = RawReceiver(bench, rxq=64)
    await bench.settle()
    frame = rx.frame(256)
    samples = []
    for _ in range(16):
        bench.rx_wire.inject(frame)
        await with_deadline(RisingEdge(dut.rx_tlast), 100_000)
        last_beat = now_ns() / CLOCK_NS + 1  # presented at this edge, taken at the next
        while not rx.reap():
            await with_deadline(bench.host.write_bursts.value_change, 100_000)
        samples.append(now_ns() / CLOCK_NS - last_beat)
        await bench.cycles(100)
    samples.sort()
    record("rx_wire_to_event", samples[len(samples) // 2], "cycles",
           dma_latency_cycles=LATENCY, data_width=DATA_WIDTH)


async def with_deadline(trigger, timeout_ns: float) -> None:
    """Wait for ``trigger``, failing after ``timeout_ns`` of simulated time."""
    timer = Timer(timeout_ns, unit="ns")
    if await First(trigger, timer) is timer:
        raise AssertionError(f"no {trigger} within {timeout_ns} ns")


@cocotb.test(timeout_time=100_000_000, timeout_unit="us")
async def rx_parser_fuzz(dut):
    """The receive path's differential fuzz through the whole NIC (tb/scenarios/rx_fuzz.py),
    NICSIM_RXFUZZ_FRAMES frames (100,000 by default) of seed NICSIM_RXFUZZ_SEED: records
    rx_parser_mismatches (goal 0) with the frame count and the seed."""
    from tb.scenarios import rx_fuzz

    seed, frames = rx_fuzz.from_env(100_000)
    bench = await NicBench.start(dut, dma_latency=LATENCY, os_stack=False)
    t0 = time.time()
    result = await rx_fuzz.run(bench, seed, frames, log=cocotb.log)
    record("rx_parser_mismatches", result.mismatches, "count", frames=result.frames,
           deliveries=result.deliveries, seed=seed, data_width=DATA_WIDTH, latency=LATENCY,
           wall_s=round(time.time() - t0, 1))


@cocotb.test(timeout_time=100_000_000, timeout_unit="us")
async def dma_isolation_fuzz(dut):
    """DMA isolation fuzzing (tb/scenarios/dma_fuzz.py) until NICSIM_DMAFUZZ_DESCRIPTORS
    descriptors have been posted: records dma_isolation_violations (goal 0) with the count,
    the rounds and the seed."""
    from tb.scenarios.dma_fuzz import World

    descriptors = int(os.environ.get("NICSIM_DMAFUZZ_DESCRIPTORS", "100000"))
    seed = int(os.environ.get("NICSIM_DMAFUZZ_SEED", "1"))
    bench = await NicBench.start(dut, dma_latency=LATENCY, os_stack=False)
    world = World(bench, seed=seed)
    await bench.settle()
    t0 = time.time()
    await world.run(descriptors=descriptors)
    for line in world.violations[:20]:
        cocotb.log.warning(line)
    record("dma_isolation_violations", len(world.violations), "count",
           descriptors=world.descriptors, rounds=world.rounds, seed=seed,
           data_width=DATA_WIDTH, latency=LATENCY, wall_s=round(time.time() - t0, 1))
