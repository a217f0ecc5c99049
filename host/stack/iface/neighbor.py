"""ARP neighbour cache with expiry, and per-neighbour queues of packets waiting for resolution.

An interface resolves through a neighbour source: by default its own cache and its own ARP
requests; on a host whose OS owns the neighbour table, a user-level interface reads the OS
interface's cache and asks it to resolve (``HostNeighbors``), so the host resolves each neighbour
once and ARP never needs to reach a user-level VI.
"""

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
        self.listeners: list = []  # fn(ip) called when an entry is filled (a stack to wake)

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
        for fn in self.listeners:
            fn(ip)

    def start(self, ip: bytes, now: float) -> _Pending | None:
        """The resolution of ``ip`` under way (begun now if it was not); None if too many are."""
        p = self.pending.get(ip)
        if p is None:
            if len(self.pending) >= self.max_pending:
                return None
            p = self.pending[ip] = _Pending(next_request_at=now)
        return p

    def enqueue(self, ip: bytes, frame: bytearray, now: float) -> tuple[bool, bool]:
        """Queue a frame for ``ip``. Returns (queued, request_now)."""
        p = self.start(ip, now)
        if p is None or len(p.queue) >= self.queue_len:
            return False, False
        p.queue.append(frame)
        return True, now >= p.next_request_at

    def poll_at(self) -> float | None:
        if not self.pending:
            return None
        return min(p.next_request_at for p in self.pending.values())


class HostNeighbors:
    """The neighbour table of another interface on the same host (the OS's), as a neighbour
    source: lookups read its cache; a miss asks it to send the ARP request (it answers to the
    host's address, on the OS's VI). Frames waiting for the answer stay with the asking
    interface, which sends them once the entry appears (``listeners`` tell it when)."""

    def __init__(self, owner) -> None:
        self.owner = owner  # the Interface that owns the table

    @property
    def cache(self) -> NeighborCache:
        return self.owner.neighbors

    def lookup(self, ip: bytes, now: float) -> bytes | None:
        return self.owner.neighbors.lookup(ip, now)

    def request(self, ip: bytes, now: float) -> None:
        self.owner.resolve(ip, now)
