"""Simulated applications for the scenarios: a process that owns a VI and packet buffers."""

from __future__ import annotations

from dataclasses import dataclass, field

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter
from host.driver.vi import Event, Vi
from host.udpsend import Flow, UdpSender
from tb.env import NicBench, SimHost, now_ns

DEFAULT_FLOW = dict(src_mac="02:00:00:00:00:01", dst_mac="02:00:00:00:00:02",
                    src_ip="198.18.0.1", dst_ip="198.18.0.2")
# the two hosts of tb_two_hosts: A (host 0) and B (host 1)
A_IP, B_IP = DEFAULT_FLOW["src_ip"], DEFAULT_FLOW["dst_ip"]
A_MAC, B_MAC = DEFAULT_FLOW["src_mac"], DEFAULT_FLOW["dst_mac"]
REVERSE_FLOW = dict(src_mac=B_MAC, dst_mac=A_MAC, src_ip=B_IP, dst_ip=A_IP)


@dataclass
class Received:
    """One frame a VI received: its bytes (copied out of the buffers) and its event."""

    data: bytes
    event: Event
    buffers: list  # the packet buffers it landed in (already re-posted)


@dataclass
class TxApp:
    """A process with one VI sending UDP from its own registered buffers and, with
    ``rx_buffers``, receiving into its own buffers."""

    host: SimHost
    name: str
    port: int
    txq: int = 256
    buffers: int = 64
    offload: bool = True
    rx_buffers: int = 0
    rxq: int = 64
    evq: int | None = None  # event queue entries (default: one per TX and RX descriptor)
    flow: dict = field(default_factory=lambda: dict(DEFAULT_FLOW))
    vi_number: int | None = None
    events: list[Event] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self.proc = (self.host.os.kernel if self.vi_number == 0
                     else self.host.os.spawn(self.name))
        self.res = self.host.kernel.alloc_vi(self.proc, txq_entries=self.txq,
                                             rxq_entries=self.rxq, evq_entries=self.evq,
                                             vi=self.vi_number)
        self.vi = Vi(self.res)
        self.pool = BufferPool(self.host.kernel, self.proc, self.buffers)
        flow = Flow(**self.flow, src_port=self.port, dst_port=self.port)
        self.sender = UdpSender(self.vi, self.pool, flow, offload=self.offload)
        self.sent = 0
        self.completed = 0
        if self.rx_buffers:
            self.rx_pool = BufferPool(self.host.kernel, self.proc, self.rx_buffers)
            self.refill()

    def refill(self) -> None:
        self.rx_pool.post_rx(self.vi)

    def poll(self) -> list[Event]:
        """Reap events: TX completions give their buffers back to the pool; received frames
        are copied out, their buffers re-posted."""
        new = self.vi.poll()
        for ev in new:
            if ev.type == L.EV_TYPE_TX:
                self.completed += 1
                self.pool.free_completed(ev.cookies)
            elif ev.type == L.EV_TYPE_RX:
                data, left = b"", ev.length
                for buf in ev.cookies:
                    take = min(left, buf.size)
                    data += bytes(buf.view[:take])
                    left -= take
                    self.rx_pool.free(buf)
                self.received.append(Received(data, ev, ev.cookies))
        if self.rx_buffers and any(ev.type == L.EV_TYPE_RX for ev in new):
            self.refill()
        self.events.extend(new)
        return new

    async def receive(self, bench: NicBench, count: int = 1,
                      timeout_ns: float = 100_000) -> list[Received]:
        """Wait for ``count`` more received frames; return them (and forget them).

        A busy-polling process: it looks at its event queue whenever the NIC has written its
        host's memory, so it sees an event in the cycle it lands."""
        await bench.wait_until(lambda: (self.poll(), len(self.received) >= count)[1],
                               timeout_ns, f"{self.name}: {count} received frames",
                               step_ns=2000, wake=self.host.write_bursts)
        out, self.received = self.received[:count], self.received[count:]
        return out

    def send(self, payload: bytes) -> None:
        self.sender.send(payload)
        self.sent += 1

    async def drain(self, bench: NicBench, timeout_ns: float = 200_000) -> None:
        """Wait until every posted frame has its TX completion."""
        await bench.wait_until(lambda: (self.poll(), self.completed == self.sent)[1],
                               timeout_ns, f"{self.name}: {self.sent} TX completions")


