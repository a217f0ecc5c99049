"""Unit tests of the RX path (rtl/nic/nic_rx*.v, nic_filter.v) on tb/nic_rx/nic_rx_harness.v.

The harness wraps nic_rx with the real buffer table, a reservation model (per-VI credits), a
fault loop-back and counters. Host memory is cocotbext-axi's AxiRamRead/AxiRamWrite on one
shared memory. Every wait is bounded in simulated time.
"""

from __future__ import annotations

import itertools
import logging
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, Timer
from cocotbext.axi import (
    AxiRamRead,
    AxiRamWrite,
    AxiReadBus,
    AxiStreamBus,
    AxiStreamFrame,
    AxiStreamSource,
    AxiWriteBus,
)
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

from host import layout as L
from tb.rxref import RxFilter
from tb.rxref import expect as rxref_expect
from tb.rxref import frames as rxref_frames

CLK_NS = 4
MEM_SIZE = 1 << 24
MAC = bytes.fromhex("02aabbccdd01")
MAC_INT = int.from_bytes(MAC, "big")
OTHER_MAC = "02:11:22:33:44:55"
LOCAL_IP = "10.0.0.1"
GOOD = L.RXF_IP | L.RXF_IP_CSUM_OK | L.RXF_L4 | L.RXF_L4_CSUM_OK
STAT = {name: i for i, (name, _) in enumerate(L.STATS)}
PPV = 32          # IOVA pages per VI: VI v owns pages PPV*v .. PPV*v+PPV-1, its ring in the first


def phys_page(iova_page: int) -> int:
    """The buffer table maps IOVA page n to a scrambled physical page."""
    return 0x800 + ((iova_page * 7) % 1024)


def iova_to_phys(iova: int) -> int:
    return (phys_page(iova >> 12) << 12) | (iova & 0xFFF)


class Vi:
    def __init__(self, vi: int, owner: int, ring_iova: int, log2: int):
        self.vi, self.owner, self.ring_iova, self.log2 = vi, owner, ring_iova, log2
        self.prod = 0
        self.slots: dict[int, tuple[int, int]] = {}   # ring index -> (iova, len)


