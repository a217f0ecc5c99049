"""Frames crafted with scapy, injected into one interface; its answers decoded with scapy."""

from __future__ import annotations

import random

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror, UDPerror, fragment
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from host.stack.iface import Interface, InterfaceConfig
from host.stack.phy import DeviceCapabilities, QueueDevice
from host.stack.socket import State, TcpSocket, UdpSocket
from host.stack.wire import TcpPacket, checksum, ip_from_str

US_IP, US_MAC = "198.18.0.2", "02:00:00:00:00:02"
PEER_IP, PEER_MAC = "198.18.0.1", "02:00:00:00:00:01"


class Lab:
    def __init__(self, caps: DeviceCapabilities | None = None, **cfg) -> None:
        self.dev = QueueDevice(caps)
        cfg.setdefault("gratuitous_arp", False)
        self.iface = Interface(self.dev, US_MAC, US_IP + "/24", config=InterfaceConfig(
            seed=5, **cfg))
        self.now = 0.0
        self.iface.neighbors.fill(ip_from_str(PEER_IP), bytes.fromhex("020000000001"), 0.0)

    def eth(self, payload, dst=US_MAC):
        return Ether(src=PEER_MAC, dst=dst) / payload

    def raw_ip(self, data: bytes):
        return Ether(src=PEER_MAC, dst=US_MAC, type=0x0800) / Raw(data)

    def ip(self, l4, **kw):
        return self.eth(IP(src=PEER_IP, dst=US_IP, **kw) / l4)

    def send(self, frame, advance: float = 0.0, **flags) -> list:
        self.now += advance
        self.dev.inject(bytes(frame), **flags)
        self.iface.poll(self.now)
        return [Ether(f) for f in self.dev.take()]

    def poll(self, advance: float = 0.0) -> list:
        self.now += advance
        self.iface.poll(self.now)
        return [Ether(f) for f in self.dev.take()]

    @property
    def stats(self):
        return self.iface.stats


def tcp_of(frames):
    return [f[TCP] for f in frames if TCP in f]


# ---------------------------------------------------------------- TCP reset generation

def test_syn_to_closed_port_gets_rst_ack():
    lab = Lab()
    out = lab.send(lab.ip(TCP(sport=40000, dport=81, flags="S", seq=1000) / Raw(b"abc")))
    (rst,) = tcp_of(out)
    assert rst.flags == "RA" and rst.seq == 0 and rst.ack == 1000 + 1 + 3
    assert (rst.sport, rst.dport) == (81, 40000)
    assert out[0][IP].dst == PEER_IP and out[0][Ether].dst == PEER_MAC
    assert lab.stats.tcp_no_socket == 1 and lab.stats.tcp_rst_sent == 1


def test_ack_to_closed_port_gets_rst_with_seq_from_ack():
    lab = Lab()
    out = lab.send(lab.ip(TCP(sport=40000, dport=81, flags="A", seq=5, ack=777)))
    (rst,) = tcp_of(out)
    assert rst.flags == "R" and rst.seq == 777


def test_rst_to_closed_port_is_not_answered():
    lab = Lab()
    assert lab.send(lab.ip(TCP(sport=40000, dport=81, flags="R", seq=5))) == []


# ---------------------------------------------------------------- handshake and windows

def handshake(lab, port=80, mss=1000, wscale=2, sport=40001, seq=5000):
    lst = lab.iface.add_socket(TcpSocket())
    lst.listen(port, 4)
    out = lab.send(lab.ip(TCP(sport=sport, dport=port, flags="S", seq=seq,
                              options=[("MSS", mss), ("WScale", wscale)], window=8192)))
    (synack,) = tcp_of(out)
    assert synack.flags == "SA" and synack.ack == seq + 1
    lab.send(lab.ip(TCP(sport=sport, dport=port, flags="A", seq=seq + 1, ack=synack.seq + 1,
                        window=1000)))
    conn = lst.accept()
    assert conn is not None and conn.state is State.ESTABLISHED
    return lst, conn, synack


