"""IPv4 fragment reassembly with limits (RFC 791 section 3.2, RFC 815's hole idea).

A datagram is keyed by (src, dst, protocol, ident). Limits: concurrent datagrams, total bytes
buffered, and a timeout after the first fragment. Overlapping fragments whose bytes disagree make
the whole datagram be dropped (a classic evasion trick); exact duplicates are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_DATAGRAM = 65535 - 20


@dataclass
class _Datagram:
    deadline: float
    pieces: dict[int, bytes] = field(default_factory=dict)  # offset -> bytes
    total_len: int | None = None
    received: int = 0


class Reassembler:
    def __init__(self, timeout: float = 30.0, max_datagrams: int = 16,
                 max_bytes: int = 256 * 1024) -> None:
        self.timeout = timeout
        self.max_datagrams = max_datagrams
        self.max_bytes = max_bytes
        self._datagrams: dict[tuple, _Datagram] = {}
        self._bytes = 0
        self.drops = 0
        self.timeouts = 0

    def __len__(self) -> int:
        return len(self._datagrams)

    def _discard(self, key) -> None:
        d = self._datagrams.pop(key, None)
        if d is not None:
            self._bytes -= d.received

    def add(self, now: float, key: tuple, offset: int, more: bool, data) -> bytes | None:
        """Add one fragment; returns the whole payload once complete."""
        n = len(data)
        end = offset + n
        if end > MAX_DATAGRAM or (more and n % 8) or (more and n == 0):
            self.drops += 1
            self._discard(key)
            return None
        d = self._datagrams.get(key)
        if d is None:
            if len(self._datagrams) >= self.max_datagrams:
                self.drops += 1
                return None
            d = self._datagrams[key] = _Datagram(deadline=now + self.timeout)
        if not more:
            if d.total_len is not None and d.total_len != end:
                self.drops += 1
                self._discard(key)
                return None
            d.total_len = end
        if d.total_len is not None and end > d.total_len:
            self.drops += 1
            self._discard(key)
            return None
        existing = d.pieces.get(offset)
        if existing is not None and bytes(existing) == bytes(data):
            return None  # exact duplicate
        for off, piece in d.pieces.items():
            if off < end and offset < off + len(piece):  # overlap
                self.drops += 1
                self._discard(key)
                return None
        if self._bytes + n > self.max_bytes:
            self.drops += 1
            self._discard(key)
            return None
        d.pieces[offset] = bytes(data)
        d.received += n
        self._bytes += n
        if d.total_len is None or d.received != d.total_len:
            return None
        # non-overlapping pieces whose sizes add up to the total length cover it exactly
        out = bytearray(d.total_len)
        for off, piece in d.pieces.items():
            out[off:off + len(piece)] = piece
        self._discard(key)
        return bytes(out)

    def expire(self, now: float) -> int:
        expired = [k for k, d in self._datagrams.items() if now >= d.deadline]
        for k in expired:
            self._discard(k)
        self.timeouts += len(expired)
        return len(expired)

    def poll_at(self) -> float | None:
        if not self._datagrams:
            return None
        return min(d.deadline for d in self._datagrams.values())