class RxTb:
    def __init__(self, dut):
        self.dut = dut
        self.dw = len(dut.s_axis_rx_tdata)
        self.bytes = self.dw // 8
        cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns").start())
        self.src = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_rx"), dut.clk, dut.rst)
        self.wr = AxiRamWrite(AxiWriteBus.from_prefix(dut, "m_axi_wr"), dut.clk, dut.rst,
                              size=MEM_SIZE)
        self.rd = AxiRamRead(AxiReadBus.from_prefix(dut, "m_axi_rd"), dut.clk, dut.rst,
                             size=MEM_SIZE, mem=self.wr.mem)
        for m in (self.src, self.wr, self.rd):
            m.log.setLevel(logging.WARNING)
        self.events: list[dict] = []
        self.errors: list[dict] = []
        self.vis: dict[int, Vi] = {}
        self.ev_ready_random = False

    # ------------------------------------------------------------------ setup
    async def reset(self):
        d = self.dut
        for name in ("cfg_vi_valid", "db_valid", "filt_valid", "bt_wr_valid", "credit_wr_valid",
                     "ctrl_rx_enable", "cfg_vi_enable", "bt_wr_entry_valid", "cons_rd_vi",
                     "wr_latency", "rd_latency"):
            getattr(d, name).value = 0
        d.mac_addr.value = MAC_INT
        d.ev_ready.value = 1
        d.rst.value = 1
        for _ in range(5):
            await RisingEdge(d.clk)
        d.rst.value = 0
        for _ in range(NUM_VI_INIT_CYCLES):
            await RisingEdge(d.clk)
        cocotb.start_soon(self._monitor())
        d.ctrl_rx_enable.value = 1

    async def _monitor(self):
        d = self.dut
        while True:
            await RisingEdge(d.clk)
            if self.ev_ready_random:
                d.ev_ready.value = random.random() < 0.5
            await ReadOnly()
            if d.ev_valid.value and d.ev_ready.value:
                self.events.append(dict(
                    vi=int(d.ev_vi.value), type=int(d.ev_type.value), code=int(d.ev_code.value),
                    index=int(d.ev_index.value), len=int(d.ev_len.value),
                    filter=int(d.ev_filter.value), flags=int(d.ev_rx_flags.value),
                    ndesc=int(d.ev_ndesc.value), reserved=int(d.ev_reserved.value),
                    cycle=int(d.cycle_count.value)))
            if d.err_ev_valid.value:
                self.errors.append(dict(vi=int(d.err_ev_vi.value), code=int(d.err_ev_code.value),
                                        index=int(d.err_ev_index.value)))

    async def pulse(self, **signals):
        d = self.dut
        await RisingEdge(d.clk)
        valid = None
        for k, v in signals.items():
            getattr(d, k).value = v
            if k.endswith("_valid"):
                valid = k
        await RisingEdge(d.clk)
        getattr(d, valid).value = 0

    async def bt_map(self, iova_page: int, owner: int, valid: int = 1):
        await self.pulse(bt_wr_index=iova_page, bt_wr_page=phys_page(iova_page),
                         bt_wr_owner=owner, bt_wr_entry_valid=valid, bt_wr_valid=1)

    async def credit(self, vi: int, value: int):
        await self.pulse(credit_wr_vi=vi, credit_wr_value=value, credit_wr_valid=1)

    async def add_vi(self, vi: int, pages: range | None = None, log2: int = 6, credits: int = 1000,
                     ring_iova: int | None = None, owner: int | None = None):
        """Enable VI vi: owner 0x100+vi, its IOVA pages mapped (ring in the first)."""
        owner = 0x100 + vi if owner is None else owner
        pages = range(PPV * vi, PPV * vi + PPV) if pages is None else pages
        for p in pages:
            await self.bt_map(p, owner)
        ring = (PPV * vi) << 12 if ring_iova is None else ring_iova
        self.vis[vi] = Vi(vi, owner, ring, log2)
        await self.pulse(cfg_vi=vi, cfg_vi_enable=1, cfg_vi_owner=owner, cfg_vi_rxq_base=ring,
                         cfg_vi_rxq_log2=log2, cfg_vi_valid=1)
        await self.credit(vi, credits)
        return self.vis[vi]

    async def post(self, vi: int, bufs: list[tuple[int, int]], doorbell: bool = True):
        """Write RX descriptors (iova, len) at the producer index, then ring the doorbell."""
        v = self.vis[vi]
        for iova, length in bufs:
            slot = v.prod & ((1 << v.log2) - 1)
            desc = L.RX_DESC.pack(ADDR=iova, LEN=length)
            self.wr.write(iova_to_phys(v.ring_iova + 16 * slot), desc)
            v.slots[v.prod & 0xFFFF] = (iova, length)
            v.prod = (v.prod + 1) & 0xFFFF
        if doorbell:
            await self.doorbell(vi)

    async def doorbell(self, vi: int):
        await self.pulse(db_vi=vi, db_kind=1, db_value=self.vis[vi].prod, db_valid=1)

    def std_bufs(self, vi: int, n: int, size: int = 2048, start: int = 0, offset: int = 0):
        """n buffers of size bytes in VI vi's pages after the ring page (wrapping)."""
        base = (PPV * vi + 1) << 12
        per = (PPV - 1) * 4096 // size
        return [(base + ((start + i) % per) * size + offset, size - offset) for i in range(n)]

    async def filter(self, index: int, vi: int, proto: int, local_ip: str, local_port: int,
                     remote_ip: str = "0.0.0.0", remote_port: int = 0, full: bool = False,
                     valid: bool = True):
        ctrl = int(valid) | (int(full) << 1) | (proto << 8) | (vi << 16)
        await self.pulse(filt_index=index, filt_ctrl=ctrl, filt_local_ip=ip_int(local_ip),
                         filt_ports=local_port | (remote_port << 16),
                         filt_remote_ip=ip_int(remote_ip), filt_valid=1)

    # ------------------------------------------------------------------ traffic
    async def send(self, frame: bytes, bad: bool = False):
        await self.src.send(AxiStreamFrame(frame, tuser=1 if bad else 0))

    async def wait_events(self, n: int, timeout_us: float = 200):
        limit = cocotb.simtime.get_sim_time("ns") + timeout_us * 1000
        while len(self.events) < n:
            if cocotb.simtime.get_sim_time("ns") >= limit:
                st = {k: v for k, v in self.stats().items() if v}
                raise AssertionError(f"timeout: {len(self.events)} of {n} events; stats {st}; "
                                     f"errors {self.errors}")
            await Timer(40, "ns")
        for _ in range(8):      # statistics pulses trail the event by a few cycles
            await RisingEdge(self.dut.clk)

    async def settle(self, cycles: int = 400):
        """Let the path drain (frames that produce no event)."""
        await self.src.wait()
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)

    async def check_retired(self):
        """Once idle, every translation the RX path was given has been retired (DMA fence)."""
        await self.settle(400)
        inflight = int(self.dut.xlat_inflight.value)
        assert inflight == 0, f"{inflight} translations never retired: a fence would hang"
        assert int(self.dut.xlat_acct_err.value) == 0, "a translation was retired twice"

    def stats(self) -> dict[str, int]:
        flat = int(self.dut.stats_flat.value)
        return {name: (flat >> (32 * i)) & 0xFFFFFFFF for name, i in STAT.items()}

    def frame_in_memory(self, ev: dict) -> bytes:
        v = self.vis[ev["vi"]]
        out = b""
        left = ev["len"]
        for k in range(ev["ndesc"]):
            iova, length = v.slots[(ev["index"] + k) & 0xFFFF]
            take = min(length, left)
            out += bytes(self.wr.read(iova_to_phys(iova), take)) if take <= 4096 - (iova & 0xFFF) \
                else self.read_iova(iova, take)
            left -= take
        assert left == 0, "descriptors do not cover the frame"
        return out

    def read_iova(self, iova: int, length: int) -> bytes:
        out = b""
        while length:
            n = min(length, 4096 - (iova & 0xFFF))
            out += bytes(self.wr.read(iova_to_phys(iova), n))
            iova += n
            length -= n
        return out

    def check_event(self, ev: dict, frame: bytes, vi: int, flags: int | None = None,
                    filt: int = 0xFFFF):
        assert ev["type"] == L.EV_TYPE_RX and ev["reserved"] == 1, ev
        assert ev["vi"] == vi, (ev, vi)
        assert ev["len"] == len(frame), (ev, len(frame))
        assert ev["filter"] == filt, (ev, filt)
        if flags is not None:
            assert ev["flags"] == flags, (hex(ev["flags"]), hex(flags))
        got = self.frame_in_memory(ev)
        assert got == frame, f"frame data differs (len {len(frame)})"


