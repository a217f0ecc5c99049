"""The OS stack and the host's one identity, on the in-memory pipe (no simulator): the port
space shared by the OS and user-level stacks, neighbour resolution through the OS's table, OS
sockets' copy and system-call accounting, and ICMP port unreachable reaching a connected UDP
socket."""

from __future__ import annotations

import asyncio
import errno
import socket as pysocket

import pytest
from scapy.layers.inet import UDP
from scapy.layers.l2 import ARP, Ether

from host.kernel.netstack import OsNetStack
from host.kernel.syscalls import OsSockets, SyscallCosts
from host.stack.api import Stack
from host.stack.iface import Interface, InterfaceConfig
from host.stack.iface.ports import PortSpace
from host.stack.phy import DeviceCapabilities, Impairments, PipeDevice
from host.stack.sim import SimWorld

A_IP, B_IP = "198.18.0.1", "198.18.0.2"
A_MAC, B_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


class Host:
    """Host A: its OS stack on a pipe to host B (a plain stack), and a second pipe for a
    user-level interface of A (its frames land in ``user_wire``, as if a NIC sent them)."""

    def __init__(self, costs: SyscallCosts | None = None) -> None:
        self.world = world = SimWorld()
        imp = Impairments(delay=10e-6)
        dev_a, dev_b = PipeDevice.pair(seed=1, impairments=imp,
                                       capabilities=DeviceCapabilities(mtu=1500))

        async def wait(timeout):
            world.wait(timeout)

        self.os = OsNetStack(dev_a, A_MAC, f"{A_IP}/24", clock=world.clock, wait=wait, seed=1)
        world.add(self.os.iface)
        self.b = Stack(world.add(Interface(dev_b, B_MAC, f"{B_IP}/24",
                                           config=InterfaceConfig(seed=2))),
                       clock=world.clock, wait=world.wait)

        async def spend(seconds):
            world.clock.now += seconds

        self.calls = OsSockets(self.os, None, spend=spend, costs=costs)
        user_dev, self.user_wire = PipeDevice.pair(seed=3, impairments=imp)
        self.user = Interface(user_dev, A_MAC, f"{A_IP}/24", config=InterfaceConfig(seed=4),
                              neighbors=self.os.neighbors,
                              ports=self.os.ports.claims_of("user[7]"))
        world.add(self.user)
        self.user_stack = Stack(self.user, clock=world.clock, wait=world.wait)


def run(coro):
    return asyncio.run(coro)


def test_port_space_claims_are_per_holder_and_counted():
    space = PortSpace(seed=1)
    assert space.claim(6, 80, "kernel") == 80
    with pytest.raises(OSError) as e:
        space.claim(6, 80, "user[7]")
    assert e.value.errno == errno.EADDRINUSE
    assert space.claim(17, 80, "user[7]") == 80  # another protocol, another port
    space.claim(6, 80, "kernel")  # the same holder again: a listener and its connection
    space.release(6, 80, "kernel")
    assert space.holder(6, 80) == "kernel"
    space.release(6, 80, "kernel")
    assert space.holder(6, 80) is None
    with pytest.raises(ValueError):
        space.release(6, 80, "kernel")
    with pytest.raises(OSError) as e:
        space.claim(6, 65536, "kernel")
    assert e.value.errno == errno.EINVAL
    eph = space.claim(17, 0, "kernel")
    assert 49152 <= eph <= 65535 and space.holder(17, eph) == "kernel"


def test_user_and_os_binds_exclude_each_other():
    host = Host()

    async def scenario():
        os_sock = await host.calls.socket(type=pysocket.SOCK_DGRAM)
        await os_sock.bind(("", 5000))
        user = host.user_stack.socket(type=pysocket.SOCK_DGRAM)
        with pytest.raises(OSError) as e:
            user.bind((A_IP, 5000))
        assert e.value.errno == errno.EADDRINUSE
        await os_sock.close()
        user.bind((A_IP, 5000))
        tcp = host.user_stack.socket()
        tcp.bind((A_IP, 6000))
        os_tcp = await host.calls.socket()
        with pytest.raises(OSError) as e:
            await os_tcp.bind(("", 6000))
        assert e.value.errno == errno.EADDRINUSE and str(e.value) == "[Errno 98] " + \
            "Address already in use"
        tcp.close()
        await os_tcp.bind(("", 6000))

    run(scenario())


