"""The NIC VI as a stack device: zero copy both ways.

``transmit(length)`` hands the stack a registered packet buffer of the process (a direct view of
its physical memory) to build the frame in; ``commit`` posts it as a TX descriptor, so the NIC
DMA-reads the frame from where the stack wrote it. ``receive`` lends the stack the RX buffer the
NIC wrote the frame into; ``release`` gives it back for re-posting. Checksums are offloaded both
ways (the NIC inserts them on TX and reports their status on RX).

Doorbells are register writes across the bus, the expensive part of talking to a NIC, so they
are coalesced as a kernel-bypass driver does: ``submit`` (called by the interface once per poll)
rings the TX doorbell once for every frame the poll posted, re-posts freed RX buffers in batches
of ``rx_refill_batch`` and writes the event queue read index once. A long poll also rings the TX
doorbell every ``tx_push_batch`` frames so the NIC can start early.

With ``interrupts=True`` every read-index write also re-arms the VI's interrupt, so the line is
armed whenever the process goes to sleep and rises (moderated by the VI's VI_IRQ_MOD) as soon as
an event is written: a blocked process can sleep on the line instead of spinning.
"""

from __future__ import annotations

from collections import deque

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.vi import Vi

from .device import Device, DeviceCapabilities, RxToken, TxToken


def checksum_verdicts(rx_flags: int) -> tuple[bool | None, bool | None]:
    """The NIC's RXF_* bits as the stack's (ip_checksum_ok, l4_checksum_ok): None where the NIC
    did not check, False for a frame whose IPv4 length is a lie."""
    ip_ok = bool(rx_flags & L.RXF_IP_CSUM_OK) if rx_flags & L.RXF_IP else None
    l4_ok = bool(rx_flags & L.RXF_L4_CSUM_OK) if rx_flags & L.RXF_L4 else None
    if rx_flags & L.RXF_TRUNCATED:
        ip_ok = False
    return ip_ok, l4_ok


class _ViTxToken(TxToken):
    __slots__ = ("_on_abort",)

    def __init__(self, buffer, on_commit, on_abort) -> None:
        super().__init__(buffer, on_commit)
        self._on_abort = on_abort

    def abort(self) -> None:
        if not self._done:
            self._on_abort()
        super().abort()


class ViDevice(Device):
    def __init__(self, vi: Vi, tx_pool: BufferPool, rx_pool: BufferPool, *, mtu: int = 1500,
                 offload: bool = True, interrupts: bool = False, tx_push_batch: int = 32,
                 rx_refill_batch: int = 16) -> None:
        if mtu + 14 > min(tx_pool.size, rx_pool.size):
            raise ValueError(f"MTU {mtu} does not fit packet buffers of "
                             f"{min(tx_pool.size, rx_pool.size)} bytes")
        self.vi = vi
        self.tx_pool = tx_pool
        self.rx_pool = rx_pool
        self.offload = offload
        self.interrupts = interrupts
        self.tx_push_batch = max(1, tx_push_batch)
        self.rx_refill_batch = max(1, min(rx_refill_batch, len(rx_pool.buffers) // 2))
        self._tx_unpushed = 0
        self.doorbells = 0  # TX and RX doorbell writes (for measurements)
        self.capabilities = DeviceCapabilities(mtu=mtu, tx_checksum_ipv4=offload,
                                               tx_checksum_l4=offload, rx_checksum_ipv4=True,
                                               rx_checksum_l4=True)
        self._received: deque = deque()
        self.faults: list = []
        self.tx_frames = 0
        self.rx_frames = 0
        self._refill()
        if interrupts:
            vi.arm_interrupt()

    def _refill(self) -> None:
        if self.rx_pool.post_rx(self.vi):
            self.doorbells += 1

    def _push_tx(self) -> None:
        if self._tx_unpushed:
            self.vi.tx_push()
            self._tx_unpushed = 0
            self.doorbells += 1

    def submit(self) -> None:
        """Once per poll: ring the TX doorbell for what the poll posted, re-post freed RX
        buffers when a batch has gathered (or the ring runs low), acknowledge the events taken
        (and re-arm the interrupt)."""
        self._push_tx()
        pool = self.rx_pool
        if pool.available >= self.rx_refill_batch or (
                pool.available and self.vi.rx_posted < self.rx_refill_batch):
            self._refill()
        self.vi.ack_events(arm=self.interrupts)

    def service(self) -> None:
        """Reap events: completed TX buffers back to the pool, received frames queued."""
        for ev in self.vi.poll(256, ack=False):
            if ev.type == L.EV_TYPE_TX:
                self.tx_pool.free_completed(ev.cookies)
            elif ev.type == L.EV_TYPE_RX:
                self._received.append(ev)
            else:
                self.faults.append(ev)

    def receive(self, now: float | None = None) -> RxToken | None:
        if not self._received:
            self.service()
            if not self._received:
                return None
        ev = self._received.popleft()
        bufs = ev.cookies
        if len(bufs) == 1:
            frame = bufs[0].view[:ev.length]  # the NIC's write, lent as it is
        else:  # a frame over several buffers: the one place a copy is needed
            frame = b"".join(bytes(b.view) for b in bufs)[:ev.length]

        def release() -> None:  # re-posted by the next submit, in a batch
            for b in bufs:
                self.rx_pool.free(b)

        ip_ok, l4_ok = checksum_verdicts(ev.rx_flags)
        self.rx_frames += 1
        return RxToken(frame, release, ip_checksum_ok=ip_ok, l4_checksum_ok=l4_ok)

    def transmit(self, length: int, now: float | None = None) -> TxToken | None:
        if length > self.tx_pool.size:
            raise ValueError(f"frame of {length} bytes is larger than a packet buffer")
        if not self.tx_pool.available or self.vi.tx_space < 1:
            self._push_tx()  # let the NIC complete what is posted
            self.service()
            if not self.tx_pool.available or self.vi.tx_space < 1:
                return None
        buf = self.tx_pool.alloc()

        def commit(_view) -> None:
            self.vi.tx_post([(buf.iova, length)], csum_ip=self.offload, csum_l4=self.offload,
                            cookie=[buf])
            self.tx_frames += 1
            self._tx_unpushed += 1
            if self._tx_unpushed >= self.tx_push_batch:
                self._push_tx()

        return _ViTxToken(buf.view[:length], commit, lambda: self.tx_pool.free(buf))

    def poll_at(self) -> float | None:
        return None
