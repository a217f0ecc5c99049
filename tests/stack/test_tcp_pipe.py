"""TCP between two instances of the stack over the in-memory pipe, on simulated time."""

from __future__ import annotations

import errno
import hashlib
import random

import pytest

from host.stack.api import SHUT_WR, SO_LINGER, SOL_SOCKET
from host.stack.phy import Impairments
from host.stack.socket import State, TcpConfig, TcpSocket
from host.stack.wire import ip_from_str

from .helpers import A_IP, B_IP, make_net

IMPAIRED = Impairments(loss=0.03, duplicate=0.02, reorder=0.05, reorder_delay=0.004,
                       corrupt=0.02, delay=0.002, jitter=0.0005)


class Endpoint:
    """A non-blocking application: sends ``data``, half-closes, and collects what arrives."""

    def __init__(self, sock, data: bytes = b"", chunk: int = 65536, shutdown: bool = True):
        self.sock = sock
        sock.setblocking(False)
        self.out = memoryview(data)
        self.off = 0
        self.chunk = chunk
        self.got = bytearray()
        self.eof = False
        self.shutdown = shutdown
        self.sent_fin = not shutdown

    def step(self) -> None:
        while self.off < len(self.out):
            try:
                self.off += self.sock.send(self.out[self.off:self.off + self.chunk])
            except BlockingIOError:
                break
        if self.off >= len(self.out) and not self.sent_fin:
            self.sock.shutdown(SHUT_WR)
            self.sent_fin = True
        while not self.eof:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            if not data:
                self.eof = True
            self.got += data

    @property
    def done(self) -> bool:
        return self.eof and self.sent_fin


def pump(net, *endpoints, timeout: float = 600.0) -> None:
    def step():
        for ep in endpoints:
            ep.step()
        return all(ep.done for ep in endpoints)

    assert net.run_until(step, timeout), "transfer did not finish in simulated time"


def connect_pair(net, port: int = 5000, backlog: int = 8):
    srv = net.b.socket()
    srv.bind(("0.0.0.0", port))
    srv.listen(backlog)
    cli = net.a.socket()
    cli.settimeout(30)
    cli.connect((B_IP, port))
    srv.settimeout(30)
    conn, addr = srv.accept()
    assert addr[0] == A_IP
    return srv, cli, conn


def tracer(sock):
    events = []
    sock.tcp.trace = lambda ev, now, **kw: events.append((ev, now, kw))
    return events


def test_bulk_both_ways_clean_link():
    net = make_net(seed=3)
    _, cli, conn = connect_pair(net)
    up, down = random.Random(1).randbytes(1 << 20), random.Random(2).randbytes(1 << 20)
    a, b = Endpoint(cli, up), Endpoint(conn, down)
    pump(net, a, b)
    assert bytes(b.got) == up and bytes(a.got) == down
    assert cli.tcp.stats_retransmits == 0 and conn.tcp.stats_retransmits == 0
    assert net.ia.stats.rx_internal_errors == 0 and net.ib.stats.rx_internal_errors == 0


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_bulk_both_ways_impaired_link(seed):
    """1 MiB each way over loss, duplication, reordering and corruption: delivered exactly once,
    in order, and every impairment really happened."""
    net = make_net(seed=seed, impairments=IMPAIRED)
    _, cli, conn = connect_pair(net)
    up, down = random.Random(seed).randbytes(1 << 20), random.Random(-seed).randbytes(1 << 20)
    a, b = Endpoint(cli, up), Endpoint(conn, down)
    pump(net, a, b)
    assert hashlib.sha256(b.got).digest() == hashlib.sha256(up).digest()
    assert hashlib.sha256(a.got).digest() == hashlib.sha256(down).digest()
    for dev in (net.dev_a, net.dev_b):
        st = dev.link_stats
        assert st.lost and st.duplicated and st.reordered and st.corrupted
    # corrupted frames were caught by checksums, never delivered as data
    caught = sum(getattr(i.stats, n) for i in (net.ia, net.ib) for n in (
        "tcp_bad_checksum", "ip_bad_checksum", "eth_not_for_us", "ip_malformed",
        "tcp_malformed", "eth_unknown_type", "ip_not_for_us", "ip_bad_source",
        "ip_unknown_protocol", "arp_malformed", "arp_ignored"))
    assert caught > 0
    assert cli.tcp.stats_retransmits > 0
    assert net.ia.stats.rx_internal_errors == 0 and net.ib.stats.rx_internal_errors == 0


