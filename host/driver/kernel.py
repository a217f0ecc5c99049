"""Kernel-space driver model: owns the NIC's privileged page.

It probes and enables the NIC, hands out VIs to processes (rings and event queue allocated in the
process's memory, registered in the buffer table under the process's owner tag, and the VI's
doorbell page mapped into the process), registers process memory for DMA, and programs receive
filters. Everything a process gets back is a plain description (``ViResource``) that the
user-space VI driver (``host.driver.vi``) works from without the kernel.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from host import layout as L
from host.process import Process, RegisterBus


class NicError(Exception):
    """The NIC or a request to it is not what the driver can work with."""


class ResourceExhausted(NicError):
    """No free VI, buffer-table entry or filter slot."""


class FilterExists(NicError):
    """An identical filter is already installed."""


@dataclass
class NicInfo:
    num_vi: int
    buftbl_entries: int
    filter_entries: int
    data_width: int
    tx_max_frame: int
    max_ring_log2: int


@dataclass
class Ring:
    vaddr: int   # in the owning process
    iova: int    # what the NIC is given
    entries: int

    @property
    def log2(self) -> int:
        return self.entries.bit_length() - 1

    @property
    def length(self) -> int:
        """Bytes mapped for it: 16-byte records, at least a page."""
        return max(self.entries * 16, L.PAGE_SIZE)


@dataclass
class Registration:
    """A range of a process's memory registered for DMA: its pages pinned, each in one
    buffer-table entry from ``first`` on, tagged with the process's owner."""

    proc: Process
    vaddr: int
    length: int
    first: int
    pages: list[int]

    @property
    def iova(self) -> int:
        return (self.first << L.PAGE_SHIFT) + self.vaddr % L.PAGE_SIZE


@dataclass
class ViResource:
    """What a process receives for one VI: enough to drive it with no kernel on the data path."""

    vi: int
    owner: int
    process: Process
    doorbell: int  # virtual address of the VI's doorbell page in the process
    txq: Ring
    rxq: Ring
    evq: Ring

    @property
    def rings(self) -> tuple[Ring, Ring, Ring]:
        return (self.txq, self.rxq, self.evq)


@dataclass(frozen=True)
class Filter:
    protocol: int
    local_ip: str
    local_port: int
    remote_ip: str | None = None  # with remote_port: a full 5-tuple filter
    remote_port: int | None = None

    @property
    def full(self) -> bool:
        return self.remote_ip is not None


def _ip(addr: str) -> int:
    return int(ipaddress.IPv4Address(addr))


def _check_ring(name: str, entries: int, max_log2: int) -> None:
    if entries < 2 or entries & (entries - 1) or entries > 1 << max_log2:
        raise ValueError(f"{name} size {entries} must be a power of two from 2 to {1 << max_log2}")


