"""System simulations of the transmit path (tb/scenarios/test_tx.py) on the whole NIC."""

import pytest

from tests.simtests import cocotb_tests, run_scenario

MODULE = "tb.scenarios.test_tx"
TESTS = cocotb_tests(MODULE)
pytestmark = pytest.mark.sim


@pytest.mark.xdist_group("tb_nic_512")
@pytest.mark.parametrize("testcase", TESTS)
def test_tx_512_dpi_latency_125(testcase):
    """Every TX scenario at DATA_WIDTH 512 with 125 cycles of DMA latency (DPI memory)."""
    run_scenario("tb_nic", MODULE, testcase, data_width=512, dma_latency=125)


@pytest.mark.xdist_group("tb_nic_64")
@pytest.mark.parametrize("testcase", TESTS)
def test_tx_64_dpi_latency_125(testcase):
    """Every TX scenario at DATA_WIDTH 64, reduced sweep, 125 cycles of DMA latency."""
    run_scenario("tb_nic", MODULE, testcase, data_width=64, dma_latency=125, quick=True)


# cocotbext-axi's AxiRam as host memory (EXT_MEM=1: the clock comes from cocotb, see tb/env.py):
# a protocol check of the DMA port against an independent AXI4 slave model. AxiRam has no
# latency model, so these run at DMA latency 0; a reduced set, as AxiRam costs Python per beat.
# (zero_copy_reads_the_process_pages needs the DPI memory's DMA log, so it is not in this set.)
AXIRAM_TESTS = ["udp_every_payload_size", "scatter_gather_frames",
                "protection_faults_only_the_offending_vi", "bad_descriptor_faults_the_vi",
                "ring_wraps_three_laps", "several_vis_send_at_once"]


@pytest.mark.xdist_group("tb_nic_64_axiram")
@pytest.mark.parametrize("testcase", AXIRAM_TESTS)
def test_tx_64_axiram(testcase):
    """Reduced TX set at DATA_WIDTH 64 with cocotbext-axi's AxiRam as host memory."""
    run_scenario("tb_nic", MODULE, testcase, data_width=64, dma_latency=0, quick=True,
                 ext_mem=True)