NUM_VI_INIT_CYCLES = 40


def ip_int(ip: str) -> int:
    a = [int(x) for x in ip.split(".")]
    return (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]


def udp(size: int, dst_port: int = 5000, src_ip: str = "10.0.0.2", src_port: int = 1234,
        dst_ip: str = LOCAL_IP, **kw) -> bytes:
    """A UDP frame of exactly size bytes (without FCS)."""
    hdr = Ether(dst=MAC, src=OTHER_MAC) / IP(src=src_ip, dst=dst_ip, **kw) / \
        UDP(sport=src_port, dport=dst_port)
    pay = bytes((i * 7 + size) & 0xFF for i in range(max(0, size - len(hdr))))
    return bytes(hdr / Raw(pay))


def tcp(size: int, dst_port: int = 80, src_ip: str = "10.0.0.2", src_port: int = 4321,
        dst_ip: str = LOCAL_IP) -> bytes:
    hdr = Ether(dst=MAC, src=OTHER_MAC) / IP(src=src_ip, dst=dst_ip) / \
        TCP(sport=src_port, dport=dst_port, flags="A", seq=1)
    pay = bytes((i * 13 + size) & 0xFF for i in range(max(0, size - len(hdr))))
    return bytes(hdr / Raw(pay))


def pad60(b: bytes) -> bytes:
    return b + bytes(max(0, 60 - len(b)))


async def setup(dut, vis=(0,), **kw) -> RxTb:
    tb = RxTb(dut)
    await tb.reset()
    for v in vis:
        await tb.add_vi(v, **kw)
    return tb


# ====================================================================== tests

@cocotb.test()
async def test_udp_tcp_sizes(dut):
    """UDP and TCP frames of many sizes land byte-exact in VI 0's buffers, flags all good."""
    tb = await setup(dut)
    sizes = [60, 61, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 1514,
             2048]
    frames = []
    for s in sizes:
        frames.append(udp(s))
        frames.append(tcp(max(s, 60)))
    await tb.post(0, tb.std_bufs(0, len(frames)))
    for f in frames:
        await tb.send(f)
    await tb.wait_events(len(frames))
    for i, (ev, f) in enumerate(zip(tb.events, frames, strict=False)):
        tb.check_event(ev, f, 0, GOOD)
        assert ev["index"] == i and ev["ndesc"] == 1
    st = tb.stats()
    assert st["RX_FRAMES"] == len(frames)
    assert st["RX_BYTES"] == sum(len(f) for f in frames)
    assert st["RX_FILTER_MISSES"] == len(frames)
    assert int(dut.cons_rd_index.value) == len(frames)
    assert int(dut.bad_bursts.value) == 0
    assert int(dut.max_tready_low.value) == 0


@cocotb.test()
async def test_flags_and_bad_headers(dut):
    """Checksum failures, no-checksum UDP, fragments, VLAN, IP options, non-IP, bad headers."""
    tb = await setup(dut)
    cases = []
    # good with IP options (IHL 7) and a VLAN tag
    cases.append((bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP,
                  options=b"\x01" * 8) / UDP(sport=1, dport=2) / Raw(b"x" * 100)), GOOD))
    cases.append((bytes(Ether(dst=MAC, src=OTHER_MAC) / Dot1Q(vlan=5) / IP(src="10.0.0.2",
                  dst=LOCAL_IP) / TCP(sport=1, dport=2) / Raw(b"y" * 200)), GOOD))
    # bad IP header checksum
    cases.append((bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP,
                  chksum=0x1234) / UDP(sport=1, dport=2) / Raw(b"z" * 50)),
                  L.RXF_IP | L.RXF_L4 | L.RXF_L4_CSUM_OK))
    # bad UDP / TCP checksum
    cases.append((bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP) /
                  UDP(sport=1, dport=2, chksum=0x4321) / Raw(b"z" * 50)),
                  L.RXF_IP | L.RXF_IP_CSUM_OK | L.RXF_L4))
    cases.append((bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP) /
                  TCP(sport=1, dport=2, chksum=0x4321) / Raw(b"z" * 333)),
                  L.RXF_IP | L.RXF_IP_CSUM_OK | L.RXF_L4))
    # UDP without checksum: OK
    cases.append((bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP) /
                  UDP(sport=1, dport=2, chksum=0) / Raw(b"n" * 70)), GOOD))
    # fragments: first and later, not L4-checked
    cases.append((bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP,
                  flags="MF") / UDP(sport=1, dport=2) / Raw(b"f" * 64)),
                  L.RXF_IP | L.RXF_IP_CSUM_OK))
    cases.append((bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP,
                  frag=10, proto=17) / Raw(b"g" * 64)), L.RXF_IP | L.RXF_IP_CSUM_OK))
    # Ethernet padding after a short IP datagram is excluded from the checksum
    cases.append((pad60(bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP) /
                  UDP(sport=1, dport=2) / Raw(b"p")) ), GOOD))
    # ICMP: IP only; ARP: unflagged
    cases.append((pad60(bytes(Ether(dst=MAC, src=OTHER_MAC) / IP(src="10.0.0.2", dst=LOCAL_IP) /
                  ICMP())), L.RXF_IP | L.RXF_IP_CSUM_OK))
    cases.append((pad60(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=OTHER_MAC) / ARP())), 0))
    n_good_like = len(cases)
    # bad headers: truncated total length, bad IHL, total length < IHL
    bad = []
    f = bytearray(udp(200))
    f[16:18] = (400).to_bytes(2, "big")          # total length beyond the frame
    bad.append(bytes(f))
    f = bytearray(udp(200))
    f[14] = 0x43                                  # IHL 3
    bad.append(bytes(f))
    f = bytearray(udp(200))
    f[16:18] = (12).to_bytes(2, "big")           # total length < header
    bad.append(bytes(f))
    f = bytearray(udp(60))
    f[14] = 0x4F                                  # IHL 15: header runs past the frame
    bad.append(bytes(f))
    frames = [c[0] for c in cases] + bad
    await tb.post(0, tb.std_bufs(0, len(frames)))
    for fr in frames:
        await tb.send(fr)
    await tb.wait_events(len(frames))
    for i, (fr, fl) in enumerate(cases):
        tb.check_event(tb.events[i], fr, 0, fl)
    for j, fr in enumerate(bad):
        tb.check_event(tb.events[n_good_like + j], fr, 0, L.RXF_TRUNCATED)
    st = tb.stats()
    assert st["RX_BAD_IP"] == len(bad), st
    assert st["RX_BAD_IP_CSUM"] == 1, st
    assert st["RX_BAD_L4_CSUM"] == 2, st


