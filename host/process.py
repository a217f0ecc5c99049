"""The OS model: processes with their own virtual address spaces over host physical memory.

A process sees only what was mapped into it: anonymous memory (physical pages, scattered) and
device register pages (one VI's doorbell page). Touching anything else raises ``PageFault``, as a
real process would get SIGSEGV. Writes to a register page are posted writes on the NIC's
register bus (``RegisterBus.write32``), the way a store to a mapped BAR page is on PCIe.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

from host.layout import PAGE_SHIFT, PAGE_SIZE
from host.memory import PhysicalMemory


class PageFault(Exception):
    """A process touched a virtual address it has no mapping for (or the wrong kind of one)."""

    def __init__(self, process: Process, vaddr: int, why: str):
        super().__init__(f"{process.name}: page fault at {vaddr:#x}: {why}")
        self.process = process
        self.vaddr = vaddr


class RegisterBus(Protocol):
    """The NIC's register space (the BAR) as the host sees it."""

    def write32(self, offset: int, value: int) -> None:
        """Posted write: returns at once; writes reach the device in order."""

    async def read32(self, offset: int) -> int:
        """Non-posted read: completes when the device answers."""


@dataclass(frozen=True)
class RamPage:
    paddr: int


@dataclass(frozen=True)
class SharedPage(RamPage):
    """A RAM page another address space owns, mapped here too (memory shared with the kernel):
    unmapping it here does not free it."""


@dataclass(frozen=True)
class RegisterPage:
    bus: RegisterBus
    offset: int  # byte offset of this page in the register space


USER_BASE = 0x10_0000_0000  # where anonymous mappings start in every process