def test_user_stack_resolves_through_the_os_once():
    """The user-level interface sends no ARP: the OS does, once, for both stacks; the frames
    the user-level stack queued leave as soon as the OS's table has the answer."""
    host = Host()
    world = host.world
    user = host.user_stack.socket(type=pysocket.SOCK_DGRAM)
    user.bind((A_IP, 5000))
    for i in range(3):
        user.sendto(b"user %d" % i, (B_IP, 7))

    async def os_send():
        sock = await host.calls.socket(type=pysocket.SOCK_DGRAM)
        await sock.sendto(b"os", (B_IP, 7))

    run(os_send())
    world.run_for(0.01)
    wire = drain(host.user_wire, world.clock.now)
    assert [bytes(f[UDP].payload) for f in wire] == [b"user 0", b"user 1", b"user 2"]
    assert all(f.dst == "02:00:00:00:00:02" for f in wire)
    os_stats, user_stats = host.os.iface.stats, host.user.stats
    assert os_stats.arp_requests_sent == 1
    assert user_stats.arp_requests_sent == 0 and user_stats.arp_requests_delegated == 1
    assert host.b.iface.stats.arp_replies_sent == 1


def drain(device, now: float) -> list[Ether]:
    """The frames that reached ``device``, decoded (ARP left out)."""
    out = []
    while (tok := device.receive(now)) is not None:
        out.append(Ether(bytes(tok.buffer)))
        tok.release()
    return [f for f in out if ARP not in f]


def test_os_socket_counts_copies_and_system_calls_and_charges_time():
    costs = SyscallCosts(syscall_s=1e-6, copy_bytes_per_s=1e9)
    host = Host(costs)
    world = host.world
    peer = host.b.socket(type=pysocket.SOCK_DGRAM)
    peer.bind((B_IP, 9000))

    async def scenario():
        sock = await host.calls.socket(type=pysocket.SOCK_DGRAM)
        await sock.bind(("", 9001))
        start = world.clock.now
        assert await sock.sendto(b"x" * 1000, (B_IP, 9000)) == 1000
        assert world.clock.now - start >= 1e-6 + 1000 / 1e9
        peer.settimeout(0.1)
        data, addr = peer.recvfrom(2048)
        peer.sendto(data[:300], addr)
        got, _ = await sock.recvfrom(2048, timeout=0.1)
        assert got == b"x" * 300
        await sock.close()

    run(scenario())
    st = host.calls.stats
    assert (st.syscalls, st.bytes_copied_in, st.bytes_copied_out) == (5, 1000, 300)
    assert dict(st.calls) == {"socket": 1, "bind": 1, "sendto": 1, "recvfrom": 1, "close": 1}
    assert st.syscall_time_s == pytest.approx(5e-6)
    assert st.copy_time_s == pytest.approx(1300 / 1e9)


def test_port_unreachable_refuses_a_connected_udp_socket_once():
    host = Host()

    async def scenario():
        sock = await host.calls.socket(type=pysocket.SOCK_DGRAM)
        await sock.connect((B_IP, 9999))
        await sock.send(b"hello?")
        with pytest.raises(ConnectionRefusedError):
            await sock.recv(100, timeout=0.1)
        with pytest.raises(TimeoutError):  # reported once
            await sock.recv(100, timeout=0.01)
        unconnected = await host.calls.socket(type=pysocket.SOCK_DGRAM)
        await unconnected.sendto(b"hello?", (B_IP, 9999))
        with pytest.raises(TimeoutError):  # as on Linux: no error for an unconnected socket
            await unconnected.recvfrom(100, timeout=0.01)

    run(scenario())
    assert host.b.iface.stats.icmp_unreachable_sent == 2
    assert host.os.iface.stats.icmp_unreachable_rx == 2


def test_costs_must_be_sane():
    with pytest.raises(ValueError):
        SyscallCosts(copy_bytes_per_s=0)
    with pytest.raises(ValueError):
        SyscallCosts(syscall_s=-1)


def test_message_flags_are_refused_not_ignored():
    host = Host()

    async def scenario():
        sock = await host.calls.socket(type=pysocket.SOCK_DGRAM)
        await sock.connect((B_IP, 9))
        for call in (lambda: sock.send(b"x", pysocket.MSG_OOB),
                     lambda: sock.recv(10, pysocket.MSG_PEEK, timeout=0)):
            with pytest.raises(OSError) as e:
                await call()
            assert e.value.errno == errno.EOPNOTSUPP
        assert host.calls.stats.bytes_copied == 0

    run(scenario())
