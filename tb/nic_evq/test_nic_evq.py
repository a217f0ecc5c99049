"""Unit test of nic_evq (built with NUM_VI=4, DATA_WIDTH=128 and 512, RSV_PORTS=2, EV_PORTS=4):
reservations and free space, event records and phase bits over several laps, error events and
the fault broadcast, lost events, a refused event write (queue dead), interrupts with
moderation, several event ports at once, events of an earlier VI generation discarded. The
translate port is modelled here (IOVA + OFFSET, refused for pages in `bad_pages`); host memory
is cocotbext-axi's AxiRamWrite."""

from __future__ import annotations

import logging

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotbext.axi import AxiRamWrite, AxiWriteBus

from host import layout as L

OFFSET = 0x40000
EVP = 4
RSP = 2
# commits per VI since the simulation started (the tests of this module share one): a VI's
# generation, which a reset of the block does not restart
COMMITS: dict[int, int] = {}


class Tb:
    def __init__(self, dut):
        self.dut = dut
        self.vi_w = len(dut.cfg_vi)
        Clock(dut.clk, 4, unit="ns").start()
        self.ram = AxiRamWrite(AxiWriteBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst,
                               size=1 << 20)
        logging.getLogger(f"cocotb.{dut._name}.m_axi").setLevel(logging.WARNING)
        self.bad_pages: set[int] = set()
        self.flts: list[tuple[int, int, int]] = []
        self.stats = {"events": 0, "lost": 0, "dma": 0}
        self.cycle = 0
        self.irq_log: list[tuple[int, int]] = []   # (cycle, irq vector) at every change
        self.aw_count = 0                              # write bursts issued
        for name in ("cfg_vi_valid", "db_valid", "rsv_req_valid", "ev_valid"):
            getattr(dut, name).value = 0
        cocotb.start_soon(self._xlat())
        cocotb.start_soon(self._monitor())

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 4)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)

    async def _xlat(self):
        """In-order translator with one cycle of latency, no backpressure on requests."""
        d = self.dut
        d.xlat_req_ready.value = 1
        d.xlat_resp_valid.value = 0
        queue = []
        took_req = took_resp = None
        while True:
            await RisingEdge(d.clk)
            # apply the handshakes of the edge just passed, then drive this cycle
            if took_resp:
                queue.pop(0)
            if took_req:
                queue.append(took_req)
            if queue:
                iova, _ = queue[0]
                d.xlat_resp_valid.value = 1
                d.xlat_resp_fault.value = int((iova >> 12) in self.bad_pages)
                d.xlat_resp_addr.value = iova + OFFSET
            else:
                d.xlat_resp_valid.value = 0
            await ReadOnly()
            took_req = ((int(d.xlat_req_iova.value), int(d.xlat_req_len.value))
                        if int(d.xlat_req_valid.value) else None)
            took_resp = int(d.xlat_resp_valid.value) and int(d.xlat_resp_ready.value)

    async def _monitor(self):
        d = self.dut
        last_irq = 0
        while True:
            await RisingEdge(d.clk)
            await ReadOnly()
            self.cycle += 1
            if int(d.flt_valid.value):
                self.flts.append((int(d.flt_vi.value), int(d.flt_code.value),
                                  int(d.flt_index.value)))
            self.stats["events"] += int(d.stat_events.value)
            self.stats["lost"] += int(d.stat_events_lost.value)
            self.stats["dma"] += int(d.stat_dma_faults.value)
            # post-edge values are the next edge's handshake (the clock is cocotb's)
            self.aw_count += int(d.m_axi_awvalid.value) & int(d.m_axi_awready.value)
            irq = int(d.irq.value)
            if irq != last_irq:
                self.irq_log.append((self.cycle, irq))
                last_irq = irq

    async def cfg(self, vi, enable=True, base=0x1000, log2=2, owner=7, irq_mod=0):
        d = self.dut
        await RisingEdge(d.clk)
        d.cfg_vi_valid.value = 1
        d.cfg_vi.value = vi
        d.cfg_vi_enable.value = int(enable)
        d.cfg_vi_owner.value = owner
        d.cfg_vi_evq_base.value = base
        d.cfg_vi_evq_log2.value = log2
        d.cfg_vi_irq_mod.value = irq_mod
        await RisingEdge(d.clk)
        d.cfg_vi_valid.value = 0
        COMMITS[vi] = COMMITS.get(vi, 0) + 1

    @staticmethod
    def gen(vi: int) -> int:
        """VI ``vi``'s current generation (4 bits)."""
        return COMMITS.get(vi, 0) % 16

    async def evq_read(self, vi, index, arm=False):
        d = self.dut
        await RisingEdge(d.clk)
        d.db_valid.value = 1
        d.db_vi.value = vi
        d.db_kind.value = 2
        d.db_value.value = index | (int(arm) << 31)
        await RisingEdge(d.clk)
        d.db_valid.value = 0

    async def reserve(self, port, vi) -> bool:
        d = self.dut
        await RisingEdge(d.clk)
        d.rsv_req_valid.value = 1 << port
        d.rsv_req_vi.value = vi << (port * self.vi_w)
        while True:
            await ReadOnly()
            if (int(d.rsv_req_ready.value) >> port) & 1:
                break
            await RisingEdge(d.clk)
        await RisingEdge(d.clk)
        d.rsv_req_valid.value = 0
        await ReadOnly()
        assert (int(d.rsv_resp_valid.value) >> port) & 1, "no reservation answer"
        ok = bool((int(d.rsv_resp_ok.value) >> port) & 1)
        await RisingEdge(d.clk)
        return ok

    async def events(self, evs: list[tuple[int, dict]]):
        """Present events (port, fields) at once, each held until taken."""
        d = self.dut
        pend = {p: f for p, f in evs}
        while pend:
            await RisingEdge(d.clk)
            vals = {k: 0 for k in ("vi", "type", "code", "index", "len", "filter", "rx_flags",
                                   "ndesc", "reserved", "gen", "gen_valid")}
            widths = {"vi": self.vi_w, "type": 4, "code": 8, "index": 16, "len": 16,
                      "filter": 16, "rx_flags": 8, "ndesc": 8, "reserved": 1, "gen": 4,
                      "gen_valid": 1}
            for p, f in pend.items():
                for k, v in f.items():
                    vals[k] |= v << (p * widths[k])
            d.ev_valid.value = sum(1 << p for p in pend)
            for k, v in vals.items():
                getattr(d, f"ev_{k}").value = v
            await ReadOnly()
            ready = int(d.ev_ready.value)
            for p in list(pend):
                if (ready >> p) & 1:
                    del pend[p]
        await RisingEdge(d.clk)
        d.ev_valid.value = 0

    def record(self, base, log2, slot):
        return L.EVENT.unpack(self.ram.read(base + OFFSET + 16 * (slot % (1 << log2)), 16))

    async def prod(self, vi) -> int:
        await RisingEdge(self.dut.clk)
        self.dut.sts_vi.value = vi
        await ClockCycles(self.dut.clk, 3)
        return int(self.dut.sts_evq_prod.value)


