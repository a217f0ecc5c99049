"""Wire formats: our emitters decoded by scapy, scapy's frames decoded by our parsers."""

from __future__ import annotations

import random

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from host.stack.wire import (
    ArpPacket,
    ArpRepr,
    EthernetFrame,
    EthernetRepr,
    IcmpPacket,
    IcmpRepr,
    Ipv4Packet,
    Ipv4Repr,
    TcpPacket,
    TcpRepr,
    UdpPacket,
    UdpRepr,
    checksum,
    ip_from_str,
    mac_from_str,
    parse_options,
)
from host.stack.wire.arp import OP_REPLY
from host.stack.wire.tcp import ACK, PSH, SYN

SRC, DST = ip_from_str("198.18.0.1"), ip_from_str("198.18.0.2")
MAC1, MAC2 = mac_from_str("02:00:00:00:00:01"), mac_from_str("02:00:00:00:00:02")


def reference_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def test_checksum_matches_reference_on_random_buffers():
    rng = random.Random(7)
    for n in list(range(0, 70)) + [1459, 1460, 1500, 9000]:
        data = rng.randbytes(n)
        assert checksum(data) == reference_checksum(data), n
    for special in (b"", b"\0" * 10, b"\xff" * 10, b"\xff\xfe\x00\x01"):
        assert checksum(special) == reference_checksum(special)


def test_checksum_accepts_memoryview():
    data = bytearray(random.Random(1).randbytes(101))
    assert checksum(memoryview(data)[1:]) == reference_checksum(bytes(data[1:]))


def _frame(l4_len: int) -> bytearray:
    return bytearray(14 + 20 + l4_len)


def _emit_l2_l3(buf, proto: int, l4_len: int) -> None:
    EthernetRepr(MAC1, MAC2, 0x0800).emit(buf)
    Ipv4Repr(SRC, DST, proto, l4_len, ttl=61, ident=0x1234, dont_fragment=True).emit(
        memoryview(buf)[14:])


def test_tcp_emit_decoded_by_scapy():
    payload = b"hello world, this is a TCP payload"
    rep = TcpRepr(40000, 80, 0xDEADBEEF, 0x01020304, SYN | ACK, 29200, mss=1460, wscale=7,
                  sack_permitted=True)
    l4 = rep.header_len + len(payload)
    buf = _frame(l4)
    _emit_l2_l3(buf, 6, l4)
    mv = memoryview(buf)
    mv[34 + rep.header_len:] = payload
    rep.emit(mv[34:], SRC, DST, len(payload))
    pkt = Ether(bytes(buf))
    assert pkt[Ether].src == "02:00:00:00:00:01" and pkt[Ether].dst == "02:00:00:00:00:02"
    ip, tcp = pkt[IP], pkt[TCP]
    assert (ip.src, ip.dst, ip.ttl, ip.id, ip.flags.DF, ip.proto) == (
        "198.18.0.1", "198.18.0.2", 61, 0x1234, True, 6)
    assert (tcp.sport, tcp.dport, tcp.seq, tcp.ack, tcp.window) == (
        40000, 80, 0xDEADBEEF, 0x01020304, 29200)
    assert tcp.flags == "SA"
    opts = dict((k, v) for k, v in tcp.options if k != "NOP")
    assert opts["MSS"] == 1460 and opts["WScale"] == 7 and "SAckOK" in opts
    assert bytes(tcp.payload) == payload
    # scapy recomputes both checksums: they must equal ours
    orig_ip, orig_tcp = ip.chksum, tcp.chksum
    del ip.chksum, tcp.chksum
    again = Ether(bytes(pkt))
    assert again[IP].chksum == orig_ip and again[TCP].chksum == orig_tcp


def test_tcp_offload_leaves_zero_checksum():
    rep = TcpRepr(1, 2, 3, 4, ACK, 5)
    buf = bytearray(20)
    rep.emit(buf, SRC, DST, 0, fill_checksum=False)
    assert buf[16:18] == b"\0\0"
    ip = bytearray(20)
    Ipv4Repr(SRC, DST, 6, 20).emit(ip, fill_checksum=False)
    assert ip[10:12] == b"\0\0"


