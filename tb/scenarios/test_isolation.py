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
