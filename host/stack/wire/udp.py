"""UDP datagrams (RFC 768)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .checksum import ones_sum, pseudo_header_sum
from .ipv4 import PROTO_UDP, ChecksumError

HEADER_LEN = 8


class UdpPacket:
    """Zero-copy view of a UDP datagram."""

    __slots__ = ("buf",)

    def __init__(self, buf) -> None:
        self.buf = memoryview(buf)

    def check_len(self) -> bool:
        n = len(self.buf)
        return n >= HEADER_LEN and HEADER_LEN <= self.length <= n

    def _u16(self, off: int) -> int:
        return int.from_bytes(self.buf[off:off + 2], "big")

    @property
    def src_port(self) -> int:
        return self._u16(0)

    @property
    def dst_port(self) -> int:
        return self._u16(2)

    @property
    def length(self) -> int:
        return self._u16(4)

    @property
    def checksum(self) -> int:
        return self._u16(6)

    @property
    def payload(self) -> memoryview:
        return self.buf[HEADER_LEN:self.length]

    def verify_checksum(self, src: bytes, dst: bytes) -> bool:
        """True if the checksum is absent (0) or correct."""
        if self.checksum == 0:
            return True
        length = self.length
        return ones_sum(self.buf[:length], pseudo_header_sum(src, dst, PROTO_UDP, length)) \
            == 0xFFFF

    def fill_checksum(self, src: bytes, dst: bytes) -> None:
        length = self.length
        self.buf[6:8] = b"\x00\x00"
        value = ~ones_sum(self.buf[:length], pseudo_header_sum(src, dst, PROTO_UDP, length))
        value &= 0xFFFF
        self.buf[6:8] = (value or 0xFFFF).to_bytes(2, "big")  # 0 means "no checksum"


@dataclass
class UdpRepr:
    src_port: int
    dst_port: int

    @classmethod
    def parse(cls, pkt: UdpPacket, src: bytes, dst: bytes,
              verify_checksum: bool = True) -> UdpRepr:
        if not pkt.check_len():
            raise ValueError("truncated UDP datagram")
        if pkt.dst_port == 0:
            raise ValueError("UDP destination port 0")
        if verify_checksum and not pkt.verify_checksum(src, dst):
            raise ChecksumError("bad UDP checksum")
        return cls(pkt.src_port, pkt.dst_port)

    def emit(self, buf, payload_len: int, src: bytes, dst: bytes,
             fill_checksum: bool = True) -> None:
        """Write the header into ``buf`` whose payload (``payload_len`` bytes after the header)
        is already in place. Without ``fill_checksum`` the field is left 0 for the device."""
        length = HEADER_LEN + payload_len
        struct.pack_into("!HHHH", buf, 0, self.src_port, self.dst_port, length, 0)
        if fill_checksum:
            UdpPacket(memoryview(buf)[:length]).fill_checksum(src, dst)
