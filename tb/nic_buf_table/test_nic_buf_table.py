"""Unit test of nic_buf_table: translation, owner and range checks, per-port ordering under
random request gaps and response backpressure (built with PORTS=2, BUFTBL_LOG2=6)."""

from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

LOG2 = 6   # must match the model's BUFTBL_LOG2


class Tb:
    def __init__(self, dut):
        self.dut = dut
        self.ports = len(dut.xlat_req_valid)
        self.aw = len(dut.xlat_resp_addr) // self.ports
        Clock(dut.clk, 4, unit="ns").start()
        self.table: dict[int, tuple[int, int, bool]] = {}
        dut.bt_wr_valid.value = 0
        dut.xlat_req_valid.value = 0
        dut.xlat_resp_ready.value = 0

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 4)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)

    async def write(self, index, page, owner, valid):
        d = self.dut
        d.bt_wr_valid.value = 1
        d.bt_wr_index.value = index
        d.bt_wr_page.value = page
        d.bt_wr_owner.value = owner
        d.bt_wr_entry_valid.value = int(valid)
        await RisingEdge(d.clk)
        d.bt_wr_valid.value = 0
        self.table[index] = (page, owner, valid)

    def expect(self, iova, owner, length):
        page, off = iova >> 12, iova & 0xFFF
        if page >= (1 << LOG2) or off + length > 4096:
            return True, None
        ent = self.table.get(page)
        if ent is None or not ent[2] or ent[1] != owner:
            return True, None
        return False, (ent[0] << 12) | off

    async def run(self, reqs: list[list[tuple[int, int, int]]], seed: int, p_req=0.7,
                  p_ready=0.6):
        """Issue reqs[p] on port p with random gaps and random response backpressure, all ports
        at once; check every response in order. Returns the number of cycles taken."""
        d = self.dut
        rnd = random.Random(seed)
        P = self.ports
        nxt = [0] * P                       # next request to present
        pending = [[] for _ in range(P)]    # accepted, not yet answered
        valid = [0] * P
        total = sum(map(len, reqs))
        done = 0
        cycles = 0
        while done < total:
            await RisingEdge(d.clk)
            cycles += 1
            assert cycles < 30 * total + 100, "translate port stalled"
            for p in range(P):
                if not valid[p] and nxt[p] < len(reqs[p]) and rnd.random() < p_req:
                    valid[p] = 1
            cur = [reqs[p][nxt[p]] if valid[p] else (0, 0, 0) for p in range(P)]
            d.xlat_req_valid.value = sum(v << p for p, v in enumerate(valid))
            d.xlat_req_iova.value = sum(c[0] << (64 * p) for p, c in enumerate(cur))
            d.xlat_req_owner.value = sum(c[1] << (16 * p) for p, c in enumerate(cur))
            d.xlat_req_len.value = sum(c[2] << (16 * p) for p, c in enumerate(cur))
            ready = [int(rnd.random() < p_ready) for _ in range(P)]
            d.xlat_resp_ready.value = sum(v << p for p, v in enumerate(ready))
            await ReadOnly()
            req_rdy = int(d.xlat_req_ready.value)
            rsp_v = int(d.xlat_resp_valid.value)
            rsp_f = int(d.xlat_resp_fault.value)
            rsp_a = int(d.xlat_resp_addr.value)
            for p in range(P):
                if (rsp_v >> p) & 1 and ready[p]:
                    assert pending[p], f"port {p}: response without request"
                    want = self.expect(*pending[p].pop(0))
                    fault = (rsp_f >> p) & 1
                    addr = (rsp_a >> (p * self.aw)) & ((1 << self.aw) - 1)
                    assert fault == want[0], (p, want, fault)
                    if not fault:
                        assert addr == want[1], (p, hex(addr), hex(want[1]))
                    done += 1
                if valid[p] and (req_rdy >> p) & 1:
                    pending[p].append(cur[p])
                    nxt[p] += 1
                    valid[p] = 0
        await RisingEdge(d.clk)
        d.xlat_req_valid.value = 0
        d.xlat_resp_ready.value = 0
        return cycles


@cocotb.test()
async def test_checks_and_order(dut):
    tb = Tb(dut)
    await tb.reset()
    rnd = random.Random(1)
    owners = [0x10, 0x20, 0x30]
    for i in range(1 << LOG2):
        await tb.write(i, 0x100000 + rnd.randrange(1 << 20), rnd.choice(owners), rnd.random() < 0.8)
    reqs = []
    for _ in range(tb.ports):
        lst = []
        for _ in range(400):
            kind = rnd.random()
            page = rnd.randrange(1 << LOG2)
            off = rnd.randrange(4096)
            length = rnd.randrange(0, 4097 - off) if kind < 0.85 else rnd.randrange(1, 3000)
            iova = (page << 12) | off
            if kind > 0.95:
                iova |= 1 << rnd.randrange(LOG2 + 12, 64)     # beyond the table
            lst.append((iova, rnd.choice(owners), length))
        # exact edges: whole page, one byte over
        lst += [((5 << 12), tb.table[5][1], 4096), ((5 << 12) | 1, tb.table[5][1], 4096)]
        reqs.append(lst)
    await tb.run(reqs, seed=2)


@cocotb.test()
async def test_full_rate_and_rewrite(dut):
    tb = Tb(dut)
    await tb.reset()
    for i in range(1 << LOG2):
        await tb.write(i, i + 7, 0x42, True)
    reqs = [[((i % 64) << 12 | 8 * i % 4096, 0x42, 8) for i in range(200)]
            for _ in range(tb.ports)]
    cycles = await tb.run(reqs, seed=3, p_req=1.0, p_ready=1.0)
    assert cycles <= 200 + 4, f"not one translation per cycle per port ({cycles} cycles)"
    # entries can be invalidated and re-pointed between requests
    await tb.write(3, 0x999, 0x42, False)
    await tb.write(4, 0x777, 0x43, True)
    reqs = [[(3 << 12, 0x42, 16), (4 << 12 | 16, 0x42, 16), (4 << 12 | 16, 0x43, 16)]
            for _ in range(tb.ports)]
    await tb.run(reqs, seed=4)