def to_host(port: int, payload: bytes) -> bytes:
    """A UDP frame from the wire (host B of tb_two_hosts) to host A's address, to ``port``."""
    return bytes(Ether(src=B_MAC, dst=A_MAC) / IP(src=B_IP, dst=A_IP) /
                 UDP(sport=5000, dport=port) / payload)


def ring_pages(proc, ring) -> set[int]:
    """Physical addresses of the pages of a VI ring (descriptors and events are 16 bytes)."""
    return set(proc.physical_pages(ring.vaddr, ring.entries * L.EVENT.SIZE))


def app_on(bench: NicBench, side: str, name: str, port: int, *, steer: bool = True,
           **kw) -> TxApp:
    """A process on host A or B (tb_two_hosts) that sends to the other host and, with a filter
    steering its UDP ``port`` to its VI, receives there."""
    host = bench.hosts[0 if side == "A" else 1]
    flow = dict(DEFAULT_FLOW) if side == "A" else dict(REVERSE_FLOW)
    kw.setdefault("rx_buffers", 32)
    app = TxApp(host, name, port, flow=flow, **kw)
    if steer:
        local_ip = A_IP if side == "A" else B_IP
        app.filter_slot = host.kernel.insert_filter(Filter(L.IPPROTO_UDP, local_ip, port),
                                                    app.vi.vi)
    return app


async def ping_pong(bench: NicBench, ping: TxApp, pong: TxApp, payload: bytes,
                    timeout_ns: float = 100_000) -> tuple[float, float]:
    """One UDP round trip between two busy-polling processes on the two hosts.

    ``ping`` sends ``payload``; ``pong`` sends back the payload it received as soon as its poll
    sees the event; both check the bytes. Returns (one-way ns, round-trip ns) of simulated time:
    one way from ping's doorbell to the RX event in pong's memory, the round trip from ping's
    doorbell to the RX event back in ping's memory. No software time is modelled: the processes
    react in the cycle an event lands.
    """
    t0 = now_ns()
    ping.send(payload)
    ping.vi.tx_push()
    (got,) = await pong.receive(bench, timeout_ns=timeout_ns)
    one_way = now_ns() - t0
    data = udp_payload(parse_udp(got.data))
    assert data == payload, f"{pong.name} received {len(data)} bytes that differ from the " \
                            f"{len(payload)} sent"
    flags = got.event.rx_flags
    assert flags & L.RXF_IP_CSUM_OK and flags & L.RXF_L4_CSUM_OK, f"checksum flags {flags:#x}"
    pong.send(data)
    pong.vi.tx_push()
    (back,) = await ping.receive(bench, timeout_ns=timeout_ns)
    rtt = now_ns() - t0
    assert udp_payload(parse_udp(back.data)) == payload, f"{ping.name}: echo differs"
    return one_way, rtt


def udp_payload(pkt: Ether) -> bytes:
    """The UDP payload as the UDP length says (the wire pads short frames to 60 bytes)."""
    udp = bytes(pkt[UDP])
    return udp[8:pkt[UDP].len]


def parse_udp(frame: bytes) -> Ether:
    """Parse with scapy and check the IPv4 and UDP checksums as an independent decoder would."""
    pkt = Ether(frame)
    assert IP in pkt and UDP in pkt, f"not a UDP/IPv4 frame: {frame[:64].hex()}"
    ip, udp = pkt[IP], pkt[UDP]
    raw_ip = bytes(ip)
    want_ip = IP(raw_ip)
    del want_ip.chksum
    assert ip.chksum == IP(bytes(want_ip)).chksum, "bad IPv4 header checksum"
    want_udp = IP(raw_ip)
    del want_udp[UDP].chksum
    expected = IP(bytes(want_udp))[UDP].chksum
    assert udp.chksum == expected, f"bad UDP checksum {udp.chksum:#06x}, want {expected:#06x}"
    return pkt
