"""Unit tests of the RX path RTL (nic_rx and its blocks) through the project runner."""

from __future__ import annotations

import json

import pytest

from tb.nic_rx.model import rx_harness_spec
from tb.runner import build

pytestmark = pytest.mark.sim

def rx_model(data_width: int):
    return build(rx_harness_spec(data_width))


@pytest.mark.xdist_group("rtl_rx_64")
def test_nic_rx_64():
    """Every cocotb test of tb/nic_rx/test_nic_rx.py at DATA_WIDTH 64."""
    rx_model(64).run("tb.nic_rx.test_nic_rx", results_name="results_rx_64")


@pytest.mark.xdist_group("rtl_rx_512")
def test_nic_rx_512():
    """Every cocotb test of tb/nic_rx/test_nic_rx.py at DATA_WIDTH 512 (incl. line rate)."""
    rx_model(512).run("tb.nic_rx.test_nic_rx", results_name="results_rx_512")


@pytest.mark.xdist_group("rtl_rx_512")
def test_rx_fuzz_bench_record(tmp_path):
    """make bench's streamed receive fuzz, bounded to 300 frames: its record says how many
    frames, which seed, and no mismatch."""
    out = tmp_path / "bench.jsonl"
    rx_model(512).run("tb.nic_rx.bench_rx_fuzz", results_name="results_rx_fuzz_bench",
                      extra_env={"NICSIM_BENCH_OUT": str(out), "NICSIM_RXFUZZ_FRAMES": "300",
                                 "NICSIM_RXFUZZ_SEED": "5"})
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["metric"] == "rx_parser_mismatches"
    assert record["params"] == {"frames": 300, "seed": 5, "data_width": 512}
    assert record["value"] == 0
