"""The BSD-shaped API, the async wrapper, the services, and the middleware devices, on the pipe."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import random
import struct

import pytest

from host.stack.api import (
    IPPROTO_TCP,
    SO_RCVBUF,
    SO_REUSEADDR,
    SO_SNDBUF,
    SOCK_DGRAM,
    SOL_SOCKET,
    TCP_NODELAY,
    AsyncStack,
)
from host.stack.iface import Interface, InterfaceConfig
from host.stack.phy import FaultInjector, Impairments, PcapWriter, PipeDevice
from host.stack.services import ServiceHost
from host.stack.sim import SimulationStalled, SimWorld

from .helpers import A_IP, A_MAC, B_IP, B_MAC, make_net


def test_errors_carry_errno():
    net = make_net()
    s = net.a.socket()
    with pytest.raises(OSError) as ei:
        s.recv(10)
    assert ei.value.errno == errno.ENOTCONN
    with pytest.raises(OSError) as ei:
        s.send(b"x")
    assert ei.value.errno == errno.ENOTCONN
    with pytest.raises(OSError) as ei:
        s.accept()
    assert ei.value.errno == errno.EINVAL
    with pytest.raises(OSError) as ei:
        s.setsockopt(SOL_SOCKET, 12345, 1)
    assert ei.value.errno == errno.ENOPROTOOPT
    s.close()
    with pytest.raises(OSError) as ei:
        s.recv(1)
    assert ei.value.errno == errno.EBADF


def test_bind_conflicts_and_reuseaddr():
    net = make_net()
    a = net.b.socket()
    a.bind(("", 80))
    a.listen()
    b = net.b.socket()
    with pytest.raises(OSError) as ei:
        b.bind(("", 80))
    assert ei.value.errno == errno.EADDRINUSE
    c = net.b.socket()
    with pytest.raises(OSError) as ei:
        c.bind(("203.0.113.1", 81))
    assert ei.value.errno == errno.EADDRNOTAVAIL
    # a port held only by a connection in TIME-WAIT: refused without SO_REUSEADDR
    cli = net.a.socket()
    cli.bind(("", 4000))
    cli.connect((B_IP, 80))
    conn, _ = a.accept()
    cli.close()
    conn.settimeout(5)
    assert conn.recv(1) == b""
    conn.close()
    assert net.run_until(lambda: cli.tcp.state.value == "TIME-WAIT", 5)
    again = net.a.socket()
    with pytest.raises(OSError):
        again.bind(("", 4000))
    again.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    again.bind(("", 4000))


def test_nonblocking_connect_and_select():
    net = make_net()
    srv = net.b.socket()
    srv.bind(("", 8080))
    srv.listen()
    srv.setblocking(False)
    cli = net.a.socket()
    cli.setblocking(False)
    with pytest.raises(BlockingIOError) as ei:
        cli.connect((B_IP, 8080))
    assert ei.value.errno == errno.EINPROGRESS
    with pytest.raises(BlockingIOError):
        srv.accept()
    r, w, x = net.b.select([srv], [], [], 5)
    assert r == [srv]
    conn, addr = srv.accept()
    r, w, x = net.a.select([], [cli], [], 5)
    assert w == [cli] and cli.getsockopt(SOL_SOCKET, 0x4) == 0
    assert cli.getpeername() == (B_IP, 8080) and conn.getpeername() == addr
    r, w, x = net.b.select([conn], [], [], 0.5)
    assert r == [] and net.world.now >= 0.5  # timed out in simulated time
    cli.send(b"ping")
    r, _, _ = net.b.select([conn], [], [], 5)
    assert r == [conn]
    conn.setblocking(False)
    assert conn.recv(100) == b"ping"
    with pytest.raises(BlockingIOError):
        conn.recv(100)


def test_recv_timeout():
    net = make_net()
    srv = net.b.socket()
    srv.bind(("", 1))
    srv.listen()
    cli = net.a.socket()
    cli.connect((B_IP, 1))
    cli.settimeout(2.0)
    t0 = net.world.now
    with pytest.raises(TimeoutError):
        cli.recv(10)
    assert net.world.now - t0 == pytest.approx(2.0, abs=0.05)


def test_socket_options_round_trip():
    net = make_net()
    s = net.a.socket()
    s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
    s.setsockopt(SOL_SOCKET, SO_RCVBUF, 8192)
    s.setsockopt(SOL_SOCKET, SO_SNDBUF, struct.pack("i", 16384))
    assert s.getsockopt(IPPROTO_TCP, TCP_NODELAY) == 1
    assert s.getsockopt(SOL_SOCKET, SO_RCVBUF) == 8192
    assert s.getsockopt(SOL_SOCKET, SO_SNDBUF) == 16384


def test_small_rcvbuf_limits_advertised_window():
    net = make_net()
    srv = net.b.socket()
    srv.setsockopt(SOL_SOCKET, SO_RCVBUF, 3000)
    srv.bind(("", 2))
    srv.listen()
    cli = net.a.socket()
    cli.connect((B_IP, 2))
    conn, _ = srv.accept()
    cli.setblocking(False)
    cli.send(b"x" * 20000)
    net.run_for(0.2)
    assert conn.tcp.recv_queued <= 3000
    assert cli.tcp.snd_wnd <= 3000


def test_udp_sockets_sendto_recvfrom_connect():
    net = make_net()
    srv = net.b.socket(type=SOCK_DGRAM)
    srv.bind(("", 5353))
    cli = net.a.socket(type=SOCK_DGRAM)
    cli.sendto(b"question", (B_IP, 5353))
    srv.settimeout(1)
    data, addr = srv.recvfrom(100)
    assert data == b"question" and addr[0] == A_IP
    srv.sendto(b"answer", addr)
    cli.settimeout(1)
    assert cli.recvfrom(100) == (b"answer", (B_IP, 5353))
    cli.connect((B_IP, 5353))
    cli.send(b"connected")
    assert srv.recv(100) == b"connected"
    with pytest.raises(OSError) as ei:
        cli.sendto(b"x" * 2000, (B_IP, 5353))
    assert ei.value.errno == errno.EMSGSIZE


def test_sim_world_detects_a_stall():
    net = make_net()
    s = net.b.socket(type=SOCK_DGRAM)
    s.bind(("", 1000))
    with pytest.raises(SimulationStalled):
        s.recvfrom(10)  # blocking, no timeout, nothing can ever arrive


def test_async_wrapper_on_a_simulated_clock():
    """An asyncio 'simulator' owns the clock: the stack awaits its timer between polls."""
    net = make_net()
    world = net.world
    ia = net.ia

    async def sim_wait(timeout):
        # the simulator's own timer: let the *other* host run, and advance simulated time
        world.wait(timeout)
        await asyncio.sleep(0)

    astack = AsyncStack(ia, clock=world.clock, wait=sim_wait)
    world.interfaces.remove(ia)  # from now on the async side polls its own interface
    world.interfaces.append(ia)
    srv = net.b.socket()
    srv.bind(("", 9000))
    srv.listen()
    srv.setblocking(False)
    payload = random.Random(4).randbytes(200_000)

    async def client():
        s = astack.socket()
        await s.connect((B_IP, 9000), timeout=10)
        await s.sendall(payload, timeout=30)
        s.shutdown(1)
        got = bytearray()
        while True:
            chunk = await s.recv(65536, timeout=30)
            if not chunk:
                break
            got += chunk
        s.close()
        return bytes(got)

    async def server():
        while True:
            try:
                conn, _ = srv.accept()
                break
            except BlockingIOError:
                await asyncio.sleep(0)
        conn.setblocking(False)
        got = bytearray()
        while True:
            try:
                chunk = conn.recv(65536)
            except BlockingIOError:
                await asyncio.sleep(0)
                continue
            if not chunk:
                break
            got += chunk
        conn.setblocking(True)
        conn.sendall(hashlib.sha256(got).digest())
        conn.close()

    async def main():
        return (await asyncio.gather(client(), server()))[0]

    assert asyncio.run(main()) == hashlib.sha256(payload).digest()


# ---------------------------------------------------------------- services over the pipe

@pytest.fixture
def served(tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "file.bin").write_bytes(bytes(range(256)) * 1000)
    (tmp_path / "secret").write_bytes(b"no")
    net = make_net(seed=8, impairments=Impairments(delay=0.001, loss=0.01, reorder=0.02))
    host = ServiceHost(net.b)
    host.add_echo(7)
    host.add_discard(9)
    host.add_http(80, str(tmp_path / "www"))
    # the server's loop runs inside the simulated world's wait, after each poll
    orig_wait = net.world.wait

    def wait(timeout):
        host.step(0)
        orig_wait(timeout)

    net.a.wait = wait
    return net, host


def _http_get(net, request: bytes) -> bytes:
    s = net.a.socket()
    s.settimeout(30)
    s.connect((B_IP, 80))
    s.sendall(request)
    got = bytearray()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    return bytes(got)


def test_http_service_get_head_404_traversal_keepalive(served):
    net, _ = served
    body = bytes(range(256)) * 1000
    resp = _http_get(net, b"GET /file.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, got = resp.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: 256000" in head
    assert got == body
    resp = _http_get(net, b"GET /nope HTTP/1.0\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 404")
    for evil in (b"/../secret", b"/%2e%2e/secret", b"/..%2fsecret"):
        resp = _http_get(net, b"GET " + evil + b" HTTP/1.0\r\n\r\n")
        assert resp.startswith(b"HTTP/1.1 403") or resp.startswith(b"HTTP/1.1 404")
        assert b"no" != resp.partition(b"\r\n\r\n")[2]
    resp = _http_get(net, b"POST / HTTP/1.0\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 405")
    # two pipelined keep-alive requests, then one with close, on one connection
    resp = _http_get(net, b"GET /file.bin HTTP/1.1\r\n\r\nHEAD /file.bin HTTP/1.1\r\n\r\n"
                          b"GET /missing HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert resp.count(b"HTTP/1.1 200") == 2 and resp.count(b"HTTP/1.1 404") == 1
    assert len(resp) > 256000


def test_echo_and_discard_services(served):
    net, host = served
    data = random.Random(1).randbytes(300_000)
    s = net.a.socket()
    s.settimeout(30)
    s.connect((B_IP, 7))
    s.setblocking(False)
    got = bytearray()
    off = 0

    def step():
        nonlocal off
        if off < len(data):
            try:
                off += s.send(data[off:off + 32768])
            except BlockingIOError:
                pass
            if off == len(data):
                s.shutdown(1)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return True
                got.extend(chunk)
        except BlockingIOError:
            return False

    def driven():
        host.step(0)
        return step()

    assert net.run_until(driven, 60)
    assert bytes(got) == data
    d = net.a.socket()
    d.settimeout(30)
    d.connect((B_IP, 9))
    d.sendall(b"z" * 100_000)
    d.shutdown(1)
    assert d.recv(10) == b""
    assert host.bytes_discarded == 100_000
    u = net.a.socket(type=SOCK_DGRAM)
    u.settimeout(5)
    u.sendto(b"udp!", (B_IP, 7))
    assert u.recvfrom(10)[0] == b"udp!"


# ---------------------------------------------------------------- middleware devices

def test_pcap_writer_and_fault_injector(tmp_path):
    from scapy.layers.inet import TCP  # noqa: F401 - registers the dissectors
    from scapy.layers.l2 import Ether  # noqa: F401 - registers LINKTYPE_ETHERNET
    from scapy.utils import rdpcap

    pa, pb = PipeDevice.pair(seed=3, impairments=Impairments(delay=0.001))
    path = tmp_path / "a.pcap"
    dev_a = PcapWriter(FaultInjector(pa, seed=1, rx_drop=0.05, tx_drop=0.05), str(path))
    world = SimWorld()
    from host.stack.api import Stack
    ia = world.add(Interface(dev_a, A_MAC, A_IP + "/24", config=InterfaceConfig(seed=1)))
    ib = world.add(Interface(pb, B_MAC, B_IP + "/24", config=InterfaceConfig(seed=2)))
    a = Stack(ia, clock=world.clock, wait=world.wait)
    b = Stack(ib, clock=world.clock, wait=world.wait)
    srv = b.socket()
    srv.bind(("", 5))
    srv.listen()
    c = a.socket()
    c.settimeout(30)
    c.connect((B_IP, 5))
    conn, _ = srv.accept()
    c.sendall(b"k" * 50_000)
    conn.settimeout(30)
    got = b""
    while len(got) < 50_000:
        got += conn.recv(65536)
    assert got == b"k" * 50_000
    dev_a.flush()
    pkts = rdpcap(str(path))
    assert len(pkts) > 20
    assert any(p.haslayer("TCP") and p["TCP"].flags == "S" for p in pkts)
    assert dev_a.inner.injected > 0