def tx(vi, index, reserved=1):
    return {"vi": vi, "type": L.EV_TYPE_TX, "index": index, "len": 100 + index, "ndesc": 1,
            "reserved": reserved}


@cocotb.test()
async def test_reservations_events_phase(dut):
    tb = Tb(dut)
    await tb.reset()
    base = 0x2000
    await tb.cfg(1, base=base, log2=2)          # 4 slots
    # four reservations fit, the fifth does not
    assert [await tb.reserve(0, 1) for _ in range(5)] == [True] * 4 + [False]
    # another VI (not enabled) refuses
    assert not await tb.reserve(1, 2)
    idx = 0
    for lap in range(3):
        for _ in range(4):
            await tb.events([(0, tx(1, idx))])
            idx += 1
        await ClockCycles(dut.clk, 20)
        assert await tb.prod(1) == idx
        for k in range(idx - 4, idx):
            ev = tb.record(base, 2, k)
            assert (ev["TYPE"], ev["INDEX"], ev["LEN"], ev["VI"], ev["NDESC"]) == \
                (L.EV_TYPE_TX, k, 100 + k, 1, 1), ev
            assert ev["PHASE"] == (1 if (k // 4) % 2 == 0 else 0), (k, ev)
        # full until the host reads: no reservation
        assert not await tb.reserve(1, 1)
        await tb.evq_read(1, idx)
        if lap < 2:
            assert [await tb.reserve(lap % 2, 1) for _ in range(4)] == [True] * 4
    assert tb.stats["events"] == 12 and tb.stats["lost"] == 0
    # a commit zeroes the indices
    await tb.cfg(1, base=base, log2=2)
    assert await tb.prod(1) == 0


@cocotb.test()
async def test_errors_lost_and_dead_queue(dut):
    tb = Tb(dut)
    await tb.reset()
    base = 0x3000
    await tb.cfg(2, base=base, log2=1)           # 2 slots
    assert await tb.reserve(0, 2) and await tb.reserve(0, 2)
    # an error event zeroes the reservations and is broadcast; it fits (queue empty)
    await tb.events([(1, {"vi": 2, "type": L.EV_TYPE_ERROR, "code": L.ERR_TX_READ_FAULT,
                          "index": 77})])
    await ClockCycles(dut.clk, 20)
    assert tb.flts == [(2, L.ERR_TX_READ_FAULT, 77)]
    ev = tb.record(base, 1, 0)
    assert (ev["TYPE"], ev["CODE"], ev["INDEX"], ev["PHASE"]) == \
        (L.EV_TYPE_ERROR, L.ERR_TX_READ_FAULT, 77, 1)
    assert await tb.reserve(0, 2)                 # one slot left, reservations were zeroed
    assert not await tb.reserve(0, 2)
    # unreserved events beyond the free space are lost, never overwrite
    await tb.events([(2, tx(2, 1, reserved=0))])
    await tb.events([(2, tx(2, 2, reserved=0))])
    await ClockCycles(dut.clk, 20)
    assert tb.stats["lost"] == 2
    assert tb.record(base, 1, 0)["TYPE"] == L.EV_TYPE_ERROR
    # a refused event write: queue dead, EVQ fault broadcast, reservations refused
    await tb.cfg(3, base=0x5000, log2=3)
    tb.bad_pages.add(0x5)
    assert await tb.reserve(1, 3)
    await tb.events([(0, tx(3, 9))])
    await ClockCycles(dut.clk, 20)
    assert tb.flts[-1] == (3, L.ERR_EVQ_FAULT, 0)
    assert tb.stats["dma"] == 1
    assert not await tb.reserve(1, 3)
    assert await tb.prod(3) == 0
    tb.bad_pages.clear()
    await tb.cfg(3, base=0x5000, log2=3)          # a commit revives it
    assert await tb.reserve(1, 3)


@cocotb.test()
async def test_ports_at_once_and_interrupts(dut):
    tb = Tb(dut)
    await tb.reset()
    await tb.cfg(0, base=0x8000, log2=4, irq_mod=300)
    await tb.cfg(1, base=0x9000, log2=4)
    # four ports at once, two VIs
    await tb.events([(0, tx(0, 1, 0)), (1, tx(1, 2, 0)), (2, tx(0, 3, 0)), (3, tx(1, 4, 0))])
    await ClockCycles(dut.clk, 20)
    assert await tb.prod(0) == 2 and await tb.prod(1) == 2
    got0 = sorted(tb.record(0x8000, 4, k)["INDEX"] for k in range(2))
    got1 = sorted(tb.record(0x9000, 4, k)["INDEX"] for k in range(2))
    assert got0 == [1, 3] and got1 == [2, 4]
    # interrupt: not armed -> nothing; armed with unread events -> fires at once
    assert int(dut.irq.value) == 0
    await tb.evq_read(0, 0, arm=True)
    await ClockCycles(dut.clk, 10)
    assert int(dut.irq.value) & 1
    t_first = [c for c, v in tb.irq_log if v & 1][0]
    # acknowledge and re-arm with events still unread: the next firing waits for moderation
    await tb.evq_read(0, 1, arm=True)
    for _ in range(400):
        await RisingEdge(dut.clk)
        if int(dut.irq.value) & 1:
            break
    assert int(dut.irq.value) & 1
    t_second = tb.cycle
    assert t_second - t_first >= 300, (t_first, t_second)
    # everything read: re-armed but quiet until a new event is written
    await tb.evq_read(0, 2, arm=True)
    await ClockCycles(dut.clk, 400)
    assert not int(dut.irq.value) & 1
    await tb.events([(0, tx(0, 5, 0))])
    await ClockCycles(dut.clk, 30)
    assert int(dut.irq.value) & 1
    assert not int(dut.irq.value) & 2              # VI 1 never armed


@cocotb.test()
async def test_no_interrupt_for_an_event_already_read(dut):
    """The host may see an event in memory, consume it and move its read index past the NIC's
    written count before the write's B response arrives: that must not fire (a line raised
    for an event already taken stays high and a sleeper waiting for it never wakes)."""
    tb = Tb(dut)
    await tb.reset()
    await tb.cfg(2, base=0xA000, log2=4)
    await tb.evq_read(2, 0, arm=True)
    tb.ram.b_channel.pause = True                  # the event's B response is held back
    await tb.events([(0, tx(2, 1, 0))])
    for _ in range(50):                            # until the record is in memory
        await RisingEdge(dut.clk)
        if tb.record(0xA000, 4, 0)["INDEX"] == 1:
            break
    assert tb.record(0xA000, 4, 0)["INDEX"] == 1, "event never written"
    await tb.evq_read(2, 1, arm=True)              # the host consumed it: read index 1
    await ClockCycles(dut.clk, 50)
    assert await tb.prod(2) == 0, "B response was not held back"
    assert not int(dut.irq.value) & 4, "fired with the read index ahead of the written count"
    tb.ram.b_channel.pause = False                 # written count catches up: nothing unread
    await ClockCycles(dut.clk, 50)
    assert await tb.prod(2) == 1
    assert not int(dut.irq.value) & 4, "fired with every written event already read"
    await tb.events([(1, tx(2, 2, 0))])            # a new unread event fires
    await ClockCycles(dut.clk, 50)
    assert int(dut.irq.value) & 4


@cocotb.test()
async def test_events_of_a_vi_share_a_write(dut):
    """The memory holds the AW back (a slave may also take W first). At DATA_WIDTH >= 256 events
    of one VI for consecutive slots of one beat join the write whose AW is waiting, so fewer
    writes carry them; at narrower widths each event is its own write, and its W beats are
    sent once, not again while the AW waits. The records are right either way."""
    tb = Tb(dut)
    await tb.reset()
    await tb.cfg(3, base=0xB000, log2=4)
    tb.ram.aw_channel.pause = True                 # the memory holds the first AW back
    for i in range(4):
        await tb.events([(i % EVP, tx(3, i, 0))])
    aw0 = tb.aw_count
    tb.ram.aw_channel.pause = False
    await ClockCycles(dut.clk, 40)
    assert await tb.prod(3) == 4
    for k in range(4):
        ev = tb.record(0xB000, 4, k)
        assert (ev["INDEX"], ev["VI"], ev["PHASE"]) == (k, 3, 1), (k, ev)
    writes = tb.aw_count - aw0
    if len(dut.m_axi_wdata) >= 256:
        assert writes < 4, f"{writes} writes for 4 events that fit one beat"
    else:
        assert writes == 4, f"{writes} writes for 4 events"


@cocotb.test()
async def test_events_of_an_earlier_generation_are_never_written(dut):
    """Each commit of a VI starts a generation (``Tb.gen``). An event that says
    it belongs to an earlier one is taken and discarded: not written, no reservation used, no
    fault raised, not counted lost; an event that says nothing (the RX ports) is written."""
    tb = Tb(dut)
    await tb.reset()
    base = 0x3000
    await tb.cfg(1, base=base, log2=2)
    old = tb.gen(1)
    assert await tb.reserve(0, 1)
    await tb.events([(0, dict(tx(1, 0), gen=old, gen_valid=1))])
    await ClockCycles(dut.clk, 20)
    assert await tb.prod(1) == 1 and tb.record(base, 2, 0)["INDEX"] == 0
    await tb.cfg(1, base=base, log2=2)                       # a reset: a new generation
    before = (dict(tb.stats), list(tb.flts), tb.aw_count)
    await tb.events([(0, dict(tx(1, 7), gen=old, gen_valid=1))])
    err = {"vi": 1, "type": L.EV_TYPE_ERROR, "code": L.ERR_TX_READ_FAULT, "index": 3}
    await tb.events([(0, dict(err, gen=old, gen_valid=1))])
    await ClockCycles(dut.clk, 20)
    assert await tb.prod(1) == 0, "an event of the old generation was written"
    assert (dict(tb.stats), list(tb.flts), tb.aw_count) == before
    assert tb.record(base, 2, 0)["INDEX"] == 0, "slot 0 was overwritten by a stale event"
    # the fresh generation works, with its reservations intact
    assert await tb.reserve(0, 1)
    await tb.events([(0, dict(tx(1, 0), gen=tb.gen(1), gen_valid=1))])
    await tb.events([(1, dict(tx(1, 1, reserved=0)))])       # says nothing: written
    await ClockCycles(dut.clk, 20)
    assert await tb.prod(1) == 2
    assert [tb.record(base, 2, k)["INDEX"] for k in (0, 1)] == [0, 1]
    assert tb.record(base, 2, 0)["PHASE"] == 1
