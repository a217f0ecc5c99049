"""The split driver: the kernel's frames tunnelled through a user-space driver.

First the kernel's end of the kernel/user-space interface on its own (no simulator): here the
test is the user-space driver, with its own mapping of the shared pages, and every frame is
built or decoded by scapy. Then, through the simulated NICs, the whole split host
(tb/scenarios/test_split_driver.py); the OS stack's and the hierarchy's scenarios also run in
split mode (tests/test_os_stack.py, tests/test_hierarchy_sim.py).
"""

from __future__ import annotations

import asyncio
import errno
import socket as pysocket

import pytest
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether

from host import layout as L
from host.kernel.netstack import OsNetStack
from host.kernel.syscalls import OsSockets
from host.kernel.tunnel import KernelTunnel, TunnelRings
from host.memory import PhysicalMemory
from host.process import OperatingSystem, PageFault
from tests.simtests import os_path_records, run_scenario

A_IP, B_IP = "198.18.0.1", "198.18.0.2"
A_MAC, B_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
ENTRIES = 8
CHECKED_IP = L.RXF_IP | L.RXF_IP_CSUM_OK  # what the NIC reports for a good IPv4 header


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SplitHost:
    """Host A's kernel with its OS stack on the tunnel, and the test as its user-space driver:
    ``inject`` plays a frame the NIC received, ``sent`` takes what the kernel queued."""

    def __init__(self) -> None:
        self.os = OperatingSystem(PhysicalMemory(bytearray(4 << 20), seed=7))
        self.clock = Clock()
        self.tunnel = KernelTunnel(self.os.kernel, ENTRIES)

        async def wait(timeout):
            self.clock.now += timeout or 0

        self.net = OsNetStack(self.tunnel, bytes.fromhex(A_MAC.replace(":", "")), f"{A_IP}/24",
                              clock=self.clock, wait=wait, kernel=self.os.kernel, seed=1)
        self.kernel_woken = 0
        self.tunnel.on_wake = self._woken
        self.attach()

    def _woken(self) -> None:
        self.kernel_woken += 1

    def attach(self, name: str = "driver") -> None:
        self.driver = self.os.spawn(name)
        self.driver_woken = 0
        self.mapping = self.tunnel.connect(self.driver, self._wake_driver)
        self.rings = TunnelRings(self.driver, self.mapping.vaddr, self.mapping.entries)
        self.in_prod = self.out_cons = 0

    def _wake_driver(self) -> None:
        self.driver_woken += 1

    def poll(self) -> None:
        self.clock.now += 1e-6
        self.net.poll()

    def inject(self, frame: bytes, flags: int = CHECKED_IP, length: int | None = None) -> None:
        """Publish ``frame`` as the next IN record (``length``: what the record claims)."""
        seq = self.in_prod
        self.rings.put_frame("IN", seq, frame, flags, length)
        self.in_prod += 1
        self.rings.write_index("IN_PROD", self.in_prod)
        self.mapping.wake_kernel()
        self.poll()

    def sent(self) -> list[tuple[Ether, int]]:
        """Every OUT record the kernel queued since the last call, decoded, with its flags; the
        slots are then given back (as after the NIC sent them)."""
        out = []
        prod = self.rings.read_index("OUT_PROD")
        while self.out_cons != prod:
            length, flags = self.rings.read_record("OUT", self.out_cons)
            out.append((Ether(bytes(self.rings.data("OUT", self.out_cons, length))), flags))
            self.out_cons += 1
        self.rings.write_index("OUT_CONS", self.out_cons)
        return out


def arp_from_b() -> bytes:
    return bytes(Ether(src=B_MAC, dst="ff:ff:ff:ff:ff:ff") /
                 ARP(op=1, hwsrc=B_MAC, psrc=B_IP, pdst=A_IP))


