"""A port space: which holder (an OS stack or a user-level stack) owns each TCP and UDP port.

A host has one port space however many stacks run on it, as it has one IP address: a port a
process's user-level stack binds is reserved here, so the OS stack refuses it (EADDRINUSE), and
the other way round. A holder may claim a port it already holds again (a listener and the
connections it accepted share the port; SO_REUSEADDR); each claim is released once.
"""

from __future__ import annotations

import errno
import random

EPHEMERAL_LOW, EPHEMERAL_HIGH = 49152, 65535  # IANA dynamic range (RFC 6335)


class PortSpace:
    def __init__(self, seed: int | None = None) -> None:
        self._held: dict[tuple[int, int], tuple[str, int]] = {}  # (proto, port) -> (holder, n)
        self._rng = random.Random(seed)

    def holder(self, proto: int, port: int) -> str | None:
        entry = self._held.get((proto, port))
        return None if entry is None else entry[0]

    def claim(self, proto: int, port: int, holder: str) -> int:
        """Reserve ``port`` (0: a free ephemeral port) for ``holder``; return the port.

        Raises EADDRINUSE when another holder has it, EADDRNOTAVAIL when no ephemeral port is
        free, EINVAL for a port outside 0..65535."""
        if not 0 <= port < 65536:
            raise OSError(errno.EINVAL, f"port {port} is outside 0..65535")
        if port == 0:
            port = self.free_port(proto)
        key = (proto, port)
        entry = self._held.get(key)
        if entry is not None and entry[0] != holder:
            raise OSError(errno.EADDRINUSE, f"port {port} is held by {entry[0]}")
        self._held[key] = (holder, 1 if entry is None else entry[1] + 1)
        return port

    def release(self, proto: int, port: int, holder: str) -> None:
        key = (proto, port)
        entry = self._held.get(key)
        if entry is None or entry[0] != holder:
            raise ValueError(f"{holder} does not hold port {port}/{proto}")
        if entry[1] == 1:
            del self._held[key]
        else:
            self._held[key] = (holder, entry[1] - 1)

    def free_port(self, proto: int) -> int:
        """An ephemeral port nobody holds (not reserved: ``claim`` it)."""
        span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1
        start = self._rng.randrange(span)
        for i in range(span):
            port = EPHEMERAL_LOW + (start + i) % span
            if (proto, port) not in self._held:
                return port
        raise OSError(errno.EADDRNOTAVAIL, "no free ephemeral port")

    def claims_of(self, holder: str) -> PortClaims:
        return PortClaims(self, holder)


class PortClaims:
    """One holder's view of a port space: what an ``Interface`` reserves its ports through."""

    def __init__(self, space: PortSpace, holder: str) -> None:
        self.space = space
        self.holder = holder

    def claim(self, proto: int, port: int) -> int:
        return self.space.claim(proto, port, self.holder)

    def release(self, proto: int, port: int) -> None:
        self.space.release(proto, port, self.holder)

    def held(self, proto: int, port: int) -> bool:
        return self.space.holder(proto, port) == self.holder
