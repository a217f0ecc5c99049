"""docs/testbench.md's first testbench: UDP between processes on two simulated hosts."""
import cocotb
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from host.stack.api import SOCK_DGRAM
from tb.env import NicBench
from tb.runner import build, sim_top
from tb.userstack import UserStack

SIM_TOP = "tb_two_hosts"  # what `nicsim sim tests.test_tutorial` runs it on
A, B = ("198.18.0.1", "02:00:00:00:00:01"), ("198.18.0.2", "02:00:00:00:00:02")


@cocotb.test(timeout_time=1000, timeout_unit="us")  # simulated time: it cannot hang
async def hello_between_hosts(dut):
    bench = await NicBench.start(dut, dma_latency=125)
    sender = UserStack(bench.hosts[0], "sender", me=A, peer=B, udp_ports=[5000])
    receiver = UserStack(bench.hosts[1], "receiver", me=B, peer=A, udp_ports=[6000])
    await bench.settle()  # the VIs and filters are set up in the NICs
    rx = receiver.stack.socket(type=SOCK_DGRAM)
    rx.bind((B[0], 6000))
    tx = sender.stack.socket(type=SOCK_DGRAM)
    tx.bind((A[0], 5000))
    await tx.sendto(b"hello, host B", (B[0], 6000))
    assert await rx.recvfrom(2048, timeout=100e-6) == (b"hello, host B", (A[0], 5000))
    # the wire from A to B, decoded by scapy: one UDP datagram, checksums as sent
    udp = [Ether(f.data) for f in bench.wires[0].captured() if UDP in Ether(f.data)]
    assert len(udp) == 1 and udp[0][IP].dst == B[0] and udp[0][UDP].dport == 6000
    assert udp[0][UDP].load == b"hello, host B"  # the payload, before the Ethernet padding


def test_hello_between_hosts():  # pytest: build the model (cached) and run the scenario
    build(sim_top(SIM_TOP, data_width=512)).run(__name__, "hello_between_hosts")


def test_hello_on_a_smaller_nic():  # an RTL parameter is one argument; the cache keys on it
    model = build(sim_top(SIM_TOP, data_width=64, NUM_VI=4, FILTER_LOG2=4))
    model.run(__name__, "hello_between_hosts")
