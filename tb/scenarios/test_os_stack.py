"""The OS's own network stack on each host's VI 0, beside user-level stacks (tb_two_hosts).

Host A is 198.18.0.1, host B 198.18.0.2. Each host's OS stack (``host.os_stack``, started by
``NicBench``) receives what no filter claims; processes reach it through OS sockets (system
calls, copies counted). User-level stacks (``UserStack``) share the host's identity: the OS's
neighbour table and port space.
"""

from __future__ import annotations

import errno
import hashlib
import random
import socket as pysocket

import cocotb
from cocotb.triggers import Timer
from scapy.layers.inet import ICMP, IP, IPerror, UDPerror
from scapy.layers.l2 import ARP, Ether

from host.layout import PAGE_SHIFT
from tb.env import HOST_IPS, NicBench, SimHost
from tb.userstack import UserStack

SIM_TOP = "tb_two_hosts"  # the sim top these tests run on (tb/scenario_info.py)

A_IP, B_IP = HOST_IPS
A = (A_IP, "02:00:00:00:00:01")
B = (B_IP, "02:00:00:00:00:02")
MIB = 1 << 20
T = 0.01  # seconds of simulated time any one socket call may block: far above any RTT here


def os_sockets(host: SimHost, name: str):
    """A new process on ``host`` and its OS socket calls."""
    proc = host.os.spawn(name)
    return proc, host.os_stack.sockets(proc)


def stray_reads(reads, pages: set[int]) -> list:
    """The DMA accesses of ``reads`` whose page is not in ``pages``."""
    return [acc for acc in reads if (acc.addr >> PAGE_SHIFT << PAGE_SHIFT) not in pages]


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


async def user_bulk(bench: NicBench, payload: bytes, port: int,
                    stacks: dict | None = None) -> bytes:
    """Move ``payload`` from a user-level process on A to one on B over TCP; return what B
    read. ``stacks``, if given, receives the two ``UserStack``s ("client", "server")."""
    server = UserStack(bench.hosts[1], "user-sink", B, A, [port])
    client = UserStack(bench.hosts[0], "user-source", A, B, [port + 1])
    if stacks is not None:
        stacks.update(client=client, server=server)
    await bench.settle()
    received = bytearray()

    async def sink():
        lsock = server.stack.socket()
        lsock.bind((B_IP, port))
        lsock.listen(1)
        conn, _ = await lsock.accept(timeout=T)
        while data := await conn.recv(1 << 16, timeout=T):
            received.extend(data)
        conn.close()
        lsock.close()

    task = cocotb.start_soon(sink())
    sock = client.stack.socket()
    sock.bind((A_IP, port + 1))
    await sock.connect((B_IP, port), timeout=T)
    await sock.sendall(payload, timeout=T)
    sock.shutdown(pysocket.SHUT_WR)
    assert await sock.recv(1, timeout=T) == b""
    sock.close()
    await task
    return bytes(received)


@cocotb.test(timeout_time=100_000, timeout_unit="us")
async def ping_while_user_tcp(dut):
    """Host B's OS pings host A (a ping socket of a process on B, through B's VI 0); A's OS
    stack answers every echo, while a user-level TCP flow between processes on A and B moves
    1 MiB exactly."""
    bench = await NicBench.start(dut)
    payload = random.Random(1).randbytes(MIB)
    flow = cocotb.start_soon(user_bulk(bench, payload, 5001))
    _, calls = os_sockets(bench.hosts[1], "ping")
    ping = await calls.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM, 1)  # IPPROTO_ICMP
    replies = []
    for seq in range(8):
        data = bytes([seq]) * (16 + 100 * seq)
        request = bytes(ICMP(type=8, id=0, seq=seq) / data)
        await ping.sendto(request, (A_IP, 0))
        reply, addr = await ping.recvfrom(2048, timeout=T)
        decoded = ICMP(reply)
        assert addr == (A_IP, 0) and decoded.type == 0 and decoded.seq == seq, decoded.summary()
        assert bytes(decoded.payload) == data, f"echo {seq} came back with other data"
        replies.append(decoded)
        await Timer(20, unit="us")  # spread the pings over the transfer
    received = await flow
    assert len(received) == len(payload) and digest(received) == digest(payload), \
        "the user-level flow lost, duplicated or reordered data"
    a_os = bench.hosts[0].os_stack.net.iface.stats
    assert a_os.icmp_echo_replies == 8, f"A's OS answered {a_os.icmp_echo_replies} of 8"
    assert len({r.id for r in replies}) == 1, "a ping socket keeps its identifier"
    await ping.close()


