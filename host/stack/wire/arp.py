"""ARP for IPv4 over Ethernet (RFC 826)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

PACKET_LEN = 28
OP_REQUEST = 1
OP_REPLY = 2
_FMT = "!HHBBH6s4s6s4s"


class ArpPacket:
    """Zero-copy view of an ARP packet."""

    __slots__ = ("buf",)

    def __init__(self, buf) -> None:
        self.buf = memoryview(buf)

    def check_len(self) -> bool:
        return len(self.buf) >= PACKET_LEN

    def _u16(self, off: int) -> int:
        return int.from_bytes(self.buf[off:off + 2], "big")

    @property
    def hardware_type(self) -> int:
        return self._u16(0)

    @property
    def protocol_type(self) -> int:
        return self._u16(2)

    @property
    def hardware_len(self) -> int:
        return self.buf[4]

    @property
    def protocol_len(self) -> int:
        return self.buf[5]

    @property
    def operation(self) -> int:
        return self._u16(6)

    @property
    def sender_mac(self) -> bytes:
        return bytes(self.buf[8:14])

    @property
    def sender_ip(self) -> bytes:
        return bytes(self.buf[14:18])

    @property
    def target_mac(self) -> bytes:
        return bytes(self.buf[18:24])

    @property
    def target_ip(self) -> bytes:
        return bytes(self.buf[24:28])


@dataclass
class ArpRepr:
    operation: int
    sender_mac: bytes
    sender_ip: bytes
    target_mac: bytes
    target_ip: bytes

    @classmethod
    def parse(cls, pkt: ArpPacket) -> ArpRepr:
        if not pkt.check_len():
            raise ValueError("truncated ARP packet")
        htype, ptype, hlen, plen, op, sha, spa, tha, tpa = struct.unpack_from(_FMT, pkt.buf, 0)
        if htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4:
            raise ValueError("unsupported ARP hardware/protocol")
        if op not in (OP_REQUEST, OP_REPLY):
            raise ValueError(f"unknown ARP operation {op}")
        return cls(op, sha, spa, tha, tpa)

    def emit(self, buf) -> None:
        struct.pack_into(_FMT, buf, 0, 1, 0x0800, 6, 4, self.operation, self.sender_mac,
                         self.sender_ip, self.target_mac, self.target_ip)