def test_tcp_from_scapy_parsed():
    pkt = IP(src="198.18.0.2", dst="198.18.0.1") / TCP(
        sport=443, dport=50000, seq=123456789, ack=987654321, flags="PA", window=1234,
        options=[("NOP", None), ("MSS", 1200), ("WScale", 3), ("SAckOK", b""),
                 ("Timestamp", (1, 2)), ("SAck", (100, 200))]) / Raw(b"x" * 77)
    raw = bytes(pkt)
    ipv = Ipv4Packet(raw)
    ip = Ipv4Repr.parse(ipv)
    assert ip.src == DST and ip.dst == SRC and ip.protocol == 6 and ip.payload_len == len(raw) - 20
    tcp_view = TcpPacket(ipv.payload)
    assert tcp_view.verify_checksum(ip.src, ip.dst)
    rep = TcpRepr.parse(tcp_view, ip.src, ip.dst)
    assert (rep.src_port, rep.dst_port, rep.seq, rep.ack, rep.window) == (
        443, 50000, 123456789, 987654321, 1234)
    assert rep.flags == PSH | ACK
    assert (rep.mss, rep.wscale, rep.sack_permitted) == (1200, 3, True)
    assert bytes(rep.payload) == b"x" * 77
    # a flipped payload bit fails verification
    bad = bytearray(raw)
    bad[-1] ^= 0x01
    assert not TcpPacket(Ipv4Packet(bad).payload).verify_checksum(ip.src, ip.dst)


def test_udp_round_trip_both_ways():
    payload = b"datagram!" * 3 + b"odd"
    l4 = 8 + len(payload)
    buf = _frame(l4)
    _emit_l2_l3(buf, 17, l4)
    mv = memoryview(buf)
    mv[42:] = payload
    UdpRepr(5353, 53).emit(mv[34:], len(payload), SRC, DST)
    pkt = Ether(bytes(buf))
    assert pkt[UDP].sport == 5353 and pkt[UDP].dport == 53 and pkt[UDP].len == l4
    assert bytes(pkt[UDP].payload) == payload
    c = pkt[UDP].chksum
    del pkt[UDP].chksum
    assert Ether(bytes(pkt))[UDP].chksum == c
    # reverse
    raw = bytes(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=7, dport=9) / Raw(payload))
    view = UdpPacket(Ipv4Packet(raw).payload)
    assert view.verify_checksum(SRC, DST)
    rep = UdpRepr.parse(view, SRC, DST)
    assert (rep.src_port, rep.dst_port) == (7, 9) and bytes(view.payload) == payload


def test_udp_checksum_zero_means_none_and_ffff_is_sent_for_zero():
    view = UdpPacket(bytes(UDP(sport=1, dport=2, chksum=0) / Raw(b"abc")))
    assert view.verify_checksum(SRC, DST)
    # find a payload whose checksum computes to 0: it must be transmitted as 0xFFFF
    for i in range(1 << 16):
        buf = bytearray(8 + 2)
        buf[8:10] = i.to_bytes(2, "big")
        UdpRepr(1, 2).emit(buf, 2, SRC, DST)
        if buf[6:8] == b"\xff\xff":
            assert UdpPacket(buf).verify_checksum(SRC, DST)
            break
    else:
        pytest.fail("no zero-checksum payload found")


def test_arp_round_trip():
    buf = bytearray(42)
    EthernetRepr(MAC1, b"\xff" * 6, 0x0806).emit(buf)
    ArpRepr(OP_REPLY, MAC1, SRC, MAC2, DST).emit(memoryview(buf)[14:])
    pkt = Ether(bytes(buf))
    arp = pkt[ARP]
    assert (arp.op, arp.hwsrc, arp.psrc, arp.hwdst, arp.pdst) == (
        2, "02:00:00:00:00:01", "198.18.0.1", "02:00:00:00:00:02", "198.18.0.2")
    raw = bytes(Ether(src="02:00:00:00:00:02", dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc="02:00:00:00:00:02", psrc="198.18.0.2", pdst="198.18.0.1"))
    eth = EthernetFrame(raw)
    assert EthernetRepr.parse(eth).ethertype == 0x0806
    rep = ArpRepr.parse(ArpPacket(eth.payload))
    assert rep.operation == 1 and rep.sender_ip == DST and rep.target_ip == SRC


