"""User-level UDP transmit on a VI: headers and payload written by the process straight into its
registered packet buffers (zero copy), checksums in software or left to the NIC.

This is the minimal transmit path of the user-level stack; the full stack (``host.stack``) drives
the same VI through its device layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from host.driver.buffers import BufferPool, PacketBuffer
from host.driver.vi import Vi
from host.stack.wire import EthernetRepr, Ipv4Repr, UdpRepr, ip_from_str, mac_from_str
from host.stack.wire.checksum import ones_sum, pseudo_header_sum

HEADERS = 14 + 20 + 8
MAX_PAYLOAD = 1500 - 28
ETHERTYPE_IPV4 = 0x0800
IPPROTO_UDP = 17


@dataclass
class Flow:
    src_mac: str
    dst_mac: str
    src_ip: str
    dst_ip: str
    src_port: int
    dst_port: int


class UdpSender:
    def __init__(self, vi: Vi, pool: BufferPool, flow: Flow, *, offload: bool = True):
        self.vi = vi
        self.pool = pool
        self.flow = flow
        self.offload = offload
        self._eth = EthernetRepr(src=mac_from_str(flow.src_mac), dst=mac_from_str(flow.dst_mac),
                                 ethertype=ETHERTYPE_IPV4)
        self._src = ip_from_str(flow.src_ip)
        self._dst = ip_from_str(flow.dst_ip)
        self._ident = 0

    def _headers(self, buf: memoryview, payload_len: int, l4_sum: int | None) -> None:
        """Write Ethernet/IPv4/UDP headers at the start of ``buf``.

        ``l4_sum`` is the ones-complement sum of the payload when the checksum is computed here,
        or None to leave the UDP checksum field zero for the NIC.
        """
        self._eth.emit(buf[0:14])
        self._ident = (self._ident + 1) & 0xFFFF
        Ipv4Repr(src=self._src, dst=self._dst, protocol=IPPROTO_UDP, payload_len=8 + payload_len,
                 ident=self._ident).emit(buf[14:34], fill_checksum=not self.offload)
        UdpRepr(self.flow.src_port, self.flow.dst_port).emit(
            buf[34:42], payload_len, self._src, self._dst, fill_checksum=False)
        if l4_sum is not None:
            length = 8 + payload_len
            total = ones_sum(buf[34:42], pseudo_header_sum(self._src, self._dst, IPPROTO_UDP,
                                                           length) + l4_sum)
            value = (~total) & 0xFFFF
            buf[40:42] = (value or 0xFFFF).to_bytes(2, "big")

    def send(self, payload: bytes | memoryview, cookie: list | None = None) -> PacketBuffer:
        """Build one datagram in a single registered buffer and post it (not yet pushed).

        The frame's TX event carries ``cookie + [buffer]``: the buffers to give back.
        """
        if len(payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
        buf = self.pool.alloc()
        if HEADERS + len(payload) > buf.size:
            self.pool.free(buf)
            raise ValueError("packet buffer too small for this datagram")
        view = buf.view
        view[HEADERS:HEADERS + len(payload)] = payload
        self._headers(view, len(payload),
                      None if self.offload else ones_sum(view[HEADERS:HEADERS + len(payload)]))
        self.vi.tx_post([(buf.iova, HEADERS + len(payload))], csum_ip=self.offload,
                        csum_l4=self.offload, cookie=[*(cookie or []), buf])
        return buf

    def send_gather(self, pieces: Sequence[tuple[PacketBuffer, int, int]],
                    cookie: list | None = None) -> PacketBuffer:
        """Send a datagram whose payload already sits in registered buffers.

        ``pieces`` are ``(buffer, offset, length)``: the payload segments in order, left where the
        application wrote them; only the headers are written, into a buffer of their own.
        """
        payload_len = sum(n for _, _, n in pieces)
        if payload_len > MAX_PAYLOAD:
            raise ValueError(f"payload of {payload_len} bytes exceeds {MAX_PAYLOAD}")
        for b, off, n in pieces:
            if not (0 <= off and n > 0 and off + n <= b.size):
                raise ValueError(f"piece ({off}, {n}) is outside its {b.size}-byte buffer")
        hdr = self.pool.alloc()
        l4_sum = None
        if not self.offload:
            l4_sum = ones_sum(b"".join(bytes(b.view[o:o + n]) for b, o, n in pieces))
        self._headers(hdr.view, payload_len, l4_sum)
        segments = [(hdr.iova, HEADERS)] + [(b.iova + o, n) for b, o, n in pieces]
        self.vi.tx_post(segments, csum_ip=self.offload, csum_l4=self.offload,
                        cookie=[*(cookie or []), hdr])
        return hdr


__all__ = ["Flow", "UdpSender", "HEADERS", "MAX_PAYLOAD"]
