"""Kernel and VI drivers against a register-space model (no simulator): what they program and
how they refuse bad requests."""

import asyncio

import pytest

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter, FilterExists, KernelDriver, NicError, ResourceExhausted
from host.driver.vi import RingFull, Vi, ViFaulted
from host.memory import PhysicalMemory
from host.process import OperatingSystem


class FakeNicRegisters:
    """Answers the probe like a NIC with 4 VIs and 4 filters; records every write."""

    def __init__(self, ident=L.NIC_ID):
        self.writes = []
        self.regs = {L.PRIV_REG["ID"]: ident, L.PRIV_REG["VERSION"]: L.NIC_VERSION,
                     L.PRIV_REG["CONFIG0"]: 4 | (8 << 8) | (2 << 16) | (64 << 24),
                     L.PRIV_REG["CONFIG1"]: L.TX_MAX_FRAME | (12 << 16)}

    def write32(self, offset, value):
        self.writes.append((offset, value))

    async def read32(self, offset):
        return self.regs.get(offset, 0)

    def staged(self, commit):
        """Group writes into the register values staged before each write to ``commit``."""
        out, cur = [], {}
        for off, val in self.writes:
            if off == L.PRIV_REG[commit]:
                out.append((dict(cur), val))
            else:
                cur[off] = val
        return out


def setup(ident=L.NIC_ID):
    os_ = OperatingSystem(PhysicalMemory(bytearray(512 * L.PAGE_SIZE)))
    regs = FakeNicRegisters(ident)
    kernel = KernelDriver(os_, regs)
    asyncio.run(kernel.probe())
    return os_, regs, kernel


def test_probe_refuses_a_device_that_is_not_the_nic():
    with pytest.raises(NicError, match="no NIC here"):
        setup(ident=0xDEADBEEF)


def test_probe_reads_the_configuration_and_enables_the_nic():
    _, regs, kernel = setup()
    assert kernel.info.num_vi == 4 and kernel.info.buftbl_entries == 256
    assert (L.PRIV_REG["CONTROL"], 3) in regs.writes


def test_register_memory_maps_each_page_with_the_owner_tag():
    os_, regs, kernel = setup()
    p = os_.spawn("app")
    va = p.mmap_anonymous(3 * L.PAGE_SIZE)
    iova = kernel.register_memory(p, va, 3 * L.PAGE_SIZE)
    entries = regs.staged("BT_COMMIT")[-3:]
    pages = p.physical_pages(va, 3 * L.PAGE_SIZE)
    for i, (staged, _) in enumerate(entries):
        assert staged[L.PRIV_REG["BT_INDEX"]] == (iova >> 12) + i
        assert staged[L.PRIV_REG["BT_PAGE"]] == pages[i] >> 12
        assert staged[L.PRIV_REG["BT_OWNER"]] == (1 << 31) | kernel.owner_of(p)
    assert kernel.owner_of(p) != kernel.owner_of(os_.kernel)


def test_alloc_vi_programs_rings_and_maps_only_its_doorbell_page():
    os_, regs, kernel = setup()
    p = os_.spawn("app")
    res = kernel.alloc_vi(p, txq_entries=64, rxq_entries=32)
    staged, commit = regs.staged("VI_COMMIT")[-1]
    assert commit == 1 and staged[L.PRIV_REG["VI_SELECT"]] == res.vi != 0
    assert staged[L.PRIV_REG["VI_TXQ_LOG2"]] == 6 and staged[L.PRIV_REG["VI_RXQ_LOG2"]] == 5
    assert res.evq.entries >= 96  # room for one event per descriptor
    assert staged[L.PRIV_REG["VI_OWNER"]] == kernel.owner_of(p)
    p.write32(res.doorbell, 5)
    assert regs.writes[-1] == (L.vi_page_base(res.vi), 5)


def test_bad_ring_sizes_and_exhaustion_are_precise_errors():
    os_, _, kernel = setup()
    p = os_.spawn("app")
    with pytest.raises(ValueError, match="power of two"):
        kernel.alloc_vi(p, txq_entries=100)
    with pytest.raises(ValueError, match="power of two"):
        kernel.alloc_vi(p, txq_entries=1 << 13)
    for _ in range(3):
        kernel.alloc_vi(p, txq_entries=16, rxq_entries=16)
    with pytest.raises(ResourceExhausted, match="VIs"):
        kernel.alloc_vi(p, txq_entries=16, rxq_entries=16)


