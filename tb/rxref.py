"""A reference model of what the NIC's receive path must do with any frame, and a generator of
frames to test it with (differential fuzzing, issue 19 section 2).

``expect`` says, for a frame as it arrives from the MAC: dropped, and counted in which
counter, or delivered, to which VI, through which filter, with which RX_FLAGS and which of
the RX_BAD_* counters it raises. It decodes with scapy, an independent decoder, and states the
rules of ``rtl/nic/nic_rx_parser.v``'s header comment in its own terms; it shares no code with
the RTL. ``frames`` yields a seeded mix: valid frames of every kind, mutations of them (bit
flips, truncation, IHL, version and total-length lies) and random bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.utils import checksum

from host import layout as L

ETH_P_IP, ETH_P_8021Q = 0x0800, 0x8100
MIN_FRAME = 60
BROADCAST = b"\xff" * 6


@dataclass(frozen=True)
class RxFilter:
    """One filter as the NIC takes it: a wild match (protocol, local address and port) or a
    full match (also the remote address and port)."""

    index: int
    vi: int
    proto: int
    local_ip: str
    local_port: int
    remote_ip: str | None = None  # given: a full 5-tuple match
    remote_port: int = 0


@dataclass
class RxVerdict:
    drop: str | None  # the RX_DROP_* counter that counts it, or None: delivered
    vi: int = 0
    filter: int = 0xFFFF  # filter index of a hit, 0xFFFF for the default VI
    flags: int = 0
    stats: set[str] = field(default_factory=set)  # RX_BAD_* counters it raises


def _ip_verdict(frame: bytes, l3: int) -> tuple[int, set[str], tuple | None]:
    """Flags and RX_BAD_* counters of an IPv4 frame; the L4 5-tuple when it may be steered."""
    ip = IP(frame[l3:])
    hdr_len = 4 * ip.ihl
    sane = (ip.version == 4 and ip.ihl >= 5 and ip.len >= hdr_len and
            l3 + ip.len <= len(frame))
    if not sane:
        return L.RXF_TRUNCATED, {"RX_BAD_IP"}, None
    flags, stats = L.RXF_IP, set()
    if checksum(frame[l3:l3 + hdr_len]) == 0:
        flags |= L.RXF_IP_CSUM_OK
    else:
        stats.add("RX_BAD_IP_CSUM")
    fragment = bool(ip.flags.MF) or ip.frag != 0
    l4 = frame[l3 + hdr_len:l3 + ip.len]
    need = {L.IPPROTO_UDP: 8, L.IPPROTO_TCP: 20}.get(ip.proto)
    if fragment or need is None or len(l4) < need:
        return flags, stats, None
    flags |= L.RXF_L4
    udp_without_checksum = ip.proto == L.IPPROTO_UDP and l4[6:8] == b"\0\0"
    pseudo = IP(src=ip.src, dst=ip.dst, proto=ip.proto)
    if udp_without_checksum or _l4_checksum(pseudo, ip.proto, l4) == 0:
        flags |= L.RXF_L4_CSUM_OK
    else:
        stats.add("RX_BAD_L4_CSUM")
    five = (ip.proto, ip.dst, int.from_bytes(l4[2:4], "big"), ip.src,
            int.from_bytes(l4[0:2], "big"))
    return flags, stats, five


def _l4_checksum(pseudo: IP, proto: int, l4: bytes) -> int:
    """The ones'-complement check of an L4 segment with its pseudo-header: 0 when it verifies."""
    from scapy.layers.inet import in4_chksum

    return in4_chksum(proto, pseudo, l4)


def expect(frame: bytes, mac: bytes, filters: tuple[RxFilter, ...] = (),
           bad: bool = False) -> RxVerdict:
    """What the NIC with own address ``mac`` and these filters must do with ``frame``
    (``bad``: the MAC marked it bad, tuser on its last beat)."""
    if bad:
        return RxVerdict("RX_DROP_RUNT")  # the NIC counts MAC-bad frames with the runts
    if len(frame) > L.RX_MAX_FRAME:
        return RxVerdict("RX_DROP_OVERSIZE")
    if len(frame) < MIN_FRAME:
        return RxVerdict("RX_DROP_RUNT")
    if frame[:6] not in (mac, BROADCAST):
        return RxVerdict("RX_DROP_MAC")
    # the EtherType by offset: scapy would read a value below 0x600 as an 802.3 length
    l3, ethertype = 14, int.from_bytes(frame[12:14], "big")
    if ethertype == ETH_P_8021Q:
        l3, ethertype = 18, Dot1Q(frame[14:18]).type
    if ethertype != ETH_P_IP:
        return RxVerdict(None)
    flags, stats, five = _ip_verdict(frame, l3)
    verdict = RxVerdict(None, flags=flags, stats=stats)
    if five is not None:
        proto, dst, dport, src, sport = five
        hits = [f for f in filters if f.proto == proto and f.local_ip == dst and
                f.local_port == dport and
                (f.remote_ip is None or (f.remote_ip == src and f.remote_port == sport))]
        # a full match wins over a wild one
        hits.sort(key=lambda f: f.remote_ip is None)
        if hits:
            verdict.vi, verdict.filter = hits[0].vi, hits[0].index
            verdict.flags |= L.RXF_FILTER_HIT
    return verdict