def echo_from_b(seq: int, data: bytes = b"tunnelled") -> bytes:
    return bytes(Ether(src=B_MAC, dst=A_MAC) / IP(src=B_IP, dst=A_IP) /
                 ICMP(type=8, id=0x77, seq=seq) / data)


def answered(host: SplitHost, seq: int) -> ICMP:
    """The kernel's one echo reply for ``seq`` in the OUT ring, checked on the way."""
    replies = [f for f, _ in host.sent() if f.haslayer(ICMP) and f[ICMP].type == 0]
    assert len(replies) == 1, replies
    reply = replies[0]
    assert reply[Ether].dst == B_MAC and reply[IP].dst == B_IP and reply[ICMP].seq == seq
    return reply[ICMP]


def test_the_kernel_frames_go_out_in_shared_slots_with_offload_asked():
    host = SplitHost()
    host.inject(arp_from_b())
    (arp, flags), = host.sent()
    assert arp[ARP].op == 2 and arp[ARP].pdst == B_IP and arp[ARP].hwdst == B_MAC
    assert flags == L.TUNF_CSUM_IP | L.TUNF_CSUM_L4
    assert host.driver_woken == 1, "one wake-up for the driver per poll that queued frames"
    # the driver's view and the kernel's are the same physical bytes, in the tunnel's pages
    slot = host.rings.slot("OUT", 0)
    assert host.driver.physical_address(slot) == host.os.kernel.physical_address(
        host.tunnel.rings.slot("OUT", 0))
    assert host.driver.physical_address(slot) >> L.PAGE_SHIFT << L.PAGE_SHIFT in \
        host.tunnel.pages()
    st = host.tunnel.stats
    assert (st.out_frames, st.in_frames, st.bytes_copied_in) == (1, 1, len(arp_from_b()))


def test_a_frame_in_is_copied_out_of_its_slot_and_answered():
    host = SplitHost()
    host.inject(arp_from_b())
    host.sent()
    frame = echo_from_b(1, b"x" * 1000)
    host.inject(frame)
    # the driver may reuse the slot at once: the kernel took a copy
    host.rings.data("IN", 1, len(frame))[:] = bytes(len(frame))
    reply = answered(host, 1)
    assert bytes(reply.payload) == b"x" * 1000
    assert host.rings.read_index("IN_CONS") == 2
    assert host.tunnel.stats.bytes_copied_in == len(arp_from_b()) + len(frame)


def test_records_with_impossible_lengths_are_refused_counted_and_skipped():
    host = SplitHost()
    host.inject(arp_from_b())
    host.sent()
    host.inject(echo_from_b(1), length=5)            # shorter than an Ethernet header
    host.inject(echo_from_b(2), length=L.TUNNEL_MAX_FRAME + 1)  # longer than a slot holds
    host.inject(echo_from_b(3), length=0)            # an empty record: a slot given back
    assert host.sent() == []
    st = host.tunnel.stats
    assert (st.bad_length, st.in_skipped) == (2, 1)
    host.inject(echo_from_b(4))
    assert answered(host, 4).seq == 4, "the kernel stopped answering after bad records"
    assert host.rings.read_index("IN_CONS") == 5


def test_an_index_out_of_range_is_refused_once_and_the_kernel_goes_on():
    host = SplitHost()
    host.inject(arp_from_b())
    host.sent()
    frame = echo_from_b(1)
    host.rings.put_frame("IN", 1, frame, CHECKED_IP)
    host.rings.write_index("IN_PROD", 1 + ENTRIES + 3)  # more records than the ring holds
    for _ in range(5):
        host.poll()
    assert host.tunnel.stats.bad_index == 1, "a bad index is counted once, not per poll"
    assert host.sent() == [] and host.rings.read_index("IN_CONS") == 1
    host.rings.write_index("IN_PROD", 2)
    host.in_prod = 2
    host.poll()
    assert answered(host, 1).seq == 1
    # OUT_CONS past what the kernel produced: refused, the kernel keeps its own count
    host.rings.write_index("OUT_CONS", 0x8000_0000)
    host.inject(echo_from_b(2))
    assert host.tunnel.stats.bad_index == 2
    assert answered(host, 2).seq == 2