def test_handshake_options_and_mss_clamp():
    lab = Lab()
    _, conn, synack = handshake(lab, mss=9000)
    opts = dict(o for o in synack.options if o[0] != "NOP")
    assert opts["MSS"] == 1460 and "WScale" in opts
    assert conn.snd_mss == 1460  # the peer's 9000 is clamped to what our MTU allows
    assert conn.snd_wscale == 2
    assert synack.underlayer.flags.DF


def test_tiny_mss_is_clamped_and_used_for_segmentation():
    lab = Lab()
    _, conn, synack = handshake(lab, mss=1)
    assert conn.snd_mss == 64
    conn.send(b"m" * 200)
    segs = [t for t in tcp_of(lab.poll()) if len(t.payload)]
    assert segs and all(len(t.payload) <= 64 for t in segs)


def test_peer_without_wscale_disables_scaling():
    lab = Lab()
    lst = lab.iface.add_socket(TcpSocket())
    lst.listen(80)
    out = lab.send(lab.ip(TCP(sport=1234, dport=80, flags="S", seq=1, options=[("MSS", 1400)])))
    synack = tcp_of(out)[0]
    assert "WScale" not in dict(synack.options)


def test_out_of_window_segment_is_acked_and_dropped():
    lab = Lab()
    _, conn, synack = handshake(lab)
    rcv_nxt = 5001
    far = rcv_nxt + 10_000_000
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="PA", seq=far, ack=synack.seq + 1)
                          / Raw(b"nope")))
    (ack,) = tcp_of(out)
    assert ack.flags == "A" and ack.ack == rcv_nxt and ack.seq == synack.seq + 1
    assert conn.recv_queued == 0
    # an old duplicate (entirely before RCV.NXT) gets the same treatment
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="PA", seq=rcv_nxt - 4,
                              ack=synack.seq + 1) / Raw(b"old!")))
    assert tcp_of(out)[0].ack == rcv_nxt and conn.recv_queued == 0


def test_in_window_data_is_delivered_and_partial_overlap_trimmed():
    lab = Lab()
    _, conn, synack = handshake(lab)
    lab.send(lab.ip(TCP(sport=40001, dport=80, flags="PA", seq=5001, ack=synack.seq + 1)
                    / Raw(b"hello")))
    # overlaps the first 3 bytes already received
    lab.send(lab.ip(TCP(sport=40001, dport=80, flags="PA", seq=5003, ack=synack.seq + 1)
                    / Raw(b"llo world")))
    assert conn.recv(100) == b"hello world"


def test_out_of_order_segments_are_reassembled():
    lab = Lab()
    _, conn, synack = handshake(lab)
    ack = synack.seq + 1
    base = 5001
    data = b"0123456789abcdefghij"
    pieces = [(10, data[10:15]), (15, data[15:]), (0, data[:5]), (5, data[5:10])]
    dupacks = []
    for off, chunk in pieces:
        out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="A", seq=base + off, ack=ack)
                              / Raw(chunk)))
        dupacks += [t.ack for t in tcp_of(out)]
    assert dupacks[:2] == [base, base]  # immediate duplicate ACKs for the holes
    assert conn.recv(100) == data
    assert lab.poll(1.0) == [] or True


def test_rst_outside_window_is_ignored():
    lab = Lab()
    _, conn, synack = handshake(lab)
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="R", seq=5001 + 10_000_000)))
    assert out == [] and conn.state is State.ESTABLISHED


def test_rst_in_window_but_not_exact_gets_challenge_ack():
    lab = Lab()
    _, conn, synack = handshake(lab)
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="R", seq=5001 + 100)))
    (ack,) = tcp_of(out)
    assert ack.flags == "A" and ack.ack == 5001
    assert conn.state is State.ESTABLISHED


def test_exact_rst_resets_connection():
    lab = Lab()
    _, conn, synack = handshake(lab)
    lab.send(lab.ip(TCP(sport=40001, dport=80, flags="R", seq=5001)))
    assert conn.state is State.CLOSED
    assert conn.error is not None


def test_syn_on_established_connection_gets_challenge_ack():
    lab = Lab()
    _, conn, synack = handshake(lab)
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="S", seq=5001 + 50)))
    (ack,) = tcp_of(out)
    assert ack.flags == "A" and ack.ack == 5001
    assert conn.state is State.ESTABLISHED


