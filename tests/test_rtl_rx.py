"""Unit tests of the RX path RTL (nic_rx and its blocks) through the project runner."""

from __future__ import annotations

import pytest

from tb.runner import ROOT, RTL_DIR, ModelSpec, build

pytestmark = pytest.mark.sim

RX_SOURCES = [
    "nic_rx.v", "nic_rx_parser.v", "nic_rx_csum.v", "nic_rx_pkt_ram.v", "nic_rx_fifo.v",
    "nic_filter.v", "nic_rx_desc_fetch.v", "nic_rx_plan.v", "nic_rx_dma.v", "nic_rx_xlat_mux.v",
    "nic_fifo.v", "nic_buf_table.v", "nic_dma_fence.v",
]


def rx_model(data_width: int):
    harness = ROOT / "tb" / "nic_rx" / "nic_rx_harness.v"
    sources = (harness,) + tuple(RTL_DIR / s for s in RX_SOURCES)
    return build(ModelSpec(top="nic_rx_harness", sources=sources,
                           parameters=(("DATA_WIDTH", data_width),), includes=(RTL_DIR,),
                           timing=False))


@pytest.mark.xdist_group("rtl_rx_64")
def test_nic_rx_64():
    """Every cocotb test of tb/nic_rx/test_nic_rx.py at DATA_WIDTH 64."""
    rx_model(64).run("tb.nic_rx.test_nic_rx", results_name="results_rx_64")


@pytest.mark.xdist_group("rtl_rx_512")
def test_nic_rx_512():
    """Every cocotb test of tb/nic_rx/test_nic_rx.py at DATA_WIDTH 512 (incl. line rate)."""
    rx_model(512).run("tb.nic_rx.test_nic_rx", results_name="results_rx_512")
