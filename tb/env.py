"""The cocotb test environment: simulated hosts around the NIC models of tb/hdl.

A ``SimHost`` is one host as software sees it: its physical memory (the region the DPI memory
model serves to the NIC), the OS model, the NIC's register space over AXI4-Lite, and the kernel
driver. ``NicBench`` builds the hosts and wire channels for a sim top (``tb_nic`` with one host,
``tb_two_hosts`` with two), resets, and offers waits that always end in simulated time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from cocotb.simtime import get_sim_time
from cocotb.triggers import First, Timer, with_timeout
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from host.driver.kernel import KernelDriver
from host.memory import PhysicalMemory
from host.process import OperatingSystem
from tb import shm

CLOCK_NS = 4  # the HDL clock: 250 MHz


class SimTimeout(AssertionError):
    """A wait in the testbench ran out of simulated time."""


def now_ns() -> float:
    return get_sim_time("ns")


class AxilRegisterBus:
    """The NIC's register space over AXI4-Lite: posted writes, awaited reads.

    A read or flush that the NIC does not answer within ``TIMEOUT_NS`` of simulated time fails.
    """

    TIMEOUT_NS = 20_000

    def __init__(self, master: AxiLiteMaster):
        self.master = master

    def write32(self, offset: int, value: int) -> None:
        self.master.init_write(offset, (value & 0xFFFFFFFF).to_bytes(4, "little"))

    async def read32(self, offset: int) -> int:
        resp = await with_timeout(self.master.read(offset, 4), self.TIMEOUT_NS, "ns")
        return int.from_bytes(resp.data, "little")

    async def flush(self) -> None:
        await with_timeout(self.master.wait_write(), self.TIMEOUT_NS, "ns")


class SimHost:
    def __init__(self, dut, name: str, region: int, axil_prefix: str, irq, write_bursts,
                 mac: bytes, mem_size: int = shm.DEFAULT_MEM_SIZE):
        self.name = name
        self.region = region
        self.mem = shm.host_memory(region, mem_size)
        self.phys = PhysicalMemory(self.mem, seed=region + 1)
        self.os = OperatingSystem(self.phys)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, axil_prefix), dut.clk, dut.rst)
        # cocotbext-axi logs two INFO lines per register write (every doorbell): NICSIM_AXIL_LOG=1
        if os.environ.get("NICSIM_AXIL_LOG", "0") == "0":
            self.axil.write_if.log.setLevel(logging.WARNING)
            self.axil.read_if.log.setLevel(logging.WARNING)
        self.bus = AxilRegisterBus(self.axil)
        self.kernel = KernelDriver(self.os, self.bus, mac=mac)
        self.dma_log = shm.DmaLog(region)
        self.irq = irq
        self.write_bursts = write_bursts

    def memory_snapshot(self) -> bytes:
        return bytes(self.mem)


def _pcap_writer():
    """PCAP=path: every frame on the wire, both directions, goes to that pcap file."""
    path = os.environ.get("PCAP")
    if not path:
        return None
    from scapy.utils import RawPcapWriter

    return RawPcapWriter(path, linktype=1, sync=True)


class NicBench:
    """Hosts, wire and reset for one sim top. Use ``await NicBench.start(dut)``."""

    def __init__(self, dut):
        self.dut = dut
        self.two_hosts = hasattr(dut, "a_s_axil_awvalid")
        macs = [bytes.fromhex("020000000001"), bytes.fromhex("020000000002")]
        if self.two_hosts:
            self.hosts = [
                SimHost(dut, "A", 0, "a_s_axil", dut.a_irq, dut.a_dma_write_bursts, macs[0]),
                SimHost(dut, "B", 1, "b_s_axil", dut.b_irq, dut.b_dma_write_bursts, macs[1]),
            ]
            pcap = _pcap_writer()
            self.wires = [shm.WireChannel(0, pcap), shm.WireChannel(1, pcap)]  # A->B, B->A
        else:
            self.hosts = [SimHost(dut, "host", 0, "s_axil", dut.irq, dut.dma_write_bursts,
                                  macs[0])]
            pcap = _pcap_writer()
            self.wires = [shm.WireChannel(0, pcap), shm.WireChannel(1, pcap)]  # NIC TX, NIC RX
        self.axiram = None
        if not self.two_hosts and int(os.environ.get("NICSIM_EXT_MEM", "0")):
            self.axiram = AxiRam(AxiBus.from_prefix(dut, "ext_axi"), dut.clk, dut.rst,
                                 mem=self.hosts[0].mem)

    @classmethod
    async def start(cls, dut, dma_latency: int | None = None) -> NicBench:
        bench = cls(dut)
        await bench.reset(dma_latency)
        return bench

    @property
    def host(self) -> SimHost:
        return self.hosts[0]

    @property
    def tx_wire(self) -> shm.WireChannel:
        return self.wires[0]

    @property
    def rx_wire(self) -> shm.WireChannel:
        return self.wires[1]

    async def reset(self, dma_latency: int | None = None) -> None:
        dut = self.dut
        if dma_latency is None:
            dma_latency = int(os.environ.get("NICSIM_DMA_LATENCY", "0"))
        dut.dma_read_latency.value = dma_latency
        dut.dma_write_latency.value = min(dma_latency, 16)
        dut.wire_enable.value = 0
        dut.rst.value = 1
        await self.cycles(8)
        dut.rst.value = 0
        await self.cycles(2)
        dut.wire_enable.value = 1
        for host in self.hosts:
            await host.kernel.probe()
            await host.bus.flush()

    async def settle(self) -> None:
        """Wait until every posted register write of every host has reached its NIC (what a
        kernel driver's call does before it returns)."""
        for host in self.hosts:
            await host.bus.flush()

    async def cycles(self, n: int) -> None:
        await Timer(n * CLOCK_NS, unit="ns")

    async def wait_until(self, done: Callable[[], object], timeout_ns: float,
                         what: str = "condition", step_ns: float = 400) -> object:
        """Run the simulation until ``done()`` is truthy; fail after ``timeout_ns`` of sim time.

        Python wakes every ``step_ns`` (or on an interrupt), never per clock cycle.
        """
        deadline = now_ns() + timeout_ns
        while True:
            result = done()
            if result:
                return result
            if now_ns() >= deadline:
                raise SimTimeout(f"timed out after {timeout_ns} ns of simulated time waiting "
                                 f"for {what}")
            await Timer(step_ns, unit="ns")

    async def collect(self, wire: shm.WireChannel, count: int, timeout_ns: float = 50_000,
                      step_ns: float = 400) -> list[shm.WireFrame]:
        """Frames from ``wire`` until there are ``count``; fail if they do not come in time."""
        frames: list[shm.WireFrame] = []

        def enough() -> bool:
            frames.extend(wire.captured())
            return len(frames) >= count

        await self.wait_until(enough, timeout_ns, f"{count} frames on the wire", step_ns)
        return frames

    async def wait_irq(self, host: SimHost, vi: int, timeout_ns: float) -> bool:
        """Wait for VI ``vi``'s interrupt line; return False on timeout."""
        line = host.irq
        if (int(line.value) >> vi) & 1:
            return True
        deadline = now_ns() + timeout_ns
        while now_ns() < deadline:
            await First(line.value_change,
                        Timer(max(deadline - now_ns(), 1), unit="ns"))
            if (int(line.value) >> vi) & 1:
                return True
        return False