def test_the_out_ring_full_holds_frames_until_the_driver_sends():
    host = SplitHost()
    host.inject(arp_from_b())
    host.sent()
    calls = OsSockets(host.net, host.os.spawn("app"), spend=_no_time)

    async def send(n: int):
        sock = await calls.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM)
        for i in range(n):
            await sock.sendto(bytes([i]) * 100, (B_IP, 9000))

    before = host.tunnel.stats.out_frames
    asyncio.run(send(ENTRIES))
    assert host.tunnel.stats.out_frames - before == ENTRIES
    assert host.tunnel.transmit(60) is None, "a full OUT ring gave out a slot"
    got = [f for f, _ in host.sent()]
    assert [bytes(f[IP].payload.payload)[0] for f in got] == list(range(ENTRIES))


async def _no_time(seconds):
    return None


def test_without_a_driver_sends_fail_with_enetdown_until_one_attaches():
    host = SplitHost()
    first = host.driver
    vaddr = host.mapping.vaddr
    host.tunnel.disconnect()
    assert not host.net.link_up
    calls = OsSockets(host.net, host.os.spawn("app"), spend=_no_time)

    async def sendto():
        sock = await calls.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM)
        try:
            return await sock.sendto(b"hello", (B_IP, 9000))
        finally:
            await sock.close()

    with pytest.raises(OSError) as err:
        asyncio.run(sendto())
    assert err.value.errno == errno.ENETDOWN and err.value.strerror == "Network is down"
    assert calls.stats.calls["sendto"] == 1
    assert host.tunnel.transmit(60) is None and host.tunnel.stats.no_driver == 1
    with pytest.raises(PageFault):
        first.read(vaddr, 4)  # the stopped driver lost its mapping ...
    assert all(host.os.phys.is_allocated(p) for p in host.tunnel.pages())  # ... not the pages

    host.attach("driver-2")
    assert host.net.link_up and host.tunnel.stats.attaches == 2
    assert all(host.rings.read_index(name) == 0 for name in L.TUNNEL_INDEX)
    host.inject(arp_from_b())
    assert asyncio.run(sendto()) == 5
    datagrams = [f for f, _ in host.sent() if f.haslayer("UDP")]
    assert len(datagrams) == 1 and bytes(datagrams[0]["UDP"].payload) == b"hello"


# ----------------------------------------------------------- through the simulated NICs

MODULE = "tb.scenarios.test_split_driver"


@pytest.mark.sim
@pytest.mark.xdist_group("tb_two_hosts_512")
@pytest.mark.parametrize("testcase", ["kernel_frames_cross_the_driver",
                                      "driver_stop_ends_only_the_kernel_path",
                                      "a_rogue_driver_cannot_take_the_kernel_down"])
def test_split_host_512(testcase):
    run_scenario("tb_two_hosts", MODULE, testcase, data_width=512, dma_latency=125,
                 mode="split")


@pytest.mark.sim
@pytest.mark.xdist_group("tb_two_hosts_512")
def test_tunnel_path_half_rtt_is_recorded_and_dearer(tmp_path):
    """The bench's tunnel-path UDP half round trip (both hosts in split mode): it runs, costs
    more than the user-level path (the scenario asserts it), makes the same system calls and
    socket copies as the kernel path, and the kernels copy each received frame (at least the
    60-byte minimum) out of its slot, once per host per round trip."""
    for r in os_path_records("udp_half_rtt_tunnel", "tunnel", tmp_path):
        p = r["params"]
        frame = max(60, 14 + 20 + 8 + p["payload_bytes"])
        assert p["tunnel_bytes_copied_per_round_trip"] == 2 * frame
