"""The kernel/user-space interface of a split-mode host (WO 2004/001615): the kernel's own frames
are tunnelled through a user-space driver, which alone drives the NIC's data path.

The interface is a pair of rings in pages the kernel owns and shares with the user-space driver
process (layout: ``host.layout.TUNNEL_*``), and a wake-up each way:

- OUT: the OS stack builds a frame in the next OUT slot, writes its record and moves
  ``OUT_PROD``; the user-space driver posts the slot's bytes as a TX descriptor (the NIC reads
  the frame from the shared page: no copy) and moves ``OUT_CONS`` once the NIC has sent it.
- IN: the user-space driver posts IN slots as RX buffers of its VI (VI 0, where filter misses
  land), writes each received frame's record and moves ``IN_PROD``; the kernel copies the frame
  out of the slot, moves ``IN_CONS`` and hands the copy to its stack.

The kernel trusts nothing the user-space driver writes: an index out of range or a record whose
length is impossible is refused and counted, and the kernel stays up. It copies each IN frame
before parsing it, so the driver cannot change a frame under the stack's parser.

``KernelTunnel`` is the kernel's end and the OS stack's device; ``TunnelRings`` is either end's
view of the shared pages, through its own address space.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from host import layout as L
from host.process import Process
from host.stack.phy.device import Device, DeviceCapabilities, RxToken, TxToken
from host.stack.phy.vi import checksum_verdicts

INDEX_MASK = 0xFFFFFFFF  # the indices are free-running 32-bit counters
MIN_FRAME = 14           # an Ethernet header


class TunnelRings:
    """The shared pages as one address space maps them: the four indices and the slots."""

    def __init__(self, proc: Process, vaddr: int, entries: int) -> None:
        if entries < 2 or entries & (entries - 1):
            raise ValueError(f"tunnel rings of {entries} entries: need a power of two >= 2")
        self.proc = proc
        self.vaddr = vaddr
        self.entries = entries
        self.mask = entries - 1
        self._ring_base = {"OUT": vaddr + L.PAGE_SIZE,
                           "IN": vaddr + L.PAGE_SIZE + entries * L.TUNNEL_SLOT_SIZE}

    @staticmethod
    def length(entries: int) -> int:
        """Bytes of shared memory for rings of ``entries`` slots each (the index page first)."""
        return L.PAGE_SIZE + 2 * entries * L.TUNNEL_SLOT_SIZE

    @property
    def slots_vaddr(self) -> int:
        """Where the slots start (the part the NIC reads and writes)."""
        return self.vaddr + L.PAGE_SIZE

    def read_index(self, name: str) -> int:
        return int.from_bytes(self.proc.read(self.vaddr + L.TUNNEL_INDEX[name], 4), "little")

    def write_index(self, name: str, value: int) -> None:
        raw = (value & INDEX_MASK).to_bytes(4, "little")
        self.proc.write(self.vaddr + L.TUNNEL_INDEX[name], raw)

    def slot(self, ring: str, seq: int) -> int:
        """Virtual address of the slot that holds record ``seq`` of ``ring``."""
        return self._ring_base[ring] + (seq & self.mask) * L.TUNNEL_SLOT_SIZE

    def read_record(self, ring: str, seq: int) -> tuple[int, int]:
        """(length, flags) of record ``seq``, read once: what is checked is what is used."""
        fields = L.TUNNEL_RECORD.unpack(self.proc.read(self.slot(ring, seq), L.Record.SIZE))
        return fields["LEN"], fields["FLAGS"]

    def write_record(self, ring: str, seq: int, length: int, flags: int) -> None:
        self.proc.write(self.slot(ring, seq), L.TUNNEL_RECORD.pack(LEN=length, FLAGS=flags))

    def put_frame(self, ring: str, seq: int, frame: bytes, flags: int,
                  length: int | None = None) -> None:
        """Write ``frame`` into slot ``seq`` and its record (``length``: what the record
        claims, the frame's own by default); the index is the caller's to move."""
        self.data(ring, seq, len(frame))[:] = frame
        self.write_record(ring, seq, len(frame) if length is None else length, flags)

    def data(self, ring: str, seq: int, length: int) -> memoryview:
        """The frame bytes of slot ``seq`` (a direct view: one slot lies within one page)."""
        return self.proc.view(self.slot(ring, seq) + L.TUNNEL_DATA_OFFSET, length)


def ahead(later: int, earlier: int) -> int:
    """How far free-running index ``later`` is past ``earlier``."""
    return (later - earlier) & INDEX_MASK


@dataclass
class TunnelMapping:
    """What the user-space driver process gets from ``KernelDriver.open_tunnel``: where the
    shared pages are in its address space, and the wake-up it rings for the kernel."""

    vaddr: int
    entries: int
    wake_kernel: Callable[[], None]


@dataclass
class TunnelStats:
    """The kernel's end of the tunnel: its frames each way, and what it refused."""

    out_frames: int = 0      # frames the kernel queued for the wire
    out_bytes: int = 0
    in_frames: int = 0       # frames received through the user-space driver
    in_bytes: int = 0
    in_skipped: int = 0      # empty IN records (slots the driver gave back unused)
    bad_index: int = 0       # an index from the user-space driver out of range: refused
    bad_length: int = 0      # an IN record with an impossible length: refused, skipped
    no_driver: int = 0       # frames the kernel could not send: no user-space driver attached
    attaches: int = 0        # user-space drivers that connected
    detaches: int = 0

    @property
    def bytes_copied_in(self) -> int:
        """Bytes copied out of the shared slots: every IN frame is (the kernel parses a copy)."""
        return self.in_bytes


class KernelTunnel(Device):
    """The kernel's end of the interface, and the device its OS stack runs on.

    The shared pages are the kernel's for its whole life: a user-space driver that connects
    (``connect``) gets them mapped into its address space with every index zero, and one that
    stops (``disconnect``) loses the mapping; frames queued at that moment are lost, as on a
    link that goes down. Without a driver, ``transmit`` refuses (counted in ``no_driver``) and
    ``link_up`` is False, which the OS's socket calls report as ENETDOWN.
    """

    def __init__(self, kernel: Process, entries: int = 256, mtu: int = 1500) -> None:
        if mtu + MIN_FRAME > L.TUNNEL_MAX_FRAME:
            raise ValueError(f"MTU {mtu} does not fit a tunnel slot of "
                             f"{L.TUNNEL_MAX_FRAME} frame bytes")
        self.kernel = kernel
        length = TunnelRings.length(entries)
        self.rings = TunnelRings(kernel, kernel.mmap_anonymous(length), entries)
        self.length = length
        self.capabilities = DeviceCapabilities(mtu=mtu, tx_checksum_ipv4=True,
                                               tx_checksum_l4=True, rx_checksum_ipv4=True,
                                               rx_checksum_l4=True)
        self.stats = TunnelStats()
        self.wake_driver: Callable[[], None] | None = None
        self.on_wake: Callable[[], None] = lambda: None  # run the OS stack (set by its host)
        self.driver: Process | None = None
        self._driver_vaddr = 0
        self._reset_indices()

    def _reset_indices(self) -> None:
        for name in L.TUNNEL_INDEX:
            self.rings.write_index(name, 0)
        self._out_prod = self._out_cons = self._in_cons = 0
        self._bad_seen: dict[str, int] = {}
        self._wake_pending = False
        self._in_freed = 0  # IN slots taken since the driver was last woken

    def pages(self) -> set[int]:
        """Physical addresses of the shared pages."""
        return set(self.kernel.physical_pages(self.rings.vaddr, self.length))

    # ------------------------------------------------------------------- the driver's side
    def connect(self, proc: Process, wake_driver: Callable[[], None]) -> TunnelMapping:
        """Attach ``proc`` as the user-space driver: map the shared pages into it."""
        if self.driver is not None:
            raise RuntimeError(f"{self.driver.name} is already the user-space driver")
        self._reset_indices()
        pages = self.kernel.physical_pages(self.rings.vaddr, self.length)
        self._driver_vaddr = proc.map_shared(pages)
        self.driver = proc
        self.wake_driver = wake_driver
        self.stats.attaches += 1
        return TunnelMapping(self._driver_vaddr, self.rings.entries, self.wake)

    def disconnect(self) -> None:
        """The user-space driver stopped: unmap the shared pages from it; the link is down."""
        if self.driver is None:
            return
        self.driver.munmap(self._driver_vaddr, self.length)
        self.driver = None
        self.wake_driver = None
        self.stats.detaches += 1

    def wake(self) -> None:
        """The user-space driver's wake-up for the kernel (it published IN records, or sent OUT
        ones)."""
        self.on_wake()

    @property
    def link_up(self) -> bool:
        return self.driver is not None

    # ---------------------------------------------------------------- checked driver input
    def _index(self, name: str, low: int, high: int) -> int | None:
        """Index ``name`` as the driver wrote it, if it lies in [low, high] (free-running);
        otherwise None, counted once per bad value (the kernel polls it often)."""
        value = self.rings.read_index(name)
        if ahead(value, low) <= ahead(high, low):
            self._bad_seen.pop(name, None)
            return value
        if self._bad_seen.get(name) != value:
            self._bad_seen[name] = value
            self.stats.bad_index += 1
        return None

    def _reap_out(self) -> None:
        cons = self._index("OUT_CONS", self._out_cons, self._out_prod)
        if cons is not None:
            self._out_cons = cons

    # ------------------------------------------------------------------------------ Device
    def transmit(self, length: int, now: float | None = None) -> TxToken | None:
        if length > L.TUNNEL_MAX_FRAME:
            raise ValueError(f"frame of {length} bytes is larger than a tunnel slot")
        if self.driver is None:
            self.stats.no_driver += 1
            return None
        self._reap_out()
        if ahead(self._out_prod, self._out_cons) >= self.rings.entries:
            self._wake_pending = True  # full: let the driver drain it
            return None
        seq = self._out_prod
        rings = self.rings

        def commit(_view) -> None:
            flags = L.TUNF_CSUM_IP | L.TUNF_CSUM_L4
            rings.write_record("OUT", seq, length, flags)
            self._out_prod = (seq + 1) & INDEX_MASK
            rings.write_index("OUT_PROD", self._out_prod)
            self.stats.out_frames += 1
            self.stats.out_bytes += length
            self._wake_pending = True

        return TxToken(rings.data("OUT", seq, length), commit)

    def receive(self, now: float | None = None) -> RxToken | None:
        if self.driver is None:
            return None
        rings = self.rings
        while True:
            prod = self._index("IN_PROD", self._in_cons, self._in_cons + rings.entries)
            if prod is None or prod == self._in_cons:
                return None
            seq = self._in_cons
            length, flags = rings.read_record("IN", seq)
            frame = bytes(rings.data("IN", seq, length)) if MIN_FRAME <= length <= \
                L.TUNNEL_MAX_FRAME else None
            self._in_cons = (seq + 1) & INDEX_MASK
            rings.write_index("IN_CONS", self._in_cons)  # copied: the slot may be reused
            self._in_freed += 1
            if self._in_freed >= rings.entries // 2:  # the driver's RX slots run low
                self._wake_pending = True
            if length == 0:
                self.stats.in_skipped += 1
            elif frame is None:
                self.stats.bad_length += 1
            else:
                break
        st = self.stats
        st.in_frames += 1
        st.in_bytes += length
        ip_ok, l4_ok = checksum_verdicts(flags)
        return RxToken(frame, None, ip_checksum_ok=ip_ok, l4_checksum_ok=l4_ok)

    def submit(self) -> None:
        """End of a poll: one wake-up for the driver if the poll queued frames, or took half
        the IN ring (the driver re-posts taken slots whenever it runs anyway, so a slot taken
        alone is no reason to wake it)."""
        if self._wake_pending and self.wake_driver is not None:
            self._wake_pending = False
            self._in_freed = 0
            self.wake_driver()