async def os_bulk(calls, sock, payload: bytes, chunk: int) -> int:
    """Send ``payload`` with ``send`` calls of at most ``chunk`` bytes; return the calls made."""
    view = memoryview(payload)
    off = made = 0
    while off < len(view):
        off += await sock.send(view[off:off + chunk], timeout=T)
        made += 1
    return made


async def os_drain(sock, into: bytearray) -> int:
    """``recv`` until the peer's FIN; return the calls made (the last one reads EOF)."""
    made = 0
    while True:
        data = await sock.recv(32768, timeout=T)
        made += 1
        if not data:
            return made
        into.extend(data)


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def os_tcp_both_ways(dut):
    """A TCP connection between OS sockets on A and B moves 1 MiB exactly each way at once. On
    A the NIC reads only kernel pages (its frames are built there); each process's copy and
    system-call counters match what it moved and the calls it made."""
    bench = await NicBench.start(dut)
    host_a, host_b = bench.hosts
    _, a_calls = os_sockets(host_a, "os-client")
    _, b_calls = os_sockets(host_b, "os-server")
    to_b = random.Random(2).randbytes(MIB)
    to_a = random.Random(3).randbytes(MIB)
    got_b, got_a = bytearray(), bytearray()
    made = {"a": 0}

    async def server():
        lsock = await b_calls.socket()
        await lsock.bind(("", 7000))
        await lsock.listen(1)
        conn, _ = await lsock.accept(timeout=T)
        reader = cocotb.start_soon(os_drain(conn, got_b))
        await os_bulk(b_calls, conn, to_a, 65536)
        await conn.shutdown(pysocket.SHUT_WR)
        await reader
        await conn.close()
        await lsock.close()

    task = cocotb.start_soon(server())
    await Timer(1, unit="us")
    log = host_a.dma_log
    log.enable()
    log.drain()
    sock = await a_calls.socket()
    await sock.connect((B_IP, 7000), timeout=T)
    reader = cocotb.start_soon(os_drain(sock, got_a))
    sends = await os_bulk(a_calls, sock, to_b, 65536)
    await sock.shutdown(pysocket.SHUT_WR)
    recvs = await reader
    await task
    await sock.close()
    reads = [acc for acc in log.drain() if not acc.write]
    log.enable(False)
    made["a"] = 1 + 1 + sends + 1 + recvs + 1  # socket, connect, sends, shutdown, recvs, close

    assert bytes(got_b) == to_b, "A->B over OS sockets: data lost, duplicated or reordered"
    assert bytes(got_a) == to_a, "B->A over OS sockets: data lost, duplicated or reordered"
    assert reads, "the DMA log saw no reads on A"
    strays = stray_reads(reads, host_a.kernel_path_pages())
    assert not strays, (f"{len(strays)} of {len(reads)} DMA reads on A were not from the "
                        f"kernel path's pages ({host_a.mode} mode), e.g. {strays[0]}")
    big = [acc for acc in reads if acc.length >= 1024]
    assert len(big) >= MIB // 1460, f"only {len(big)} frame-sized reads for 1 MiB sent"
    strays = stray_reads(big, host_a.os_stack.net.frame_pages())
    assert not strays, (f"{len(strays)} frame-sized reads on A were not from the pages the "
                        f"OS builds its frames in ({host_a.mode} mode), e.g. {strays[0]}")
    st = a_calls.stats
    assert st.bytes_copied_in == MIB and st.bytes_copied_out == MIB, st
    assert st.syscalls == made["a"], f"{st.syscalls} system calls counted, {made['a']} made"
    assert st.calls["send"] == sends and st.calls["recv"] == recvs, st.calls
    costs = host_a.os_stack.costs
    assert abs(st.copy_time_s - 2 * MIB / costs.copy_bytes_per_s) < 1e-12
    assert abs(st.syscall_time_s - made["a"] * costs.syscall_s) < 1e-12
    assert b_calls.stats.bytes_copied_in == MIB and b_calls.stats.bytes_copied_out == MIB


def wire_frames(bench: NicBench) -> list[tuple[int, Ether]]:
    """Every frame captured so far on both wire channels: (sending host 0/1, decoded)."""
    out = []
    for sender, wire in enumerate(bench.wires):
        out += [(sender, Ether(f.data)) for f in wire.captured()]
    return out


