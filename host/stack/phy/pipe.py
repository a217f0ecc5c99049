"""An in-memory point-to-point link with seeded, deterministic impairments.

``PipeDevice.pair(...)`` returns two devices; what one transmits the other receives, after the
configured delay, in the time the stack passes in (``now``, float seconds). Impairments are drawn
from a ``random.Random`` seeded per direction, so a run is reproducible given the seed and the
sequence of calls.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from .device import Device, DeviceCapabilities, RxToken, TxToken


@dataclass
class Impairments:
    loss: float = 0.0          # probability a frame is dropped
    duplicate: float = 0.0     # probability a frame is delivered twice
    reorder: float = 0.0       # probability a frame is held back by ``reorder_delay``
    reorder_delay: float = 0.003
    corrupt: float = 0.0       # probability one random bit of the frame is flipped
    delay: float = 0.0         # one-way propagation delay, seconds
    jitter: float = 0.0        # uniform extra delay in [0, jitter)
    rate_bps: float | None = None  # serialisation rate; None = infinitely fast
    queue_limit: int = 1000    # frames waiting in the link; more are tail-dropped


@dataclass
class LinkStats:
    sent: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    corrupted: int = 0
    queue_drops: int = 0


@dataclass
class _Direction:
    imp: Impairments
    rng: random.Random
    heap: list = field(default_factory=list)  # (deliver_at, order, frame)
    order: int = 0
    link_free_at: float = 0.0
    stats: LinkStats = field(default_factory=LinkStats)


class PipeDevice(Device):
    def __init__(self, tx: _Direction, rx: _Direction, capabilities: DeviceCapabilities) -> None:
        self._tx = tx
        self._rx = rx
        self.capabilities = capabilities
        self._now = 0.0
        self.tx_frames = 0
        self.rx_frames = 0
        self.taps: list = []  # callables(frame: bytes, now) observing every transmitted frame
        self.drop_filter = None  # callable(frame) -> True to drop it (targeted loss in tests)

    @classmethod
    def pair(cls, seed: int = 0, impairments: Impairments | None = None,
             impairments_back: Impairments | None = None,
             capabilities: DeviceCapabilities | None = None) -> tuple[PipeDevice, PipeDevice]:
        """Two connected devices. ``impairments`` apply a->b, ``impairments_back`` b->a (default:
        the same settings, drawn from an independent stream)."""
        imp_ab = impairments or Impairments()
        imp_ba = impairments_back or imp_ab
        ab = _Direction(imp_ab, random.Random(seed * 2 + 1))
        ba = _Direction(imp_ba, random.Random(seed * 2 + 2))
        caps = capabilities or DeviceCapabilities()
        return cls(ab, ba, caps), cls(ba, ab, DeviceCapabilities(**vars(caps)))

    def set_impairments(self, impairments: Impairments) -> None:
        """Change the impairments of the direction this device transmits into."""
        self._tx.imp = impairments

    @property
    def link_stats(self) -> LinkStats:
        """Statistics of the direction this device transmits into."""
        return self._tx.stats

    def _advance(self, now: float | None) -> None:
        if now is not None and now > self._now:
            self._now = now

    def receive(self, now: float | None = None) -> RxToken | None:
        self._advance(now)
        heap = self._rx.heap
        if heap and heap[0][0] <= self._now:
            frame = heapq.heappop(heap)[2]
            self.rx_frames += 1
            self._rx.stats.delivered += 1
            return RxToken(frame)
        return None

    def transmit(self, length: int, now: float | None = None) -> TxToken | None:
        self._advance(now)
        return TxToken(bytearray(length), self._send)

    def poll_at(self) -> float | None:
        heap = self._rx.heap
        return heap[0][0] if heap else None

    def _send(self, frame: memoryview) -> None:
        d = self._tx
        imp, rng, st = d.imp, d.rng, d.stats
        now = self._now
        self.tx_frames += 1
        st.sent += 1
        data = frame.obj if isinstance(frame.obj, bytearray) and len(frame.obj) == len(frame) \
            else bytearray(frame)
        for tap in self.taps:
            tap(bytes(data), now)
        if self.drop_filter is not None and self.drop_filter(data):
            st.lost += 1
            return
        if imp.loss and rng.random() < imp.loss:
            st.lost += 1
            return
        if len(d.heap) >= imp.queue_limit:
            st.queue_drops += 1
            return
        if imp.rate_bps:
            start = max(now, d.link_free_at)
            d.link_free_at = start + len(data) * 8 / imp.rate_bps
            depart = d.link_free_at
        else:
            depart = now
        copies = 2 if imp.duplicate and rng.random() < imp.duplicate else 1
        if copies == 2:
            st.duplicated += 1
        for _ in range(copies):
            frame_copy = data if copies == 1 else bytearray(data)
            at = depart + imp.delay
            if imp.jitter:
                at += rng.random() * imp.jitter
            if imp.reorder and rng.random() < imp.reorder:
                st.reordered += 1
                at += imp.reorder_delay
            if imp.corrupt and rng.random() < imp.corrupt and frame_copy:
                st.corrupted += 1
                frame_copy = bytearray(frame_copy)
                pos = rng.randrange(len(frame_copy))
                frame_copy[pos] ^= 1 << rng.randrange(8)
            d.order += 1
            heapq.heappush(d.heap, (at, d.order, frame_copy))