# ------------------------------------------------------------------------------ frames

def _pad(frame: bytes, size: int, rng: random.Random) -> bytes:
    return frame + rng.randbytes(max(0, size - len(frame)))


def valid_frame(rng: random.Random, mac: bytes, filters: tuple[RxFilter, ...]) -> bytes:
    """A well-formed frame of a random kind (some to the filters, some not, some for other
    hosts), of a random size."""
    dst = mac if rng.random() < 0.9 else rng.choice([BROADCAST, bytes.fromhex("02112233aa01")])
    eth = Ether(dst=dst, src="02:11:22:33:44:55")
    target = rng.choice(filters) if filters and rng.random() < 0.4 else None
    local = target.local_ip if target else rng.choice(["10.0.0.1", "10.0.0.9"])
    remote = (target.remote_ip if target and target.remote_ip else
              rng.choice(["10.0.0.2", "192.0.2.7"]))
    sport = target.remote_port if target and target.remote_ip else rng.randrange(1, 65536)
    dport = target.local_port if target else rng.randrange(1, 65536)
    ip_kw = {}
    if rng.random() < 0.15:
        ip_kw["options"] = b"\x01" * (4 * rng.randrange(1, 11))  # NOPs: IHL 6..15
    if rng.random() < 0.08:
        ip_kw.update(rng.choice([{"flags": "MF"}, {"frag": rng.randrange(1, 8192)}]))
    ip = IP(src=remote, dst=local, **ip_kw)
    kind = target.proto if target else rng.choice([17, 6, 1, "arp", "ipv6", 17, 6])
    if kind == 17:
        l4 = UDP(sport=sport, dport=dport)
        if rng.random() < 0.1:
            l4.chksum = 0  # "no checksum"
    elif kind == 6:
        l4 = TCP(sport=sport, dport=dport, flags="PA", seq=rng.randrange(1 << 32))
    elif kind == 1:
        l4 = ICMP()
    if kind == "arp":
        pkt = Ether(dst=BROADCAST, src="02:11:22:33:44:55") / ARP(pdst=local)
    elif kind == "ipv6":
        pkt = eth / IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(sport=sport, dport=dport)
    else:
        pkt = eth / ip / l4
    size = rng.choice([0, 60, 64, 100, 300, 600, 1000, 1514, 2000, 4000, 9000, 9216])
    payload = rng.randbytes(max(0, size - len(pkt)))
    frame = bytes(pkt / payload) if payload else bytes(pkt)
    if rng.random() < 0.15:  # one 802.1Q tag
        frame = frame[:12] + b"\x81\x00" + rng.randrange(4096).to_bytes(2, "big") + frame[12:]
    if rng.random() < 0.1 and len(frame) > 40:  # a bad checksum somewhere in the headers
        i = rng.randrange(14, min(len(frame), 60))
        frame = frame[:i] + bytes([frame[i] ^ 0x01]) + frame[i + 1:]
    return frame


def mutate(frame: bytes, rng: random.Random) -> bytes:
    """One lie or accident applied to a frame."""
    b = bytearray(frame)
    how = rng.randrange(6)
    if how == 0:  # bit flips, mostly in the headers
        for _ in range(rng.randrange(1, 5)):
            i = rng.randrange(min(len(b), 80))
            b[i] ^= 1 << rng.randrange(8)
    elif how == 1:  # truncation at any byte
        b = b[:rng.randrange(1, len(b) + 1)]
    elif how == 2 and len(b) > 15:  # IHL lie
        b[14] = (b[14] & 0xF0) | rng.randrange(16)
    elif how == 3 and len(b) > 17:  # total-length lie
        b[16:18] = rng.randrange(65536).to_bytes(2, "big")
    elif how == 4 and len(b) > 15:  # version lie
        b[14] = (rng.randrange(16) << 4) | (b[14] & 0x0F)
    else:  # random length: padded or cut
        b = b[:rng.randrange(1, 2 * len(b) + 1)] + rng.randbytes(rng.randrange(0, 64))
    return bytes(b)


def frames(seed: int, count: int, mac: bytes,
           filters: tuple[RxFilter, ...] = ()) -> Iterator[tuple[bytes, bool]]:
    """``count`` frames (and whether the MAC marks each bad), seeded: about 40 % valid, 45 %
    mutated, 15 % random bytes (half of them to this host's address)."""
    rng = random.Random(seed)
    for _ in range(count):
        r = rng.random()
        if r < 0.4:
            frame = valid_frame(rng, mac, filters)
        elif r < 0.85:
            frame = mutate(valid_frame(rng, mac, filters), rng)
        else:
            frame = rng.randbytes(rng.randrange(1, 1600))
            if rng.random() < 0.5:
                frame = mac + frame[6:]
        yield frame, rng.random() < 0.02