@cocotb.test()
async def test_steering(dut):
    """Wild and full filters, full wins, misses and removed filters go to VI 0."""
    tb = await setup(dut, vis=(0, 1, 2, 3))
    for v in (0, 1, 2, 3):
        await tb.post(v, tb.std_bufs(v, 30))
    await tb.filter(5, 1, L.IPPROTO_UDP, LOCAL_IP, 7000)                       # wild -> VI 1
    await tb.filter(9, 2, L.IPPROTO_UDP, LOCAL_IP, 7000, "10.9.9.9", 999, full=True)  # -> VI 2
    await tb.filter(3, 3, L.IPPROTO_TCP, "10.0.0.7", 443)                      # wild -> VI 3
    hit = L.RXF_FILTER_HIT
    plan = [
        (udp(300, 7000), 1, 5, GOOD | hit),
        (udp(300, 7000, src_ip="10.9.9.9", src_port=999), 2, 9, GOOD | hit),
        (udp(300, 7000, src_ip="10.9.9.9", src_port=998), 1, 5, GOOD | hit),
        (udp(300, 7001), 0, 0xFFFF, GOOD),
        (tcp(300, 443, dst_ip="10.0.0.7"), 3, 3, GOOD | hit),
        (tcp(300, 443), 0, 0xFFFF, GOOD),
        (udp(300, 443, dst_ip="10.0.0.7"), 0, 0xFFFF, GOOD),
        (udp(300, 7000, flags="MF"), 0, 0xFFFF, L.RXF_IP | L.RXF_IP_CSUM_OK),
    ]
    # a truncated frame with the filter's tuple is never steered
    tr = bytearray(udp(300, 7000))
    tr[16:18] = (600).to_bytes(2, "big")
    plan.append((bytes(tr), 0, 0xFFFF, L.RXF_TRUNCATED))
    for fr, _, _, _ in plan:
        await tb.send(fr)
    await tb.wait_events(len(plan))
    # events per VI keep wire order; match by VI
    by_vi: dict[int, list] = {}
    for ev in tb.events:
        by_vi.setdefault(ev["vi"], []).append(ev)
    for fr, vi, filt, flags in plan:
        ev = by_vi[vi].pop(0)
        tb.check_event(ev, fr, vi, flags, filt)
    # remove the wild filter: its traffic goes to VI 0; the full one still steers
    await tb.filter(5, 1, L.IPPROTO_UDP, LOCAL_IP, 7000, valid=False)
    n = len(tb.events)
    await tb.send(udp(200, 7000))
    await tb.send(udp(200, 7000, src_ip="10.9.9.9", src_port=999))
    await tb.wait_events(n + 2)
    tb.check_event(tb.events[n], udp(200, 7000), 0, GOOD)
    tb.check_event(tb.events[n + 1], udp(200, 7000, src_ip="10.9.9.9", src_port=999), 2,
                   GOOD | hit, 9)
    st = tb.stats()
    assert st["RX_FILTER_HITS"] == 5 and st["RX_FILTER_MISSES"] == 6, st


@cocotb.test()
async def test_multi_descriptor(dut):
    """Frames spanning several (unaligned, odd-sized) buffers; a jumbo frame over 2 KiB buffers."""
    tb = await setup(dut)
    base = (1 << 12)
    bufs = []
    addr = base + 3
    sizes = [100, 257, 64, 999, 333, 2500, 1, 77, 600]
    for i in range(40):
        s = sizes[i % len(sizes)]
        bufs.append((addr, s))
        addr += s + 5
    await tb.post(0, bufs)
    frames = [udp(1500), tcp(700), udp(60), udp(2000), tcp(1234), udp(999)]
    for f in frames:
        await tb.send(f)
    await tb.wait_events(len(frames))
    idx = 0
    for ev, f in zip(tb.events, frames, strict=False):
        tb.check_event(ev, f, 0, GOOD)
        assert ev["index"] == idx
        # expected descriptor count
        left, n = len(f), 0
        while left > 0:
            left -= bufs[idx + n][1]
            n += 1
        assert ev["ndesc"] == n, (ev, n)
        idx += n
    # jumbo frame: first the odd buffers left, then 2 KiB buffers straddling pages
    await tb.post(0, [(((20 + i) << 12) + 2048 + 8, 2048) for i in range(8)])
    n0 = len(tb.events)
    jumbo = udp(9000)
    await tb.send(jumbo)
    await tb.wait_events(n0 + 1)
    tb.check_event(tb.events[n0], jumbo, 0, GOOD)
    assert tb.events[n0]["index"] == idx
    assert int(dut.bad_bursts.value) == 0
    await tb.check_retired()


