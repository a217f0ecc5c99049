"""Unit tests of the RX path RTL (nic_rx and its blocks) through the project runner."""

from __future__ import annotations

import pytest

from tb.runner import RTL_DIR, ROOT, ModelSpec, build

RX_SOURCES = [
    "nic_rx.v", "nic_rx_parser.v", "nic_rx_csum.v", "nic_rx_pkt_ram.v", "nic_rx_fifo.v",
    "nic_filter.v", "nic_rx_desc_fetch.v", "nic_rx_plan.v", "nic_rx_dma.v", "nic_rx_xlat_mux.v",
    "nic_fifo.v", "nic_buf_table.v",
]


def rx_model(data_width: int):
    sources = (ROOT / "tb" / "nic_rx" / "nic_rx_harness.v",) + tuple(RTL_DIR / s for s in RX_SOURCES)
    return build(ModelSpec(top="nic_rx_harness", sources=sources,
                           parameters=(("DATA_WIDTH", data_width),), includes=(RTL_DIR,),
                           timing=False))


@pytest.mark.parametrize("data_width", [64, 512])
def test_nic_rx(data_width):
    """Every cocotb test of tb/nic_rx/test_nic_rx.py at DATA_WIDTH 64 and 512."""
    rx_model(data_width).run("tb.nic_rx.test_nic_rx", results_name=f"results_rx_{data_width}")