def test_ack_for_unsent_data_is_answered_not_accepted():
    lab = Lab()
    _, conn, synack = handshake(lab)
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="A", seq=5001,
                              ack=synack.seq + 1 + 5000)))
    assert tcp_of(out)[0].flags == "A"
    assert conn.snd_una == conn.iss + 1


def test_garbage_options_do_not_crash():
    lab = Lab()
    lst = lab.iface.add_socket(TcpSocket())
    lst.listen(80, 64)
    rng = random.Random(4)
    for i in range(200):
        opts = rng.randbytes(rng.choice([4, 8, 20, 40]))
        seg = bytearray(bytes(TCP(sport=2000 + i, dport=80, flags="S", seq=i)) + opts)
        seg[12] = ((20 + len(opts)) // 4) << 4
        TcpPacket(seg).fill_checksum(ip_from_str(PEER_IP), ip_from_str(US_IP))
        lab.send(lab.ip(Raw(bytes(seg)), proto=6))
    assert lab.stats.rx_internal_errors == 0
    assert lab.stats.tcp_rx == 200


# ---------------------------------------------------------------- ICMP, UDP, ARP

def test_icmp_echo_is_answered():
    lab = Lab()
    out = lab.send(lab.ip(ICMP(type=8, id=0x77, seq=3) / Raw(b"payload" * 20)))
    (reply,) = out
    icmp = reply[ICMP]
    assert icmp.type == 0 and icmp.id == 0x77 and icmp.seq == 3
    assert bytes(icmp.payload) == b"payload" * 20
    assert reply[IP].src == US_IP and reply[IP].dst == PEER_IP
    c = icmp.chksum
    del icmp.chksum
    assert ICMP(bytes(icmp)).chksum == c


def test_icmp_echo_to_broadcast_is_ignored():
    lab = Lab()
    out = lab.send(lab.eth(IP(src=PEER_IP, dst="198.18.0.255") / ICMP(type=8),
                           dst="ff:ff:ff:ff:ff:ff"))
    assert out == []


def test_udp_to_closed_port_gets_port_unreachable():
    lab = Lab()
    out = lab.send(lab.ip(UDP(sport=5555, dport=4444) / Raw(b"anyone?")))
    (err,) = out
    icmp = err[ICMP]
    assert icmp.type == 3 and icmp.code == 3
    quoted = icmp[IPerror]
    assert quoted.src == PEER_IP and quoted.dst == US_IP
    assert quoted[UDPerror].sport == 5555 and quoted[UDPerror].dport == 4444


def test_udp_to_open_port_is_delivered():
    lab = Lab()
    sock = lab.iface.add_socket(UdpSocket())
    sock.bind(4444)
    lab.send(lab.ip(UDP(sport=5555, dport=4444) / Raw(b"hi")))
    data, (ip, port) = sock.recv_from()
    assert data == b"hi" and port == 5555 and ip == ip_from_str(PEER_IP)
    sock.send_to(b"back", ip, port)
    (f,) = lab.poll()
    assert f[UDP].dport == 5555 and bytes(f[UDP].payload) == b"back"
    c = f[UDP].chksum
    del f[UDP].chksum
    assert Ether(bytes(f))[UDP].chksum == c


def test_arp_request_for_us_is_answered_and_learned():
    lab = Lab()
    out = lab.send(Ether(src="02:00:00:00:00:09", dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc="02:00:00:00:00:09", psrc="198.18.0.9", pdst=US_IP))
    (reply,) = out
    assert reply[ARP].op == 2 and reply[ARP].hwsrc == US_MAC and reply[ARP].psrc == US_IP
    assert reply[ARP].pdst == "198.18.0.9" and reply[Ether].dst == "02:00:00:00:00:09"
    assert lab.iface.neighbors.lookup(ip_from_str("198.18.0.9"), lab.now) == bytes.fromhex(
        "020000000009")


def test_arp_for_someone_else_is_not_answered():
    lab = Lab()
    out = lab.send(Ether(src="02:00:00:00:00:09", dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc="02:00:00:00:00:09", psrc="198.18.0.9", pdst="198.18.0.77"))
    assert out == [] and lab.stats.arp_ignored == 1


def test_arp_resolution_queues_then_flushes_then_expires():
    lab = Lab(arp_timeout=10.0)
    sock = lab.iface.add_socket(UdpSocket())
    sock.bind(1000)
    for i in range(3):
        sock.send_to(b"x%d" % i, ip_from_str("198.18.0.50"), 9)
    out = lab.poll()
    assert len(out) == 1 and out[0][ARP].op == 1 and out[0][ARP].pdst == "198.18.0.50"
    out = lab.send(Ether(src="02:00:00:00:00:50", dst=US_MAC) / ARP(
        op=2, hwsrc="02:00:00:00:00:50", psrc="198.18.0.50", hwdst=US_MAC, pdst=US_IP))
    assert [bytes(f[UDP].payload) for f in out] == [b"x0", b"x1", b"x2"]
    assert all(f[Ether].dst == "02:00:00:00:00:50" for f in out)
    # the entry expires: the next packet triggers a new request
    sock.send_to(b"later", ip_from_str("198.18.0.50"), 9)
    out = lab.poll(11.0)
    assert out and ARP in out[0]


def test_arp_resolution_gives_up_and_bounds_queue():
    lab = Lab(arp_queue_len=4)
    sock = lab.iface.add_socket(UdpSocket())
    sock.bind(1000)
    for i in range(10):
        sock.send_to(b"%d" % i, ip_from_str("198.18.0.60"), 9)
    requests = len(lab.poll())
    for _ in range(5):
        requests += len(lab.poll(1.0))
    assert requests == 3
    assert lab.stats.arp_resolution_failures == 1
    assert lab.stats.arp_queue_drops == 10  # 6 refused at once, 4 dropped on failure


def test_gratuitous_arp_on_first_poll():
    lab = Lab(gratuitous_arp=True)
    (f,) = lab.poll()
    assert f[Ether].dst == "ff:ff:ff:ff:ff:ff" and f[ARP].psrc == US_IP and f[ARP].pdst == US_IP
    assert lab.poll() == []


# ---------------------------------------------------------------- fragments

def _udp_big(n=3000, dport=4444, ident=99):
    return IP(src=PEER_IP, dst=US_IP, id=ident) / UDP(sport=7, dport=dport) / Raw(
        bytes(range(256)) * (n // 256) + b"!" * (n % 256))


def test_fragments_are_reassembled_in_any_order_with_duplicates():
    lab = Lab()
    sock = lab.iface.add_socket(UdpSocket())
    sock.bind(4444)
    pkt = _udp_big()
    frags = fragment(pkt, fragsize=800)
    assert len(frags) >= 4
    order = [frags[2], frags[0], frags[0], frags[-1]] + frags[1:2] + frags[3:-1]
    for f in order:
        lab.send(lab.eth(f))
    data, _ = sock.recv_from()
    assert data == bytes(pkt[UDP].payload)
    assert lab.stats.ip_reassembled == 1


def test_conflicting_overlap_drops_datagram():
    lab = Lab()
    sock = lab.iface.add_socket(UdpSocket())
    sock.bind(4444)
    frags = fragment(_udp_big(), fragsize=800)
    evil = frags[1].copy()
    evil.frag = frags[1].frag - 1  # overlaps the first fragment by 8 bytes
    for f in [frags[0], evil] + frags[1:]:
        lab.send(lab.eth(f))
    assert sock.recv_from() is None
    assert lab.stats.ip_reasm_drops >= 1


def test_reassembly_limits_and_timeout():
    lab = Lab(reasm_max_datagrams=2, reasm_timeout=5.0)
    for ident in range(5):
        lab.send(lab.eth(fragment(_udp_big(ident=ident), fragsize=800)[0]))
    assert len(lab.iface.reassembler) == 2
    assert lab.stats.ip_reasm_drops == 3
    lab.poll(6.0)
    assert len(lab.iface.reassembler) == 0 and lab.stats.ip_reasm_timeouts == 2
    # a datagram claiming to end beyond 64 KiB is refused
    lab.send(lab.ip(Raw(b"x" * 16), proto=17, frag=8190, flags="MF", id=7))
    assert lab.stats.ip_reasm_drops == 4


def test_poll_at_reports_reassembly_deadline():
    lab = Lab(reasm_timeout=5.0)
    lab.send(lab.eth(fragment(_udp_big(), fragsize=800)[0]))
    assert lab.iface.poll_at(lab.now) == pytest.approx(5.0)
    assert lab.iface.poll_delay(lab.now) == pytest.approx(5.0)


# ---------------------------------------------------------------- hostile input

def test_malformed_frames_are_counted_never_raised():
    lab = Lab()
    lst = lab.iface.add_socket(TcpSocket())
    lst.listen(80)
    good_ip = bytes(IP(src=PEER_IP, dst=US_IP) / TCP(sport=1, dport=80, flags="S"))
    cases = {
        "eth_truncated": b"\x02\x00",
        "eth_not_for_us": bytes(Ether(dst="02:00:00:00:00:99", src=PEER_MAC) / Raw(b"x" * 50)),
        "eth_unknown_type": bytes(Ether(dst=US_MAC, src=PEER_MAC, type=0x86DD) / Raw(b"x")),
        "arp_malformed": bytes(Ether(dst=US_MAC, src=PEER_MAC, type=0x0806) / Raw(b"\x00" * 10)),
        "ip_malformed": bytes(Ether(dst=US_MAC, src=PEER_MAC, type=0x0800) / Raw(b"\x45\x00")),
        "ip_bad_checksum": bytes(lab.raw_ip(good_ip[:10] + b"\x00\x01" + good_ip[12:])),
        "ip_ttl_zero": bytes(lab.ip(TCP(sport=1, dport=80), ttl=0)),
        "ip_not_for_us": bytes(lab.eth(IP(src=PEER_IP, dst="198.18.0.77") / TCP())),
        "ip_bad_source": bytes(lab.eth(IP(src="224.0.0.1", dst=US_IP) / TCP())),
        "ip_unknown_protocol": bytes(lab.ip(Raw(b"x" * 8), proto=132)),
        "tcp_bad_checksum": bytes(lab.ip(TCP(sport=1, dport=80, flags="S", chksum=0x1234))),
        "tcp_malformed": bytes(lab.ip(Raw(b"\x00" * 10), proto=6)),
        "udp_malformed": bytes(lab.ip(Raw(b"\x00\x01\x00\x02\x00\x03"), proto=17)),
        "udp_bad_checksum": bytes(lab.ip(UDP(sport=1, dport=2, chksum=0x1111) / Raw(b"zz"))),
        "icmp_malformed": bytes(lab.ip(Raw(b"\x08\x00"), proto=1)),
        "icmp_bad_checksum": bytes(lab.ip(ICMP(type=8, chksum=0x1111))),
    }
    for counter, frame in cases.items():
        before = getattr(lab.stats, counter)
        lab.send(frame)
        assert getattr(lab.stats, counter) == before + 1, counter
    # bad IHL: header length 4*3 bytes
    frame = bytearray(bytes(lab.ip(TCP(sport=1, dport=80))))
    frame[14] = 0x43
    lab.send(frame)
    # total length larger than the frame
    frame = bytearray(bytes(lab.ip(TCP(sport=1, dport=80))))
    frame[16:18] = (2000).to_bytes(2, "big")
    lab.send(frame)
    assert lab.stats.ip_malformed == 3
    # random garbage after a valid Ethernet header
    rng = random.Random(1)
    for _ in range(500):
        body = rng.randbytes(rng.randrange(0, 120))
        etype = rng.choice([b"\x08\x00", b"\x08\x06"])
        lab.send(bytes.fromhex("020000000002020000000001") + etype + body)
    # random mutations of a valid SYN, with the checksums redone where possible so the mutated
    # headers get past the checksums and reach the deeper parsers
    for _ in range(1000):
        b = bytearray(good_ip)
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        ihl = (b[0] & 15) * 4
        if 20 <= ihl <= len(b):
            b[10:12] = b"\0\0"
            b[10:12] = checksum(b[:ihl]).to_bytes(2, "big")
            if rng.random() < 0.7 and len(b) - ihl >= 20:
                TcpPacket(memoryview(b)[ihl:]).fill_checksum(bytes(b[12:16]), bytes(b[16:20]))
        lab.send(lab.raw_ip(bytes(b)))
    assert lab.stats.rx_internal_errors == 0, lab.iface.last_error


# ---------------------------------------------------------------- checksum offload

def test_tx_checksum_offload_leaves_fields_zero():
    caps = DeviceCapabilities(tx_checksum_ipv4=True, tx_checksum_l4=True)
    lab = Lab(caps)
    _, conn, _ = handshake(lab)
    conn.send(b"data")
    frames = [bytes(f) for f in lab.poll()]
    assert frames
    for raw in frames:
        assert raw[24:26] == b"\0\0"          # IPv4 header checksum
        assert raw[34 + 16:34 + 18] == b"\0\0"  # TCP checksum


def test_rx_checksum_offload_trusts_device_flags():
    caps = DeviceCapabilities(rx_checksum_ipv4=True, rx_checksum_l4=True)
    lab = Lab(caps)
    sock = lab.iface.add_socket(UdpSocket())
    sock.bind(4444)
    bad = lab.ip(UDP(sport=1, dport=4444, chksum=0x1111) / Raw(b"trusted"))
    lab.send(bad, ip_checksum_ok=True, l4_checksum_ok=True)
    assert sock.recv_from()[0] == b"trusted"
    good = lab.ip(UDP(sport=1, dport=4444) / Raw(b"flagged bad"))
    lab.send(good, ip_checksum_ok=True, l4_checksum_ok=False)
    assert sock.recv_from() is None and lab.stats.udp_bad_checksum == 1


def test_fin_handshake_and_time_wait_reuse_by_new_syn():
    """We close first and sit in TIME-WAIT; a new SYN on the same 4-tuple with a higher sequence
    number is handed to the listener (RFC 6191 style) instead of being challenged."""
    lab = Lab()
    lst, conn, synack = handshake(lab)
    ours = synack.seq + 1
    conn.close()
    (fin,) = tcp_of(lab.poll())
    assert fin.flags == "FA" and fin.seq == ours and conn.state is State.FIN_WAIT_1
    lab.send(lab.ip(TCP(sport=40001, dport=80, flags="A", seq=5001, ack=ours + 1)))
    assert conn.state is State.FIN_WAIT_2
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="FA", seq=5001, ack=ours + 1)))
    (ack,) = tcp_of(out)
    assert ack.flags == "A" and ack.ack == 5002 and conn.state is State.TIME_WAIT
    # a retransmitted FIN is acknowledged again
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="FA", seq=5001, ack=ours + 1)))
    assert tcp_of(out)[0].ack == 5002
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="S", seq=900_000)))
    (synack2,) = tcp_of(out)
    assert synack2.flags == "SA" and synack2.ack == 900_001
    assert conn.state is State.CLOSED


