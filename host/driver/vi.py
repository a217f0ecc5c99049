"""User-space VI driver (ef_vi-like): the data path of one VI, run entirely in the owning process.

It writes descriptors into the process's own mapping of the rings, rings the doorbell with a
posted store to the VI's doorbell page, and polls the event queue in the process's memory. The
kernel is not involved after ``KernelDriver.alloc_vi``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from host import layout as L
from host.driver.kernel import ViResource


class RingFull(BufferError):
    """Not enough free descriptors: reclaim completions (poll events) and try again."""


class ViFaulted(RuntimeError):
    """The NIC faulted this VI (see the error event); it must be reset by the kernel driver."""


@dataclass
class Event:
    type: int
    code: int
    index: int
    length: int
    filter: int
    vi: int
    rx_flags: int
    ndesc: int
    cookies: list[Any] = field(default_factory=list)  # what the completed descriptors carried

    @property
    def kind(self) -> str:
        return {L.EV_TYPE_TX: "tx", L.EV_TYPE_RX: "rx", L.EV_TYPE_ERROR: "error"}.get(
            self.type, f"unknown({self.type})")

    @classmethod
    def from_record(cls, fields: dict[str, int]) -> Event:
        return cls(type=fields["TYPE"], code=fields["CODE"], index=fields["INDEX"],
                   length=fields["LEN"], filter=fields["FILTER"], vi=fields["VI"],
                   rx_flags=fields["RX_FLAGS"], ndesc=fields["NDESC"])


class _Ring:
    """Producer/consumer bookkeeping of one descriptor ring (16-bit free-running indices)."""

    def __init__(self, ring):
        self.ring = ring
        self.mask = ring.entries - 1
        self.prod = 0      # descriptors written
        self.pushed = 0    # producer index last given to the NIC
        self.cons = 0      # descriptors completed and reclaimed
        self.cookies: list[Any] = [None] * ring.entries

    @property
    def space(self) -> int:
        return self.ring.entries - (self.prod - self.cons)

    def slot_vaddr(self, index: int) -> int:
        return self.ring.vaddr + 16 * (index & self.mask)

    def reclaim_through(self, index16: int) -> list[Any]:
        """Complete every descriptor up to and including ring index ``index16``."""
        count = ((index16 - self.cons) & 0xFFFF) + 1
        if count > self.prod - self.cons:
            raise ViFaulted(f"NIC completed index {index16} beyond what was posted")
        out = []
        for _ in range(count):
            slot = self.cons & self.mask
            out.append(self.cookies[slot])
            self.cookies[slot] = None
            self.cons += 1
        return out


class Vi:
    def __init__(self, res: ViResource):
        self.res = res
        self.proc = res.process
        self.tx = _Ring(res.txq)
        self.rx = _Ring(res.rxq)
        self.evq_read = 0
        self.evq_read_told = 0  # the read index last written to the NIC (EVQ_READ)
        self.evq_writes = 0     # EVQ_READ writes so far (each also clears the interrupt line)
        self.evq_mask = res.evq.entries - 1
        self.evq_log2 = res.evq.log2
        self.fault: Event | None = None

    @property
    def vi(self) -> int:
        return self.res.vi

    # ------------------------------------------------------------------------------------ TX
    def tx_post(self, segments: Sequence[tuple[int, int]], *, csum_ip: bool = False,
                csum_l4: bool = False, cookie: Any = None) -> int:
        """Post one frame as descriptors for its segments ``(iova, length)``; return its index.

        Nothing is sent until ``tx_push``. ``cookie`` comes back with the frame's TX event.
        """
        if self.fault is not None:
            raise ViFaulted(f"VI {self.vi} is faulted (error code {self.fault.code})")
        if not segments:
            raise ValueError("a frame needs at least one segment")
        total = 0
        for iova, length in segments:
            if not 0 < length <= 0xFFFF:
                raise ValueError(f"segment length {length} is outside 1..65535")
            if iova < 0 or iova >> 64:
                raise ValueError(f"segment address {iova:#x} is not a 64-bit IOVA")
            total += length
        if total > L.TX_MAX_FRAME:
            raise ValueError(f"frame of {total} bytes exceeds the NIC's {L.TX_MAX_FRAME}")
        if len(segments) > self.tx.space:
            raise RingFull(f"TX ring of VI {self.vi} has {self.tx.space} free descriptors, "
                           f"{len(segments)} needed")
        last = len(segments) - 1
        for i, (iova, length) in enumerate(segments):
            desc = L.TX_DESC.pack(ADDR=iova, LEN=length, EOP=int(i == last),
                                  CSUM_IP=int(csum_ip), CSUM_L4=int(csum_l4))
            self.proc.write(self.tx.slot_vaddr(self.tx.prod), desc)
            self.tx.cookies[self.tx.prod & self.tx.mask] = cookie if i == last else None
            self.tx.prod += 1
        return (self.tx.prod - 1) & 0xFFFF

    def tx_push(self) -> None:
        """Ring the TX doorbell: the NIC may now send everything posted."""
        if self.tx.pushed != self.tx.prod:
            self.proc.write32(self.res.doorbell + L.VI_REG["TX_DOORBELL"], self.tx.prod & 0xFFFF)
            self.tx.pushed = self.tx.prod

    @property
    def tx_space(self) -> int:
        return self.tx.space

    @property
    def tx_in_flight(self) -> int:
        return self.tx.prod - self.tx.cons

    # ------------------------------------------------------------------------------------ RX
    def rx_post(self, iova: int, length: int, cookie: Any = None) -> None:
        if self.fault is not None:
            raise ViFaulted(f"VI {self.vi} is faulted (error code {self.fault.code})")
        if not 0 < length <= 0xFFFF:
            raise ValueError(f"RX buffer length {length} is outside 1..65535")
        if self.rx.space < 1:
            raise RingFull(f"RX ring of VI {self.vi} is full")
        self.proc.write(self.rx.slot_vaddr(self.rx.prod), L.RX_DESC.pack(ADDR=iova, LEN=length))
        self.rx.cookies[self.rx.prod & self.rx.mask] = cookie
        self.rx.prod += 1

    def rx_push(self) -> None:
        if self.rx.pushed != self.rx.prod:
            self.proc.write32(self.res.doorbell + L.VI_REG["RX_DOORBELL"], self.rx.prod & 0xFFFF)
            self.rx.pushed = self.rx.prod

    @property
    def rx_space(self) -> int:
        return self.rx.space

    @property
    def rx_posted(self) -> int:
        return self.rx.prod - self.rx.cons

    # -------------------------------------------------------------------------------- events
    def _expected_phase(self) -> int:
        return 1 - ((self.evq_read >> self.evq_log2) & 1)

    def poll(self, max_events: int = 64, *, ack: bool = True) -> list[Event]:
        """Take up to ``max_events`` new events; TX/RX events carry their descriptors' cookies.

        With ``ack`` (the default) the new read index is written to the NIC at once; a caller
        that polls in batches passes ``ack=False`` and calls ``ack_events`` once per batch (it
        must do so before letting time pass: the NIC counts unacknowledged events as queue
        occupancy)."""
        events = []
        while len(events) < max_events:
            vaddr = self.res.evq.vaddr + 16 * (self.evq_read & self.evq_mask)
            raw = self.proc.view(vaddr, 16)
            fields = L.EVENT.unpack(raw)
            if fields["PHASE"] != self._expected_phase():
                break
            ev = Event.from_record(fields)
            self.evq_read += 1
            if ev.type == L.EV_TYPE_TX:
                ev.cookies = [c for c in self.tx.reclaim_through(ev.index) if c is not None]
            elif ev.type == L.EV_TYPE_RX:
                last = (ev.index + max(ev.ndesc, 1) - 1) & 0xFFFF
                ev.cookies = self.rx.reclaim_through(last)
            elif ev.type == L.EV_TYPE_ERROR:
                self.fault = ev
            events.append(ev)
        if events and ack:
            self.ack_events()
        return events

    def ack_events(self, arm: bool = False) -> None:
        """Write the event queue read index to the NIC if it moved since the last write (this
        also clears the VI's interrupt line); with ``arm``, the write also re-arms the
        interrupt, so the line rises on the next event."""
        if self.evq_read != self.evq_read_told:
            self._write_evq_read(arm)

    def arm_interrupt(self) -> None:
        """Ask for an interrupt when the next event arrives (level line, moderated)."""
        self._write_evq_read(True)

    def _write_evq_read(self, arm: bool) -> None:
        self.proc.write32(self.res.doorbell + L.VI_REG["EVQ_READ"],
                          (int(arm) << 31) | (self.evq_read & 0xFFFF))
        self.evq_read_told = self.evq_read
        self.evq_writes += 1

    async def reset(self, kernel) -> None:
        """After a fault: have the kernel re-enable the VI; posted work is forgotten."""
        await kernel.reset_vi(self.res)
        self.__init__(self.res)
