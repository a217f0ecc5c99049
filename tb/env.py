"""The cocotb test environment: simulated hosts around the NIC models of tb/hdl.

A ``SimHost`` is one host as software sees it: its physical memory (the region the DPI memory
model serves to the NIC), the OS model, the NIC's register space over AXI4-Lite, and the kernel
driver. ``NicBench`` builds the hosts and wire channels for a sim top (``tb_nic`` with one host,
``tb_two_hosts`` with two), resets, and offers waits that always end in simulated time.

Clocking: the sim tops generate their clock in HDL, so no Python runs per cycle. Under Verilator,
cocotb's RisingEdge callback for such a clock comes after the edge's ``always @(posedge)`` blocks
ran, so a cocotbext-axi model judges each edge's handshakes by the ready/valid of the next cycle
(tests/test_tb_clocking.py). The AXI4-Lite register traffic survives that only because the NIC's
register slave drops ready right after each handshake and raises it once the response is taken.
AxiRam as host memory (``tb_nic`` built with ``EXT_MEM=1``) does not: its AR sink can miss a
request, its R source can keep presenting a beat the NIC already took (or replace one it has not
taken). At 64 bits the last beat of the first descriptor read stays on the bus, routed by its ID
to an engine that expects nothing (rready low), and every later read waits behind it. So that
model takes its clock from cocotb (``clk_in``, a GPI clock: no Python per edge), and every
cocotbext-axi model of the bench is clocked by it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import cocotb
from cocotb.clock import Clock
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
    """The NIC's register space over AXI4-Lite: posted writes, awaited reads that wait for the
    writes posted before them.

    A read or flush that the NIC does not answer within ``TIMEOUT_NS`` of simulated time fails.
    """

    TIMEOUT_NS = 20_000
    WRITE_NS = 40  # allowance per posted write still queued (a write takes a few cycles)

    def __init__(self, master: AxiLiteMaster):
        self.master = master
        self.posted = 0  # writes queued since the last flush
        self._last_write = None  # the completion event of the newest posted write

    def write32(self, offset: int, value: int) -> None:
        self._last_write = self.master.init_write(offset,
                                                  (value & 0xFFFFFFFF).to_bytes(4, "little"))
        self.posted += 1

    async def read32(self, offset: int) -> int:
        """A non-posted read. As on PCIe it does not pass the writes posted before it (the
        AXI4-Lite read channel alone would let it: a status read could overtake the writes that
        set up what it reports), so it first waits for them."""
        await self.flush()
        resp = await with_timeout(self.master.read(offset, 4), self.TIMEOUT_NS, "ns")
        return int.from_bytes(resp.data, "little")

    async def flush(self) -> None:
        """Wait until every posted write has been answered by the NIC. Writes complete in
        order, so that is when the newest one completes: the master's own idle count would
        not do, as it counts a write only once the task that queues it has started."""
        timeout = self.TIMEOUT_NS + self.WRITE_NS * self.posted
        last = self._last_write
        if last is not None and not last.is_set():
            await with_timeout(last.wait(), timeout, "ns")
        self.posted = 0


HOST_MODES = ("onload", "split")


def host_mode(mode: str | None = None) -> str:
    """The mode hosts are built in: ``mode``, else NICSIM_HOST_MODE, else "onload".

    - onload: the kernel driver's OS stack owns VI 0 (filter misses) and drives it itself;
    - split: a user-space driver process owns VI 0 and the kernel's frames are tunnelled
      through it (host.kernel.tunnel, host.driver.split); the kernel keeps only control."""
    mode = mode or os.environ.get("NICSIM_HOST_MODE") or "onload"
    if mode not in HOST_MODES:
        raise ValueError(f"host mode {mode!r}: choose one of {', '.join(HOST_MODES)}")
    return mode


class SimHost:
    def __init__(self, dut, name: str, region: int, axil_prefix: str, irq, write_bursts,
                 mac: bytes, ip: str, clock, mem_size: int = shm.DEFAULT_MEM_SIZE,
                 mode: str = "onload"):
        self.name = name
        self.ip = ip
        self.mode = mode
        self.os_stack = None  # the OS's network stack (tb.oskernel.SimOs), once up
        self.split_driver = None  # split mode: the running user-space driver (tb.splitdriver)
        self.region = region
        self.mem = shm.host_memory(region, mem_size)
        self.phys = PhysicalMemory(self.mem, seed=region + 1)
        self.os = OperatingSystem(self.phys)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, axil_prefix), clock, dut.rst)
        # cocotbext-axi logs two INFO lines per register write (every doorbell): NICSIM_AXIL_LOG=1
        if os.environ.get("NICSIM_AXIL_LOG", "0") == "0":
            self.axil.write_if.log.setLevel(logging.WARNING)
            self.axil.read_if.log.setLevel(logging.WARNING)
        self.bus = AxilRegisterBus(self.axil)
        self.kernel = KernelDriver(self.os, self.bus, mac=mac)
        self.kernel.fence_waker = self._wake_fence_worker
        self._fence_worker = None
        self.dma_log = shm.DmaLog(region)
        self.irq = irq
        self.write_bursts = write_bursts

    def _wake_fence_worker(self) -> None:
        """The kernel's worker that gives pages of removed registrations back to the OS once
        the NIC's DMA fence completes (KernelDriver.complete_fences): started on demand."""
        if self._fence_worker is None or self._fence_worker.done():
            self._fence_worker = cocotb.start_soon(self.kernel.complete_fences())

    async def fences_done(self) -> None:
        """Wait until every page of a removed registration has gone back to the OS."""
        while self._fence_worker is not None and not self._fence_worker.done():
            await self._fence_worker
        await self.kernel.complete_fences()

    def memory_snapshot(self) -> bytes:
        return bytes(self.mem)

    def kernel_path_pages(self) -> set[int]:
        """Every page the NIC may touch for the kernel's own traffic: the kernel's pages, and
        in split mode the user-space driver's too (its VI's rings; the tunnel's slots are the
        kernel's pages mapped into it). Frames themselves: ``os_stack.net.frame_pages()``."""
        pages = self.os_stack.net.kernel_pages()
        if self.split_driver is not None:
            pages |= set(self.split_driver.proc.ram_pages())
        return pages

    async def start_split_driver(self, name: str = "nic-splitd"):
        """Split mode: start a user-space driver process; returns once the NIC has taken its
        set-up (its VI and registrations), so the kernel's path is up."""
        if self.mode != "split":
            raise RuntimeError(f"host {self.name} is in {self.mode} mode: no user-space driver")
        if self.split_driver is not None:
            raise RuntimeError(f"host {self.name} already runs {self.split_driver.proc.name}")
        from tb.splitdriver import SimSplitDriver  # it needs tb.oskernel, which needs us

        self.split_driver = SimSplitDriver(self, name)
        await self.bus.flush()
        return self.split_driver

    def stop_split_driver(self):
        """Split mode: the user-space driver exits (the kernel's path goes down); returns it."""
        driver, self.split_driver = self.split_driver, None
        if driver is None:
            raise RuntimeError(f"host {self.name} runs no user-space driver")
        driver.stop()
        return driver


