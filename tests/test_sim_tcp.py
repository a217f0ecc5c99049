"""The user-level TCP/IP stack between two simulated hosts through their NICs."""

import pytest

from tests.simtests import run_scenario

MODULE = "tb.scenarios.test_tcp"
pytestmark = pytest.mark.sim


@pytest.mark.xdist_group("tb_two_hosts_512")
def test_tcp_echo_512():
    """TCP echo between processes on the two hosts, filters steering each flow to its VI."""
    run_scenario("tb_two_hosts", MODULE, "tcp_echo_between_hosts", data_width=512,
                 dma_latency=125)


@pytest.mark.slow
@pytest.mark.xdist_group("tb_two_hosts_512")
def test_tcp_bulk_512():
    """A 1 MiB bulk transfer over TCP between the two simulated hosts, exactly once and in order
    (a few seconds of wall time); SOAK=1 moves 16 MiB."""
    run_scenario("tb_two_hosts", MODULE, "tcp_bulk_transfer", data_width=512, dma_latency=125)