def test_many_connections_at_once():
    net = make_net(seed=21, impairments=IMPAIRED)
    srv = net.b.socket()
    srv.bind(("", 8000))
    srv.listen(64)
    srv.setblocking(False)
    n = 24
    clients = []
    for _ in range(n):
        c = net.a.socket()
        c.setblocking(False)
        with pytest.raises(BlockingIOError):
            c.connect((B_IP, 8000))
        clients.append(c)
    servers: list = []

    def accept_all():
        while True:
            try:
                servers.append(srv.accept()[0])
            except BlockingIOError:
                break
        return len(servers) == n

    assert net.run_until(accept_all, 60)
    by_port = {s.getpeername()[1]: s for s in servers}
    eps = []
    for i, c in enumerate(clients):
        up = random.Random(i).randbytes(20000 + 997 * i)
        down = random.Random(1000 + i).randbytes(15000 + 1013 * i)
        s = by_port[c.getsockname()[1]]
        eps.append((Endpoint(c, up), Endpoint(s, down), up, down))
    pump(net, *[e for quad in eps for e in quad[:2]])
    for ca, sa, up, down in eps:
        assert bytes(sa.got) == up and bytes(ca.got) == down


def _closed_everywhere(net):
    return not net.ia._tcp_conns and not net.ib._tcp_conns


@pytest.mark.parametrize("order", ["client_first", "server_first", "simultaneous"])
def test_close_orders(order):
    cfg = TcpConfig(msl=0.5)
    net = make_net(seed=31, tcp=cfg)
    _, cli, conn = connect_pair(net)
    ca, sa = tracer(cli), tracer(conn)
    cli.sendall(b"x" * 1000)
    conn.settimeout(5)
    assert conn.recv(2000) == b"x" * 1000
    if order == "client_first":
        cli.close()
        assert conn.recv(10) == b""  # EOF
        assert conn.tcp.state is State.CLOSE_WAIT
        conn.close()
        first, second = ca, sa
    elif order == "server_first":
        conn.close()
        cli.settimeout(5)
        assert cli.recv(10) == b""
        assert cli.tcp.state is State.CLOSE_WAIT
        cli.close()
        first, second = sa, ca
    else:
        cli.close()
        conn.close()  # both FINs are in flight at once
        assert net.run_until(lambda: cli.tcp.state is State.TIME_WAIT
                             and conn.tcp.state is State.TIME_WAIT, 5)
        assert net.run_until(lambda: _closed_everywhere(net), 5)
        for ev in (ca, sa):
            names = [e[0] for e in ev]
            assert "time_wait_done" in names
        return
    assert net.run_until(lambda: _closed_everywhere(net), 10)
    # the active closer went through TIME-WAIT for 2*MSL; the passive one did not
    assert [e for e in first if e[0] == "time_wait_done"]
    assert not [e for e in second if e[0] == "time_wait_done"]


def test_time_wait_lasts_two_msl():
    cfg = TcpConfig(msl=2.5)
    net = make_net(seed=32, tcp=cfg)
    _, cli, conn = connect_pair(net)
    cli.close()
    conn.settimeout(5)
    assert conn.recv(1) == b""
    conn.close()
    assert net.run_until(lambda: cli.tcp.state is State.TIME_WAIT, 5)
    entered = net.world.now
    assert net.run_until(lambda: cli.tcp.state is State.CLOSED, 20)
    assert net.world.now - entered == pytest.approx(5.0, abs=0.01)


