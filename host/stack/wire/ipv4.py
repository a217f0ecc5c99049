"""IPv4 headers (RFC 791)."""

from __future__ import annotations

import socket as _socket
import struct
from dataclasses import dataclass

from .checksum import checksum

HEADER_LEN = 20  # without options
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17

FLAG_DF = 0x4000
FLAG_MF = 0x2000
OFFSET_MASK = 0x1FFF

_FMT = "!BBHHHBBH4s4s"


def ip_from_str(text: str) -> bytes:
    """Dotted-quad IPv4 text -> 4 bytes; ValueError for anything else (999.1.2.3, 1.2.3)."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts):
        _bad_ip(text)
    return _socket.inet_aton(text)


def _bad_ip(text: str) -> bytes:
    raise ValueError(f"bad IPv4 address {text!r}")


def ip_to_str(addr: bytes) -> str:
    return _socket.inet_ntoa(addr)


class Ipv4Packet:
    """Zero-copy view of an IPv4 packet."""

    __slots__ = ("buf",)

    def __init__(self, buf) -> None:
        self.buf = memoryview(buf)

    def check_len(self) -> bool:
        """True if the header and the stated total length fit in the buffer."""
        buf = self.buf
        if len(buf) < HEADER_LEN:
            return False
        ihl = (buf[0] & 0x0F) * 4
        total = int.from_bytes(buf[2:4], "big")
        return ihl >= HEADER_LEN and ihl <= total <= len(buf)

    def _u16(self, off: int) -> int:
        return int.from_bytes(self.buf[off:off + 2], "big")

    @property
    def version(self) -> int:
        return self.buf[0] >> 4

    @property
    def header_len(self) -> int:
        return (self.buf[0] & 0x0F) * 4

    @property
    def dscp_ecn(self) -> int:
        return self.buf[1]

    @property
    def total_len(self) -> int:
        return self._u16(2)

    @property
    def ident(self) -> int:
        return self._u16(4)

    @property
    def dont_fragment(self) -> bool:
        return bool(self._u16(6) & FLAG_DF)

    @property
    def more_fragments(self) -> bool:
        return bool(self._u16(6) & FLAG_MF)

    @property
    def frag_offset(self) -> int:
        """Fragment offset in bytes."""
        return (self._u16(6) & OFFSET_MASK) * 8

    @property
    def ttl(self) -> int:
        return self.buf[8]

    @property
    def protocol(self) -> int:
        return self.buf[9]

    @property
    def checksum(self) -> int:
        return self._u16(10)

    @property
    def src(self) -> bytes:
        return bytes(self.buf[12:16])

    @property
    def dst(self) -> bytes:
        return bytes(self.buf[16:20])

    @property
    def options(self) -> memoryview:
        return self.buf[HEADER_LEN:self.header_len]

    @property
    def payload(self) -> memoryview:
        return self.buf[self.header_len:self.total_len]

    def verify_checksum(self) -> bool:
        return checksum(self.buf[:self.header_len]) == 0

    def fill_checksum(self) -> None:
        self.buf[10:12] = b"\x00\x00"
        self.buf[10:12] = checksum(self.buf[:self.header_len]).to_bytes(2, "big")


@dataclass
class Ipv4Repr:
    """An IPv4 header without options (options are parsed over and ignored)."""

    src: bytes
    dst: bytes
    protocol: int
    payload_len: int
    ttl: int = 64
    ident: int = 0
    dont_fragment: bool = False
    more_fragments: bool = False
    frag_offset: int = 0  # bytes, multiple of 8
    dscp_ecn: int = 0
    header_len: int = HEADER_LEN

    @classmethod
    def parse(cls, pkt: Ipv4Packet, verify_checksum: bool = True) -> Ipv4Repr:
        if not pkt.check_len():
            raise ValueError("truncated or inconsistent IPv4 header")
        vihl, tos, total, ident, frag, ttl, proto, _csum, src, dst = struct.unpack_from(
            _FMT, pkt.buf, 0)
        if vihl >> 4 != 4:
            raise ValueError("not IPv4")
        ihl = (vihl & 0x0F) * 4
        if verify_checksum and not pkt.verify_checksum():
            raise ChecksumError("bad IPv4 header checksum")
        return cls(src=src, dst=dst, protocol=proto, payload_len=total - ihl, ttl=ttl,
                   ident=ident, dont_fragment=bool(frag & FLAG_DF),
                   more_fragments=bool(frag & FLAG_MF), frag_offset=(frag & OFFSET_MASK) * 8,
                   dscp_ecn=tos, header_len=ihl)

    def emit(self, buf, fill_checksum: bool = True) -> None:
        """Write a 20-byte header into ``buf``; with ``fill_checksum`` False the field is 0."""
        frag = (self.frag_offset // 8) | (FLAG_DF if self.dont_fragment else 0) | (
            FLAG_MF if self.more_fragments else 0)
        struct.pack_into(_FMT, buf, 0, 0x45, self.dscp_ecn, HEADER_LEN + self.payload_len,
                         self.ident, frag, self.ttl, self.protocol, 0, self.src, self.dst)
        if fill_checksum:
            struct.pack_into("!H", buf, 10, checksum(buf[:HEADER_LEN]))


class ChecksumError(ValueError):
    """A checksum did not verify."""
