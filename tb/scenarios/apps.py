"""Simulated applications for the scenarios: a process that owns a VI and packet buffers."""

from __future__ import annotations

from dataclasses import dataclass, field

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.vi import Event, Vi
from host.udpsend import Flow, UdpSender
from tb.env import NicBench, SimHost

DEFAULT_FLOW = dict(src_mac="02:00:00:00:00:01", dst_mac="02:00:00:00:00:02",
                    src_ip="198.18.0.1", dst_ip="198.18.0.2")


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
    flow: dict = field(default_factory=lambda: dict(DEFAULT_FLOW))
    vi_number: int | None = None
    events: list[Event] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self.proc = (self.host.os.kernel if self.vi_number == 0
                     else self.host.os.spawn(self.name))
        self.res = self.host.kernel.alloc_vi(self.proc, txq_entries=self.txq,
                                             rxq_entries=self.rxq, vi=self.vi_number)
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
        while self.vi.rx_space and self.rx_pool.available:
            buf = self.rx_pool.alloc()
            self.vi.rx_post(buf.iova, buf.size, cookie=buf)
        self.vi.rx_push()

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
        """Wait for ``count`` more received frames; return them (and forget them)."""
        await bench.wait_until(lambda: (self.poll(), len(self.received) >= count)[1],
                               timeout_ns, f"{self.name}: {count} received frames",
                               step_ns=100)
        out, self.received = self.received[:count], self.received[count:]
        return out

    def send(self, payload: bytes) -> None:
        self.sender.send(payload)
        self.sent += 1

    async def drain(self, bench: NicBench, timeout_ns: float = 200_000) -> None:
        """Wait until every posted frame has its TX completion."""
        await bench.wait_until(lambda: (self.poll(), self.completed == self.sent)[1],
                               timeout_ns, f"{self.name}: {self.sent} TX completions")


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