@cocotb.test()
async def test_bad_input_dropped(dut):
    """Runt, oversize, MAC-bad and tuser-bad frames are dropped, counted, and make no event."""
    tb = await setup(dut)
    await tb.post(0, tb.std_bufs(0, 10))
    await tb.send(udp(50)[:50])                                   # runt
    await tb.send(udp(9300))                                      # oversize
    f = bytearray(udp(100))
    f[0:6] = bytes.fromhex("021122334455")
    await tb.send(bytes(f))                                       # wrong MAC
    await tb.send(udp(200), bad=True)                             # marked bad by the MAC
    good = udp(128)
    await tb.send(good)
    bc = bytearray(udp(90))
    bc[0:6] = b"\xff" * 6                                         # broadcast is accepted
    await tb.send(bytes(bc))
    await tb.wait_events(2)
    await tb.settle(200)
    assert len(tb.events) == 2
    tb.check_event(tb.events[0], good, 0, GOOD)
    tb.check_event(tb.events[1], bytes(bc), 0, GOOD)
    assert tb.events[0]["index"] == 0 and tb.events[1]["index"] == 1
    st = tb.stats()
    assert st["RX_DROP_RUNT"] == 2, st            # runt + tuser-bad
    assert st["RX_DROP_OVERSIZE"] == 1, st
    assert st["RX_DROP_MAC"] == 1, st
    assert st["RX_FRAMES"] == 2, st
    # RX disabled: frames are ignored
    dut.ctrl_rx_enable.value = 0
    await tb.send(udp(100))
    await tb.settle(200)
    assert len(tb.events) == 2
    dut.ctrl_rx_enable.value = 1
    await tb.send(udp(101))
    await tb.wait_events(3)
    tb.check_event(tb.events[2], udp(101), 0, GOOD)
    await tb.check_retired()


@cocotb.test()
async def test_no_desc_then_recovery(dut):
    """No descriptor: drop and count without stalling the wire; refill recovers the VI."""
    tb = await setup(dut)
    for i in range(6):
        await tb.send(udp(200 + i))
    await tb.settle(300)
    assert not tb.events
    assert tb.stats()["RX_DROP_NO_DESC"] == 6
    # too few bytes posted for a big frame: dropped, descriptor not consumed
    await tb.post(0, [((1 << 12), 256)])
    await tb.send(udp(1000))
    await tb.settle(300)
    assert not tb.events and tb.stats()["RX_DROP_NO_DESC"] == 7
    assert int(dut.cons_rd_index.value) == 0
    await tb.post(0, tb.std_bufs(0, 4, start=1))
    frames = [udp(1000), udp(60), tcp(777)]
    for f in frames:
        await tb.send(f)
    await tb.wait_events(3)
    tb.check_event(tb.events[0], frames[0], 0, GOOD)
    assert tb.events[0]["index"] == 0 and tb.events[0]["ndesc"] == 2
    tb.check_event(tb.events[1], frames[1], 0, GOOD)
    tb.check_event(tb.events[2], frames[2], 0, GOOD)
    assert int(dut.max_tready_low.value) == 0


@cocotb.test()
async def test_evq_full(dut):
    """A failed reservation drops the frame (RX_DROP_EVQ_FULL) without consuming a descriptor."""
    tb = await setup(dut, credits=1)
    await tb.post(0, tb.std_bufs(0, 8))
    await tb.send(udp(300))
    await tb.send(udp(301))
    await tb.send(udp(302))
    await tb.wait_events(1)
    await tb.settle(200)
    assert len(tb.events) == 1
    assert tb.stats()["RX_DROP_EVQ_FULL"] == 2
    assert int(dut.cons_rd_index.value) == 1
    await tb.credit(0, 5)
    await tb.send(udp(303))
    await tb.wait_events(2)
    tb.check_event(tb.events[1], udp(303), 0, GOOD)
    assert tb.events[1]["index"] == 1


@cocotb.test()
async def test_evq_full_burst(dut):
    """Back-to-back frames to one VI with room for 2 events: frames walked speculatively behind
    a failed reservation are dropped too, descriptors are consumed strictly in ring order."""
    tb = await setup(dut, credits=2)
    await tb.post(0, tb.std_bufs(0, 16))
    frames = [udp(60 + 7 * i) for i in range(8)]
    for f in frames:
        await tb.send(f)
    await tb.wait_events(2)
    await tb.settle(300)
    assert len(tb.events) == 2
    for i in range(2):
        tb.check_event(tb.events[i], frames[i], 0, GOOD)
        assert tb.events[i]["index"] == i
    assert tb.stats()["RX_DROP_EVQ_FULL"] == 6
    assert int(dut.cons_rd_index.value) == 2
    await tb.credit(0, 100)
    more = [tcp(100 + i) for i in range(5)]
    for f in more:
        await tb.send(f)
    await tb.wait_events(7)
    for i, f in enumerate(more):
        tb.check_event(tb.events[2 + i], f, 0, GOOD)
        assert tb.events[2 + i]["index"] == 2 + i
    await tb.check_retired()


