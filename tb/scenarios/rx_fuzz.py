"""Differential fuzz of the whole NIC's receive path (tb_nic, one host, no OS stack): seeded
frames of tb.rxref (valid frames of every kind, mutations, random bytes) go in on the wire, and
what the NIC does with each is compared with tb.rxref.expect, the scapy-based reference.

Three VIs receive, as the host's processes and drivers see them: VI 0 (the kernel's, the
default VI for frames no filter takes) and two processes' VIs behind a wild UDP filter and a
full TCP filter, installed by the kernel driver. Each VI busy-polls its event queue and
re-posts its buffers. A delivery is checked in its VI's order against the reference: filter
entry, RX_FLAGS, length, and the bytes as they landed in the process's buffers. Drops and the
RX_BAD_* counters are checked as totals from the NIC's statistics registers at the end.

No Python runs per clock beat: frames go through the shared-memory wire (at most ``WINDOW``
not yet taken by the NIC) and land in the DPI host memory. This is what makes ``make bench``'s
100,000 frames affordable; tb/nic_rx/bench_rx_fuzz.py is the same comparison on the RX unit
alone, with cocotb bus models.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from host import layout as L
from host.driver.kernel import Filter
from tb.env import NicBench, SimTimeout
from tb.rxref import RxFilter, expect, frames
from tb.scenarios.apps import TxApp

DROPS = ("RX_DROP_RUNT", "RX_DROP_OVERSIZE", "RX_DROP_MAC", "RX_DROP_NO_DESC",
         "RX_DROP_EVQ_FULL", "RX_DROP_FAULT", "RX_DROP_FIFO")
BAD = ("RX_BAD_IP", "RX_BAD_IP_CSUM", "RX_BAD_L4_CSUM")
LOCAL_IP = "10.0.0.1"  # the address tb.rxref's frames are sent to
WINDOW = 8             # frames on the wire not yet taken by the NIC
POLL_EVERY = 8         # frames injected between two polls of the receivers
RESYNC = 64            # how far ahead a delivery is looked for in its VI's expected order


@dataclass
class Expected:
    filter: int
    flags: int
    frame: bytes


@dataclass
class Receiver:
    """One receiving VI and what the reference says it must get, in order."""

    app: TxApp
    want: list[Expected] = field(default_factory=list)
    checked: int = 0  # deliveries compared so far


@dataclass
class FuzzResult:
    frames: int
    deliveries: int
    mismatches: int
    notes: list[str]


async def run(bench: NicBench, seed: int, count: int, log=None) -> FuzzResult:
    """Send ``count`` frames of seed ``seed``; return what disagreed with the reference."""
    host = bench.host
    receivers = {
        0: Receiver(TxApp(host, "kernel-rx", 7000, vi_number=0, rx_buffers=256, rxq=256)),
        1: Receiver(TxApp(host, "udp-rx", 7001, rx_buffers=256, rxq=256)),
        2: Receiver(TxApp(host, "tcp-rx", 7002, rx_buffers=256, rxq=256)),
    }
    vi_of = {k: r.app.vi.vi for k, r in receivers.items()}
    udp_slot = host.kernel.insert_filter(Filter(L.IPPROTO_UDP, LOCAL_IP, 5000), vi_of[1])
    tcp_slot = host.kernel.insert_filter(
        Filter(L.IPPROTO_TCP, LOCAL_IP, 80, "10.0.0.2", 4321), vi_of[2])
    filters = (RxFilter(udp_slot, vi_of[1], L.IPPROTO_UDP, LOCAL_IP, 5000),
               RxFilter(tcp_slot, vi_of[2], L.IPPROTO_TCP, LOCAL_IP, 80, "10.0.0.2", 4321))
    by_vi = {r.app.vi.vi: r for r in receivers.values()}
    await bench.settle()
    base = await host.kernel.read_stats()
    mac = host.kernel.mac
    want_counts = dict.fromkeys(DROPS + BAD, 0)
    notes: list[str] = []
    mismatches = 0
    deliveries = 0

    def note(text: str) -> None:
        notes.append(text)
        if log is not None and len(notes) <= 10:
            log.warning("rx fuzz mismatch: %s", text)

    def check() -> int:
        """Poll every receiver and compare what arrived; returns deliveries so far."""
        nonlocal mismatches
        for rx in by_vi.values():
            rx.app.poll()
            for got in rx.app.received:
                ev = got.event
                ahead = rx.want[rx.checked:rx.checked + RESYNC]
                hit = next((i for i, w in enumerate(ahead) if w.frame == got.data), None)
                if hit is None:
                    mismatches += 1
                    note(f"VI {ev.vi}: delivery of {ev.length} bytes not expected there: "
                         f"{got.data[:64].hex()}")
                    continue
                if hit:
                    mismatches += hit
                    note(f"VI {ev.vi}: {hit} expected deliveries missing before "
                         f"{ahead[hit].frame[:32].hex()}")
                w = ahead[hit]
                if (ev.filter, ev.rx_flags, ev.length) != (w.filter, w.flags, len(w.frame)):
                    mismatches += 1
                    note(f"VI {ev.vi}: want filter {w.filter:#x} flags {w.flags:#x} len "
                         f"{len(w.frame)}, got {ev.filter:#x} {ev.rx_flags:#x} {ev.length}: "
                         f"{w.frame[:64].hex()}")
                rx.checked += hit + 1
            rx.app.received.clear()
        return sum(r.checked for r in by_vi.values())

    sent = 0
    for frame, bad in frames(seed, count, mac, filters):
        want = expect(frame, mac, filters, bad)
        if want.drop is not None:
            want_counts[want.drop] += 1
        else:
            by_vi[want.vi].want.append(Expected(want.filter, want.flags, frame))
            deliveries += 1
            for b in want.stats:
                want_counts[b] += 1
        while bench.rx_wire.inject_pending() >= WINDOW:
            check()
            await bench.cycles(16)
        bench.rx_wire.inject(frame, bad)
        sent += 1
        if sent % POLL_EVERY == 0:
            check()
    try:
        await bench.wait_until(
            lambda: check() >= deliveries and bench.rx_wire.inject_pending() == 0, 200_000,
            f"{deliveries} deliveries", wake=host.write_bursts)
    except SimTimeout:
        pass  # what never came is counted below
    await bench.cycles(200)  # the last drops' counter updates
    check()
    for rx in by_vi.values():
        missing = len(rx.want) - rx.checked
        if missing:
            mismatches += missing
            note(f"VI {rx.app.vi.vi}: the last {missing} expected deliveries never came")
    stats = await host.kernel.read_stats()
    for name, want in want_counts.items():
        got = (stats[name] - base[name]) & 0xFFFFFFFF
        if got != want:
            mismatches += abs(got - want)
            note(f"{name}: want {want}, got {got}")
    return FuzzResult(sent, deliveries, mismatches, notes)


def from_env(default_frames: int) -> tuple[int, int]:
    """(seed, frames) from NICSIM_RXFUZZ_SEED and NICSIM_RXFUZZ_FRAMES."""
    return (int(os.environ.get("NICSIM_RXFUZZ_SEED", "1")),
            int(os.environ.get("NICSIM_RXFUZZ_FRAMES", str(default_frames))))
