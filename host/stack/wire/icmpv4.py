"""ICMPv4 (RFC 792): echo and destination unreachable."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .checksum import checksum
from .ipv4 import ChecksumError

HEADER_LEN = 8
TYPE_ECHO_REPLY = 0
TYPE_DEST_UNREACHABLE = 3
TYPE_ECHO_REQUEST = 8
TYPE_TIME_EXCEEDED = 11
CODE_PORT_UNREACHABLE = 3
CODE_FRAG_NEEDED = 4


class IcmpPacket:
    """Zero-copy view of an ICMPv4 message."""

    __slots__ = ("buf",)

    def __init__(self, buf) -> None:
        self.buf = memoryview(buf)

    def check_len(self) -> bool:
        return len(self.buf) >= HEADER_LEN

    @property
    def msg_type(self) -> int:
        return self.buf[0]

    @property
    def code(self) -> int:
        return self.buf[1]

    @property
    def checksum(self) -> int:
        return int.from_bytes(self.buf[2:4], "big")

    @property
    def ident(self) -> int:
        return int.from_bytes(self.buf[4:6], "big")

    @property
    def seq(self) -> int:
        return int.from_bytes(self.buf[6:8], "big")

    @property
    def data(self) -> memoryview:
        return self.buf[HEADER_LEN:]

    def verify_checksum(self) -> bool:
        return checksum(self.buf) == 0

    def fill_checksum(self) -> None:
        self.buf[2:4] = b"\x00\x00"
        self.buf[2:4] = checksum(self.buf).to_bytes(2, "big")


@dataclass
class IcmpRepr:
    """An ICMP message: ``rest`` is the 4 bytes after the checksum (ident+seq for echo, unused
    for unreachable), ``data`` what follows (echo data, or the offending IP header + 8 bytes)."""

    msg_type: int
    code: int
    rest: int = 0
    data: bytes = b""

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    @classmethod
    def echo(cls, msg_type: int, ident: int, seq: int, data: bytes) -> IcmpRepr:
        return cls(msg_type, 0, (ident << 16) | seq, data)

    @classmethod
    def parse(cls, pkt: IcmpPacket, verify_checksum: bool = True) -> IcmpRepr:
        if not pkt.check_len():
            raise ValueError("truncated ICMP header")
        if verify_checksum and not pkt.verify_checksum():
            raise ChecksumError("bad ICMP checksum")
        msg_type, code, _csum, rest = struct.unpack_from("!BBHI", pkt.buf, 0)
        return cls(msg_type, code, rest, bytes(pkt.buf[HEADER_LEN:]))

    @property
    def buffer_len(self) -> int:
        return HEADER_LEN + len(self.data)

    def emit(self, buf) -> None:
        struct.pack_into("!BBHI", buf, 0, self.msg_type, self.code, 0, self.rest)
        n = HEADER_LEN + len(self.data)
        buf[HEADER_LEN:n] = self.data
        struct.pack_into("!H", buf, 2, checksum(buf[:n]))