@cocotb.test(timeout_time=50_000, timeout_unit="us")
async def os_udp_and_port_unreachable(dut):
    """UDP between OS sockets both ways; a datagram to a port nobody has on B gets ICMP port
    unreachable from B's OS (on the wire, decoded by scapy), and A's connected socket reports
    ECONNREFUSED on its next call."""
    bench = await NicBench.start(dut)
    _, a_calls = os_sockets(bench.hosts[0], "udp-a")
    _, b_calls = os_sockets(bench.hosts[1], "udp-b")
    b = await b_calls.socket(type=pysocket.SOCK_DGRAM)
    await b.bind((B_IP, 9000))
    a = await a_calls.socket(type=pysocket.SOCK_DGRAM)
    await a.bind(("", 9001))
    for size in (0, 1, 512, 1472):
        msg = random.Random(size).randbytes(size)
        assert await a.sendto(msg, (B_IP, 9000)) == size
        data, addr = await b.recvfrom(2048, timeout=T)
        assert (data, addr) == (msg, (A_IP, 9001))
        await b.sendto(data[::-1], addr)
        assert await a.recvfrom(2048, timeout=T) == (msg[::-1], (B_IP, 9000))
    wire_frames(bench)  # forget the traffic so far

    refused = await a_calls.socket(type=pysocket.SOCK_DGRAM)
    await refused.connect((B_IP, 9999))
    await refused.send(b"anyone there?")
    try:
        await refused.recv(100, timeout=T)
    except ConnectionRefusedError as e:
        assert e.errno == errno.ECONNREFUSED
    else:
        raise AssertionError("no ECONNREFUSED after the datagram to a closed port")
    frames = wire_frames(bench)
    unreachable = [f for s, f in frames if s == 1 and ICMP in f and f[ICMP].type == 3]
    assert len(unreachable) == 1, [f.summary() for _, f in frames]
    icmp = unreachable[0]
    assert icmp[IP].src == B_IP and icmp[IP].dst == A_IP and icmp[ICMP].code == 3
    assert icmp[IPerror].dst == B_IP and icmp[UDPerror].dport == 9999, icmp.show(dump=True)
    # the error is reported once; the socket then works again
    await refused.connect((B_IP, 9000))
    await refused.send(b"again")
    assert await b.recvfrom(100, timeout=T) == (b"again", await refused.getsockname())
    for s in (a, b, refused):
        await s.close()


@cocotb.test(timeout_time=50_000, timeout_unit="us")
async def one_arp_per_host(dut):
    """A user-level flow and an OS flow from host A to host B at once: A resolves B once (the
    user-level stack asks A's OS, which owns the table), and B, which learns A from that
    request, needs none; every datagram arrives."""
    bench = await NicBench.start(dut)
    user_a = UserStack(bench.hosts[0], "user-a", A, B, udp_ports=[5100])
    user_b = UserStack(bench.hosts[1], "user-b", B, A, udp_ports=[5200])
    await bench.settle()
    _, a_calls = os_sockets(bench.hosts[0], "os-a")
    _, b_calls = os_sockets(bench.hosts[1], "os-b")
    os_rx = await b_calls.socket(type=pysocket.SOCK_DGRAM)
    await os_rx.bind(("", 6200))
    os_tx = await a_calls.socket(type=pysocket.SOCK_DGRAM)
    user_rx = user_b.stack.socket(type=pysocket.SOCK_DGRAM)
    user_rx.bind((B_IP, 5200))
    user_tx = user_a.stack.socket(type=pysocket.SOCK_DGRAM)
    user_tx.bind((A_IP, 5100))
    for i in range(4):
        await user_tx.sendto(b"user %d" % i, (B_IP, 5200), timeout=T)
        await os_tx.sendto(b"os %d" % i, (B_IP, 6200))
    # A's user-level datagrams waited for A's OS to resolve B, then left without A's process
    # calling again (the OS polled its stack once on its behalf)
    for i in range(4):
        assert (await user_rx.recvfrom(100, timeout=T))[0] == b"user %d" % i
        assert (await os_rx.recvfrom(100, timeout=T))[0] == b"os %d" % i
    # and back: B's user-level stack resolves A through B's OS, which already knows A
    await user_rx.sendto(b"back", (A_IP, 5100), timeout=T)
    assert (await user_tx.recvfrom(100, timeout=T))[0] == b"back"
    requests = [(s, f[ARP]) for s, f in wire_frames(bench) if ARP in f and f[ARP].op == 1]
    from_a = [r for s, r in requests if s == 0]
    from_b = [r for s, r in requests if s == 1]
    assert len(from_a) == 1 and from_a[0].pdst == B_IP, [r.summary() for _, r in requests]
    assert len(from_b) <= 1, [r.summary() for r in from_b]
    for user in (user_a, user_b):
        st = user.iface.stats
        assert st.arp_requests_sent == 0, "a user-level stack sent ARP of its own"
    assert user_a.iface.stats.arp_requests_delegated == 1


