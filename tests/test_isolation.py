"""Isolation where memory and NIC resources change hands: on the host alone (memory pinned
while registered, a freed VI or an exited process leaving nothing behind) and through the
simulated NIC (tb/scenarios/test_isolation.py)."""

import asyncio

import pytest

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter, NicError, ResourceExhausted
from host.memory import OutOfMemory
from host.process import PageFault
from tests.simtests import cocotb_tests, run_scenario

MODULE = "tb.scenarios.test_isolation"


@pytest.mark.sim
@pytest.mark.xdist_group("tb_nic_512")
@pytest.mark.parametrize("testcase", cocotb_tests(MODULE))
def test_isolation_512(testcase):
    run_scenario("tb_nic", MODULE, testcase, data_width=512, dma_latency=125)


# ------------------------------------------------- host side: memory and VIs changing hands


def host_setup():
    """An OS, a register-space model of a 4-VI NIC (every write recorded) and its driver."""
    from tests.test_drivers import setup

    return setup()


def invalidated(regs) -> set[int]:
    """Buffer-table entries written invalid (owner 0) so far."""
    return {staged[L.PRIV_REG["BT_INDEX"]] for staged, _ in regs.staged("BT_COMMIT")
            if staged[L.PRIV_REG["BT_OWNER"]] == 0}


def test_registered_pages_stay_pinned_until_unregistered():
    """A process unmaps memory it registered with the NIC: the pages are not handed to the next
    process that asks for memory (the NIC may still DMA to them) until the registration goes;
    then they are free again."""
    os_, _, kernel = host_setup()
    a = os_.spawn("a")
    va = a.mmap_anonymous(2 * L.PAGE_SIZE)
    iova = kernel.register_memory(a, va, 2 * L.PAGE_SIZE)
    pinned = set(a.physical_pages(va, 2 * L.PAGE_SIZE))
    a.munmap(va, 2 * L.PAGE_SIZE)
    with pytest.raises(PageFault):
        a.read(va, 1)
    b = os_.spawn("b")
    taken = set()
    with pytest.raises(OutOfMemory):
        while True:
            taken.add(b.physical_address(b.mmap_anonymous(L.PAGE_SIZE)))
    assert not taken & pinned, "a page registered with the NIC was given to another process"
    kernel.unregister_memory(iova, 2 * L.PAGE_SIZE)
    # still pinned until the NIC's DMA fence says no DMA through the old entries is in flight
    assert os_.phys.free_pages == 0 and kernel.pages_awaiting_fence == 2
    assert asyncio.run(kernel.complete_fences()) == 2
    assert os_.phys.free_pages == 2 and not any(os_.phys.is_pinned(p) for p in pinned)
    again = {b.physical_address(b.mmap_anonymous(L.PAGE_SIZE)) for _ in range(2)}
    assert again == pinned


def test_unregistering_fences_after_the_invalidations_and_waits_for_the_fence():
    """The BT_FENCE write follows the entries' invalidation (writes complete in order, so the
    fence covers every lookup of the old entries); pages stay pinned while the NIC reports the
    fence running, and a fence that never ends, or an accounting error, is a precise error."""
    os_, regs, kernel = host_setup()
    a = os_.spawn("a")
    va = a.mmap_anonymous(3 * L.PAGE_SIZE)
    iova = kernel.register_memory(a, va, 3 * L.PAGE_SIZE)
    pages = a.physical_pages(va, 3 * L.PAGE_SIZE)
    mark = len(regs.writes)
    kernel.unregister_memory(iova, 3 * L.PAGE_SIZE)
    after = [off for off, _ in regs.writes[mark:]]
    assert after.count(L.PRIV_REG["BT_COMMIT"]) == 3
    assert after[-1] == L.PRIV_REG["BT_FENCE"], "the fence must come after the invalidations"
    status = L.PRIV_REG["BT_FENCE_STATUS"]
    regs.regs[status] = 1  # fence in progress
    kernel.FENCE_POLLS = 5
    with pytest.raises(NicError, match="DMA fence still running after 5 status reads"):
        asyncio.run(kernel.complete_fences())
    assert all(os_.phys.is_pinned(p) for p in pages) and kernel.pages_awaiting_fence == 3
    regs.regs[status] = 0b101
    with pytest.raises(NicError, match="accounting error"):
        asyncio.run(kernel.complete_fences())
    assert all(os_.phys.is_pinned(p) for p in pages)
    regs.regs[status] = 0
    assert asyncio.run(kernel.complete_fences()) == 3
    assert not any(os_.phys.is_pinned(p) for p in pages) and kernel.pages_awaiting_fence == 0


def test_unregistering_a_range_that_is_not_a_registration_is_refused():
    os_, _, kernel = host_setup()
    a = os_.spawn("a")
    va = a.mmap_anonymous(2 * L.PAGE_SIZE)
    iova = kernel.register_memory(a, va, 2 * L.PAGE_SIZE)
    with pytest.raises(ValueError, match="not a registration"):
        kernel.unregister_memory(iova, L.PAGE_SIZE)
    with pytest.raises(ValueError, match="not a registration"):
        kernel.unregister_memory(iova + 4 * L.PAGE_SIZE, L.PAGE_SIZE)


