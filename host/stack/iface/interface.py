"""The network interface: Ethernet + ARP + IPv4 (+ ICMP) glue between a device and sockets.

Time is float seconds, passed in to ``poll(now)``: simulated seconds on the pipe or in a
simulator, ``time.monotonic()`` on a TAP. Nothing here sleeps or starts threads; ``poll_at``
tells the caller when the next timer fires so it can sleep exactly that long.

Frames are parsed in place in the device's receive buffer and built in place in the buffer the
device hands out for transmission. The only copies are payload into/out of socket buffers (and a
packet that must wait for ARP resolution, which is built in a private buffer and copied once
resolved).

A frame that is malformed or hostile never raises out of ``poll``: it is dropped and counted in
``stats`` (``InterfaceStats``); an exception from a handler is counted as ``rx_internal_errors``
and kept in ``last_error`` for debugging.
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import struct
from collections import deque
from dataclasses import dataclass

from ..socket.tcp import CLOSED, REPLY_RST, REPLY_TO_LISTENER, TcpSocket
from ..socket.udp import UdpSocket
from ..wire.arp import OP_REPLY, OP_REQUEST, ArpPacket, ArpRepr
from ..wire.checksum import checksum, ones_sum, pseudo_header_sum
from ..wire.ethernet import BROADCAST, ETHERTYPE_ARP, ETHERTYPE_IPV4, mac_from_str
from ..wire.icmpv4 import (
    CODE_FRAG_NEEDED,
    CODE_PORT_UNREACHABLE,
    TYPE_DEST_UNREACHABLE,
    TYPE_ECHO_REPLY,
    TYPE_ECHO_REQUEST,
)
from ..wire.ipv4 import PROTO_ICMP, PROTO_TCP, PROTO_UDP, ChecksumError, ip_from_str
from ..wire.tcp import ACK, RST, TcpPacket, TcpRepr
from .neighbor import HostNeighbors, NeighborCache
from .ports import PortClaims, PortSpace
from .reassembly import Reassembler
from .stats import InterfaceStats

_IP_FMT = struct.Struct("!BBHHHBBH4s4s")
_ZERO_MAC = b"\x00" * 6
_LIMITED_BROADCAST = b"\xff\xff\xff\xff"


@dataclass
class InterfaceConfig:
    ttl: int = 64
    arp_timeout: float = 60.0
    arp_request_interval: float = 1.0
    arp_max_requests: int = 3
    arp_queue_len: int = 16          # packets waiting per unresolved neighbour
    arp_max_pending: int = 64        # neighbours being resolved at once
    arp_cache_size: int = 256
    gratuitous_arp: bool = True      # announce our address on the first poll (RFC 5227)
    reasm_timeout: float = 30.0
    reasm_max_datagrams: int = 16
    reasm_max_bytes: int = 256 * 1024
    icmp_error_rate: float = 100.0   # ICMP errors per second (token bucket)
    rx_batch: int = 64               # frames taken per pass before egress runs
    seed: int | None = None          # ephemeral ports and ISN secret; None: from os.urandom
    isn_secret: bytes | None = None


def parse_cidr(ip) -> tuple[bytes, int]:
    if isinstance(ip, tuple):
        addr, prefix = ip
        return (ip_from_str(addr) if isinstance(addr, str) else bytes(addr)), int(prefix)
    text = str(ip)
    addr, _, prefix = text.partition("/")
    if prefix and not (prefix.isdigit() and int(prefix) <= 32):
        raise ValueError(f"bad prefix length in {text!r}: want /0 to /32")
    return ip_from_str(addr), int(prefix or 32)


class Interface:
    def __init__(self, device, mac, ip, gateway=None,
                 config: InterfaceConfig | None = None, *,
                 neighbors: HostNeighbors | None = None,
                 ports: PortClaims | None = None) -> None:
        """``mac``: 6 bytes or "aa:bb:..."; ``ip``: "a.b.c.d/prefix" or (addr, prefix);
        ``gateway``: next hop for off-link destinations (None: only the subnet is reachable).

        On a host with an OS stack, a user-level interface shares the host's identity:
        ``neighbors`` is the OS's neighbour table (read, and asked to resolve; this interface
        sends no ARP of its own) and ``ports`` its claims in the OS's port space. Without them
        the interface is a host of its own: its own ARP, its own ports."""
        self.device = device
        self.config = config or InterfaceConfig()
        cfg = self.config
        self.mac = mac_from_str(mac) if isinstance(mac, str) else bytes(mac)
        self.ip, self.prefix_len = parse_cidr(ip)
        if not 0 <= self.prefix_len <= 32:
            raise ValueError("bad prefix length")
        self._ip_int = int.from_bytes(self.ip, "big")
        self.netmask = (0xFFFFFFFF << (32 - self.prefix_len)) & 0xFFFFFFFF
        bcast = (self._ip_int & self.netmask) | (~self.netmask & 0xFFFFFFFF)
        self.broadcast = bcast.to_bytes(4, "big")
        self.gateway = (ip_from_str(gateway) if isinstance(gateway, str) else gateway)
        self.stats = InterfaceStats()
        self.now = 0.0
        self.last_error: BaseException | None = None
        self.neighbors = NeighborCache(cfg.arp_timeout, cfg.arp_cache_size,
                                       cfg.arp_request_interval, cfg.arp_max_requests,
                                       cfg.arp_queue_len, cfg.arp_max_pending)
        self.host_neighbors = neighbors
        self.ports = ports if ports is not None else PortSpace(cfg.seed).claims_of("stack")
        self.reassembler = Reassembler(cfg.reasm_timeout, cfg.reasm_max_datagrams,
                                       cfg.reasm_max_bytes)
        self._rng = random.Random(cfg.seed) if cfg.seed is not None else random.Random()
        if cfg.isn_secret is not None:
            self._isn_secret = cfg.isn_secret
        elif cfg.seed is not None:
            self._isn_secret = hashlib.sha256(b"isn%d" % cfg.seed).digest()[:16]
        else:
            self._isn_secret = os.urandom(16)
        self._ident = self._rng.randrange(65536)
        self._announced = not cfg.gratuitous_arp or neighbors is not None
        self._icmp_tokens = cfg.icmp_error_rate
        self._icmp_refill_at = 0.0
        # sockets
        self._tcp_active: dict[int, TcpSocket] = {}   # id -> socket, sockets needing dispatch
        self._tcp_conns: dict[tuple[int, bytes, int], TcpSocket] = {}  # (lport, rip, rport)
        self._tcp_listeners: dict[int, TcpSocket] = {}
        self._udp_ports: dict[int, UdpSocket] = {}
        self._echo_replies: dict[int, deque] = {}  # ping identifier -> (src, seq, data, at)
        # once per poll: lets a batching device (the NIC VI) ring one doorbell for the whole poll
        self._submit = getattr(device, "submit", None)
        caps = device.capabilities
        self._fill_ip_csum = not caps.tx_checksum_ipv4
        self._fill_l4_csum = not caps.tx_checksum_l4

    # ------------------------------------------------------------------ sockets

    def add_socket(self, sock):
        """Attach a TcpSocket or UdpSocket to this interface (it stays passive until used)."""
        sock.iface = self
        if isinstance(sock, TcpSocket):
            self._tcp_active[id(sock)] = sock
        return sock

    @property
    def tcp_sockets(self) -> list[TcpSocket]:
        return list(self._tcp_active.values())

    def _tcp_listen(self, sock: TcpSocket, port: int, ip: bytes | None) -> None:
        if not 0 < port < 65536:
            raise OSError(errno.EINVAL, "bad port")
        if port in self._tcp_listeners:
            raise OSError(errno.EADDRINUSE, "port already has a listener")
        self.ports.claim(PROTO_TCP, port)
        self._tcp_listeners[port] = sock
        self._tcp_active[id(sock)] = sock

    def _tcp_bind_connection(self, sock: TcpSocket, local_port: int, rip: bytes,
                             rport: int) -> int:
        conns = self._tcp_conns
        if local_port and (local_port, rip, rport) in conns:
            raise OSError(errno.EADDRINUSE, "connection already exists")
        # port 0: an ephemeral port no stack of the host holds
        local_port = self.ports.claim(PROTO_TCP, local_port)
        conns[(local_port, rip, rport)] = sock
        self._tcp_active[id(sock)] = sock
        return local_port

    def is_broadcast(self, ip: bytes) -> bool:
        """``ip`` is the limited broadcast or this interface's subnet broadcast."""
        return ip == _LIMITED_BROADCAST or ip == self.broadcast

    def pick_ephemeral_tcp_port(self) -> int:
        """A free port for a listener bound to port 0 (no stack of the host holds it)."""
        return self.ports.space.free_port(PROTO_TCP)

    def _tcp_register(self, sock: TcpSocket) -> None:
        """A connection a listener accepted: it shares (and claims again) the listener's port."""
        self.ports.claim(PROTO_TCP, sock.local_port)
        self._tcp_conns[(sock.local_port, sock.remote_ip, sock.remote_port)] = sock
        self._tcp_active[id(sock)] = sock

    def _tcp_unbind(self, sock: TcpSocket) -> None:
        key = (sock.local_port, sock.remote_ip, sock.remote_port)
        if self._tcp_conns.get(key) is sock:
            del self._tcp_conns[key]
            self.ports.release(PROTO_TCP, sock.local_port)
        if self._tcp_listeners.get(sock.local_port) is sock:
            del self._tcp_listeners[sock.local_port]
            self.ports.release(PROTO_TCP, sock.local_port)

    def _udp_bind(self, sock: UdpSocket, port: int) -> int:
        if not 0 <= port < 65536:
            raise OSError(errno.EINVAL, "bad port")
        if port in self._udp_ports:
            raise OSError(errno.EADDRINUSE, "UDP port in use")
        port = self.ports.claim(PROTO_UDP, port)  # port 0: an ephemeral one
        self._udp_ports[port] = sock
        return port

    def _udp_unbind(self, sock: UdpSocket) -> None:
        if self._udp_ports.get(sock.local_port) is sock:
            del self._udp_ports[sock.local_port]
            self.ports.release(PROTO_UDP, sock.local_port)

    def isn(self, lip: bytes, lport: int, rip: bytes, rport: int, now: float) -> int:
        """RFC 6528: ISN = M + F(4-tuple, secret), M a 4-microsecond clock."""
        h = hashlib.blake2b(digest_size=4, key=self._isn_secret)
        h.update(lip + lport.to_bytes(2, "big") + rip + rport.to_bytes(2, "big"))
        return (int(now * 250_000) + int.from_bytes(h.digest(), "big")) & 0xFFFFFFFF

    # ------------------------------------------------------------------ polling

    def poll(self, now: float) -> bool:
        """Receive what the device has, run timers, send what is due. True if anything
        happened (a frame moved or a socket changed)."""
        self.now = now
        progress = False
        if not self._announced:
            self._announced = True
            self._send_arp(OP_REQUEST, BROADCAST, _ZERO_MAC, self.ip)
            progress = True
        batch = self.config.rx_batch
        for _ in range(64):
            received = self._ingress(now, batch)
            sent = self._egress(now)
            if received or sent:
                progress = True
            if received < batch:
                break
        self._timers(now)
        if self._submit is not None:
            self._submit()
        return progress

    def poll_at(self, now: float) -> float | None:
        """Absolute time at which ``poll`` next needs to run (``now`` if at once), or None."""
        at = None
        for sock in self._tcp_active.values():
            t = sock.poll_at(now)
            if t is not None and (at is None or t < at):
                at = t
                if t <= now:
                    return now
        for usock in self._udp_ports.values():
            if usock._tx:
                return now
        for t in (self.device.poll_at(), self.neighbors.poll_at(), self.reassembler.poll_at()):
            if t is not None and (at is None or t < at):
                at = t
        if at is not None and at < now:
            at = now
        return at

    def poll_delay(self, now: float) -> float | None:
        """Seconds until ``poll`` needs to run, or None if only a received frame can wake us."""
        at = self.poll_at(now)
        return None if at is None else max(0.0, at - now)

    def _timers(self, now: float) -> None:
        expired = self.reassembler.expire(now)
        self.stats.ip_reasm_timeouts += expired
        neighbors = self.neighbors
        shared = self.host_neighbors
        for ip, p in list(neighbors.pending.items()):
            if shared is not None:
                mac = shared.lookup(ip, now)
                if mac is not None:  # the host's table has it now
                    self._flush_pending(now, ip, mac)
                    continue
            if now < p.next_request_at:
                continue
            if p.requests_sent >= neighbors.max_requests:
                self.stats.arp_resolution_failures += 1
                self.stats.arp_queue_drops += len(p.queue)
                del neighbors.pending[ip]
                continue
            p.requests_sent += 1
            p.next_request_at = now + neighbors.request_interval
            self._request_arp(ip, now)

    # ------------------------------------------------------------------ ingress

    def _ingress(self, now: float, budget: int) -> int:
        device = self.device
        n = 0
        while n < budget:
            tok = device.receive(now)
            if tok is None:
                break
            n += 1
            try:
                self._ingress_frame(now, tok)
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the poll loop
                self.stats.rx_internal_errors += 1
                self.last_error = exc
            finally:
                tok.release()
        return n

    def _ingress_frame(self, now: float, tok) -> None:
        buf = tok.buffer
        st = self.stats
        st.rx_frames += 1
        st.rx_bytes += len(buf)
        if len(buf) < 14:
            st.eth_truncated += 1
            return
        dst = buf[0:6]
        if dst != self.mac and dst != BROADCAST:
            st.eth_not_for_us += 1
            return
        ethertype = (buf[12] << 8) | buf[13]
        if ethertype == ETHERTYPE_IPV4:
            self._ingress_ipv4(now, buf[14:], tok)
        elif ethertype == ETHERTYPE_ARP:
            self._ingress_arp(now, buf[14:])
        else:
            st.eth_unknown_type += 1

    def _on_link(self, ip: bytes) -> bool:
        return (int.from_bytes(ip, "big") & self.netmask) == (self._ip_int & self.netmask)

    def _ingress_arp(self, now: float, pkt) -> None:
        st = self.stats
        st.arp_rx += 1
        try:
            rep = ArpRepr.parse(ArpPacket(pkt))
        except ValueError:
            st.arp_malformed += 1
            return
        spa, sha = rep.sender_ip, rep.sender_mac
        if sha[0] & 1 or spa == b"\x00\x00\x00\x00" or spa == self.ip or not self._on_link(spa) \
                or spa == self.broadcast:
            st.arp_ignored += 1
            return
        for_us = rep.target_ip == self.ip
        neighbors = self.neighbors
        # RFC 826 merge: update a known sender; learn a new one only if it is talking to us
        if for_us or spa in neighbors or spa in neighbors.pending:
            neighbors.fill(spa, sha, now)
            self._flush_pending(now, spa, sha)
        if rep.operation == OP_REQUEST and for_us:
            self._send_arp(OP_REPLY, sha, sha, spa)
        elif not for_us:
            st.arp_ignored += 1

    def _ingress_ipv4(self, now: float, pkt, tok) -> None:
        st = self.stats
        st.ip_rx += 1
        n = len(pkt)
        if n < 20:
            st.ip_malformed += 1
            return
        vihl = pkt[0]
        ihl = (vihl & 0x0F) * 4
        total = (pkt[2] << 8) | pkt[3]
        if vihl >> 4 != 4 or ihl < 20 or total < ihl or total > n:
            st.ip_malformed += 1
            return
        caps = self.device.capabilities
        if not caps.rx_checksum_ipv4 or tok.ip_checksum_ok is False:
            if tok.ip_checksum_ok is False or checksum(pkt[:ihl]) != 0:
                st.ip_bad_checksum += 1
                return
        if pkt[8] == 0:
            st.ip_ttl_zero += 1
            return
        src = bytes(pkt[12:16])
        dst = bytes(pkt[16:20])
        is_bcast = dst == _LIMITED_BROADCAST or dst == self.broadcast
        if dst != self.ip and not is_bcast:
            st.ip_not_for_us += 1
            return
        if src[0] >= 224 or src == self.broadcast or src == b"\x00\x00\x00\x00" \
                or src == self.ip:
            st.ip_bad_source += 1
            return
        proto = pkt[9]
        frag = (pkt[6] << 8) | pkt[7]
        payload = pkt[ihl:total]
        l4_ok = tok.l4_checksum_ok if caps.rx_checksum_l4 else None
        if frag & 0x3FFF:  # MF set or a non-zero offset
            st.ip_fragments += 1
            drops_before = self.reassembler.drops
            ident = (pkt[4] << 8) | pkt[5]
            whole = self.reassembler.add(now, (src, dst, proto, ident), (frag & 0x1FFF) * 8,
                                         bool(frag & 0x2000), payload)
            st.ip_reasm_drops += self.reassembler.drops - drops_before
            if whole is None:
                return
            st.ip_reassembled += 1
            payload = memoryview(whole)
            l4_ok = None  # a device cannot have checked a fragmented datagram
        if proto == PROTO_TCP:
            if is_bcast:
                st.ip_not_for_us += 1
                return
            self._ingress_tcp(now, src, dst, payload, l4_ok)
        elif proto == PROTO_UDP:
            self._ingress_udp(now, src, dst, payload, l4_ok, is_bcast, pkt[:ihl])
        elif proto == PROTO_ICMP:
            self._ingress_icmp(now, src, payload, is_bcast)
        else:
            st.ip_unknown_protocol += 1

    def _ingress_icmp(self, now: float, src: bytes, payload, is_bcast: bool) -> None:
        st = self.stats
        st.icmp_rx += 1
        if len(payload) < 8:
            st.icmp_malformed += 1
            return
        if checksum(payload) != 0:
            st.icmp_bad_checksum += 1
            return
        msg_type = payload[0]
        if msg_type == TYPE_ECHO_REQUEST and payload[1] == 0 and not is_bcast:
            n = len(payload)

            def write_reply(out, data=payload) -> None:
                out[0:n] = data
                out[0] = TYPE_ECHO_REPLY
                out[2:4] = b"\x00\x00"
                struct.pack_into("!H", out, 2, checksum(out[:n]))

            if self._send_ip(src, PROTO_ICMP, n, write_reply):
                st.icmp_echo_replies += 1
        elif msg_type == TYPE_ECHO_REPLY and len(payload) >= 8:
            ident, seq = struct.unpack_from("!HH", payload, 4)
            replies = self._echo_replies.get(ident)
            if replies is None:
                st.icmp_ignored += 1
                return
            st.icmp_echo_replies_rx += 1
            replies.append((src, seq, bytes(payload[8:]), now))
        elif msg_type == TYPE_DEST_UNREACHABLE:
            self._ingress_unreachable(payload[1], payload[8:])
        else:
            st.icmp_ignored += 1

    # ICMP destination unreachable codes as a socket sees them (Linux's icmp_err_convert)
    _UNREACHABLE_ERRNO = {0: errno.ENETUNREACH, 1: errno.EHOSTUNREACH, 2: errno.ENOPROTOOPT,
                          CODE_PORT_UNREACHABLE: errno.ECONNREFUSED,
                          CODE_FRAG_NEEDED: errno.EMSGSIZE}

    def _ingress_unreachable(self, code: int, quote) -> None:
        """An ICMP error about a datagram we sent: the quoted IP header and the first 8 bytes
        of its payload name the socket. As on Linux, a connected UDP socket gets the error on
        its next call; an unconnected one is not told (RFC 1122 4.1.3.3 leaves it to the
        application), and TCP treats these as soft errors (RFC 5461), so they are counted."""
        st = self.stats
        st.icmp_unreachable_rx += 1
        if len(quote) < 28 or quote[0] >> 4 != 4:
            st.icmp_malformed += 1
            return
        ihl = (quote[0] & 0x0F) * 4
        if len(quote) < ihl + 8 or bytes(quote[12:16]) != self.ip:
            st.icmp_malformed += 1
            return
        if quote[9] != PROTO_UDP:
            return
        sport, dport = struct.unpack_from("!HH", quote, ihl)
        sock = self._udp_ports.get(sport)
        if sock is not None and sock.remote == (bytes(quote[16:20]), dport):
            sock.error = self._UNREACHABLE_ERRNO.get(code, errno.EHOSTUNREACH)

    def open_echo(self, ident: int) -> deque:
        """Receive echo replies with identifier ``ident`` (a ping socket's); returns their
        queue of (source, sequence, data, time)."""
        if ident in self._echo_replies:
            raise OSError(errno.EADDRINUSE, f"echo identifier {ident} is in use")
        return self._echo_replies.setdefault(ident, deque())

    def close_echo(self, ident: int) -> None:
        self._echo_replies.pop(ident, None)

    def send_echo_request(self, dst: bytes, ident: int, seq: int, data: bytes) -> bool:
        """One ICMP echo request (what ``ping`` sends); False if no buffer was free."""
        n = 8 + len(data)

        def write(out) -> None:
            struct.pack_into("!BBHHH", out, 0, TYPE_ECHO_REQUEST, 0, 0, ident, seq)
            out[8:n] = data
            struct.pack_into("!H", out, 2, checksum(out[:n]))

        return self._send_ip(dst, PROTO_ICMP, n, write)

    def _ingress_udp(self, now: float, src: bytes, dst: bytes, payload, l4_ok, is_bcast: bool,
                     ip_header) -> None:
        st = self.stats
        n = len(payload)
        if n < 8:
            st.udp_malformed += 1
            return
        ulen = (payload[4] << 8) | payload[5]
        dport = (payload[2] << 8) | payload[3]
        if ulen < 8 or ulen > n or dport == 0:
            st.udp_malformed += 1
            return
        csum = (payload[6] << 8) | payload[7]
        if l4_ok is False or (l4_ok is None and csum != 0 and ones_sum(
                payload[:ulen], pseudo_header_sum(src, dst, PROTO_UDP, ulen)) != 0xFFFF):
            st.udp_bad_checksum += 1
            return
        st.udp_rx += 1
        sock = self._udp_ports.get(dport)
        if sock is None or (sock.local_ip is not None and sock.local_ip != dst and not is_bcast):
            st.udp_no_socket += 1
            if not is_bcast:
                self._send_icmp_error(now, src, TYPE_DEST_UNREACHABLE, CODE_PORT_UNREACHABLE,
                                      bytes(ip_header) + bytes(payload[:8]))
            return
        before = sock.rx_drops
        sock.process(now, src, (payload[0] << 8) | payload[1], payload[8:ulen])
        st.udp_rx_queue_drops += sock.rx_drops - before

    def _ingress_tcp(self, now: float, src: bytes, dst: bytes, payload, l4_ok) -> None:
        st = self.stats
        try:
            seg = TcpRepr.parse(TcpPacket(payload), src, dst,
                                verify_checksum=l4_ok is None)
        except ChecksumError:
            st.tcp_bad_checksum += 1
            return
        except ValueError:
            st.tcp_malformed += 1
            return
        if l4_ok is False:
            st.tcp_bad_checksum += 1
            return
        st.tcp_rx += 1
        port = seg.dst_port
        sock = self._tcp_conns.get((port, src, seg.src_port))
        if sock is None:
            sock = self._tcp_listeners.get(port)
            if sock is None:
                st.tcp_no_socket += 1
                self._reply_rst(seg, src)
                return
        reply = sock.process(now, seg, src, dst)
        if reply == REPLY_RST:
            self._reply_rst(seg, src)
        elif reply == REPLY_TO_LISTENER:
            listener = self._tcp_listeners.get(port)
            if listener is None:
                self._reply_rst(seg, src)
            elif listener.process(now, seg, src, dst) == REPLY_RST:
                self._reply_rst(seg, src)

    def _reply_rst(self, seg: TcpRepr, remote_ip: bytes) -> None:
        """RFC 9293 3.10.7.1 reset generation for a segment nobody wants."""
        if seg.flags & RST:
            return
        if seg.flags & ACK:
            rst = TcpRepr(seg.dst_port, seg.src_port, seg.ack, 0, RST, 0)
        else:
            rst = TcpRepr(seg.dst_port, seg.src_port, 0, (seg.seq + seg.seq_len) & 0xFFFFFFFF,
                          RST | ACK, 0)
        if self._send_tcp(remote_ip, rst, b""):
            self.stats.tcp_rst_sent += 1

    # ------------------------------------------------------------------ egress

    def _egress(self, now: float) -> int:
        sent_before = self.stats.tx_frames
        emit_tcp = self._emit_tcp
        done = []
        for key, sock in self._tcp_active.items():
            sock.dispatch(now, emit_tcp)
            if sock.state is CLOSED and sock._pending_rst is None:
                done.append(key)
        for key in done:
            del self._tcp_active[key]
        if self._udp_ports:
            emit_udp = self._emit_udp
            for usock in list(self._udp_ports.values()):
                if usock._tx:
                    usock.dispatch(now, emit_udp)
        return self.stats.tx_frames - sent_before

    def _emit_tcp(self, sock: TcpSocket, rep: TcpRepr, payload) -> bool:
        return self._send_tcp(sock.remote_ip, rep, payload)

    def _emit_udp(self, sock: UdpSocket, data: bytes, ip: bytes, port: int) -> bool:
        n = len(data)
        src_port = sock.local_port

        def write(out) -> None:
            out[8:8 + n] = data
            struct.pack_into("!HHHH", out, 0, src_port, port, 8 + n, 0)
            if self._fill_l4_csum:
                value = ~ones_sum(out[:8 + n], pseudo_header_sum(self.ip, ip, PROTO_UDP, 8 + n))
                struct.pack_into("!H", out, 6, (value & 0xFFFF) or 0xFFFF)

        return self._send_ip(ip, PROTO_UDP, 8 + n, write)

    def _next_hop_mac(self, dst: bytes, now: float) -> tuple[bytes | None, bytes | None]:
        """(mac, next_hop_ip): mac None means unresolved; next_hop None means no route."""
        if self.is_broadcast(dst):
            return BROADCAST, dst
        hop = dst if self._on_link(dst) else self.gateway
        if hop is None:
            return None, None
        table = self.neighbors if self.host_neighbors is None else self.host_neighbors
        return table.lookup(hop, now), hop

    def _send_tcp(self, dst: bytes, rep: TcpRepr, payload) -> bool:
        """Build one TCP segment in place in a device buffer (the hot path)."""
        hlen = rep.header_len
        plen = len(payload)
        l4_len = hlen + plen
        total = 34 + l4_len
        if l4_len + 20 > self.device.capabilities.mtu:
            self.stats.tx_too_big += 1
            return True
        now = self.now
        mac, hop = self._next_hop_mac(dst, now)
        if hop is None:
            self.stats.tx_no_route += 1
            return True
        tok = None
        if mac is not None:
            tok = self.device.transmit(total, now)
            if tok is None:
                self.stats.tx_no_buffer += 1
                return False
            buf = tok.buffer
        else:
            buf = memoryview(bytearray(total))
        buf[0:6] = mac or _ZERO_MAC
        buf[6:12] = self.mac
        buf[12] = 0x08
        buf[13] = 0x00
        self._write_ip_header(buf, dst, PROTO_TCP, l4_len, True)
        if plen:
            buf[34 + hlen:total] = payload
        rep.emit(buf[34:total], self.ip, dst, plen, self._fill_l4_csum)
        if tok is not None:
            tok.commit()
            self.stats.tx_frames += 1
            self.stats.tx_bytes += total
        else:
            self._queue_for_arp(hop, buf.obj, now)
        return True

    def _write_ip_header(self, buf, dst: bytes, proto: int, l4_len: int, df: bool) -> None:
        self._ident = (self._ident + 1) & 0xFFFF
        _IP_FMT.pack_into(buf, 14, 0x45, 0, 20 + l4_len, self._ident, 0x4000 if df else 0,
                          self.config.ttl, proto, 0, self.ip, dst)
        if self._fill_ip_csum:
            struct.pack_into("!H", buf, 24, checksum(buf[14:34]))

    def _send_ip(self, dst: bytes, proto: int, l4_len: int, write_l4) -> bool:
        """Send an IPv4 packet whose L4 part ``write_l4(memoryview)`` builds in place."""
        if l4_len + 20 > self.device.capabilities.mtu:
            self.stats.tx_too_big += 1
            return False
        now = self.now
        mac, hop = self._next_hop_mac(dst, now)
        if hop is None:
            self.stats.tx_no_route += 1
            return False
        total = 34 + l4_len
        tok = None
        if mac is not None:
            tok = self.device.transmit(total, now)
            if tok is None:
                self.stats.tx_no_buffer += 1
                return False
            buf = tok.buffer
        else:
            buf = memoryview(bytearray(total))
        buf[0:6] = mac or _ZERO_MAC
        buf[6:12] = self.mac
        buf[12:14] = b"\x08\x00"
        self._write_ip_header(buf, dst, proto, l4_len, False)
        write_l4(buf[34:total])
        if tok is not None:
            tok.commit()
            self.stats.tx_frames += 1
            self.stats.tx_bytes += total
        else:
            self._queue_for_arp(hop, buf.obj, now)
        return True

    def _send_icmp_error(self, now: float, dst: bytes, msg_type: int, code: int,
                         quote: bytes) -> None:
        cfg = self.config
        self._icmp_tokens = min(cfg.icmp_error_rate,
                                self._icmp_tokens + (now - self._icmp_refill_at)
                                * cfg.icmp_error_rate)
        self._icmp_refill_at = now
        if self._icmp_tokens < 1:
            self.stats.icmp_rate_limited += 1
            return
        self._icmp_tokens -= 1
        n = 8 + len(quote)

        def write(out) -> None:
            struct.pack_into("!BBHI", out, 0, msg_type, code, 0, 0)
            out[8:n] = quote
            struct.pack_into("!H", out, 2, checksum(out[:n]))

        if self._send_ip(dst, PROTO_ICMP, n, write):
            self.stats.icmp_unreachable_sent += 1

    def _queue_for_arp(self, hop: bytes, frame: bytearray, now: float) -> None:
        queued, request_now = self.neighbors.enqueue(hop, frame, now)
        if not queued:
            self.stats.arp_queue_drops += 1
            return
        if request_now:
            p = self.neighbors.pending[hop]
            p.requests_sent += 1
            p.next_request_at = now + self.neighbors.request_interval
            self._request_arp(hop, now)

    def _request_arp(self, ip: bytes, now: float) -> None:
        if self.host_neighbors is None:
            self._send_arp(OP_REQUEST, BROADCAST, _ZERO_MAC, ip)
        else:
            self.stats.arp_requests_delegated += 1
            self.host_neighbors.request(ip, now)

    def resolve(self, ip: bytes, now: float) -> None:
        """Resolve ``ip`` for another stack of this host (its frames wait there): one ARP
        request now unless the entry is known or a resolution is already under way (whose own
        retries then continue from ``poll``)."""
        neighbors = self.neighbors
        if neighbors.lookup(ip, now) is not None or ip in neighbors.pending:
            return
        p = neighbors.start(ip, now)
        if p is None:
            self.stats.arp_queue_drops += 1
            return
        p.requests_sent = 1
        p.next_request_at = now + neighbors.request_interval
        self.now = now
        self._send_arp(OP_REQUEST, BROADCAST, _ZERO_MAC, ip)
        if self._submit is not None:
            self._submit()  # the request leaves now, not at this interface's next poll

    def _flush_pending(self, now: float, ip: bytes, mac: bytes) -> None:
        p = self.neighbors.pending.pop(ip, None)
        if p is None:
            return
        for frame in p.queue:
            frame[0:6] = mac
            tok = self.device.transmit(len(frame), now)
            if tok is None:
                self.stats.tx_no_buffer += 1
                continue
            tok.buffer[:] = frame
            tok.commit()
            self.stats.tx_frames += 1
            self.stats.tx_bytes += len(frame)

    def _send_arp(self, op: int, eth_dst: bytes, target_mac: bytes, target_ip: bytes) -> None:
        tok = self.device.transmit(42, self.now)
        if tok is None:
            self.stats.tx_no_buffer += 1
            return
        buf = tok.buffer
        buf[0:6] = eth_dst
        buf[6:12] = self.mac
        buf[12:14] = b"\x08\x06"
        ArpRepr(op, self.mac, self.ip, target_mac, target_ip).emit(buf[14:42])
        tok.commit()
        self.stats.tx_frames += 1
        self.stats.tx_bytes += 42
        if op == OP_REQUEST:
            self.stats.arp_requests_sent += 1
        else:
            self.stats.arp_replies_sent += 1
