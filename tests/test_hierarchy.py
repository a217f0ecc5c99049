"""The transport hierarchy on the in-memory pipe (no simulator): each rule that makes the
user-level provider decline, each handover and the state it moves, and that the application
sees the same errors and data whichever provider serves it.

Host A has a NIC double (``PipeNic``): frames from B are steered by a small filter table to A's
user-level interface, the rest to A's OS stack; both send to B. The simulated NIC's own filter
table is exercised by tests/test_hierarchy_sim.py."""

from __future__ import annotations

import asyncio
import errno
import socket as pysocket
import struct

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from host.driver.kernel import Filter, ResourceExhausted
from host.kernel.netstack import OsNetStack
from host.kernel.syscalls import OsSockets
from host.sockets import (
    OS,
    USER,
    Declined,
    Hierarchy,
    OsProvider,
    SocketLibrary,
    Steering,
    UserLevelProvider,
    UserLevelStack,
    rules,
)
from host.stack.api import AsyncStack, Stack
from host.stack.iface import Interface, InterfaceConfig
from host.stack.phy import Impairments, PipeDevice
from host.stack.sim import SimWorld
from host.stack.wire import ip_from_str

A_IP, B_IP = "198.18.0.1", "198.18.0.2"
A_MAC, B_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
SOCK_DGRAM = pysocket.SOCK_DGRAM


