"""System simulations of receive, steering and two hosts (tb/scenarios/test_rx.py)."""

import pytest

from tests.simtests import cocotb_tests, run_scenario

MODULE = "tb.scenarios.test_rx"
TESTS = cocotb_tests(MODULE)
pytestmark = pytest.mark.sim


@pytest.mark.xdist_group("tb_two_hosts_512")
@pytest.mark.parametrize("testcase", TESTS)
def test_rx_512_latency_125(testcase):
    """Every receive scenario at DATA_WIDTH 512 with 125 cycles of DMA latency."""
    run_scenario("tb_two_hosts", MODULE, testcase, data_width=512, dma_latency=125)