@cocotb.test(timeout_time=20_000, timeout_unit="us")
async def one_port_space(dut):
    """A port an OS socket holds cannot be bound by a user-level stack of the same host, and
    the other way round (EADDRINUSE, TCP and UDP); a port freed by close can be bound again."""
    bench = await NicBench.start(dut)
    host = bench.hosts[0]
    user = UserStack(host, "user", A, B)
    _, calls = os_sockets(host, "os")

    os_tcp = await calls.socket()
    await os_tcp.bind(("", 8000))
    user_tcp = user.stack.socket()
    expect_in_use(lambda: user_tcp.bind((A_IP, 8000)), "user-level TCP bind of an OS port")
    await os_tcp.close()
    user_tcp.bind((A_IP, 8000))
    user_tcp.listen(1)
    os_tcp = await calls.socket()
    await expect_in_use_async(os_tcp.bind(("", 8000)), "OS TCP bind of a user-level port")
    user_tcp.close()
    await os_tcp.bind(("", 8000))
    await os_tcp.close()

    user_udp = user.stack.socket(type=pysocket.SOCK_DGRAM)
    user_udp.bind((A_IP, 8100))
    os_udp = await calls.socket(type=pysocket.SOCK_DGRAM)
    await expect_in_use_async(os_udp.bind((A_IP, 8100)), "OS UDP bind of a user-level port")
    user_udp.close()
    await os_udp.bind((A_IP, 8100))
    user_udp = user.stack.socket(type=pysocket.SOCK_DGRAM)
    expect_in_use(lambda: user_udp.bind((A_IP, 8100)), "user-level UDP bind of an OS port")
    await os_udp.close()
    user_udp.bind((A_IP, 8100))
    # ports are per protocol: TCP 8100 is still free for the OS
    os_tcp = await calls.socket()
    await os_tcp.bind(("", 8100))
    await os_tcp.close()
    user_udp.close()
    assert not host.os_stack.net.ports._held, host.os_stack.net.ports._held


def expect_in_use(call, what: str) -> None:
    try:
        call()
    except OSError as e:
        assert e.errno == errno.EADDRINUSE, f"{what}: {e!r}"
    else:
        raise AssertionError(f"{what} succeeded")


async def expect_in_use_async(call, what: str) -> None:
    try:
        await call
    except OSError as e:
        assert e.errno == errno.EADDRINUSE, f"{what}: {e!r}"
    else:
        raise AssertionError(f"{what} succeeded")


# (what, call on a socket object of the given type): each run on a real Python socket of this
# machine and on an OS socket; both must raise the same exception type, errno and message
BAD_CALLS = [
    ("stream", "bind", ("x",)),
    ("stream", "bind", (("198.18.0.1", 1, 2),)),
    ("stream", "bind", (("198.18.0.1", "80"),)),
    ("stream", "bind", (("198.18.0.1", 70000),)),
    ("stream", "bind", (("198.18.0.1", -1),)),
    ("stream", "bind", ((5, 80),)),
    ("stream", "bind", (("198.18.99.99", 80),)),
    ("stream", "connect", (("198.18.0.2", 70000),)),
    ("stream", "send", ("text",)),
    ("stream", "send", (b"never connected",)),
    ("stream", "recv", (-1,)),
    ("stream", "recv", ("10",)),
    ("stream", "recv", (10,)),
    ("stream", "accept", ()),
    ("stream", "shutdown", (pysocket.SHUT_WR,)),
    ("stream", "shutdown", (7,)),
    ("stream", "getpeername", ()),
    ("stream", "setsockopt", (pysocket.SOL_SOCKET, 9999, 1)),
    ("dgram", "listen", ()),
    ("dgram", "accept", ()),
    ("dgram", "send", (b"no destination",)),
    ("dgram", "sendto", ("text", ("198.18.0.2", 9))),
    ("dgram", "sendto", (b"x", "198.18.0.2")),
    ("dgram", "sendto", (b"x", ("198.18.0.2", 70000))),
    ("closed", "send", (b"x",)),
    ("closed", "bind", (("", 0),)),
    ("closed", "recv", (1,)),
]


def outcome(exc: BaseException | None) -> tuple:
    if exc is None:
        return ("no exception",)
    return type(exc).__name__, getattr(exc, "errno", None), str(exc)