class PipeNic:
    """Test double of A's NIC: ``slots`` filters (local IP and port, or the full 5-tuple)."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.filters: dict[int, Filter] = {}
        self.os_port, self.os_dev = PipeDevice.pair(seed=11)
        self.user_port, self.user_dev = PipeDevice.pair(seed=12)
        self.wire_port, self.b_dev = PipeDevice.pair(seed=13, impairments=Impairments(
            delay=10e-6))
        self.sent_from = {USER: [], OS: []}  # frames each side of A sent, decoded

    def insert(self, flt: Filter) -> int:
        free = [s for s in range(self.slots) if s not in self.filters]
        if not free:
            raise ResourceExhausted(f"all {self.slots} filter slots are in use")
        self.filters[free[0]] = flt
        return free[0]

    def remove(self, slot: int) -> None:
        del self.filters[slot]

    def _steer(self, frame: bytes):
        if len(frame) < 38 or frame[12:14] != b"\x08\x00":
            return self.os_port
        ihl = (frame[14] & 15) * 4
        proto, src, dst = frame[23], frame[26:30], frame[30:34]
        sport, dport = struct.unpack_from("!HH", frame, 14 + ihl)
        for flt in self.filters.values():
            if flt.protocol == proto and ip_from_str(flt.local_ip) == dst \
                    and flt.local_port == dport and (not flt.full or (
                        ip_from_str(flt.remote_ip) == src and flt.remote_port == sport)):
                return self.user_port
        return self.os_port

    def _forward(self, src, to, now: float, steer: bool = False, record=None) -> bool:
        moved = False
        while (tok := src.receive(now)) is not None:
            frame = bytes(tok.buffer)
            tok.release()
            out = self._steer(frame) if steer else to
            tx = out.transmit(len(frame), now)
            tx.buffer[:] = frame
            tx.commit()
            if record is not None:
                record.append(Ether(frame))
            moved = True
        return moved

    def poll(self, now: float) -> bool:
        a = self._forward(self.os_port, self.wire_port, now, record=self.sent_from[OS])
        b = self._forward(self.user_port, self.wire_port, now, record=self.sent_from[USER])
        return self._forward(self.wire_port, None, now, steer=True) or a or b

    def poll_at(self, now: float):
        times = [t for t in (p.poll_at() for p in (self.os_port, self.user_port,
                                                   self.wire_port)) if t is not None]
        return min(times) if times else None

    def udp_payloads(self, side: str) -> list[bytes]:
        return [bytes(f[UDP].payload) for f in self.sent_from[side] if UDP in f]


class Host:
    """A (OS stack, user-level stack, socket library) and B (a plain stack) on one clock."""

    def __init__(self, slots: int = 8, hierarchy: str = "", setup_fails: Declined | None = None
                 ) -> None:
        self.world = world = SimWorld()
        self.nic = nic = PipeNic(slots)

        async def wait(timeout):
            world.wait(timeout)

        self.os = OsNetStack(nic.os_dev, A_MAC, f"{A_IP}/24", clock=world.clock, wait=wait,
                             seed=1)
        world.add(self.os.iface)
        world.add(nic)
        self.b = Stack(world.add(Interface(nic.b_dev, B_MAC, f"{B_IP}/24",
                                           config=InterfaceConfig(seed=2))),
                       clock=world.clock, wait=world.wait)
        self.user_iface = world.add(Interface(nic.user_dev, A_MAC, f"{A_IP}/24",
                                              config=InterfaceConfig(seed=4),
                                              **self.os.user_identity(_Proc())))
        self.setup_calls = 0
        self.setup_fails = setup_fails

        def setup() -> UserLevelStack:
            self.setup_calls += 1
            if self.setup_fails is not None:
                raise self.setup_fails
            stack = AsyncStack(self.user_iface, clock=world.clock, wait=wait)
            return UserLevelStack(stack, Steering(nic.insert, nic.remove, slots),
                                  frozenset({ip_from_str(A_IP)}), frozenset({ip_from_str(A_IP)}),
                                  "app")

        async def spend(seconds):
            world.clock.now += seconds

        self.calls = OsSockets(self.os, None, spend=spend)
        self.lib = SocketLibrary({USER: UserLevelProvider(setup), OS: OsProvider(self.calls)},
                                 Hierarchy.parse(hierarchy))

    def b_udp(self, port: int):
        sock = self.b.socket(type=SOCK_DGRAM)
        sock.bind((B_IP, port))
        sock.settimeout(0.05)
        return sock


class _Proc:
    name, pid = "app", 7


def run(coro):
    return asyncio.run(coro)


# ------------------------------------------------------------------ the hierarchy's configuration

def test_hierarchy_defaults_and_per_protocol_orders():
    h = Hierarchy()
    assert h.order("tcp") == (USER, OS) and h.order("udp") == (USER, OS)
    assert h.order("icmp") == (OS,) and h.order("raw") == (OS,)
    h = Hierarchy.parse("udp=os; tcp = user , os")
    assert h.order("udp") == (OS,) and h.order("tcp") == (USER, OS)
    assert str(Hierarchy.parse(str(h))) == str(h)
    for bad, why in (("sctp=os", "unknown protocol 'sctp'"), ("tcp=dpdk", "unknown provider"),
                     ("tcp=", "lists no provider"), ("tcp=os,os", "twice"),
                     ("tcp", "want protocol=provider")):
        with pytest.raises(ValueError, match=why):
            Hierarchy.parse(bad)


# ------------------------------------------------------------------ the rules, one by one

def test_tcp_is_served_by_the_user_level_stack_first_with_exact_data():
    host = Host()
    listener = host.b.socket()
    listener.bind((B_IP, 80))
    listener.listen()
    data = bytes(range(256)) * 400

    async def scenario():
        sock = await host.lib.socket()
        assert (sock.provider, sock.reason) == (USER, "first in the hierarchy for tcp")
        await sock.connect((B_IP, 80), timeout=0.1)
        listener.settimeout(0.1)
        conn, _ = listener.accept()
        await sock.sendall(data, timeout=0.5)
        await sock.shutdown(pysocket.SHUT_WR)
        conn.settimeout(0.5)
        got = bytearray()
        while chunk := conn.recv(65536):
            got += chunk
        conn.sendall(b"thanks")
        conn.close()
        back = await sock.recv(100, timeout=0.1)
        await sock.close()
        return bytes(got), back

    got, back = run(scenario())
    assert got == data and back == b"thanks"
    st = host.lib.stats
    assert (st[USER].sockets, st[USER].bytes_sent, st[USER].bytes_received) == (1, len(data), 6)
    assert st[OS].sockets == 0 and host.calls.stats.syscalls == 0
    assert all(TCP not in f for f in host.nic.sent_from[OS])  # the OS sent ARP only
    assert any(TCP in f for f in host.nic.sent_from[USER])


def test_icmp_and_raw_sockets_are_declined_by_the_user_level_stack():
    host = Host(hierarchy="icmp=user,os;raw=user,os")

    async def scenario():
        ping = await host.lib.socket(type=SOCK_DGRAM, proto=pysocket.IPPROTO_ICMP)
        assert ping.provider == OS and ping.history[0].code == rules.PROTOCOL
        assert ping.reason.startswith("user declined: the user-level stack serves TCP and UDP")
        with pytest.raises(OSError) as e:
            await host.lib.socket(type=pysocket.SOCK_RAW, proto=255)
        assert e.value.errno == errno.ESOCKTNOSUPPORT  # the OS's answer: it has no raw sockets
        only_user = Host(hierarchy="icmp=user")
        with pytest.raises(OSError) as e:
            await only_user.lib.socket(type=SOCK_DGRAM, proto=pysocket.IPPROTO_ICMP)
        assert e.value.errno == errno.EPROTONOSUPPORT

    run(scenario())


@pytest.mark.parametrize("code", [rules.NO_VI, rules.NO_BUFFERS])
def test_no_vi_or_no_buffers_sends_sockets_to_the_os_and_is_tried_again(code):
    host = Host(setup_fails=Declined(code, "the NIC said no"))
    peer = host.b_udp(9000)

    async def scenario():
        sock = await host.lib.socket(type=SOCK_DGRAM)
        assert sock.provider == OS and sock.history[0].code == code
        assert sock.reason == "user declined: the NIC said no"
        await sock.sendto(b"via the OS", (B_IP, 9000))
        assert peer.recvfrom(100)[0] == b"via the OS"
        host.setup_fails = None  # a VI was freed: the next socket gets one
        again = await host.lib.socket(type=SOCK_DGRAM)
        assert again.provider == USER and host.setup_calls == 2

    run(scenario())
    assert host.nic.udp_payloads(OS) == [b"via the OS"]


def test_a_full_filter_table_moves_the_socket_with_its_bound_port():
    host = Host(slots=1)
    peer = host.b_udp(9000)

    async def scenario():
        first = await host.lib.socket(type=SOCK_DGRAM)
        await first.bind(("", 5000))
        second = await host.lib.socket(type=SOCK_DGRAM)
        assert second.provider == USER
        await second.bind((A_IP, 5001))  # no slot left: the OS binds 5001 instead
        assert second.provider == OS and second.history[-1].code == rules.NO_FILTER
        assert "filter table is full" in second.reason
        assert await second.getsockname() == (A_IP, 5001)
        await first.sendto(b"one", (B_IP, 9000))
        await second.sendto(b"two", (B_IP, 9000))
        # the two stacks queue their datagram behind one ARP resolution: either may go first
        assert sorted([peer.recvfrom(100), peer.recvfrom(100)]) == \
            [(b"one", (A_IP, 5000)), (b"two", (A_IP, 5001))]
        peer.sendto(b"back to two", (A_IP, 5001))
        assert await second.recvfrom(100, timeout=0.05) == (b"back to two", (B_IP, 9000))
        await first.close()  # its slot is free again
        third = await host.lib.socket(type=SOCK_DGRAM)
        await third.bind(("", 5002))
        assert third.provider == USER

    run(scenario())
    assert host.nic.udp_payloads(USER) == [b"one"] and host.nic.udp_payloads(OS) == [b"two"]


def test_the_hosts_own_address_is_reached_through_the_os():
    host = Host()

    async def scenario():
        for dest in (A_IP, "127.0.0.1"):
            sock = await host.lib.socket(type=SOCK_DGRAM)
            assert sock.provider == USER
            await sock.sendto(b"me", (dest, 9))
            assert sock.provider == OS and sock.history[-1].code == rules.UNREACHABLE
            assert f"{dest} is this host" in sock.reason

    run(scenario())
    assert host.nic.udp_payloads(USER) == []


def test_binding_an_address_the_nic_does_not_own_fails_as_on_the_os():
    host = Host()

    async def scenario():
        sock = await host.lib.socket()
        with pytest.raises(OSError) as e:
            await sock.bind(("198.18.0.77", 80))
        os_only = await host.calls.socket()
        with pytest.raises(OSError) as os_e:
            await os_only.bind(("198.18.0.77", 80))
        assert (type(e.value), e.value.errno, str(e.value)) == \
            (type(os_e.value), os_e.value.errno, str(os_e.value))
        assert sock.provider == OS and sock.history[-1].code == rules.ADDRESS

    run(scenario())


# ------------------------------------------------------------------ handover after creation

def test_an_option_set_later_moves_a_udp_socket_with_its_port_options_and_queued_data():
    host = Host()
    peer = host.b_udp(9000)

    async def scenario():
        sock = await host.lib.socket(type=SOCK_DGRAM)
        await sock.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_RCVBUF, 65536)
        await sock.bind(("", 5000))
        await sock.sendto(b"before", (B_IP, 9000))
        assert peer.recvfrom(100)[0] == b"before"
        peer.sendto(b"queued on the user-level stack", (A_IP, 5000))
        host.world.run_for(1e-3)  # it arrives; the application has not read it yet
        with pytest.raises(PermissionError):  # a broadcast needs SO_BROADCAST, on either
            await sock.sendto(b"all", ("198.18.0.255", 9000))
        await sock.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_BROADCAST, 1)
        assert sock.provider == OS and sock.history[-1].code == rules.OPTION
        assert "SO_BROADCAST" in sock.reason
        assert await sock.getsockname() == (A_IP, 5000)
        assert await sock.getsockopt(pysocket.SOL_SOCKET, pysocket.SO_RCVBUF) == 65536
        assert await sock.getsockopt(pysocket.SOL_SOCKET, pysocket.SO_BROADCAST) == 1
        assert await sock.recvfrom(100) == (b"queued on the user-level stack", (B_IP, 9000))
        await sock.sendto(b"after", (B_IP, 9000))
        assert peer.recvfrom(100) == (b"after", (A_IP, 5000))
        await sock.sendto(b"to everyone", ("198.18.0.255", 9000))
        assert peer.recvfrom(100) == (b"to everyone", (A_IP, 5000))
        peer.sendto(b"reply", (A_IP, 5000))
        assert await sock.recvfrom(100, timeout=0.05) == (b"reply", (B_IP, 9000))
        with pytest.raises(OSError) as e:  # neither provider has it: no handover, ENOPROTOOPT
            await sock.setsockopt(pysocket.SOL_SOCKET, 999, 1)
        assert e.value.errno == errno.ENOPROTOOPT
        return sock

    sock = run(scenario())
    assert host.nic.udp_payloads(USER) == [b"before"]
    assert host.nic.udp_payloads(OS) == [b"after", b"to everyone"]
    bcast = [f for f in host.nic.sent_from[OS] if UDP in f and f[IP].dst == "198.18.0.255"]
    assert bcast and bcast[0].dst == "ff:ff:ff:ff:ff:ff"
    st = host.lib.stats
    assert (st[USER].sockets, st[OS].sockets, st[OS].handovers_in) == (1, 1, 1)
    assert st[USER].bytes_sent == 6 and st[OS].bytes_sent == len(b"after" b"to everyone")
    assert st[OS].bytes_received == len(b"queued on the user-level stack" b"reply")
    assert sock.bytes_sent == st[USER].bytes_sent + st[OS].bytes_sent


def test_a_connect_that_finds_the_filter_table_full_moves_a_tcp_socket():
    host = Host(slots=1)
    listener = host.b.socket()
    listener.bind((B_IP, 80))
    listener.listen()
    data = bytes(range(256)) * 64

    async def scenario():
        hog = await host.lib.socket(type=SOCK_DGRAM)
        await hog.bind(("", 4000))  # takes the only slot
        sock = await host.lib.socket()
        await sock.setsockopt(pysocket.IPPROTO_TCP, pysocket.TCP_NODELAY, 1)
        await sock.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_SNDBUF, 32768)
        await sock.bind(("", 6000))
        await sock.connect((B_IP, 80), timeout=0.1)
        assert sock.provider == OS and sock.history[-1].code == rules.NO_FILTER
        assert await sock.getsockname() == (A_IP, 6000)
        assert await sock.getsockopt(pysocket.IPPROTO_TCP, pysocket.TCP_NODELAY) == 1
        assert await sock.getsockopt(pysocket.SOL_SOCKET, pysocket.SO_SNDBUF) == 32768
        listener.settimeout(0.1)
        conn, addr = listener.accept()
        assert addr == (A_IP, 6000)
        await sock.sendall(data, timeout=0.5)
        await sock.shutdown(pysocket.SHUT_WR)
        conn.settimeout(0.5)
        got = bytearray()
        while chunk := conn.recv(65536):
            got += chunk
        return bytes(got)

    assert run(scenario()) == data
    assert host.lib.stats[OS].bytes_sent == len(data)
    assert all(UDP in f for f in host.nic.sent_from[USER])  # no TCP left A's user side


def test_a_listener_and_its_connections_share_one_filter_until_all_are_done():
    host = Host(slots=2)

    async def scenario():
        server = await host.lib.socket()
        await server.bind(("", 8080))
        await server.listen()
        assert server.provider == USER and len(host.nic.filters) == 1
        client = host.b.socket()
        client.settimeout(0.1)
        client.connect((A_IP, 8080))
        conn, _ = await server.accept(timeout=0.1)
        assert conn.provider == USER and conn.reason == "accepted by a listener on user"
        await server.close()
        client.sendall(b"still steered")
        assert await conn.recv(100, timeout=0.1) == b"still steered"
        assert len(host.nic.filters) == 1
        await conn.close()
        assert client.recv(100) == b""
        client.close()
        host.world.run_for(1e-3)
        other = await host.lib.socket(type=SOCK_DGRAM)
        await other.bind(("", 5000))  # reaps the finished flow's filter first
        return [f.local_port for f in host.nic.filters.values()]

    assert run(scenario()) == [5000]


# ------------------------------------------------------------------ fallback is invisible

async def _errors(lib_socket_factory):
    """What a set of bad calls raises: (type, errno, message) of each."""
    out = []
    sock = await lib_socket_factory()
    for call in (lambda: sock.bind(("x", 1)), lambda: sock.connect(1),
                 lambda: sock.recv(-1), lambda: sock.send(b"x"),
                 lambda: sock.send("text"), lambda: sock.setsockopt(0, 999, 1),
                 lambda: sock.listen("many")):
        try:
            await call()
        except Exception as exc:  # noqa: BLE001 - the point is to compare them
            out.append((type(exc), getattr(exc, "errno", None), str(exc)))
        else:
            out.append(None)
    await sock.close()
    with pytest.raises(OSError) as e:
        await sock.recv(1)
    out.append((type(e.value), e.value.errno, str(e.value)))
    return out


def test_errors_are_the_same_on_either_provider():
    user = Host()
    os_only = Host(hierarchy="tcp=os")

    async def scenario():
        return await _errors(user.lib.socket), await _errors(os_only.lib.socket)

    on_user, on_os = run(scenario())
    assert on_user == on_os
    assert None not in on_user
