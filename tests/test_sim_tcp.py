"""The user-level TCP/IP stack between two simulated hosts through their NICs."""

import pytest

from tests.simtests import cocotb_tests, run_scenario

MODULE = "tb.scenarios.test_tcp"
pytestmark = pytest.mark.sim


@pytest.mark.xdist_group("tb_two_hosts_512")
@pytest.mark.parametrize("testcase", cocotb_tests(MODULE))
def test_tcp_512(testcase):
    """TCP echo and a 1 MiB bulk transfer, filters steering each flow to its process's VI."""
    run_scenario("tb_two_hosts", MODULE, testcase, data_width=512, dma_latency=125)
