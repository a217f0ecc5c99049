"""The receive-path reference model (tb/rxref.py) on frames whose verdict is known, and its
frame generator: seeded, and covering every kind of verdict."""

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from host import layout as L
from tb.rxref import RxFilter, expect, frames

MAC = bytes.fromhex("02aabbccdd01")
FILTERS = (RxFilter(0, 1, L.IPPROTO_UDP, "10.0.0.1", 5000),
           RxFilter(1, 2, L.IPPROTO_TCP, "10.0.0.1", 80, "10.0.0.2", 4321),
           RxFilter(2, 3, L.IPPROTO_TCP, "10.0.0.1", 80))
GOOD = L.RXF_IP | L.RXF_IP_CSUM_OK | L.RXF_L4 | L.RXF_L4_CSUM_OK


def udp(dport=5000, size=100, **ip):
    pkt = Ether(dst=MAC) / IP(src="10.0.0.2", dst="10.0.0.1", **ip) / UDP(sport=7, dport=dport)
    return bytes(pkt / bytes(max(0, size - len(pkt))))


def test_a_good_udp_frame_is_steered_by_its_filter_with_every_check_passed():
    v = expect(udp(), MAC, FILTERS)
    assert (v.drop, v.vi, v.filter, v.flags, v.stats) == \
        (None, 1, 0, GOOD | L.RXF_FILTER_HIT, set())
    assert expect(udp(dport=5001), MAC, FILTERS).vi == 0


def test_a_full_match_wins_over_a_wild_one():
    frame = bytes(Ether(dst=MAC) / IP(src="10.0.0.2", dst="10.0.0.1") /
                  TCP(sport=4321, dport=80) / bytes(40))
    assert (expect(frame, MAC, FILTERS).vi, expect(frame, MAC, FILTERS).filter) == (2, 1)
    other = bytes(Ether(dst=MAC) / IP(src="10.0.0.3", dst="10.0.0.1") /
                  TCP(sport=4321, dport=80) / bytes(40))
    assert expect(other, MAC, FILTERS).vi == 3


def test_checksum_verdicts():
    good = bytearray(udp())
    good[24] ^= 0xFF  # the IP header checksum
    v = expect(bytes(good), MAC, FILTERS)
    assert v.flags == GOOD & ~L.RXF_IP_CSUM_OK | L.RXF_FILTER_HIT and v.stats == {"RX_BAD_IP_CSUM"}
    bad_l4 = bytearray(udp())
    bad_l4[-1] ^= 1
    assert expect(bytes(bad_l4), MAC, FILTERS).stats == {"RX_BAD_L4_CSUM"}
    none = bytearray(bad_l4)
    none[40:42] = b"\0\0"  # UDP without a checksum
    assert expect(bytes(none), MAC, FILTERS).flags & L.RXF_L4_CSUM_OK


def test_fragments_are_not_checked_or_steered_and_vlan_is_transparent():
    v = expect(udp(flags="MF"), MAC, FILTERS)
    assert (v.vi, v.flags) == (0, L.RXF_IP | L.RXF_IP_CSUM_OK)
    frame = udp()
    tagged = frame[:12] + b"\x81\x00\x00\x05" + frame[12:]
    assert expect(tagged, MAC, FILTERS).flags == GOOD | L.RXF_FILTER_HIT


def test_header_lies_are_flagged_truncated():
    for offset, value in ((14, 0x44), (14, 0x65), (16, 0xFF)):
        b = bytearray(udp())
        b[offset] = value
        v = expect(bytes(b), MAC, FILTERS)
        assert (v.vi, v.flags, v.stats) == (0, L.RXF_TRUNCATED, {"RX_BAD_IP"}), (offset, value)


def test_drops_in_order_of_precedence():
    assert expect(udp(), MAC, FILTERS, bad=True).drop == "RX_DROP_RUNT"
    assert expect(udp(size=L.RX_MAX_FRAME + 1), MAC, FILTERS).drop == "RX_DROP_OVERSIZE"
    assert expect(udp()[:59], MAC, FILTERS).drop == "RX_DROP_RUNT"
    assert expect(b"\x06" + udp()[1:], MAC, FILTERS).drop == "RX_DROP_MAC"
    assert expect(b"\xff" * 6 + udp()[6:], MAC, FILTERS).drop is None


def test_the_generator_is_seeded_and_covers_every_verdict():
    a = list(frames(3, 500, MAC, FILTERS))
    assert a == list(frames(3, 500, MAC, FILTERS)) and a != list(frames(4, 500, MAC, FILTERS))
    seen = set()
    for frame, bad in a:
        v = expect(frame, MAC, FILTERS, bad)
        seen.add(v.drop or ("hit" if v.flags & L.RXF_FILTER_HIT else "default"))
        seen.update(f"flag{bit}" for bit in range(6) if v.flags >> bit & 1)
        seen |= v.stats
    assert seen >= {"RX_DROP_RUNT", "RX_DROP_OVERSIZE", "RX_DROP_MAC", "hit", "default",
                    "RX_BAD_IP", "RX_BAD_IP_CSUM", "RX_BAD_L4_CSUM"} | \
        {f"flag{b}" for b in range(6)}, seen
