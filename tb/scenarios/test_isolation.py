"""Isolation where memory and NIC resources change hands (tb_nic, one host, no OS stack): the
register bus keeps the order a driver relies on, registered memory stays pinned, and a freed VI
leaves its old process nothing to touch."""

from __future__ import annotations

import cocotb
from cocotb.triggers import Timer

from host.layout import PAGE_SIZE
from tb.env import NicBench, now_ns

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
    from scapy.layers.inet import UDP
    from scapy.layers.l2 import Ether

    from host import layout as L
    from host.driver.buffers import BufferPool
    from host.driver.vi import Vi
    from host.udpsend import Flow, UdpSender
    from tb.scenarios.apps import DEFAULT_FLOW

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
