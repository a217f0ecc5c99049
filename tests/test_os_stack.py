"""The OS's own network stack on each host's VI 0, through the simulated NICs: ping beside a
user-level TCP flow, TCP and UDP between OS sockets (kernel pages only in the DMA log, copies
and system calls counted), ICMP port unreachable, one ARP resolution and one port space per
host, and bad arguments refused as Python's socket module refuses them. Each scenario runs with
the hosts in onload mode (the OS stack drives VI 0) and in split mode (its frames tunnelled
through a user-space driver that owns VI 0)."""

import pytest

from tests.simtests import os_path_records, run_scenario

MODULE = "tb.scenarios.test_os_stack"
pytestmark = [pytest.mark.sim, pytest.mark.xdist_group("tb_two_hosts_512")]


@pytest.mark.parametrize("testcase", ["ping_while_user_tcp", "os_tcp_both_ways",
                                      "os_udp_and_port_unreachable", "one_arp_per_host",
                                      "one_port_space", "os_socket_bad_input",
                                      "os_tcp_over_an_impaired_wire"])
@pytest.mark.parametrize("mode", ["onload", "split"])
def test_os_stack_512(testcase, mode):
    run_scenario("tb_two_hosts", MODULE, testcase, data_width=512, dma_latency=125, mode=mode)


def test_kernel_path_half_rtt_is_recorded_and_dearer(tmp_path):
    """The bench's kernel-path UDP half round trip (OS sockets on both hosts): it runs, costs
    more than the user-level path (the scenario asserts it), and splits its cost into copies,
    system calls and the rest."""
    records = os_path_records("udp_half_rtt_kernel", "kernel", tmp_path)
    for r in records:
        assert r["params"]["syscall_ns"] > 0 and r["params"]["other_ns"] > 0
    assert records[0]["params"]["copy_ns"] == 0 < records[1]["params"]["copy_ns"]