def test_icmp_round_trip():
    rep = IcmpRepr.echo(8, 0x4242, 7, b"ping data")
    buf = bytearray(rep.buffer_len)
    rep.emit(buf)
    pkt = ICMP(bytes(buf))
    assert (pkt.type, pkt.id, pkt.seq, bytes(pkt.payload)) == (8, 0x4242, 7, b"ping data")
    c = pkt.chksum
    del pkt.chksum
    assert ICMP(bytes(pkt)).chksum == c
    raw = bytes(ICMP(type=0, id=5, seq=6) / Raw(b"pong"))
    back = IcmpRepr.parse(IcmpPacket(raw))
    assert (back.msg_type, back.ident, back.seq, back.data) == (0, 5, 6, b"pong")


def test_ipv4_view_accessors_and_rejects():
    raw = bytes(IP(src="198.18.0.1", dst="198.18.0.2", id=77, flags="MF", frag=3, ttl=9,
                   proto=17) / Raw(b"z" * 24))
    v = Ipv4Packet(raw)
    assert v.check_len() and v.verify_checksum()
    assert (v.version, v.header_len, v.ident, v.more_fragments, v.frag_offset, v.ttl) == (
        4, 20, 77, True, 24, 9)
    with pytest.raises(ValueError):
        Ipv4Repr.parse(Ipv4Packet(raw[:19]))
    bad = bytearray(raw)
    bad[2:4] = (len(raw) + 1).to_bytes(2, "big")  # total length beyond the buffer
    with pytest.raises(ValueError):
        Ipv4Repr.parse(Ipv4Packet(bad))
    bad = bytearray(raw)
    bad[8] ^= 1
    with pytest.raises(ValueError):
        Ipv4Repr.parse(Ipv4Packet(bad))


def test_ip_options_are_skipped():
    raw = bytes(IP(src="198.18.0.1", dst="198.18.0.2", options=b"\x01\x01\x01\x00") / UDP(
        sport=1, dport=2) / Raw(b"q"))
    v = Ipv4Packet(raw)
    rep = Ipv4Repr.parse(v)
    assert rep.header_len == 24 and UdpPacket(v.payload).dst_port == 2


@pytest.mark.parametrize("opts, mss, wscale, sack, malformed", [
    (b"", None, None, False, False),
    (b"\x02\x04\x05\xb4", 1460, None, False, False),
    (b"\x01\x03\x03\x0e", None, 14, False, False),
    (b"\x01\x03\x03\x63", None, 14, False, False),   # shift > 14 is clamped (RFC 7323)
    (b"\x04\x02\x00\x00", None, None, True, False),
    (b"\x00\x02\x04\x05\xb4", None, None, False, False),  # EOL ends parsing
    (b"\x02\x00\x05\xb4", None, None, False, True),   # length 0 would loop forever
    (b"\x02\x01", None, None, False, True),           # length 1
    (b"\x02\x28", None, None, False, True),           # length beyond the area
    (b"\x02", None, None, False, True),               # kind without length
    (b"\x02\x05\x05\xb4\x00", None, None, False, False),  # MSS with a wrong length is skipped
    (b"\x08\x0a" + b"\0" * 8 + b"\x02\x04\x01\x00", 256, None, False, False),
])
def test_tcp_option_parsing(opts, mss, wscale, sack, malformed):
    got = parse_options(opts)
    assert (got.mss, got.wscale, got.sack_permitted, got.malformed) == (mss, wscale, sack,
                                                                         malformed)


def test_tcp_option_fuzz_never_raises():
    rng = random.Random(99)
    for _ in range(3000):
        parse_options(rng.randbytes(rng.randrange(0, 41)))


def test_tcp_parse_rejects_truncated_and_bad_offsets():
    raw = bytearray(bytes(TCP(sport=1, dport=2, flags="S")))
    with pytest.raises(ValueError):
        TcpRepr.parse(TcpPacket(raw[:19]), SRC, DST, verify_checksum=False)
    raw[12] = 0xF0  # data offset 60 > segment length
    with pytest.raises(ValueError):
        TcpRepr.parse(TcpPacket(raw), SRC, DST, verify_checksum=False)
    raw[12] = 0x10  # data offset 4 < 20
    with pytest.raises(ValueError):
        TcpRepr.parse(TcpPacket(raw), SRC, DST, verify_checksum=False)


def test_ethernet_view_setters():
    buf = bytearray(20)
    f = EthernetFrame(buf)
    f.dst, f.src, f.ethertype = MAC2, MAC1, 0x0806
    assert f.dst == MAC2 and f.src == MAC1 and f.ethertype == 0x0806 and len(f.payload) == 6