@cocotb.test()
async def test_fifo_overflow_drops(dut):
    """Host memory stalls writes: the RX FIFO fills, frames are dropped and counted (not the
    wire stalled), and once writes resume every stored frame is delivered intact."""
    tb = await setup(dut)
    wide = tb.bytes == 64
    n = 60 if wide else 30
    await tb.post(0, tb.std_bufs(0, n))
    tb.wr.w_channel.pause = True
    frames = [udp(1500 - (i % 7), 6000 + i) for i in range(n)]
    for f in frames:
        await tb.send(f)
    await tb.src.wait()
    await tb.settle(50)
    tb.wr.w_channel.pause = False
    for _ in range(2000):
        st = tb.stats()
        if st["RX_FRAMES"] + st["RX_DROP_FIFO"] >= n:
            break
        await Timer(100, "ns")
    await tb.settle(50)
    st = tb.stats()
    delivered = len(tb.events)
    assert delivered == st["RX_FRAMES"]
    assert delivered + st["RX_DROP_FIFO"] == n, st
    assert st["RX_DROP_NO_DESC"] == 0, st                   # FIFO drops have their own counter
    # at least two jumbo frames' worth is buffered; the rest is dropped
    assert delivered * 1500 >= 2 * L.RX_MAX_FRAME, delivered
    assert delivered < n
    assert int(dut.max_tready_low.value) == 0
    by_port = {udp_dst_port(f): f for f in frames}
    for ev in tb.events:
        f = by_port[udp_dst_port(tb.frame_in_memory(ev))]
        tb.check_event(ev, f, 0, GOOD)
    # the path works normally afterwards
    n0 = len(tb.events)
    await tb.post(0, tb.std_bufs(0, 2, start=n))
    await tb.send(udp(333))
    await tb.wait_events(n0 + 1)
    tb.check_event(tb.events[n0], udp(333), 0, GOOD)
    await tb.check_retired()


def udp_dst_port(frame: bytes) -> int:
    return int.from_bytes(frame[36:38], "big")


@cocotb.test()
async def test_faults_isolated(dut):
    """A buffer or ring naming another owner's page faults that VI only; memory untouched."""
    tb = await setup(dut, vis=(0, 1, 2))
    await tb.post(0, tb.std_bufs(0, 10))
    await tb.post(2, tb.std_bufs(2, 10))
    # VI 1: second buffer half in its own page, half in VI 2's page (crosses into page 32)
    own = ((PPV * 1 + PPV - 1) << 12) + 4096 - 100
    await tb.post(1, [((PPV * 1 + 1) << 12, 2048), (own, 2048)])
    await tb.send(udp(500, 9000))
    await tb.wait_events(1)
    await tb.filter(0, 1, L.IPPROTO_UDP, LOCAL_IP, 9000)
    await tb.settle(100)
    n = len(tb.events)
    before = bytes(tb.wr.read(0, MEM_SIZE))
    # to VI 1: the first frame fits buffer 0 (fine), the second (1000 bytes) needs buffer 1
    await tb.send(udp(400, 9000))
    await tb.wait_events(n + 1)
    ev = tb.events[n]
    tb.check_event(ev, udp(400, 9000), 1, GOOD | L.RXF_FILTER_HIT, 0)
    before = bytes(tb.wr.read(0, MEM_SIZE))
    await tb.send(udp(1000, 9000))
    await tb.settle(300)
    assert len(tb.events) == n + 1
    after = bytes(tb.wr.read(0, MEM_SIZE))
    assert before == after, "a faulted frame touched memory"
    assert tb.errors and tb.errors[-1] == dict(vi=1, code=L.ERR_RX_WRITE_FAULT, index=1), tb.errors
    st = tb.stats()
    assert st["RX_DROP_FAULT"] == 1 and st["DMA_FAULTS"] == 1, st
    # VI 1 is faulted: its traffic is dropped; VI 0 and 2 go on
    await tb.post(1, tb.std_bufs(1, 2, start=5))
    await tb.filter(1, 2, L.IPPROTO_UDP, LOCAL_IP, 9002)
    await tb.send(udp(300, 9000))
    await tb.send(udp(300, 9001))
    await tb.send(udp(300, 9002))
    await tb.wait_events(n + 3)
    await tb.settle(100)
    assert len(tb.events) == n + 3
    tb.check_event(tb.events[n + 1], udp(300, 9001), 0, GOOD)
    tb.check_event(tb.events[n + 2], udp(300, 9002), 2, GOOD | L.RXF_FILTER_HIT, 1)
    assert tb.stats()["RX_DROP_FAULT"] == 2
    # descriptor fault: VI 3's ring lives in a page owned by VI 0
    await tb.add_vi(3, ring_iova=(PPV * 0 + 5) << 12)
    await tb.post(3, [((PPV * 3 + 1) << 12, 2048)])
    await tb.settle(100)
    assert tb.errors[-1] == dict(vi=3, code=L.ERR_RX_DESC_FAULT, index=0), tb.errors
    await tb.filter(2, 3, L.IPPROTO_UDP, LOCAL_IP, 9003)
    await tb.send(udp(300, 9003))
    await tb.send(udp(300, 9001))
    await tb.wait_events(n + 4)
    await tb.settle(100)
    assert len(tb.events) == n + 4
    tb.check_event(tb.events[n + 3], udp(300, 9001), 0, GOOD)
    # re-enabling the faulted VI 1 with a good ring makes it work again
    await tb.add_vi(1, pages=range(0))
    await tb.post(1, tb.std_bufs(1, 4))
    await tb.send(udp(300, 9000))
    await tb.wait_events(n + 5)
    tb.check_event(tb.events[n + 4], udp(300, 9000), 1, GOOD | L.RXF_FILTER_HIT, 0)
    await tb.check_retired()