def test_filters_refuse_duplicates_and_a_full_table():
    os_, regs, kernel = setup()
    p = os_.spawn("app")
    vi = kernel.alloc_vi(p, 16, 16).vi
    f = Filter(L.IPPROTO_UDP, "198.18.0.2", 7)
    slot = kernel.insert_filter(f, vi)
    with pytest.raises(FilterExists):
        kernel.insert_filter(f, vi)
    staged, _ = regs.staged("FILT_COMMIT")[-1]
    assert staged[L.PRIV_REG["FILT_CTRL"]] == 1 | (17 << 8) | (vi << 16)
    kernel.insert_filter(Filter(L.IPPROTO_TCP, "198.18.0.2", 80, "198.18.0.1", 4000), vi)
    kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.2", 8), vi)
    kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.2", 9), vi)
    with pytest.raises(ResourceExhausted, match="filter"):
        kernel.insert_filter(Filter(L.IPPROTO_UDP, "198.18.0.2", 10), vi)
    kernel.remove_filter(slot)
    with pytest.raises(ValueError, match="not in use"):
        kernel.remove_filter(slot)
    with pytest.raises(ValueError, match="TCP or UDP"):
        kernel.insert_filter(Filter(1, "198.18.0.2", 0), vi)


def test_vi_posts_descriptors_and_refuses_a_full_ring():
    os_, regs, kernel = setup()
    p = os_.spawn("app")
    res = kernel.alloc_vi(p, txq_entries=4, rxq_entries=4)
    vi = Vi(res)
    pool = BufferPool(kernel, p, 4)
    idx = vi.tx_post([(pool.buffers[0].iova, 60), (pool.buffers[1].iova + 3, 7)], csum_l4=True)
    assert idx == 1
    d0 = L.TX_DESC.unpack(p.read(res.txq.vaddr, 16))
    d1 = L.TX_DESC.unpack(p.read(res.txq.vaddr + 16, 16))
    assert (d0["LEN"], d0["EOP"], d0["CSUM_L4"]) == (60, 0, 1)
    assert (d1["ADDR"], d1["LEN"], d1["EOP"]) == (pool.buffers[1].iova + 3, 7, 1)
    vi.tx_push()
    assert regs.writes[-1] == (L.vi_page_base(res.vi) + L.VI_REG["TX_DOORBELL"], 2)
    vi.tx_post([(pool.buffers[2].iova, 60)])
    with pytest.raises(RingFull):
        vi.tx_post([(pool.buffers[3].iova, 60), (pool.buffers[3].iova, 60)])
    with pytest.raises(ValueError, match="outside 1..65535"):
        vi.tx_post([(pool.buffers[3].iova, 0)])
    with pytest.raises(ValueError, match="exceeds"):
        vi.tx_post([(pool.buffers[3].iova, 9000), (pool.buffers[3].iova, 9000)])


def test_vi_poll_follows_the_phase_bit_and_reclaims_descriptors():
    os_, regs, kernel = setup()
    p = os_.spawn("app")
    res = kernel.alloc_vi(p, txq_entries=4, rxq_entries=4, evq_entries=4)
    vi = Vi(res)
    pool = BufferPool(kernel, p, 2)
    sent = 0
    for lap in range(3):
        for slot in range(4):
            vi.tx_post([(pool.buffers[0].iova, 60)], cookie=("frame", sent))
            ev = L.EVENT.pack(TYPE=L.EV_TYPE_TX, INDEX=sent & 0xFFFF, LEN=60, NDESC=1,
                              PHASE=1 - (lap & 1))
            assert vi.poll() == []  # nothing new until the NIC writes the event
            p.write(res.evq.vaddr + 16 * slot, ev)
            (got,) = vi.poll()
            assert got.kind == "tx" and got.cookies == [("frame", sent)]
            sent += 1
    assert regs.writes[-1] == (L.vi_page_base(res.vi) + L.VI_REG["EVQ_READ"], 12)
    p.write(res.evq.vaddr, L.EVENT.pack(TYPE=L.EV_TYPE_ERROR, CODE=L.ERR_TX_READ_FAULT,
                                        PHASE=0))  # fourth lap: phase 0
    (err,) = vi.poll()
    assert err.kind == "error" and vi.fault is err
    with pytest.raises(ViFaulted):
        vi.tx_post([(pool.buffers[0].iova, 60)])


