"""Sequence-number helpers.

Inside the stack sequence numbers are *unwrapped*: plain Python ints that start at the 32-bit
ISS/IRS and keep growing past 2**32, so every comparison is an ordinary ``<``. A 32-bit number
from the wire is unwrapped to the value nearest a reference point (RFC 9293's modular
comparison, made explicit); ``wire()`` wraps back for emission.
"""

from __future__ import annotations

MOD = 1 << 32
MASK = MOD - 1
HALF = 1 << 31


def unwrap(wire_value: int, reference: int) -> int:
    """The unwrapped number closest to ``reference`` whose low 32 bits are ``wire_value``."""
    diff = (wire_value - reference) & MASK
    if diff >= HALF:
        diff -= MOD
    return reference + diff


def wire(value: int) -> int:
    return value & MASK