class KernelDriver:
    KERNEL_OWNER = 1

    def __init__(self, os, bus: RegisterBus, mac: bytes = bytes.fromhex("020000000001")):
        if len(mac) != 6:
            raise ValueError("a MAC address is 6 bytes")
        self.os = os
        self.bus = bus
        self.mac = mac
        self.info: NicInfo | None = None
        self._owners: dict[int, int] = {os.kernel.pid: self.KERNEL_OWNER}
        self._vis: dict[int, ViResource] = {}
        self._bt_free: list[tuple[int, int]] = []  # free ranges of buffer-table entries
        self._filters: dict[int, tuple[Filter, int]] = {}  # slot -> (filter, vi)
        self._registrations: dict[int, Registration] = {}  # by first buffer-table entry
        # pages of removed registrations, still pinned: DMA that translated them before the
        # invalidation may still be in flight until the NIC's DMA fence completes
        self._unfenced: list[int] = []
        self._fencing = 0  # pages of the batches being fenced now
        # called when pages start waiting for a fence; the host runs complete_fences() then
        # (a kernel worker), so they go back to the OS without anyone polling in a hot path
        self.fence_waker = None
        os.exit_hooks.append(self.release_process)
        self.tunnel = None  # split mode: the kernel/user-space interface (offer_tunnel)

    # ----------------------------------------------------------------------------- bring-up
    async def probe(self) -> NicInfo:
        ident = await self.bus.read32(L.PRIV_REG["ID"])
        if ident != L.NIC_ID:
            raise NicError(f"no NIC here: ID register reads {ident:#010x}, "
                           f"expected {L.NIC_ID:#010x}")
        version = await self.bus.read32(L.PRIV_REG["VERSION"])
        if version >> 16 != L.NIC_VERSION >> 16:
            raise NicError(f"NIC version {version:#x} is not supported (driver knows "
                           f"{L.NIC_VERSION:#x})")
        c0 = await self.bus.read32(L.PRIV_REG["CONFIG0"])
        c1 = await self.bus.read32(L.PRIV_REG["CONFIG1"])
        self.info = NicInfo(
            num_vi=c0 & 0xFF,
            buftbl_entries=1 << ((c0 >> 8) & 0xFF),
            filter_entries=1 << ((c0 >> 16) & 0xFF),
            data_width=8 * (c0 >> 24),
            tx_max_frame=c1 & 0xFFFF,
            max_ring_log2=(c1 >> 16) & 0xFF,
        )
        # entry 0 stays invalid so IOVA 0 always faults
        self._bt_free = [(1, self.info.buftbl_entries - 1)]
        w = self.bus.write32
        w(L.PRIV_REG["MAC_HI"], int.from_bytes(self.mac[:2], "big"))
        w(L.PRIV_REG["MAC_LO"], int.from_bytes(self.mac[2:], "big"))
        w(L.PRIV_REG["CONTROL"], 0b11)
        return self.info

    def owner_of(self, proc: Process) -> int:
        """The owner tag of a process (its protection domain on the NIC)."""
        if proc.pid not in self._owners:
            self._owners[proc.pid] = max(self._owners.values()) + 1
            if self._owners[proc.pid] > 0xFFFF:
                raise ResourceExhausted("no owner tag left")
        return self._owners[proc.pid]

    # --------------------------------------------------------------------------- buffer table
    def _alloc_entries(self, n: int) -> int:
        for i, (first, count) in enumerate(self._bt_free):
            if count >= n:
                self._bt_free[i] = (first + n, count - n)
                return first
        raise ResourceExhausted(f"buffer table has no run of {n} free entries")

    def register_memory(self, proc: Process, vaddr: int, length: int) -> int:
        """Pin and register a page-aligned range of ``proc``'s memory; return its IOVA.

        The range gets consecutive IOVA pages, each mapped to the page's physical address and
        tagged with the process's owner, so only that process's VIs can DMA to or from it.
        """
        if self.info is None:
            raise NicError("probe() the NIC first")
        pages = proc.physical_pages(vaddr, length)
        owner = self.owner_of(proc)
        first = self._alloc_entries(len(pages))
        w = self.bus.write32
        for i, paddr in enumerate(pages):
            self.os.phys.pin(paddr)  # the process may unmap it: the NIC still may DMA to it
            w(L.PRIV_REG["BT_INDEX"], first + i)
            w(L.PRIV_REG["BT_PAGE"], paddr >> L.PAGE_SHIFT)
            w(L.PRIV_REG["BT_OWNER"], (1 << 31) | owner)
            w(L.PRIV_REG["BT_COMMIT"], 1)
        reg = self._registrations[first] = Registration(proc, vaddr, length, first, pages)
        return reg.iova

    def unregister_memory(self, iova: int, length: int) -> None:
        """Remove a registration (the IOVA and length ``register_memory`` gave and took): its
        buffer-table entries are invalidated and a DMA fence is started. Its pages stay pinned
        until the fence completes (``complete_fences``): an engine may still hold their old
        translation, or have a burst to them in flight. Then they are unpinned (a page its
        process unmapped meanwhile is freed then)."""
        first = iova >> L.PAGE_SHIFT
        npages = -(-(iova % L.PAGE_SIZE + length) // L.PAGE_SIZE)
        reg = self._registrations.get(first)
        if reg is None or len(reg.pages) != npages:
            raise ValueError(f"IOVA {iova:#x} (+{length}) is not a registration")
        del self._registrations[first]
        w = self.bus.write32
        for i in range(npages):
            w(L.PRIV_REG["BT_INDEX"], first + i)
            w(L.PRIV_REG["BT_OWNER"], 0)
            w(L.PRIV_REG["BT_COMMIT"], 1)
        # the fence covers every lookup made before it: the invalidations are taken first, as
        # writes complete in order
        w(L.PRIV_REG["BT_FENCE"], 1)
        self._unfenced.extend(reg.pages)
        # an entry may be reused at once: DMA in flight holds the physical page, not the entry
        self._bt_free.append((first, npages))
        if self.fence_waker is not None:
            self.fence_waker()

    @property
    def pages_awaiting_fence(self) -> int:
        """Pages of removed registrations still pinned until a DMA fence completes."""
        return len(self._unfenced) + self._fencing

    # status reads before a fence counts as stuck: about 1 ms of simulated register reads, far
    # beyond any DMA's latency (a read of the status register takes some 15 cycles)
    FENCE_POLLS = 20_000

    async def fence_status(self) -> dict[str, int]:
        """BT_FENCE_STATUS decoded (the status read does not pass the writes posted before
        it): a fence in progress, the current epoch, the sticky accounting error, a queued
        fence, the translations the fence waits for and those of the current epoch."""
        st = await self.bus.read32(L.PRIV_REG["BT_FENCE_STATUS"])
        return {"busy": st & 1, "epoch": (st >> 1) & 1, "error": (st >> 2) & 1,
                "queued": (st >> 3) & 1, "waiting": (st >> 4) & 0xFFF,
                "inflight": (st >> 16) & 0xFFF}

    async def wait_fence(self) -> None:
        """Wait until every DMA fence started so far has completed: no DMA that used a
        translation looked up before the last BT_FENCE write is still in flight."""
        for _ in range(self.FENCE_POLLS):
            st = await self.fence_status()
            if st["error"]:
                raise NicError("DMA fence accounting error: an engine retired a translation "
                               "it was never given, so fences cannot be trusted")
            if not st["busy"]:
                return
        raise NicError(f"DMA fence still running after {self.FENCE_POLLS} status reads "
                       f"({st['waiting']} translations of the fenced epoch in flight)")

    async def complete_fences(self) -> int:
        """Wait for the DMA fence of every removed registration and unpin their pages;
        returns how many pages went back. Pages removed while waiting are covered by the next
        round. Callers may overlap: each takes its own batch."""
        done = 0
        while self._unfenced:
            batch, self._unfenced = self._unfenced, []
            self._fencing += len(batch)
            try:
                await self.wait_fence()
            except BaseException:
                self._unfenced[:0] = batch  # still pinned: a later fence may free them
                raise
            finally:
                self._fencing -= len(batch)
            for paddr in batch:
                self.os.phys.unpin(paddr)
            done += len(batch)
        return done

    def registrations_of(self, proc: Process) -> list[Registration]:
        return [r for r in self._registrations.values() if r.proc is proc]

    def iova_owner(self, page: int) -> Process | None:
        """The process whose registration holds IOVA page ``page`` (buffer-table entry), if
        any: the only one whose VIs the NIC lets DMA through that page."""
        for reg in self._registrations.values():
            if reg.first <= page < reg.first + len(reg.pages):
                return reg.proc
        return None

    # ------------------------------------------------------------------------------------ VIs
    def _ring(self, proc: Process, entries: int) -> Ring:
        size = Ring(0, 0, entries).length
        vaddr = proc.mmap_anonymous(size)
        return Ring(vaddr, self.register_memory(proc, vaddr, size), entries)

    def alloc_vi(self, proc: Process, txq_entries: int = 256, rxq_entries: int = 256,
                 evq_entries: int | None = None, vi: int | None = None,
                 irq_moderation_cycles: int = 0) -> ViResource:
        """Give ``proc`` a VI: rings and event queue in its memory, its doorbell page mapped.

        The event queue holds at least one event per TX and RX descriptor (the default), so it
        cannot overflow while the process reclaims descriptors only from events.
        """
        if self.info is None:
            raise NicError("probe() the NIC first")
        if evq_entries is None:
            evq_entries = 1 << (txq_entries + rxq_entries - 1).bit_length()
        max_log2 = self.info.max_ring_log2
        _check_ring("TX ring", txq_entries, max_log2)
        _check_ring("RX ring", rxq_entries, max_log2)
        _check_ring("event queue", evq_entries, max_log2)
        if vi is None:
            free = [v for v in range(1, self.info.num_vi) if v not in self._vis]
            if proc is self.os.kernel and 0 not in self._vis:
                free.insert(0, 0)
            if not free:
                raise ResourceExhausted(f"all {self.info.num_vi} VIs are in use")
            vi = free[0]
        elif not 0 <= vi < self.info.num_vi or vi in self._vis:
            raise ValueError(f"VI {vi} does not exist or is in use")
        res = ViResource(
            vi=vi, owner=self.owner_of(proc), process=proc,
            doorbell=proc.map_registers(self.bus, L.vi_page_base(vi)),
            txq=self._ring(proc, txq_entries), rxq=self._ring(proc, rxq_entries),
            evq=self._ring(proc, evq_entries),
        )
        self._vis[vi] = res
        self._program_vi(res, irq_moderation_cycles)
        return res

    def _program_vi(self, res: ViResource, irq_moderation_cycles: int) -> None:
        w = self.bus.write32
        r = L.PRIV_REG
        w(r["VI_SELECT"], res.vi)
        w(r["VI_OWNER"], res.owner)
        for name, ring in (("TXQ", res.txq), ("RXQ", res.rxq), ("EVQ", res.evq)):
            w(r[f"VI_{name}_BASE_LO"], ring.iova & 0xFFFFFFFF)
            w(r[f"VI_{name}_BASE_HI"], ring.iova >> 32)
            w(r[f"VI_{name}_LOG2"], ring.log2)
        w(r["VI_IRQ_MOD"], irq_moderation_cycles)
        w(r["VI_COMMIT"], 1)

    async def reset_vi(self, res: ViResource) -> None:
        """Re-enable a VI (after a fault, or to start it afresh): its indices restart at zero and
        its queues are cleared. The VI is disabled first, and its rings cleared only once the
        NIC has taken that (the status read returns after the disabling write, as reads do not
        pass posted writes) and has no event write of it in flight: a VI still live would read
        the cleared descriptors, a late event would land in the cleared queue. The NIC then
        discards whatever of the old configuration was still queued (a new generation)."""
        w = self.bus.write32
        w(L.PRIV_REG["VI_SELECT"], res.vi)
        w(L.PRIV_REG["VI_COMMIT"], 0)
        await self.quiesce_events(res.vi)
        for ring in res.rings:
            res.process.write(ring.vaddr, bytes(ring.entries * 16))
        self._program_vi(res, 0)

    def free_vi(self, res: ViResource) -> None:
        """Take a VI back: disabled, its filters removed, and nothing of it left to its
        process: its doorbell page, rings and their registrations are unmapped and removed, so
        the process cannot touch what the VI's next owner gets. The process's own packet
        buffers go with its last VI: unregistered and unmapped."""
        if self._vis.get(res.vi) is not res:
            raise ValueError(f"VI {res.vi} is not allocated to {res.process.name}")
        proc = res.process
        w = self.bus.write32
        w(L.PRIV_REG["VI_SELECT"], res.vi)
        w(L.PRIV_REG["VI_COMMIT"], 0)
        for slot in [s for s, (_, v) in self._filters.items() if v == res.vi]:
            self.remove_filter(slot)
        del self._vis[res.vi]
        proc.munmap(res.doorbell, L.PAGE_SIZE)
        for ring in res.rings:
            self.unregister_memory(ring.iova, ring.length)
            proc.munmap(ring.vaddr, ring.length)
        if not any(other.process is proc for other in self._vis.values()):
            for reg in self.registrations_of(proc):
                self.unregister_memory(reg.iova, reg.length)
                proc.munmap(reg.vaddr, reg.length)

    def release_process(self, proc: Process) -> None:
        """A process exits: its VIs (with their filters) and every registration it holds are
        taken back before its pages go back to the OS."""
        for res in [r for r in self._vis.values() if r.process is proc]:
            self.free_vi(res)
        for reg in self.registrations_of(proc):
            self.unregister_memory(reg.iova, reg.length)

    EVQ_QUIESCE_POLLS = 1000

    async def quiesce_events(self, vi: int) -> None:
        """Wait until no event write of disabled VI ``vi`` is still in flight (VI_STATUS
        bit 2): after that nothing the NIC had under way can land in its event queue."""
        for _ in range(self.EVQ_QUIESCE_POLLS):
            st = await self.vi_status(vi)
            if st["enabled"]:
                raise NicError(f"VI {vi} is enabled: its event writes never stop")
            if not st["evq_busy"]:
                return
        raise NicError(f"VI {vi}: event writes still in flight after "
                       f"{self.EVQ_QUIESCE_POLLS} status reads")

    async def vi_status(self, vi: int) -> dict[str, int]:
        self.bus.write32(L.PRIV_REG["VI_SELECT"], vi)
        st = await self.bus.read32(L.PRIV_REG["VI_STATUS"])
        ev = await self.bus.read32(L.PRIV_REG["VI_EVQ_PROD"])
        return {"enabled": st & 1, "faulted": (st >> 1) & 1, "evq_busy": (st >> 2) & 1,
                "fault_code": (st >> 8) & 0xFF,
                "tx_consumer": st >> 16, "evq_producer": ev & 0xFFFF, "rx_consumer": ev >> 16}

    # -------------------------------------------------------------------------------- filters
    def insert_filter(self, flt: Filter, vi: int) -> int:
        """Steer matching frames to ``vi``; return the filter slot."""
        if self.info is None:
            raise NicError("probe() the NIC first")
        if vi not in self._vis:
            raise ValueError(f"VI {vi} is not allocated")
        if flt.protocol not in (L.IPPROTO_TCP, L.IPPROTO_UDP):
            raise ValueError(f"filters match TCP or UDP, not protocol {flt.protocol}")
        if (flt.remote_ip is None) != (flt.remote_port is None):
            raise ValueError("a full filter needs both remote_ip and remote_port")
        for slot, (existing, _) in self._filters.items():
            if existing == flt:
                raise FilterExists(f"{flt} is already installed in slot {slot}")
        free = [s for s in range(self.info.filter_entries) if s not in self._filters]
        if not free:
            raise ResourceExhausted(f"all {self.info.filter_entries} filter slots are in use")
        slot = free[0]
        w = self.bus.write32
        r = L.PRIV_REG
        w(r["FILT_INDEX"], slot)
        w(r["FILT_LOCAL_IP"], _ip(flt.local_ip))
        w(r["FILT_PORTS"], flt.local_port | ((flt.remote_port or 0) << 16))
        w(r["FILT_REMOTE_IP"], _ip(flt.remote_ip) if flt.full else 0)
        w(r["FILT_CTRL"], 1 | (int(flt.full) << 1) | (flt.protocol << 8) | (vi << 16))
        w(r["FILT_COMMIT"], 1)
        self._filters[slot] = (flt, vi)
        return slot

    def remove_filter(self, slot: int) -> None:
        if slot not in self._filters:
            raise ValueError(f"filter slot {slot} is not in use")
        w = self.bus.write32
        w(L.PRIV_REG["FILT_INDEX"], slot)
        w(L.PRIV_REG["FILT_CTRL"], 0)
        w(L.PRIV_REG["FILT_COMMIT"], 1)
        del self._filters[slot]

    # ------------------------------------------------------- split mode: the kernel/user interface
    def offer_tunnel(self, tunnel) -> None:
        """Split mode: the kernel's own frames go through ``tunnel`` (a
        ``host.kernel.tunnel.KernelTunnel``), which a user-space driver opens to carry them."""
        self.tunnel = tunnel

    def open_tunnel(self, proc: Process, wake_driver):
        """Attach ``proc`` as the user-space driver: the tunnel's shared pages are mapped into
        it; ``wake_driver()`` is how the kernel wakes it. Returns a ``TunnelMapping``."""
        if self.tunnel is None:
            raise NicError("this host is not in split mode: it has no kernel/user-space "
                           "interface to open")
        return self.tunnel.connect(proc, wake_driver)

    def close_tunnel(self, proc: Process) -> None:
        if self.tunnel is None or self.tunnel.driver is not proc:
            raise ValueError(f"{proc.name} is not attached to the kernel/user-space interface")
        self.tunnel.disconnect()

    # ----------------------------------------------------------------------------- statistics
    async def read_stats(self) -> dict[str, int]:
        return {name: await self.bus.read32(L.stat_offset(name)) for name, _ in L.STATS}
