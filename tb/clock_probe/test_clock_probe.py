"""What cocotb and cocotbext-axi see at RisingEdge(clk) under Verilator (tb/hdl/tb_clock_probe.v).

Run on two builds of one probe (tests/test_tb_clocking.py): the clock generated in HDL
(NICSIM_PROBE_HDL_CLK=1), as in tb_nic's default flows, and the clock driven by cocotb's Clock.

Under Verilator a clock generated in HDL toggles inside ``eval_step()``, which also runs every
``always @(posedge clk)`` of that edge; cocotb's RisingEdge callback is only called after that, so
a coroutine resumed by RisingEdge reads the registers *after* the edge. With a clock written by
cocotb the callback runs before ``eval_step()`` and reads the values *at* the edge, which is what
cocotbext-axi's stream models (and any "sample at the edge, then drive" BFM) assume. With the HDL
clock they judge every handshake by the ready/valid of the next cycle: a sink records a beat the
DUT has not handed over yet and misses one it has, a source replaces a beat the DUT has not
taken. The assertions below pin that behaviour for both clocks; the HDL-clock ones document the
limitation (if they ever fail, the simulator or cocotb changed and tb/env.py's choice of clock
can be revisited).
"""

from __future__ import annotations

import itertools
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

HDL_CLK = os.environ.get("NICSIM_PROBE_HDL_CLK", "1") != "0"
N_OUT = 32
MODE = "HDL clock" if HDL_CLK else "cocotb clock"


async def start(dut):
    """The clock the testbench models must use, running, and the probe out of reset."""
    if HDL_CLK:
        clk = dut.clk
    else:
        Clock(dut.clk_in, 4, unit="ns").start()
        clk = dut.clk_in
    dut.rst.value = 1
    dut.s_axis_tvalid.value = 0
    dut.m_axis_tready.value = 0
    await ClockCycles(clk, 4)
    dut.rst.value = 0
    return clk


@cocotb.test()
async def value_read_at_rising_edge(dut):
    """A register read in a coroutine resumed by RisingEdge: before or after that edge?"""
    clk = await start(dut)
    await FallingEdge(clk)
    before = int(dut.count.value)
    await RisingEdge(clk)
    at_edge = int(dut.count.value)
    dut._log.info("%s: count mid-cycle %d, read at RisingEdge %d", MODE, before, at_edge)
    if HDL_CLK:
        assert at_edge == before + 1, "HDL clock: RisingEdge no longer shows post-edge values"
    else:
        assert at_edge == before, "cocotb clock: RisingEdge should show the values at the edge"


@cocotb.test()
async def stream_sink_with_backpressure(dut):
    """cocotbext-axi AxiStreamSink whose ready is low one cycle in three (a pause generator),
    behind an HDL source of one-beat frames: like AxiRam's AR sink, which pauses while its
    queue (2 requests) is full, behind the NIC's AR register slice."""
    clk = await start(dut)
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), clk, dut.rst)
    sink.set_pause_generator(itertools.cycle([False, False, True]))
    await ClockCycles(clk, 5 * N_OUT + 40)
    sink.clear_pause_generator()
    got = []
    while not sink.empty():
        got.append(bytes(sink.recv_nowait().tdata))
    sent = int(dut.sent.value)
    dut._log.info("%s: the HDL source handed over %d beats, AxiStreamSink received %d",
                  MODE, sent, len(got))
    assert sent == N_OUT
    if HDL_CLK:
        assert got != [bytes([i]) for i in range(N_OUT)], \
            "HDL clock: AxiStreamSink no longer loses transfers"
    else:
        assert got == [bytes([i]) for i in range(N_OUT)]


@cocotb.test()
async def stream_source_into_a_sink_with_gaps(dut):
    """cocotbext-axi AxiStreamSource, one-beat frames with idle gaps, into a sink whose ready is
    high every other cycle."""
    clk = await start(dut)
    source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), clk, dut.rst)
    rng = random.Random(1)
    for i in range(N_OUT):
        await source.send(AxiStreamFrame(bytes([i])))
        await source.wait()
        await ClockCycles(clk, rng.randint(1, 3))
    await ClockCycles(clk, 8)
    beats, errors = int(dut.beats.value), int(dut.errors.value)
    dut._log.info("%s: AxiStreamSource sent %d beats, the HDL sink took %d (%d out of sequence)",
                  MODE, N_OUT, beats, errors)
    if HDL_CLK:
        assert beats < N_OUT or errors, "HDL clock: AxiStreamSource no longer loses beats"
    else:
        assert (beats, errors) == (N_OUT, 0)