def test_half_close_with_data_flowing_back():
    net = make_net(seed=33, impairments=IMPAIRED)
    _, cli, conn = connect_pair(net)
    request = b"GET everything\n"
    reply = random.Random(5).randbytes(300_000)
    cli.sendall(request)
    cli.shutdown(SHUT_WR)
    assert cli.tcp.state is State.FIN_WAIT_1
    conn.settimeout(30)
    got = b""
    while True:
        chunk = conn.recv(100)
        if not chunk:
            break
        got += chunk
    assert got == request
    assert conn.tcp.state is State.CLOSE_WAIT
    a = Endpoint(cli, b"", shutdown=False)
    b = Endpoint(conn, reply)
    pump(net, a, b)
    assert bytes(a.got) == reply


def test_connect_to_closed_port_is_refused():
    net = make_net(seed=41)
    cli = net.a.socket()
    cli.settimeout(10)
    with pytest.raises(ConnectionRefusedError) as ei:
        cli.connect((B_IP, 9))
    assert ei.value.errno == errno.ECONNREFUSED
    assert net.ib.stats.tcp_rst_sent == 1


def test_abort_resets_peer():
    net = make_net(seed=42)
    _, cli, conn = connect_pair(net)
    cli.sendall(b"hello")
    cli.setsockopt(SOL_SOCKET, SO_LINGER, (1, 0))
    cli.close()
    conn.settimeout(5)
    assert conn.recv(5) == b"hello"  # data before the RST is still readable
    with pytest.raises(ConnectionResetError) as ei:
        conn.recv(5)
    assert ei.value.errno == errno.ECONNRESET
    with pytest.raises(OSError) as ei2:
        conn.send(b"more")
    assert ei2.value.errno == errno.EPIPE


def test_close_with_unread_data_sends_rst():
    net = make_net(seed=43)
    _, cli, conn = connect_pair(net)
    cli.sendall(b"unread")
    assert net.run_until(lambda: conn.tcp.recv_queued == 6, 5)
    conn.close()
    cli.settimeout(5)
    with pytest.raises(ConnectionResetError):
        cli.recv(10)


def test_rto_backoff_then_etimedout():
    cfg = TcpConfig(rto_initial=1.0, rto_min=1.0, max_retries=4)
    net = make_net(seed=44, tcp=cfg)
    _, cli, conn = connect_pair(net)
    events = tracer(cli)
    net.dev_a.set_impairments(Impairments(loss=1.0))  # black hole from here on
    t0 = net.world.now
    cli.send(b"lost forever")
    cli.settimeout(100)
    with pytest.raises(TimeoutError) as ei:
        cli.recv(10)
    assert ei.value.errno == errno.ETIMEDOUT
    sends = [now for ev, now, _ in events if ev in ("send", "retransmit")]
    assert sends[0] == pytest.approx(t0)
    gaps = [b - a for a, b in zip(sends, sends[1:], strict=False)]
    assert gaps == pytest.approx([1.0, 2.0, 4.0, 8.0], abs=1e-6)
    timeout_at = [now for ev, now, _ in events if ev == "timeout"][0]
    assert timeout_at - sends[-1] == pytest.approx(16.0, abs=1e-6)
    assert cli.tcp.state is State.CLOSED


def test_syn_retries_then_etimedout():
    cfg = TcpConfig(rto_initial=1.0, syn_retries=3)
    net = make_net(seed=45, tcp=cfg)
    net.dev_b.set_impairments(Impairments(loss=1.0))  # the server never answers
    srv = net.b.socket()
    srv.bind(("", 80))
    srv.listen()
    cli = net.a.socket()
    events = tracer(cli)
    cli.settimeout(100)
    with pytest.raises(TimeoutError):
        cli.connect((B_IP, 80))
    syns = [now for ev, now, _ in events if ev in ("send", "retransmit")]
    gaps = [b - a for a, b in zip(syns, syns[1:], strict=False)]
    assert gaps == pytest.approx([1.0, 2.0, 4.0], abs=1e-6)