def test_free_vi_leaves_its_process_nothing_of_it():
    """After ``free_vi`` the old process cannot ring the doorbell (its page is unmapped, so the
    store faults instead of reaching the VI's next owner), its rings and packet buffers are
    unmapped, their buffer-table entries invalidated and their pages free."""
    os_, regs, kernel = host_setup()
    free_before = os_.phys.free_pages
    a = os_.spawn("a")
    res = kernel.alloc_vi(a, txq_entries=16, rxq_entries=16)
    pool = BufferPool(kernel, a, 4)
    entries = {reg.first + i for reg in kernel.registrations_of(a)
               for i in range(len(reg.pages))}
    kernel.free_vi(res)
    b = os_.spawn("b")
    again = kernel.alloc_vi(b, txq_entries=16, rxq_entries=16)
    assert again.vi == res.vi
    writes = len(regs.writes)
    with pytest.raises(PageFault):
        a.write32(res.doorbell + L.VI_REG["TX_DOORBELL"], 1)
    assert len(regs.writes) == writes, "the old owner's doorbell store reached the NIC"
    for vaddr in [ring.vaddr for ring in res.rings] + [pool.vaddr]:
        with pytest.raises(PageFault):
            a.read(vaddr, 16)
    assert not kernel.registrations_of(a) and entries <= invalidated(regs)
    kernel.free_vi(again)
    assert os_.phys.free_pages == free_before - kernel.pages_awaiting_fence
    asyncio.run(kernel.complete_fences())
    assert os_.phys.free_pages == free_before


def test_free_vi_keeps_the_buffers_of_a_process_that_has_another_vi():
    os_, _, kernel = host_setup()
    a = os_.spawn("a")
    first = kernel.alloc_vi(a, txq_entries=16, rxq_entries=16)
    second = kernel.alloc_vi(a, txq_entries=16, rxq_entries=16)
    pool = BufferPool(kernel, a, 4)
    kernel.free_vi(first)
    assert [r.vaddr for r in kernel.registrations_of(a)] == \
        [ring.vaddr for ring in second.rings] + [pool.vaddr]
    a.write(pool.vaddr, b"still mine")
    a.write32(second.doorbell + L.VI_REG["TX_DOORBELL"], 0)
    with pytest.raises(ValueError, match="not allocated"):
        kernel.free_vi(first)


def test_a_process_that_exits_gives_back_its_vis_filters_and_memory():
    os_, regs, kernel = host_setup()
    free_before = os_.phys.free_pages
    a = os_.spawn("a")
    res = kernel.alloc_vi(a, txq_entries=16, rxq_entries=16)
    BufferPool(kernel, a, 8)
    kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.1", 9000), res.vi)
    os_.exit(a)
    assert a.pid not in os_.processes and not kernel.registrations_of(a)
    staged, commit = regs.staged("FILT_COMMIT")[-1]
    assert staged[L.PRIV_REG["FILT_CTRL"]] == 0, "the filter was not removed"
    # its registered pages come back only once the DMA fence has completed
    assert kernel.pages_awaiting_fence > 0
    assert os_.phys.free_pages == free_before - kernel.pages_awaiting_fence
    asyncio.run(kernel.complete_fences())
    assert os_.phys.free_pages == free_before
    assert kernel.alloc_vi(os_.spawn("b"), txq_entries=16, rxq_entries=16).vi == res.vi
    with pytest.raises(ValueError, match="not a running process"):
        os_.exit(a)


def test_a_full_buffer_table_is_a_precise_error_and_recovers():
    """Registrations until the buffer table is full: the next one fails with ResourceExhausted
    naming the table, changes nothing (no entry written, no page pinned), and succeeds once an
    earlier registration is removed."""
    os_, regs, kernel = host_setup()
    a = os_.spawn("a")
    chunks = []
    with pytest.raises(ResourceExhausted, match="buffer table"):
        while True:
            va = a.mmap_anonymous(16 * L.PAGE_SIZE)
            chunks.append((va, kernel.register_memory(a, va, 16 * L.PAGE_SIZE)))
    va_failed = a.mmap_anonymous(16 * L.PAGE_SIZE)  # the one that did not fit is mapped above
    assert len(chunks) == (kernel.info.buftbl_entries - 1) // 16  # entry 0 is never used
    writes = len(regs.writes)
    with pytest.raises(ResourceExhausted):
        kernel.register_memory(a, va_failed, 16 * L.PAGE_SIZE)
    assert len(regs.writes) == writes, "a refused registration wrote entries"
    assert not any(os_.phys.is_pinned(p) for p in a.physical_pages(va_failed, 16 * L.PAGE_SIZE))
    kernel.unregister_memory(chunks[3][1], 16 * L.PAGE_SIZE)
    iova = kernel.register_memory(a, va_failed, 16 * L.PAGE_SIZE)
    assert iova >> L.PAGE_SHIFT == chunks[3][1] >> L.PAGE_SHIFT, "the freed entries are reused"
