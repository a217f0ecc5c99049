"""``make bench``'s differential fuzz of the receive path: NICSIM_RXFUZZ_FRAMES (tb/bench.py
gives 20,000 by default) seeded frames of tb.rxref streamed into the RX path of
tb/nic_rx/nic_rx_harness.v, the outcome compared with tb.rxref.expect. Records
``rx_parser_mismatches`` (goal 0) with the frame count and the seed.

Frames go a few at a time (at most ``WINDOW`` unresolved), so none is lost for want of room and
every outcome is the parser's and the filters': each delivery (VI, filter, flags, length and
bytes) is compared in wire order with the reference's, and the drop and RX_BAD_* counters with
its totals. A mismatch is every delivery that differs, every missing or extra one, and every
count a counter is off by. The first few are logged with their frames.
"""

from __future__ import annotations

import os

import cocotb
from cocotb.triggers import RisingEdge, Timer

from tb.nic_rx.test_nic_rx import BAD, DROPS, FUZZ_FILTERS, MAC, fuzz_setup, repost
from tb.rxref import expect, frames

WINDOW = 8      # frames sent and not yet resolved (delivered or counted as a drop)
CREDITS = 1000  # event-queue room of each VI (the harness's reservation model), renewed


@cocotb.test()
async def rx_parser_fuzz(dut):
    seed = int(os.environ.get("NICSIM_RXFUZZ_SEED", "1"))
    count = int(os.environ.get("NICSIM_RXFUZZ_FRAMES", "20000"))
    tb, posted = await fuzz_setup(dut, credits=CREDITS)
    delivered = dict.fromkeys(posted, 0)
    base = tb.stats()
    want_drops = dict.fromkeys(DROPS, 0)
    want_bad = dict.fromkeys(BAD, 0)
    deliveries: list[tuple[tuple, bytes]] = []  # expected (vi, filter, flags, len), frame
    mismatches: list[str] = []
    checked = 0

    def resolved() -> int:
        st = tb.stats()
        return len(tb.events) + sum(st[d] - base[d] for d in DROPS)

    async def check_new_events() -> None:
        nonlocal checked
        while checked < len(tb.events):
            ev = tb.events[checked]
            got = (ev["vi"], ev["filter"], ev["flags"], ev["len"])
            if checked >= len(deliveries):
                mismatches.append(f"delivery {checked} unexpected: {got}")
            else:
                exp, frame = deliveries[checked]
                if got != exp:
                    mismatches.append(f"delivery {checked}: want {exp}, got {got}: "
                                      f"{frame[:64].hex()}")
                elif tb.frame_in_memory(ev) != frame:
                    mismatches.append(f"delivery {checked}: the bytes differ")
            await repost(tb, posted, ev)
            vi = ev["vi"]
            delivered[vi] += 1
            if delivered[vi] % 500 == 0:  # the host has read its events: room for more
                await tb.credit(vi, CREDITS)
            checked += 1

    sent = 0
    for frame, bad in frames(seed, count, MAC, FUZZ_FILTERS):
        want = expect(frame, MAC, FUZZ_FILTERS, bad)
        if want.drop is not None:
            want_drops[want.drop] += 1
        else:
            deliveries.append(((want.vi, want.filter, want.flags, len(frame)), frame))
            for b in want.stats:
                want_bad[b] += 1
        limit = cocotb.simtime.get_sim_time("ns") + 100_000
        while sent - resolved() >= WINDOW:
            await check_new_events()
            if cocotb.simtime.get_sim_time("ns") >= limit:
                break
            await Timer(40, "ns")
        await tb.send(frame, bad)
        sent += 1
    await tb.src.wait()
    limit = cocotb.simtime.get_sim_time("ns") + 200_000
    while resolved() < sent and cocotb.simtime.get_sim_time("ns") < limit:
        await check_new_events()
        await Timer(100, "ns")
    for _ in range(20):
        await RisingEdge(dut.clk)
    await check_new_events()
    if len(tb.events) < len(deliveries):
        mismatches.append(f"{len(deliveries) - len(tb.events)} deliveries missing")
    st = tb.stats()
    for name, want in (want_drops | want_bad).items():
        got = st[name] - base[name]
        if got != want:
            mismatches.append(f"{name}: want {want}, got {got}")
    off = sum(abs((st[n] - base[n]) - w) for n, w in (want_drops | want_bad).items())
    total = off + len([m for m in mismatches if m.startswith("delivery")]) + \
        max(0, len(deliveries) - len(tb.events))
    counters = [m for m in mismatches if not m.startswith("delivery")]
    for line in [m for m in mismatches if m.startswith("delivery")][:10] + counters:
        dut._log.warning("rx fuzz mismatch: %s", line)
    dut._log.info("rx fuzz: %d frames, seed %d, %d deliveries, %d mismatches", sent, seed,
                  len(deliveries), total)
    out = os.environ.get("NICSIM_BENCH_OUT")
    if out:
        from tb.bench import append_record

        append_record(out, "rx_parser_mismatches", total, "frames", frames=sent, seed=seed,
                      data_width=tb.dw)