def test_fast_retransmit_recovers_single_loss_without_timeout():
    net = make_net(seed=46)
    _, cli, conn = connect_pair(net)
    events = tracer(cli)
    state = {"data_frames": 0}

    def drop_one(frame) -> bool:
        if len(frame) > 1000:  # a full data segment
            state["data_frames"] += 1
            return state["data_frames"] == 20
        return False

    net.dev_a.drop_filter = drop_one
    data = random.Random(9).randbytes(400_000)
    a, b = Endpoint(cli, data), Endpoint(conn, b"")
    pump(net, a, b)
    assert bytes(b.got) == data
    assert cli.tcp.stats_fast_retransmits == 1
    assert cli.tcp.stats_timeouts == 0
    assert "recovery_exit" in [e[0] for e in events]


def test_zero_window_probe_then_recovery():
    net = make_net(seed=47, tcp=TcpConfig(), tcp_b=TcpConfig(rx_buffer=4096))
    _, cli, conn = connect_pair(net)
    events = tracer(cli)
    data = random.Random(3).randbytes(60_000)
    cli.setblocking(False)
    sent = cli.send(data)
    net.run_for(30.0)  # the server application does not read
    assert cli.tcp.snd_wnd == 0
    assert cli.tcp.state is State.ESTABLISHED
    probes = [now for ev, now, _ in events if ev == "zero_window_probe"]
    assert len(probes) >= 4
    gaps = [b - a for a, b in zip(probes, probes[1:], strict=False)]
    assert all(g2 > g1 for g1, g2 in zip(gaps, gaps[1:], strict=False))  # backed off
    assert conn.tcp.recv_queued == 4096
    a = Endpoint(cli, data[sent:])
    b = Endpoint(conn, b"")
    a.chunk = 4096
    pump(net, a, b)
    assert bytes(b.got) == data


def _count_data_segments(sock) -> list:
    events = tracer(sock)
    return events


@pytest.mark.parametrize("nodelay", [False, True])
def test_nagle_and_nodelay(nodelay):
    net = make_net(seed=48, impairments=Impairments(delay=0.005))
    _, cli, conn = connect_pair(net)
    if nodelay:
        from host.stack.api import IPPROTO_TCP, TCP_NODELAY
        cli.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
    events = tracer(cli)
    cli.setblocking(False)
    for i in range(100):
        cli.send(bytes([i]))
        net.run_for(0.001)
    conn.settimeout(10)
    got = b""
    while len(got) < 100:
        got += conn.recv(1000)
    assert got == bytes(range(100))
    data_segments = [e for e in events if e[0] == "send" and e[2]["length"] > 0]
    if nodelay:
        assert len(data_segments) == 100
    else:
        # one small segment in flight at a time; each waits for the ACK, which takes the 10 ms
        # round trip plus the peer's 40 ms delayed-ACK timer: 100 writes over ~100 ms -> 3
        assert len(data_segments) == 3
        assert [e[2]["length"] for e in data_segments] == [1, 49, 50]


def test_delayed_ack_timer_and_every_second_segment():
    cfg = TcpConfig(delayed_ack=0.04)
    net = make_net(seed=49, tcp=cfg)
    _, cli, conn = connect_pair(net)
    from host.stack.wire import EthernetFrame, Ipv4Packet, TcpPacket
    acks = []

    def watch(frame, now):
        ip = Ipv4Packet(EthernetFrame(frame).payload)
        if ip.protocol == 6:
            tcp = TcpPacket(ip.payload)
            if not len(tcp.payload):
                acks.append((now, tcp.ack))

    net.dev_a.taps.append(watch)
    conn.sendall(b"q" * 100)
    t_sent = net.world.now
    cli.settimeout(5)
    assert cli.recv(1000) == b"q" * 100
    assert net.run_until(lambda: acks, 1)
    # arrives after the 1 ms link delay; acknowledged 40 ms later
    assert acks[0][0] - t_sent == pytest.approx(0.001 + 0.04, abs=1e-6)
    acks.clear()
    conn.sendall(b"z" * 2920)  # two full-size segments: ACKed on arrival
    t_sent = net.world.now
    assert net.run_until(lambda: acks, 1)
    assert acks[0][0] - t_sent == pytest.approx(0.001, abs=1e-6)


