"""Ethernet II frames."""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER_LEN = 14
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
BROADCAST = b"\xff" * 6


def mac_to_str(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def mac_from_str(text: str) -> bytes:
    parts = text.split(":")
    hexdigits = set("0123456789abcdefABCDEF")
    if len(parts) != 6 or not all(0 < len(p) <= 2 and set(p) <= hexdigits for p in parts):
        raise ValueError(f"bad MAC address {text!r}: want six hex bytes, e.g. 02:00:c6:12:00:02")
    return bytes(int(p, 16) for p in parts)


class EthernetFrame:
    """Zero-copy view of an Ethernet II frame held in ``buf``."""

    __slots__ = ("buf",)

    def __init__(self, buf) -> None:
        self.buf = memoryview(buf)

    def check_len(self) -> bool:
        return len(self.buf) >= HEADER_LEN

    @property
    def dst(self) -> bytes:
        return bytes(self.buf[0:6])

    @dst.setter
    def dst(self, mac: bytes) -> None:
        self.buf[0:6] = mac

    @property
    def src(self) -> bytes:
        return bytes(self.buf[6:12])

    @src.setter
    def src(self, mac: bytes) -> None:
        self.buf[6:12] = mac

    @property
    def ethertype(self) -> int:
        return int.from_bytes(self.buf[12:14], "big")

    @ethertype.setter
    def ethertype(self, value: int) -> None:
        self.buf[12:14] = value.to_bytes(2, "big")

    @property
    def payload(self) -> memoryview:
        return self.buf[HEADER_LEN:]


@dataclass
class EthernetRepr:
    src: bytes
    dst: bytes
    ethertype: int

    @classmethod
    def parse(cls, frame: EthernetFrame) -> EthernetRepr:
        if not frame.check_len():
            raise ValueError("truncated Ethernet header")
        dst, src, ethertype = struct.unpack_from("!6s6sH", frame.buf, 0)
        return cls(src=src, dst=dst, ethertype=ethertype)

    def emit(self, buf) -> None:
        struct.pack_into("!6s6sH", buf, 0, self.dst, self.src, self.ethertype)
