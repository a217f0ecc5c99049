"""System simulations of receive, steering and two hosts (tb/scenarios/test_rx.py), and the
receive path's differential fuzz through the whole NIC (tb/scenarios/test_rx_fuzz.py)."""

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


FUZZ_MODULE = "tb.scenarios.test_rx_fuzz"


@pytest.mark.xdist_group("tb_nic_512")
def test_rx_fuzz_through_the_nic_512():
    """The receive path's differential fuzz on the whole NIC (400 frames), DATA_WIDTH 512."""
    run_scenario("tb_nic", FUZZ_MODULE, "the_receive_path_does_what_the_reference_says",
                 data_width=512, dma_latency=125)


@pytest.mark.xdist_group("tb_nic_64")
def test_rx_fuzz_through_the_nic_64():
    """The same at DATA_WIDTH 64, with another seed."""
    run_scenario("tb_nic", FUZZ_MODULE, "the_receive_path_does_what_the_reference_says",
                 data_width=64, dma_latency=125, extra_env={"NICSIM_RXFUZZ_SEED": "2"})