@cocotb.test(timeout_time=20_000, timeout_unit="us")
async def os_socket_bad_input(dut):
    """OS socket calls with bad arguments raise what Python's socket module raises (checked
    against real sockets of this machine, call by call), and the stack is intact after them: no
    port held, and a UDP exchange then works."""
    bench = await NicBench.start(dut)
    host = bench.hosts[0]
    _, calls = os_sockets(host, "bad")
    for kind, name, args in BAD_CALLS:
        real = pysocket.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM if kind == "dgram"
                               else pysocket.SOCK_STREAM)
        ours = await calls.socket(type=pysocket.SOCK_DGRAM if kind == "dgram"
                                  else pysocket.SOCK_STREAM)
        if kind == "closed":
            real.close()
            await ours.close()
        expected = got = None
        try:
            getattr(real, name)(*args)
        except Exception as e:  # noqa: BLE001 - the oracle's outcome, whatever it is
            expected = e
        finally:
            real.close()
        try:
            await getattr(ours, name)(*args, **({"timeout": 0} if name == "recv" else {}))
        except Exception as e:  # noqa: BLE001
            got = e
        assert outcome(got) == outcome(expected), \
            f"{kind} {name}{args}: Python's socket gives {outcome(expected)}, ours {outcome(got)}"
        await ours.close()
    assert not host.os_stack.net.ports._held, "a refused call left a port held"
    # the stack still works
    _, other = os_sockets(bench.hosts[1], "peer")
    rx = await other.socket(type=pysocket.SOCK_DGRAM)
    await rx.bind(("", 4000))
    tx = await calls.socket(type=pysocket.SOCK_DGRAM)
    await tx.sendto(b"still here", (B_IP, 4000))
    assert (await rx.recvfrom(100, timeout=T))[0] == b"still here"
    for bad in ((999, pysocket.SOCK_STREAM, 0),
                (pysocket.AF_INET, 999, 0),
                (pysocket.AF_INET, pysocket.SOCK_DGRAM, 6)):
        try:
            pysocket.socket(*bad).close()
            expected = None
        except OSError as e:
            expected = e
        try:
            await calls.socket(*bad)
            got = None
        except OSError as e:
            got = e
        assert outcome(got) == outcome(expected), (bad, outcome(got), outcome(expected))


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def os_tcp_over_an_impaired_wire(dut):
    """OS sockets over a wire that loses, duplicates, reorders and corrupts frames both ways:
    256 KiB arrive exactly once and in order, repaired by the OS stack's retransmissions (its
    timers run in the softirq, whether or not a process is in a call), and the corrupted frames
    are dropped and counted, never delivered."""
    bench = await NicBench.start(dut)
    for seed, wire in enumerate(bench.wires):
        wire.impair(seed=seed + 7, loss=0.01, duplicate=0.005, reorder=0.01, corrupt=0.005)
    _, a_calls = os_sockets(bench.hosts[0], "lossy-client")
    _, b_calls = os_sockets(bench.hosts[1], "lossy-server")
    payload = random.Random(4).randbytes(256 * 1024)
    got = bytearray()

    async def server():
        lsock = await b_calls.socket()
        await lsock.bind(("", 7300))
        await lsock.listen(1)
        conn, _ = await lsock.accept(timeout=0.05)
        await os_drain(conn, got)
        await conn.close()
        await lsock.close()

    task = cocotb.start_soon(server())
    await Timer(1, unit="us")
    sock = await a_calls.socket()
    await sock.connect((B_IP, 7300), timeout=0.05)
    await os_bulk(a_calls, sock, payload, 65536)
    tcp = sock._tcp
    await sock.close()  # leaves at once: the OS stack finishes the transfer on its own
    await task
    assert len(got) == len(payload) and digest(bytes(got)) == digest(payload), \
        "data lost, duplicated or reordered over the impaired wire"
    counters = [wire.counters() for wire in bench.wires]
    assert sum(c["lost"] for c in counters) > 0 and sum(c["corrupted"] for c in counters) > 0, \
        f"the wire impaired nothing: {counters}"
    dut._log.info("impaired wire %s; sender: %d segments, %d retransmitted (%d timeouts)",
                  counters, tcp.stats_segments_sent, tcp.stats_retransmits, tcp.stats_timeouts)
    assert tcp.stats_retransmits > 0, "nothing was retransmitted: were frames really lost?"
    for host in bench.hosts:
        assert host.os_stack.net.iface.stats.rx_internal_errors == 0
