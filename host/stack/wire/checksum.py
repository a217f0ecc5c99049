"""Internet checksum (RFC 1071) without a per-byte Python loop.

The one's complement sum of 16-bit big-endian words equals the value of the whole buffer, read as
one big-endian integer, modulo 0xFFFF (because 2**16 == 1 mod 0xFFFF), except that a non-zero
sum is represented as 0xFFFF rather than 0.  ``int.from_bytes`` plus one big-integer modulo runs
in C and is far faster than summing words in Python.
"""

from __future__ import annotations


def fold(value: int) -> int:
    """Reduce a sum of 16-bit words (any size) to a 16-bit one's complement sum."""
    if value == 0:
        return 0
    rem = value % 0xFFFF
    return rem if rem else 0xFFFF


def ones_sum(data, initial: int = 0) -> int:
    """16-bit one's complement sum of ``data`` (padded with a zero byte if its length is odd)."""
    value = int.from_bytes(data, "big")
    if len(data) & 1:
        value <<= 8
    return fold(value + initial)


def checksum(data, initial: int = 0) -> int:
    """The Internet checksum of ``data``: the complement of its one's complement sum."""
    return ~ones_sum(data, initial) & 0xFFFF


def pseudo_header_sum(src: bytes, dst: bytes, protocol: int, length: int) -> int:
    """One's complement sum of the IPv4 pseudo-header (RFC 793 / RFC 768)."""
    return fold(int.from_bytes(src, "big") + int.from_bytes(dst, "big") + protocol + length)
