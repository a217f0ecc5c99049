"""ARP neighbour cache with expiry, and per-neighbour queues of packets waiting for resolution."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class _Pending:
    next_request_at: float
    requests_sent: int = 0
    queue: deque = field(default_factory=deque)  # complete frames, destination MAC unset


class NeighborCache:
    def __init__(self, timeout: float = 60.0, max_entries: int = 256,
                 request_interval: float = 1.0, max_requests: int = 3, queue_len: int = 16,
                 max_pending: int = 64) -> None:
        self.timeout = timeout
        self.max_entries = max_entries
        self.request_interval = request_interval
        self.max_requests = max_requests
        self.queue_len = queue_len
        self.max_pending = max_pending
        self._entries: dict[bytes, tuple[bytes, float]] = {}  # ip -> (mac, expires_at)
        self.pending: dict[bytes, _Pending] = {}

    def lookup(self, ip: bytes, now: float) -> bytes | None:
        entry = self._entries.get(ip)
        if entry is None:
            return None
        if now >= entry[1]:
            del self._entries[ip]
            return None
        return entry[0]

    def __contains__(self, ip: bytes) -> bool:
        return ip in self._entries

    def fill(self, ip: bytes, mac: bytes, now: float) -> None:
        if ip not in self._entries and len(self._entries) >= self.max_entries:
            # evict the entry closest to expiry
            oldest = min(self._entries, key=lambda k: self._entries[k][1])
            del self._entries[oldest]
        self._entries[ip] = (mac, now + self.timeout)

    def enqueue(self, ip: bytes, frame: bytearray, now: float) -> tuple[bool, bool]:
        """Queue a frame for ``ip``. Returns (queued, request_now)."""
        p = self.pending.get(ip)
        if p is None:
            if len(self.pending) >= self.max_pending:
                return False, False
            p = self.pending[ip] = _Pending(next_request_at=now)
        if len(p.queue) >= self.queue_len:
            return False, False
        p.queue.append(frame)
        return True, now >= p.next_request_at

    def poll_at(self) -> float | None:
        if not self.pending:
            return None
        return min(p.next_request_at for p in self.pending.values())
