"""The user-level TCP/IP stack between two simulated hosts through their NICs."""

import os

import pytest

from tests.simtests import run_scenario

MODULE = "tb.scenarios.test_tcp"
pytestmark = pytest.mark.sim
SOAK = os.environ.get("SOAK", "0") != "0"


@pytest.mark.xdist_group("tb_two_hosts_512")
def test_tcp_echo_512():
    """TCP echo between processes on the two hosts, filters steering each flow to its VI."""
    run_scenario("tb_two_hosts", MODULE, "tcp_echo_between_hosts", data_width=512,
                 dma_latency=125)


@pytest.mark.slow
@pytest.mark.skipif(not SOAK, reason="soak run: the in-simulator bulk transfer takes many "
                    "minutes of wall time; run with SOAK=1")
@pytest.mark.xdist_group("tb_two_hosts_512")
def test_tcp_bulk_512():
    """1 MiB bulk transfer over TCP between the two simulated hosts (SOAK=1)."""
    run_scenario("tb_two_hosts", MODULE, "tcp_bulk_transfer", data_width=512, dma_latency=125)
