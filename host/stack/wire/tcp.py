"""TCP segments (RFC 9293) with the MSS, window-scale and SACK-permitted options (RFC 7323,
RFC 2018; SACK blocks and timestamps are parsed over and ignored)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .checksum import ones_sum, pseudo_header_sum
from .ipv4 import PROTO_TCP, ChecksumError

HEADER_LEN = 20
MAX_HEADER_LEN = 60

FIN = 0x01
SYN = 0x02
RST = 0x04
PSH = 0x08
ACK = 0x10
URG = 0x20
ECE = 0x40
CWR = 0x80

OPT_EOL = 0
OPT_NOP = 1
OPT_MSS = 2
OPT_WSCALE = 3
OPT_SACK_PERMITTED = 4
OPT_SACK = 5
OPT_TIMESTAMPS = 8

MAX_WSCALE = 14  # RFC 7323 section 2.3

_FMT = "!HHIIBBHHH"


def flags_to_str(flags: int) -> str:
    names = "FSRPAUEC"
    return "".join(n for i, n in enumerate(names) if flags & (1 << i)) or "-"


@dataclass
class TcpOptions:
    mss: int | None = None
    wscale: int | None = None
    sack_permitted: bool = False
    malformed: bool = False


def parse_options(data) -> TcpOptions:
    """Parse an options area (at most 40 bytes). Never raises and never loops more than
    ``len(data)`` times: a bad length stops parsing and flags the options as malformed."""
    opts = TcpOptions()
    i, n = 0, len(data)
    while i < n:
        kind = data[i]
        if kind == OPT_EOL:
            break
        if kind == OPT_NOP:
            i += 1
            continue
        if i + 1 >= n:
            opts.malformed = True
            break
        length = data[i + 1]
        if length < 2 or i + length > n:
            opts.malformed = True
            break
        if kind == OPT_MSS and length == 4:
            opts.mss = (data[i + 2] << 8) | data[i + 3]
        elif kind == OPT_WSCALE and length == 3:
            opts.wscale = min(data[i + 2], MAX_WSCALE)
        elif kind == OPT_SACK_PERMITTED and length == 2:
            opts.sack_permitted = True
        # other kinds (SACK blocks, timestamps, unknown) are skipped by their length
        i += length
    return opts


class TcpPacket:
    """Zero-copy view of a TCP segment."""

    __slots__ = ("buf",)

    def __init__(self, buf) -> None:
        self.buf = memoryview(buf)

    def check_len(self) -> bool:
        n = len(self.buf)
        return n >= HEADER_LEN and HEADER_LEN <= self.header_len <= n

    def _u16(self, off: int) -> int:
        return int.from_bytes(self.buf[off:off + 2], "big")

    def _u32(self, off: int) -> int:
        return int.from_bytes(self.buf[off:off + 4], "big")

    @property
    def src_port(self) -> int:
        return self._u16(0)

    @property
    def dst_port(self) -> int:
        return self._u16(2)

    @property
    def seq(self) -> int:
        return self._u32(4)

    @property
    def ack(self) -> int:
        return self._u32(8)

    @property
    def header_len(self) -> int:
        return (self.buf[12] >> 4) * 4

    @property
    def flags(self) -> int:
        return self.buf[13]

    @property
    def window(self) -> int:
        return self._u16(14)

    @property
    def checksum(self) -> int:
        return self._u16(16)

    @property
    def urgent(self) -> int:
        return self._u16(18)

    @property
    def options(self) -> memoryview:
        return self.buf[HEADER_LEN:self.header_len]

    @property
    def payload(self) -> memoryview:
        return self.buf[self.header_len:]

    def verify_checksum(self, src: bytes, dst: bytes) -> bool:
        n = len(self.buf)
        return ones_sum(self.buf, pseudo_header_sum(src, dst, PROTO_TCP, n)) == 0xFFFF

    def fill_checksum(self, src: bytes, dst: bytes) -> None:
        n = len(self.buf)
        self.buf[16:18] = b"\x00\x00"
        value = ~ones_sum(self.buf, pseudo_header_sum(src, dst, PROTO_TCP, n)) & 0xFFFF
        self.buf[16:18] = value.to_bytes(2, "big")


@dataclass
class TcpRepr:
    src_port: int
    dst_port: int
    seq: int
    ack: int
    flags: int
    window: int  # the raw 16-bit field, unscaled
    mss: int | None = None
    wscale: int | None = None
    sack_permitted: bool = False
    payload: memoryview | bytes = b""

    @classmethod
    def parse(cls, pkt: TcpPacket, src: bytes, dst: bytes,
              verify_checksum: bool = True) -> TcpRepr:
        buf = pkt.buf
        if not pkt.check_len():
            raise ValueError("truncated TCP segment")
        sport, dport, seq, ack, off, flags, window, _csum, _urg = struct.unpack_from(_FMT, buf, 0)
        if sport == 0 or dport == 0:
            raise ValueError("TCP port 0")
        if verify_checksum and not pkt.verify_checksum(src, dst):
            raise ChecksumError("bad TCP checksum")
        hlen = (off >> 4) * 4
        repr_ = cls(sport, dport, seq, ack, flags, window, payload=buf[hlen:])
        if hlen > HEADER_LEN:
            opts = parse_options(buf[HEADER_LEN:hlen])
            repr_.mss, repr_.wscale, repr_.sack_permitted = \
                opts.mss, opts.wscale, opts.sack_permitted
        return repr_

    @property
    def seq_len(self) -> int:
        """Sequence space the segment occupies: payload plus one for each of SYN and FIN."""
        return len(self.payload) + (1 if self.flags & SYN else 0) + (1 if self.flags & FIN else 0)

    @property
    def header_len(self) -> int:
        n = HEADER_LEN
        if self.mss is not None:
            n += 4
        if self.wscale is not None:
            n += 4
        if self.sack_permitted:
            n += 4
        return n

    def emit(self, buf, src: bytes, dst: bytes, payload_len: int,
             fill_checksum: bool = True) -> None:
        """Write header and options into ``buf``; the payload must already be in place at
        ``buf[header_len:header_len + payload_len]``. Without ``fill_checksum`` the checksum field
        is left 0 for the device to compute."""
        hlen = self.header_len
        struct.pack_into(_FMT, buf, 0, self.src_port, self.dst_port, self.seq, self.ack,
                         (hlen // 4) << 4, self.flags, self.window, 0, 0)
        off = HEADER_LEN
        if self.mss is not None:
            struct.pack_into("!BBH", buf, off, OPT_MSS, 4, self.mss)
            off += 4
        if self.wscale is not None:
            struct.pack_into("!BBBB", buf, off, OPT_NOP, OPT_WSCALE, 3, self.wscale)
            off += 4
        if self.sack_permitted:
            struct.pack_into("!BBBB", buf, off, OPT_NOP, OPT_NOP, OPT_SACK_PERMITTED, 2)
            off += 4
        if fill_checksum:
            n = hlen + payload_len
            value = ~ones_sum(buf[:n], pseudo_header_sum(src, dst, PROTO_TCP, n)) & 0xFFFF
            struct.pack_into("!H", buf, 16, value)
