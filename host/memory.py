"""Host physical memory: one flat buffer (in simulation, the mmap the NIC's DMA port also sees)
with a page allocator. Pages are handed out from a shuffled free list, as a long-running OS
would, so a process's buffers are physically scattered and address translation is exercised.
"""

from __future__ import annotations

import random

from host.layout import PAGE_SHIFT, PAGE_SIZE


class OutOfMemory(MemoryError):
    pass


class PhysicalMemory:
    def __init__(self, buffer, *, reserved_pages: int = 1, seed: int = 0):
        self.view = memoryview(buffer).cast("B")
        self.size = len(self.view)
        if self.size % PAGE_SIZE:
            raise ValueError("physical memory size must be a whole number of pages")
        # page 0 is never handed out, so physical address 0 is never a valid buffer
        free = list(range(reserved_pages, self.size >> PAGE_SHIFT))
        random.Random(seed).shuffle(free)
        self._free = free
        self._allocated: set[int] = set()
        self._pins: dict[int, int] = {}  # page -> how many registrations hold it
        self._freed_while_pinned: set[int] = set()  # freed by their owner, returned at unpin

    @property
    def free_pages(self) -> int:
        return len(self._free)

    def alloc_page(self) -> int:
        """Allocate one zeroed page; return its physical address."""
        if not self._free:
            raise OutOfMemory("no free physical page")
        page = self._free.pop()
        self._allocated.add(page)
        addr = page << PAGE_SHIFT
        self.view[addr:addr + PAGE_SIZE] = bytes(PAGE_SIZE)
        return addr

    def free_page(self, addr: int) -> None:
        """Give a page back. A pinned page (registered with a device, which may still DMA to
        it) stays allocated until its last pin goes (``unpin``); only then can it be reused."""
        page = self._page(addr)
        if page in self._freed_while_pinned:
            raise ValueError(f"physical page {addr:#x} was already freed")
        if self._pins.get(page):
            self._freed_while_pinned.add(page)
            return
        self._allocated.remove(page)
        self._free.append(page)

    def _page(self, addr: int) -> int:
        page = addr >> PAGE_SHIFT
        if addr % PAGE_SIZE or page not in self._allocated:
            raise ValueError(f"physical address {addr:#x} is not an allocated page")
        return page

    def pin(self, addr: int) -> None:
        """Hold an allocated page for a device: freeing it waits until it is unpinned."""
        page = self._page(addr)
        if page in self._freed_while_pinned:
            raise ValueError(f"physical page {addr:#x} was freed: it cannot be pinned again")
        self._pins[page] = self._pins.get(page, 0) + 1

    def unpin(self, addr: int) -> None:
        page = self._page(addr)
        if not self._pins.get(page):
            raise ValueError(f"physical page {addr:#x} is not pinned")
        self._pins[page] -= 1
        if not self._pins[page]:
            del self._pins[page]
            if page in self._freed_while_pinned:
                self._freed_while_pinned.remove(page)
                self._allocated.remove(page)
                self._free.append(page)

    def is_pinned(self, addr: int) -> bool:
        return bool(self._pins.get(addr >> PAGE_SHIFT))

    def is_allocated(self, addr: int) -> bool:
        """Whether the page holding physical address ``addr`` is allocated (not free)."""
        return addr >> PAGE_SHIFT in self._allocated

    def page_view(self, addr: int) -> memoryview:
        """The bytes of the physical page at ``addr`` (no copy)."""
        if addr % PAGE_SIZE or not 0 <= addr < self.size:
            raise ValueError(f"{addr:#x} is not a page address")
        return self.view[addr:addr + PAGE_SIZE]

    def read(self, addr: int, length: int) -> bytes:
        return bytes(self.view[addr:addr + length])

    def write(self, addr: int, data: bytes) -> None:
        self.view[addr:addr + len(data)] = data