@cocotb.test()
async def test_event_backpressure_random(dut):
    """Random frames to several VIs with a stalling event port: all delivered, in order per VI."""
    tb = await setup(dut, vis=(0, 1))
    random.seed(7)
    await tb.filter(0, 1, L.IPPROTO_TCP, LOCAL_IP, 22)
    await tb.post(0, tb.std_bufs(0, 60, size=1024))
    await tb.post(1, tb.std_bufs(1, 60, size=1024, offset=3))
    tb.ev_ready_random = True
    frames = []
    for _ in range(50):
        size = random.choice([60, 64, 100, 256, 300, 900, 1020, 1500])
        if random.random() < 0.5:
            frames.append((tcp(size, 22), 1))
        else:
            frames.append((udp(size, 53), 0))
    for f, _ in frames:
        await tb.send(f)
    await tb.wait_events(len(frames), timeout_us=400)
    tb.ev_ready_random = False
    by_vi: dict[int, list] = {0: [], 1: []}
    for ev in tb.events:
        by_vi[ev["vi"]].append(ev)
    for f, vi in frames:
        ev = by_vi[vi].pop(0)
        tb.check_event(ev, f, vi, GOOD | (L.RXF_FILTER_HIT if vi else 0), 0 if vi else 0xFFFF)
    await tb.check_retired()


async def run_stream(dut, n: int, size: int, paced: bool, latency: int):
    """n back-to-back frames of size bytes to VI 0 (ring kept topped up); returns
    (wire cycles per frame, cycles per frame until the last event)."""
    tb = await setup(dut, log2=7)
    dut.wr_latency.value = latency
    dut.rd_latency.value = latency
    if paced:
        # 100 GbE: a 256-byte frame every 5.6 cycles (4 beats + 1.6 idle at 64 B/cycle)
        tb.src.set_pause_generator(itertools.cycle([0, 0, 0, 1, 0, 0, 1]))
    ring = 1 << 7
    bsize = 512 if size <= 512 else 2048
    first = min(n, ring - 8)
    await tb.post(0, tb.std_bufs(0, first, size=bsize))
    frames = [udp(size, 5000 + (i % 1000)) for i in range(n)]
    posted = first

    async def refill():
        nonlocal posted
        while posted < n:
            await Timer(100, "ns")
            room = ring - 8 - (posted - int(dut.cons_rd_index.value))
            if room >= 16:
                k = min(room, n - posted)
                await tb.post(0, tb.std_bufs(0, k, size=bsize, start=posted))
                posted += k

    cocotb.start_soon(refill())
    t0 = int(dut.cycle_count.value)
    for f in frames:
        await tb.send(f)
    await tb.src.wait()
    t_in = int(dut.cycle_count.value)
    await tb.wait_events(n, timeout_us=400)
    reuse = (PPV - 1) * 4096 // bsize      # buffers are reused after this many frames
    for i, (ev, f) in enumerate(zip(tb.events, frames, strict=False)):
        assert ev["index"] == i and ev["len"] == len(f) and ev["flags"] == GOOD, ev
        if i >= n - reuse:
            tb.check_event(ev, f, 0, GOOD)
    st = tb.stats()
    drops = {k: v for k, v in st.items() if k.startswith("RX_DROP") and v}
    assert st["RX_FRAMES"] == n and not drops, st
    assert int(dut.bad_bursts.value) == 0
    assert int(dut.max_tready_low.value) == 0
    wire = (t_in - t0) / n
    a, b = n // 5, n - n // 5
    steady = (tb.events[b]["cycle"] - tb.events[a]["cycle"]) / (b - a)
    dut._log.info("DATA_WIDTH %d, latency %d, %s: %d x %d B frames, wire %.2f cycles/frame, "
                  "events %.2f cycles/frame in steady state, first event %d cycles after the "
                  "first frame", tb.dw, latency, "paced" if paced else "back-to-back", n, size,
                  wire, steady, tb.events[0]["cycle"] - t0)
    return wire, steady


@cocotb.test()
async def test_line_rate_256(dut):
    """256-byte frames with 125 cycles of DMA latency: at 512 bits, 100 GbE pacing (5.6
    cycles/frame) is sustained with no drop; at 64 bits the wire itself is the limit."""
    wide = len(dut.s_axis_rx_tdata) == 512
    n = 300 if wide else 40
    wire, steady = await run_stream(dut, n, 256, paced=wide, latency=125)
    if wide:
        assert steady < 5.7, (wire, steady)


@cocotb.test()
async def test_back_to_back_256(dut):
    """256-byte frames back to back (4 cycles/frame at 512 bits, above 100 GbE): the RX FIFO
    absorbs the excess for a while; reports the sustained event rate."""
    wide = len(dut.s_axis_rx_tdata) == 512
    if wide:
        await run_stream(dut, 120, 256, paced=False, latency=125)