def _pcap_writer():
    """PCAP=path: every frame on the wire, both directions, goes to that pcap file."""
    path = os.environ.get("PCAP")
    if not path:
        return None
    from scapy.utils import RawPcapWriter

    # nanosecond timestamps: frames a few ns apart keep their spacing in Wireshark
    writer = RawPcapWriter(path, linktype=1, sync=True, nano=True)
    writer.write_header(None)  # write_packet() alone never writes the file header
    return writer


HOST_IPS = ("198.18.0.1", "198.18.0.2")  # host A (or the one host of tb_nic), host B; a /24


class NicBench:
    """Hosts, wire and reset for one sim top. Use ``await NicBench.start(dut)``.

    Every host runs its OS's network stack (``host.os_stack``), as a booted host does: on VI 0
    in onload mode, through a user-space driver on VI 0 in split mode (``host_mode``). A test
    of the raw NIC, which owns VI 0 and every frame itself, starts with ``os_stack=False``."""

    def __init__(self, dut, mode: str | None = None):
        self.dut = dut
        self.mode = host_mode(mode)
        self.two_hosts = hasattr(dut, "a_s_axil_awvalid")
        macs = [bytes.fromhex("020000000001"), bytes.fromhex("020000000002")]
        ips = HOST_IPS
        # AxiRam as host memory: decided by how the model was built (tb_nic's EXT_MEM)
        self.ext_mem = not self.two_hosts and bool(int(dut.EXT_MEM.value))
        asked = os.environ.get("NICSIM_EXT_MEM")
        if asked is not None and bool(int(asked)) != self.ext_mem:
            raise RuntimeError(f"NICSIM_EXT_MEM={asked} but the model was built with "
                               f"EXT_MEM={int(self.ext_mem)}")
        if self.ext_mem:
            # the model's clock comes from here (see tb_nic.v)
            Clock(dut.clk_in, CLOCK_NS, unit="ns").start()
            self.clock = dut.clk_in
        else:
            self.clock = dut.clk
        if self.two_hosts:
            self.hosts = [
                SimHost(dut, "A", 0, "a_s_axil", dut.a_irq, dut.a_dma_write_bursts, macs[0],
                        ips[0], self.clock, mode=self.mode),
                SimHost(dut, "B", 1, "b_s_axil", dut.b_irq, dut.b_dma_write_bursts, macs[1],
                        ips[1], self.clock, mode=self.mode),
            ]
        else:
            self.hosts = [SimHost(dut, "host", 0, "s_axil", dut.irq, dut.dma_write_bursts,
                                  macs[0], ips[0], self.clock, mode=self.mode)]
        # two hosts: channel 0 is A->B, 1 is B->A; one host: 0 is the NIC's TX, 1 its RX
        self.pcap = _pcap_writer()
        self.wires = [shm.WireChannel(0, self.pcap), shm.WireChannel(1, self.pcap)]
        self.axiram = None
        if self.ext_mem:
            # no latency model: every read is answered as soon as AxiRam gets to it
            self.axiram = AxiRam(AxiBus.from_prefix(dut, "ext_axi"), self.clock, dut.rst,
                                 mem=self.hosts[0].mem)

    @classmethod
    async def start(cls, dut, dma_latency: int | None = None, os_stack: bool = True,
                    mode: str | None = None) -> NicBench:
        """``mode``: how the hosts are built (``host_mode``)."""
        bench = cls(dut, mode)
        await bench.reset(dma_latency, os_stack)
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

    async def reset(self, dma_latency: int | None = None, os_stack: bool = True) -> None:
        dut = self.dut
        if dma_latency is None:
            dma_latency = int(os.environ.get("NICSIM_DMA_LATENCY", "0"))
        if self.ext_mem and dma_latency:
            dut._log.info("DMA latency %d ignored: AxiRam has no latency model", dma_latency)
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
            if os_stack:
                from tb.oskernel import SimOs  # it needs this module's clock helpers

                host.os_stack = SimOs(host, host.ip, split=host.mode == "split")
                if host.mode == "split":
                    await host.start_split_driver()
            await host.bus.flush()

    def close_pcap(self) -> None:
        """Write what the wires captured since the last ``captured()`` to the PCAP file and close
        it (for scenarios that do not read the capture rings themselves)."""
        if self.pcap is not None:
            for wire in self.wires:
                wire.captured()
            self.pcap.close()
            self.pcap = None

    async def settle(self) -> None:
        """Wait until every posted register write of every host has reached its NIC (what a
        kernel driver's call does before it returns)."""
        for host in self.hosts:
            await host.bus.flush()

    async def cycles(self, n: int) -> None:
        await Timer(n * CLOCK_NS, unit="ns")

    async def wait_until(self, done: Callable[[], object], timeout_ns: float,
                         what: str = "condition", step_ns: float = 400,
                         wake=None) -> object:
        """Run the simulation until ``done()`` is truthy; fail after ``timeout_ns`` of sim time.

        Python wakes every ``step_ns``, and also whenever the signal ``wake`` changes (a host's
        ``write_bursts``: the NIC wrote that host's memory, so an event may have landed), never
        per clock cycle.
        """
        deadline = now_ns() + timeout_ns
        while True:
            result = done()
            if result:
                return result
            left = deadline - now_ns()
            if left <= 0:
                raise SimTimeout(f"timed out after {timeout_ns} ns of simulated time waiting "
                                 f"for {what}")
            step = Timer(min(step_ns, left), unit="ns")
            await (step if wake is None else First(wake.value_change, step))

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
