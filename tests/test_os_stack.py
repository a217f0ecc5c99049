"""The OS's own network stack on each host's VI 0, through the simulated NICs: ping beside a
user-level TCP flow, TCP and UDP between OS sockets (kernel pages only in the DMA log, copies
and system calls counted), ICMP port unreachable, one ARP resolution and one port space per
host, and bad arguments refused as Python's socket module refuses them."""

import pytest

from tests.simtests import run_scenario

MODULE = "tb.scenarios.test_os_stack"
pytestmark = [pytest.mark.sim, pytest.mark.xdist_group("tb_two_hosts_512")]


@pytest.mark.parametrize("testcase", ["ping_while_user_tcp", "os_tcp_both_ways",
                                      "os_udp_and_port_unreachable", "one_arp_per_host",
                                      "one_port_space", "os_socket_bad_input"])
def test_os_stack_512(testcase):
    run_scenario("tb_two_hosts", MODULE, testcase, data_width=512, dma_latency=125)
