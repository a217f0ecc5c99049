"""Benchmark scenarios (run by tb/bench.py, not by the test suite): each appends result records
to the JSON-lines file named by NICSIM_BENCH_OUT."""

from __future__ import annotations

import json
import os
import time

import cocotb

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.vi import Vi
from tb.env import CLOCK_NS, NicBench, now_ns

OUT = os.environ.get("NICSIM_BENCH_OUT", "build/bench/partial.jsonl")
DATA_WIDTH = int(os.environ.get("NICSIM_DATA_WIDTH", "512"))
LATENCY = int(os.environ.get("NICSIM_DMA_LATENCY", "0"))
SIZES = [int(s) for s in os.environ.get("NICSIM_BENCH_SIZES", "60,256,1514,9000").split(",")]
MEMORY = os.environ.get("NICSIM_BENCH_MEMORY", "dpi")


def record(metric: str, value: float, unit: str, **params) -> None:
    with open(OUT, "a") as f:
        f.write(json.dumps({"metric": metric, "params": params, "value": value,
                            "unit": unit}) + "\n")


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
    while len(frames) < count:
        while posted < count and sender.vi.tx_space >= 3:
            sender.vi.tx_post(sender.frame_segments(size, posted))
            posted += 1
        sender.vi.tx_push()
        await bench.cycles(256)
        done += sender.reap()
        frames.extend(bench.tx_wire.captured())
    return frames, time.time() - t0


@cocotb.test(timeout_time=2_000_000, timeout_unit="us")
async def tx_throughput(dut):
    bench = await NicBench.start(dut, dma_latency=LATENCY)
    sender = RawSender(bench)
    sender.prime()
    for size in SIZES:
        count = max(64, min(2000, 400_000 // size))
        frames, _ = await burst(bench, sender, size, count)
        # steady state: from the end of the first frame to the end of the last
        span = frames[-1].cycle - frames[0].cycle
        nbytes = sum(len(f.data) for f in frames[1:])
        gbps = nbytes * 8 / (span * CLOCK_NS)
        record("tx_throughput", round(gbps, 3), "Gbps", frame_bytes=size,
               dma_latency_cycles=LATENCY, data_width=DATA_WIDTH)
        line = 8 * size / ((size + 24) * 8 / 100)  # 100 GbE incl. 24 bytes per frame overhead
        dut._log.info("tx %5d B: %.1f Gbps (100GbE line rate for this size: %.1f Gbps)",
                      size, gbps, line)


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def tx_doorbell_to_wire(dut):
    bench = await NicBench.start(dut, dma_latency=LATENCY)
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
    bench = await NicBench.start(dut, dma_latency=LATENCY)
    sender = RawSender(bench)
    sender.prime()
    sim0 = now_ns()
    frames, wall = await burst(bench, sender, 1514, 300 if MEMORY == "axiram" else 3000)
    cycles = (now_ns() - sim0) / CLOCK_NS
    record("sim_speed", round(cycles / wall), "cycles/s", memory=MEMORY,
           scenario=f"tx_burst_1514B_dw{DATA_WIDTH}")