def _vi_device(interrupts=False, rx_buffers=64):
    from host.stack.phy.vi import ViDevice
    os_, regs, kernel = setup()
    p = os_.spawn("app")
    res = kernel.alloc_vi(p, txq_entries=16, rxq_entries=64, evq_entries=128)
    vi = Vi(res)
    dev = ViDevice(vi, BufferPool(kernel, p, 8), BufferPool(kernel, p, rx_buffers),
                   interrupts=interrupts)
    return p, regs, res, vi, dev


def _vi_writes(regs, res, reg):
    return [v for off, v in regs.writes if off == L.vi_page_base(res.vi) + L.VI_REG[reg]]


def test_vi_device_rings_the_tx_doorbell_once_per_poll():
    """Frames committed during a poll are posted at once but pushed with one doorbell write,
    at ``submit`` (the interface calls it at the end of every poll)."""
    _, regs, res, _, dev = _vi_device()
    for _ in range(5):
        tok = dev.transmit(60)
        tok.buffer[:] = bytes(60)
        tok.commit()
    assert _vi_writes(regs, res, "TX_DOORBELL") == []
    dev.submit()
    assert _vi_writes(regs, res, "TX_DOORBELL") == [5]
    dev.submit()  # nothing new: no write
    assert _vi_writes(regs, res, "TX_DOORBELL") == [5]
    dev.tx_push_batch = 2  # a long poll pushes as it goes
    for _ in range(3):
        dev.transmit(60).commit()
    assert _vi_writes(regs, res, "TX_DOORBELL") == [5, 7]


def test_vi_device_reposts_rx_buffers_in_batches_and_acks_events_once_per_poll():
    p, regs, res, vi, dev = _vi_device(interrupts=True)
    assert _vi_writes(regs, res, "RX_DOORBELL") == [64]  # the ring filled at start
    assert _vi_writes(regs, res, "EVQ_READ") == [1 << 31]  # interrupt armed
    batch = dev.rx_refill_batch
    for i in range(batch + 1):  # the NIC delivers frames into descriptors 0..batch
        p.write(res.evq.vaddr + 16 * i, L.EVENT.pack(TYPE=L.EV_TYPE_RX, INDEX=i, LEN=60,
                                                     NDESC=1, PHASE=1))
    for _ in range(batch - 1):
        with dev.receive() as tok:
            assert len(tok.buffer) == 60
    dev.submit()
    # fewer than a batch free: not re-posted yet; the read index is acknowledged once (and the
    # interrupt re-armed with it)
    assert _vi_writes(regs, res, "RX_DOORBELL") == [64]
    assert _vi_writes(regs, res, "EVQ_READ") == [1 << 31, (1 << 31) | (batch + 1)]
    for _ in range(2):
        dev.receive().release()
    dev.submit()
    assert _vi_writes(regs, res, "RX_DOORBELL") == [64, 64 + batch + 1]
    assert vi.rx_posted == 64
    assert _vi_writes(regs, res, "EVQ_READ") == [1 << 31, (1 << 31) | (batch + 1)]


def test_vi_device_refills_a_ring_running_dry_without_waiting_for_a_batch():
    p, regs, res, vi, dev = _vi_device()
    for i in range(60):
        p.write(res.evq.vaddr + 16 * i, L.EVENT.pack(TYPE=L.EV_TYPE_RX, INDEX=i, LEN=60,
                                                     NDESC=1, PHASE=1))
    held = [dev.receive() for _ in range(60)]  # the application still holds most frames
    for tok in held[:5]:
        tok.release()
    dev.submit()  # 4 descriptors left on the ring: the 5 free buffers go back at once
    assert _vi_writes(regs, res, "RX_DOORBELL") == [64, 69]
    assert vi.rx_posted == 9