def test_passive_close_through_last_ack():
    lab = Lab()
    _, conn, synack = handshake(lab)
    ours = synack.seq + 1
    out = lab.send(lab.ip(TCP(sport=40001, dport=80, flags="FA", seq=5001, ack=ours)))
    assert tcp_of(out)[0].ack == 5002 and conn.state is State.CLOSE_WAIT
    assert conn.at_eof
    conn.close()
    (fin,) = tcp_of(lab.poll())
    assert fin.flags == "FA" and conn.state is State.LAST_ACK
    lab.send(lab.ip(TCP(sport=40001, dport=80, flags="A", seq=5002, ack=ours + 1)))
    assert conn.state is State.CLOSED
    assert not lab.iface._tcp_conns


def test_syn_sent_rejects_bad_ack_with_rst():
    lab = Lab()
    sock = lab.iface.add_socket(TcpSocket())
    sock.connect(ip_from_str(PEER_IP), 80)
    (syn,) = tcp_of(lab.poll())
    assert syn.flags == "S"
    out = lab.send(lab.ip(TCP(sport=80, dport=syn.sport, flags="SA", seq=1, ack=syn.seq + 99)))
    (rst,) = tcp_of(out)
    assert rst.flags == "R" and rst.seq == syn.seq + 99
    assert sock.state is State.SYN_SENT