class Process:
    def __init__(self, os: OperatingSystem, pid: int, name: str):
        self.os = os
        self.pid = pid
        self.name = name
        self._pages: dict[int, RamPage | RegisterPage] = {}
        self._next_vpage = USER_BASE >> PAGE_SHIFT

    def __repr__(self) -> str:
        return f"Process({self.pid}, {self.name!r})"

    # -------------------------------------------------------------------- mapping (kernel side)
    def _reserve(self, npages: int) -> int:
        vpage = self._next_vpage
        self._next_vpage += npages + 1  # an unmapped guard page after every mapping
        return vpage

    def mmap_anonymous(self, length: int) -> int:
        """Map ``length`` bytes (rounded up to pages) of fresh zeroed memory; return the address."""
        if length <= 0:
            raise ValueError(f"mapping length must be positive, not {length}")
        npages = -(-length // PAGE_SIZE)
        vpage = self._reserve(npages)
        for i in range(npages):
            self._pages[vpage + i] = RamPage(self.os.phys.alloc_page())
        return vpage << PAGE_SHIFT

    def map_registers(self, bus: RegisterBus, offset: int) -> int:
        """Map one page of a device's register space; return its virtual address."""
        if offset % PAGE_SIZE:
            raise ValueError(f"register page offset {offset:#x} is not page aligned")
        vpage = self._reserve(1)
        self._pages[vpage] = RegisterPage(bus, offset)
        return vpage << PAGE_SHIFT

    def map_shared(self, paddrs: list[int]) -> int:
        """Map physical pages that another address space owns (the kernel's, shared with this
        process); return the virtual address of the first. The owner frees them, not us."""
        if not paddrs:
            raise ValueError("a shared mapping needs at least one page")
        vpage = self._reserve(len(paddrs))
        for i, paddr in enumerate(paddrs):
            if paddr % PAGE_SIZE:
                raise ValueError(f"{paddr:#x} is not a page address")
            self._pages[vpage + i] = SharedPage(paddr)
        return vpage << PAGE_SHIFT

    def munmap(self, vaddr: int, length: int) -> None:
        for vpage in range(vaddr >> PAGE_SHIFT, -(-(vaddr + length) // PAGE_SIZE)):
            page = self._pages.pop(vpage, None)
            if isinstance(page, RamPage) and not isinstance(page, SharedPage):
                self.os.phys.free_page(page.paddr)

    def register_pages(self) -> dict[int, int]:
        """Mapped device register pages: virtual address -> offset in the register space."""
        return {vpage << PAGE_SHIFT: p.offset for vpage, p in self._pages.items()
                if isinstance(p, RegisterPage)}

    def ram_pages(self) -> list[int]:
        """Physical address of every RAM page mapped into the process."""
        return [p.paddr for p in self._pages.values() if isinstance(p, RamPage)]

    def physical_pages(self, vaddr: int, length: int) -> list[int]:
        """Physical address of every page of a RAM range (what get_user_pages gives a driver)."""
        if vaddr % PAGE_SIZE:
            raise ValueError(f"{vaddr:#x} is not page aligned")
        out = []
        for vpage in range(vaddr >> PAGE_SHIFT, -(-(vaddr + length) // PAGE_SIZE)):
            out.append(self._ram(vpage << PAGE_SHIFT).paddr)
        return out

    def physical_address(self, vaddr: int) -> int:
        """Physical address of one byte of the process's RAM."""
        return self._ram(vaddr).paddr + vaddr % PAGE_SIZE

    # ----------------------------------------------------------------- access (process side)
    def _ram(self, vaddr: int) -> RamPage:
        page = self._pages.get(vaddr >> PAGE_SHIFT)
        if page is None:
            raise PageFault(self, vaddr, "not mapped")
        if not isinstance(page, RamPage):
            raise PageFault(self, vaddr, "register page used as memory")
        return page

    def view(self, vaddr: int, length: int) -> memoryview:
        """Direct, writable view of memory that lies within one page (no copy)."""
        off = vaddr % PAGE_SIZE
        if off + length > PAGE_SIZE:
            raise ValueError(f"view of {length} bytes at {vaddr:#x} crosses a page boundary")
        paddr = self._ram(vaddr).paddr
        return self.os.phys.view[paddr + off:paddr + off + length]

    def _chunks(self, vaddr: int, length: int):
        while length > 0:
            n = min(length, PAGE_SIZE - vaddr % PAGE_SIZE)
            yield vaddr, n
            vaddr += n
            length -= n

    def read(self, vaddr: int, length: int) -> bytes:
        return b"".join(bytes(self.view(a, n)) for a, n in self._chunks(vaddr, length))

    def write(self, vaddr: int, data: bytes | memoryview) -> None:
        pos = 0
        for a, n in self._chunks(vaddr, len(data)):
            self.view(a, n)[:] = data[pos:pos + n]
            pos += n

    def write32(self, vaddr: int, value: int) -> None:
        """A 32-bit store: to memory, or a posted write if the page is a register page."""
        page = self._pages.get(vaddr >> PAGE_SHIFT)
        if isinstance(page, RegisterPage):
            if vaddr % 4:
                raise PageFault(self, vaddr, "unaligned register access")
            page.bus.write32(page.offset + vaddr % PAGE_SIZE, value)
        else:
            self.write(vaddr, (value & 0xFFFFFFFF).to_bytes(4, "little"))


class OperatingSystem:
    """Owns physical memory and the processes; process 0 is the kernel's own address space."""

    def __init__(self, phys: PhysicalMemory):
        self.phys = phys
        self._pids = itertools.count()
        self.processes: dict[int, Process] = {}
        # what holds a process's resources lets go of them when it exits, before its pages are
        # freed (the NIC driver: its VIs, filters and registrations)
        self.exit_hooks: list = []
        self.kernel = self.spawn("kernel")

    def spawn(self, name: str) -> Process:
        pid = next(self._pids)
        proc = Process(self, pid, name)
        self.processes[pid] = proc
        return proc

    def exit(self, proc: Process) -> None:
        """``proc`` ends: the exit hooks release what it holds, then every mapping goes (its
        pages are freed, or stay pinned while a device still has them registered)."""
        if proc is self.kernel or self.processes.get(proc.pid) is not proc:
            raise ValueError(f"{proc!r} is not a running process")
        for hook in self.exit_hooks:
            hook(proc)
        for vpage in list(proc._pages):
            proc.munmap(vpage << PAGE_SHIFT, PAGE_SIZE)
        del self.processes[proc.pid]