@cocotb.test()
async def test_back_to_back_1500(dut):
    """1500-byte frames back to back (faster than 100 GbE at 512 bits) with DMA latency."""
    wide = len(dut.s_axis_rx_tdata) == 512
    await run_stream(dut, 60 if wide else 10, 1500, paced=False, latency=125)


# ------------------------------------------------------------------ differential fuzzing
FUZZ_FILTERS = (RxFilter(0, 1, L.IPPROTO_UDP, LOCAL_IP, 5000),
                RxFilter(1, 2, L.IPPROTO_TCP, LOCAL_IP, 80, "10.0.0.2", 4321))
DROPS = ("RX_DROP_RUNT", "RX_DROP_OVERSIZE", "RX_DROP_MAC", "RX_DROP_NO_DESC",
         "RX_DROP_EVQ_FULL", "RX_DROP_FAULT", "RX_DROP_FIFO")
BAD = ("RX_BAD_IP", "RX_BAD_IP_CSUM", "RX_BAD_L4_CSUM")


FUZZ_POSTED = 40  # RX buffers kept posted per VI while fuzzing


async def fuzz_setup(dut, credits: int = 1000) -> tuple[RxTb, dict[int, int]]:
    """VIs 0-2 with FUZZ_FILTERS and FUZZ_POSTED buffers each; returns the bench and the
    buffers posted so far per VI (for ``repost``)."""
    tb = await setup(dut, vis=(0, 1, 2), log2=7, credits=credits)
    for f in FUZZ_FILTERS:
        await tb.filter(f.index, f.vi, f.proto, f.local_ip, f.local_port,
                        f.remote_ip or "0.0.0.0", f.remote_port, full=f.remote_ip is not None)
    posted = dict.fromkeys((0, 1, 2), FUZZ_POSTED)
    for v in posted:
        await tb.post(v, tb.std_bufs(v, FUZZ_POSTED))
    await tb.settle(100)
    return tb, posted


async def repost(tb: RxTb, posted: dict[int, int], ev: dict) -> None:
    """Give the VI of a checked delivery as many fresh buffers as the frame took."""
    vi = ev["vi"]
    await tb.post(vi, tb.std_bufs(vi, ev["ndesc"], start=posted[vi]))
    posted[vi] += ev["ndesc"]


async def rx_fuzz(dut, seed: int, count: int) -> tuple[int, list[str]]:
    """Feed ``count`` seeded frames (tb.rxref.frames) one at a time and compare what the RTL
    did with each to tb.rxref.expect. Returns (frames, mismatches described)."""
    tb, posted = await fuzz_setup(dut)
    mismatches = []
    n = 0
    for frame, bad in rxref_frames(seed, count, MAC, FUZZ_FILTERS):
        n += 1
        want = rxref_expect(frame, MAC, FUZZ_FILTERS, bad)
        before, n_ev = tb.stats(), len(tb.events)
        await tb.send(frame, bad)
        await tb.src.wait()
        limit = cocotb.simtime.get_sim_time("ns") + 50_000
        while len(tb.events) == n_ev and \
                sum(tb.stats()[d] for d in DROPS) == sum(before[d] for d in DROPS):
            if cocotb.simtime.get_sim_time("ns") >= limit:
                break
            await Timer(40, "ns")
        for _ in range(12):  # statistics pulses trail the event
            await RisingEdge(dut.clk)
        after = tb.stats()
        got_drops = [d for d in DROPS if after[d] != before[d]]
        got_bad = {b for b in BAD if after[b] != before[b]}
        evs = tb.events[n_ev:]
        what = []
        if want.drop is not None:
            if evs or got_drops != [want.drop]:
                what.append(f"want drop {want.drop}, got drops {got_drops}, {len(evs)} events")
        elif len(evs) != 1 or got_drops:
            what.append(f"want delivery to VI {want.vi}, got {len(evs)} events, drops "
                        f"{got_drops}")
        else:
            ev = evs[0]
            got = (ev["vi"], ev["filter"], ev["flags"], ev["len"])
            exp = (want.vi, want.filter, want.flags, len(frame))
            if got != exp:
                what.append(f"(vi, filter, flags, len) want {exp}, got {got}")
            elif tb.frame_in_memory(ev) != frame:
                what.append("the delivered bytes differ")
            if got_bad != want.stats:
                what.append(f"RX_BAD_* want {sorted(want.stats)}, got {sorted(got_bad)}")
            await repost(tb, posted, ev)
        if what:
            mismatches.append(f"frame {n - 1} (bad={bad}, {len(frame)} B): {'; '.join(what)}: "
                              f"{frame[:64].hex()}")
    await tb.check_retired()
    return n, mismatches


@cocotb.test()
async def test_differential_fuzz(dut):
    """Seeded frames of every kind, mutations and random bytes (NICSIM_RXFUZZ_FRAMES, default
    200, NICSIM_RXFUZZ_SEED): the RTL does with each what the scapy-based reference says."""
    seed = int(os.environ.get("NICSIM_RXFUZZ_SEED", "1"))
    count = int(os.environ.get("NICSIM_RXFUZZ_FRAMES", "200"))
    n, mismatches = await rx_fuzz(dut, seed, count)
    dut._log.info("differential fuzz: %d frames, seed %d, %d mismatches", n, seed,
                  len(mismatches))
    assert not mismatches, f"{len(mismatches)} of {n} frames (seed {seed}):\n" + \
        "\n".join(mismatches[:10])
