"""The RX unit-test model: nic_rx with the buffer table and the DMA fence in
tb/nic_rx/nic_rx_harness.v (tests/test_rtl_rx.py and make bench's receive fuzz use it)."""

from __future__ import annotations

from tb.runner import ROOT, RTL_DIR, ModelSpec

RX_SOURCES = [
    "nic_rx.v", "nic_rx_parser.v", "nic_rx_csum.v", "nic_rx_pkt_ram.v", "nic_rx_fifo.v",
    "nic_filter.v", "nic_rx_desc_fetch.v", "nic_rx_plan.v", "nic_rx_dma.v", "nic_rx_xlat_mux.v",
    "nic_fifo.v", "nic_buf_table.v", "nic_dma_fence.v",
]


def rx_harness_spec(data_width: int) -> ModelSpec:
    harness = ROOT / "tb" / "nic_rx" / "nic_rx_harness.v"
    sources = (harness,) + tuple(RTL_DIR / s for s in RX_SOURCES)
    return ModelSpec(top="nic_rx_harness", sources=sources,
                     parameters=(("DATA_WIDTH", data_width),), includes=(RTL_DIR,),
                     timing=False)
