"""The receive path's differential fuzz through the whole NIC and its drivers, bounded for
``make test`` (tb/scenarios/rx_fuzz.py; ``make bench`` runs 100,000 frames)."""

from __future__ import annotations

import cocotb

from tb.env import NicBench
from tb.scenarios import rx_fuzz

SIM_TOP = "tb_nic"  # the sim top these tests run on (tb/scenario_info.py)


@cocotb.test(timeout_time=20_000, timeout_unit="us")
async def the_receive_path_does_what_the_reference_says(dut):
    """NICSIM_RXFUZZ_FRAMES (default 400) seeded frames of every kind, mutated and random (seed
    NICSIM_RXFUZZ_SEED): each is dropped and counted, or delivered to the VI with the filter
    entry, flags and bytes, that the scapy-based reference says."""
    seed, count = rx_fuzz.from_env(400)
    bench = await NicBench.start(dut, os_stack=False)
    result = await rx_fuzz.run(bench, seed, count, log=dut._log)
    assert result.deliveries > count // 4, "the mix delivers too little to test steering"
    assert result.mismatches == 0, \
        f"{result.mismatches} disagreements over {count} frames (seed {seed}): {result.notes[:5]}"
