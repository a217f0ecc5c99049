"""The device interface the stack drives, in smoltcp's token shape.

``device.receive(now)`` returns an :class:`RxToken` (or None when nothing is waiting). The token's
``buffer`` is a memoryview of the received frame; the stack parses it in place and then calls
``release()`` (or leaves a ``with`` block) to hand the buffer back to the device.

``device.transmit(length, now)`` returns a :class:`TxToken` (or None when the device has no free
buffer). Its ``buffer`` is a writable memoryview of exactly ``length`` bytes -- on the NIC this is
the process's registered DMA buffer -- and the stack builds the frame *in place* in it. ``commit()``
(or leaving a ``with`` block without an exception) sends the frame; ``abort()`` discards it.

``now`` is the stack's time in float seconds; devices that model time (the pipe) use it, others
ignore it. ``device.submit()`` ends a poll: the interface calls it once after each ``poll`` so a
device that batches (the NIC VI: descriptors posted per frame, one doorbell per poll) hands over
what the poll queued; devices that send at ``commit`` need not define it. A device may also
offer ``poll_at() -> float | None``: the time it next has a frame to deliver, which the interface
folds into its own ``poll_at`` so a simulator can sleep exactly.

Checksum offload (``DeviceCapabilities``):
- ``tx_checksum_ipv4`` / ``tx_checksum_l4``: the device computes and inserts the checksum. The
  stack then writes ZERO in the checksum field (not a pseudo-header sum): the NIC computes the full
  checksum, pseudo-header included, over the segment with the field zero, and inserts it.
- ``rx_checksum_ipv4`` / ``rx_checksum_l4``: the device verifies. The stack skips verification
  unless the token says the check failed (``ip_checksum_ok`` / ``l4_checksum_ok`` is False).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeviceCapabilities:
    mtu: int = 1500  # IP MTU; the frame is mtu + 14 bytes
    tx_checksum_ipv4: bool = False
    tx_checksum_l4: bool = False
    rx_checksum_ipv4: bool = False
    rx_checksum_l4: bool = False

    @property
    def max_frame(self) -> int:
        return self.mtu + 14


class RxToken:
    """A received frame lent to the stack until ``release()``."""

    __slots__ = ("buffer", "ip_checksum_ok", "l4_checksum_ok", "_on_release")

    def __init__(self, buffer, on_release=None, ip_checksum_ok: bool | None = None,
                 l4_checksum_ok: bool | None = None) -> None:
        self.buffer = memoryview(buffer)
        self.ip_checksum_ok = ip_checksum_ok
        self.l4_checksum_ok = l4_checksum_ok
        self._on_release = on_release

    def release(self) -> None:
        cb, self._on_release = self._on_release, None
        if cb is not None:
            cb()

    def __enter__(self) -> RxToken:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class TxToken:
    """A writable frame buffer of a fixed length; ``commit()`` sends it, ``abort()`` drops it."""

    __slots__ = ("buffer", "_on_commit", "_done")

    def __init__(self, buffer, on_commit) -> None:
        self.buffer = memoryview(buffer)
        self._on_commit = on_commit
        self._done = False

    def commit(self) -> None:
        if not self._done:
            self._done = True
            self._on_commit(self.buffer)

    def abort(self) -> None:
        self._done = True

    def __enter__(self) -> TxToken:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class Device:
    """Base class documenting the interface; subclasses override the methods."""

    capabilities: DeviceCapabilities = DeviceCapabilities()
    link_up: bool = True  # False: the device cannot send at all (no way to the wire)

    def receive(self, now: float | None = None) -> RxToken | None:
        raise NotImplementedError

    def transmit(self, length: int, now: float | None = None) -> TxToken | None:
        raise NotImplementedError

    def poll_at(self) -> float | None:
        return None

    def submit(self) -> None:
        """End of a poll: hand the hardware whatever this poll queued (doorbells)."""

    def fileno(self) -> int | None:
        """A file descriptor that becomes readable when a frame arrives, if any."""
        return None

    def close(self) -> None:
        pass