def test_simultaneous_open():
    net = make_net(seed=50)
    sa = net.ia.add_socket(TcpSocket())
    sb = net.ib.add_socket(TcpSocket())
    sa.connect(ip_from_str(B_IP), 7000, local_port=6000)
    sb.connect(ip_from_str(A_IP), 6000, local_port=7000)
    assert net.run_until(lambda: sa.state is State.ESTABLISHED and sb.state is State.ESTABLISHED,
                         10)
    sa.send(b"ping")
    assert net.run_until(lambda: sb.recv_queued == 4, 5)
    assert sb.recv(10) == b"ping"
    sa.close()
    sb.close()
    assert net.run_until(lambda: sa.state is State.TIME_WAIT and sb.state is State.TIME_WAIT, 5)


def test_listen_backlog_limits_pending_connections():
    net = make_net(seed=51)
    srv = net.b.socket()
    srv.bind(("", 81))
    srv.listen(2)
    clients = []
    for _ in range(5):
        c = net.a.socket()
        c.setblocking(False)
        with pytest.raises(BlockingIOError):
            c.connect((B_IP, 81))
        clients.append(c)
    net.run_for(0.5)
    established = [c for c in clients if c.tcp.state is State.ESTABLISHED]
    assert len(established) == 2
    assert srv.tcp.accept_pending == 2
    assert net.ib.stats.tcp_listen_overflows >= 3
    srv.settimeout(30)
    accepted = [srv.accept()[0] for _ in range(5)]  # SYN retransmissions get the rest in
    assert len(accepted) == 5
    assert all(c.tcp.state is State.ESTABLISHED for c in clients)


def test_isn_is_keyed_and_clocked():
    net = make_net(seed=52)
    ia = net.ia
    lip, rip = ia.ip, ip_from_str(B_IP)
    x = ia.isn(lip, 50000, rip, 80, 10.0)
    y = ia.isn(lip, 50001, rip, 80, 10.0)
    z = ia.isn(lip, 50000, rip, 80, 11.0)
    assert x != y
    assert (z - x) % (1 << 32) == 250_000  # the 4 us clock moved by one second
    other = make_net(seed=53).ia
    assert other.isn(lip, 50000, rip, 80, 10.0) != x  # a different secret


@pytest.mark.slow
def test_soak_impaired_transfer():
    """Bounded by default (2 MiB each way); SOAK=1 moves 32 MiB each way."""
    import os
    size = (32 << 20) if os.environ.get("SOAK") else (2 << 20)
    net = make_net(seed=99, impairments=IMPAIRED)
    _, cli, conn = connect_pair(net)
    up, down = random.Random(7).randbytes(size), random.Random(8).randbytes(size)
    a, b = Endpoint(cli, up), Endpoint(conn, down)
    pump(net, a, b, timeout=10_000)
    assert hashlib.sha256(b.got).digest() == hashlib.sha256(up).digest()
    assert hashlib.sha256(a.got).digest() == hashlib.sha256(down).digest()


def test_rate_limited_link_with_small_queue():
    """A 8 Mbit/s bottleneck with a 30-frame queue: tail drops make congestion control back off,
    and the transfer still completes at close to the link rate."""
    imp = Impairments(delay=0.005, rate_bps=8_000_000, queue_limit=30)
    net = make_net(seed=60, impairments=imp)
    _, cli, conn = connect_pair(net)
    data = random.Random(6).randbytes(1 << 20)
    t0 = net.world.now
    a, b = Endpoint(cli, data), Endpoint(conn, b"")
    pump(net, a, b)
    elapsed = net.world.now - t0
    assert bytes(b.got) == data
    wire_time = len(data) * 1514 / 1460 * 8 / 8_000_000
    assert wire_time <= elapsed < 2.5 * wire_time
    assert net.dev_a.link_stats.queue_drops > 0
    assert cli.tcp.ssthresh < 1 << 30  # a loss was detected and the window reduced
