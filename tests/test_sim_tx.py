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


@pytest.mark.xdist_group("tb_nic_64_axiram")
@pytest.mark.parametrize("testcase", ["udp_every_payload_size", "scatter_gather_frames",
                                      "protection_faults_only_the_offending_vi"])
def test_tx_64_axiram(testcase):
    """A reduced set on cocotbext-axi's AxiRam over the same memory (protocol checking)."""
    run_scenario("tb_nic", MODULE, testcase, data_width=64, dma_latency=0, quick=True,
                 ext_mem=True)
