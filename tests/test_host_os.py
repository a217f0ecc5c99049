"""The OS model: address spaces, page faults, register pages."""

import pytest

from host.layout import PAGE_SIZE
from host.memory import OutOfMemory, PhysicalMemory
from host.process import OperatingSystem, PageFault


class RecordingBus:
    def __init__(self):
        self.writes = []

    def write32(self, offset, value):
        self.writes.append((offset, value))

    async def read32(self, offset):
        return 0


def make_os(pages=64):
    return OperatingSystem(PhysicalMemory(bytearray(pages * PAGE_SIZE)))


def test_anonymous_memory_is_private_and_scattered():
    os_ = make_os()
    a, b = os_.spawn("a"), os_.spawn("b")
    va = a.mmap_anonymous(4 * PAGE_SIZE)
    vb = b.mmap_anonymous(PAGE_SIZE)
    a.write(va + PAGE_SIZE - 2, b"\x01\x02\x03\x04")  # straddles two pages
    assert a.read(va + PAGE_SIZE - 2, 4) == b"\x01\x02\x03\x04"
    pages = a.physical_pages(va, 4 * PAGE_SIZE)
    assert len(set(pages)) == 4 and 0 not in pages
    assert pages != sorted(pages) or pages[-1] - pages[0] != 3 * PAGE_SIZE  # not one block
    assert vb == va  # the same virtual address in two processes...
    assert b.read(vb + PAGE_SIZE - 2, 2) == bytes(2)  # ...is different memory
    with pytest.raises(PageFault):
        b.read(va + PAGE_SIZE, 1)  # a's second page means nothing in b


def test_view_is_the_physical_memory_itself():
    os_ = make_os()
    p = os_.spawn("p")
    va = p.mmap_anonymous(PAGE_SIZE)
    p.view(va + 100, 4)[:] = b"abcd"
    paddr = p.physical_pages(va, PAGE_SIZE)[0]
    assert os_.phys.read(paddr + 100, 4) == b"abcd"
    with pytest.raises(ValueError, match="crosses a page"):
        p.view(va + PAGE_SIZE - 2, 4)


def test_guard_pages_and_unmap_fault():
    os_ = make_os()
    p = os_.spawn("p")
    va = p.mmap_anonymous(PAGE_SIZE)
    with pytest.raises(PageFault):
        p.write(va + PAGE_SIZE, b"x")
    free_before = os_.phys.free_pages
    p.munmap(va, PAGE_SIZE)
    assert os_.phys.free_pages == free_before + 1
    with pytest.raises(PageFault):
        p.read(va, 1)


def test_register_page_is_a_posted_write_and_not_memory():
    os_ = make_os()
    p = os_.spawn("p")
    bus = RecordingBus()
    db = p.map_registers(bus, 3 * PAGE_SIZE)
    p.write32(db + 8, 0x1234)
    assert bus.writes == [(3 * PAGE_SIZE + 8, 0x1234)]
    with pytest.raises(PageFault, match="register page"):
        p.read(db, 4)
    with pytest.raises(PageFault, match="unaligned"):
        p.write32(db + 2, 1)


def test_out_of_memory_is_reported():
    os_ = make_os(pages=4)
    p = os_.spawn("p")
    with pytest.raises(OutOfMemory):
        p.mmap_anonymous(8 * PAGE_SIZE)


def test_a_process_sees_only_its_own_register_page():
    os_ = make_os()
    a, b = os_.spawn("a"), os_.spawn("b")
    bus = RecordingBus()
    da = a.map_registers(bus, 2 * PAGE_SIZE)
    b.map_registers(bus, 3 * PAGE_SIZE)
    assert a.register_pages() == {da: 2 * PAGE_SIZE}
    with pytest.raises(PageFault):
        a.write32(da + PAGE_SIZE, 1)  # the guard page after it
    assert bus.writes == []
