"""The transport hierarchy through the simulated NICs: one process's accelerated and fallback
TCP connections (a full filter table) each move 1 MiB exact, their frames read from the
process's pages and from the kernel's; a UDP socket handed to the OS by an option keeps its
port and its unread datagram (tb/scenarios/test_hierarchy.py). Each runs with the hosts in
onload mode and in split mode (the OS's fallback traffic tunnelled through a user-space
driver)."""

import pytest

from tests.simtests import run_scenario

MODULE = "tb.scenarios.test_hierarchy"
pytestmark = [pytest.mark.sim, pytest.mark.xdist_group("tb_two_hosts_512")]


@pytest.mark.parametrize("mode", ["onload", "split"])
@pytest.mark.parametrize("testcase", ["tcp_accelerated_and_fallback",
                                      "udp_handed_over_on_option"])
def test_hierarchy_512(testcase, mode):
    run_scenario("tb_two_hosts", MODULE, testcase, data_width=512, dma_latency=125, mode=mode)
