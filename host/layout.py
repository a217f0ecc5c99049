"""The one source of truth for the NIC's host-visible layout.

Register map, descriptor and event formats are defined here once. The Python drivers import them;
the RTL includes ``rtl/nic/nic_defs.vh``, which is generated from this file by
``python -m host.layout`` (``make gen``) and checked to be up to date by the test suite.

Conventions
- All multi-byte values in host memory are little endian. Descriptors and events are 16-byte
  records, described as bit fields of one 128-bit little-endian integer.
- Ring indices are free-running 16-bit counters; the slot is ``index & (size - 1)``.
- Every address the NIC is given (ring bases, buffer addresses) is an I/O virtual address (IOVA)
  translated by the buffer table: IOVA page ``n`` is buffer-table entry ``n``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = 4096
PAGE_SHIFT = 12

NIC_ID = 0x4E494353  # "NICS"
NIC_VERSION = 0x00010000  # major.minor in 16.16

# ---------------------------------------------------------------- register space (AXI4-Lite BAR)
# Page 0 is privileged (kernel driver only). VI ``v`` owns page ``1 + v``, which holds only its
# doorbells, so the OS can map exactly that page into the process that owns the VI.


def vi_page_base(vi: int) -> int:
    """Byte offset of VI ``vi``'s doorbell page in the register space."""
    return PAGE_SIZE * (1 + vi)


@dataclass(frozen=True)
class Reg:
    name: str
    offset: int
    access: str  # "RO", "RW", "WO"
    doc: str


PRIV_REGS = [
    Reg("ID", 0x000, "RO", "identification, reads NIC_ID"),
    Reg("VERSION", 0x004, "RO", "version, major.minor in 16.16"),
    Reg("CONFIG0", 0x008, "RO", "[7:0] NUM_VI, [15:8] log2 BUFTBL_SIZE, [23:16] log2 FILTER_SIZE, "
        "[31:24] DATA_WIDTH/8"),
    Reg("CONFIG1", 0x00C, "RO", "[15:0] TX_MAX_FRAME bytes, [23:16] max ring log2"),
    Reg("CONTROL", 0x010, "RW", "bit0 TX enable, bit1 RX enable"),
    Reg("MAC_LO", 0x014, "RW", "own MAC address bytes 2..5 (byte 2 in [31:24])"),
    Reg("MAC_HI", 0x018, "RW", "own MAC address bytes 0..1 (byte 0 in [15:8])"),
    Reg("IRQ_STATUS", 0x01C, "RO", "bit v: VI v's interrupt line is asserted"),
    # buffer table window: stage an entry, then write BT_COMMIT
    Reg("BT_INDEX", 0x020, "RW", "buffer-table entry (= IOVA page number) to write"),
    Reg("BT_PAGE", 0x024, "RW", "host physical page number (physical address >> 12)"),
    Reg("BT_OWNER", 0x028, "RW", "[15:0] owner tag, [31] valid"),
    Reg("BT_COMMIT", 0x02C, "WO", "any write stores the staged entry at BT_INDEX"),
    # DMA fence: after invalidating entries, a page may be reused only once the fence is done
    Reg("BT_FENCE", 0x030, "WO", "any write starts a DMA fence: it completes once no DMA that "
        "used a translation looked up before the write is still in flight"),
    Reg("BT_FENCE_STATUS", 0x034, "RO", "[0] fence in progress, [1] current fence epoch, "
        "[2] accounting error (sticky), [3] a further fence queued, [15:4] translations the "
        "fence waits for (previous epoch), [27:16] translations in flight of the current epoch"),
    # VI setup window: select a VI, stage its configuration, then write VI_COMMIT
    Reg("VI_SELECT", 0x040, "RW", "VI whose configuration the window shows"),
    Reg("VI_OWNER", 0x044, "RW", "[15:0] owner tag every DMA of this VI is checked against"),
    Reg("VI_TXQ_BASE_LO", 0x048, "RW", "TX descriptor ring IOVA [31:0]"),
    Reg("VI_TXQ_BASE_HI", 0x04C, "RW", "TX descriptor ring IOVA [63:32]"),
    Reg("VI_TXQ_LOG2", 0x050, "RW", "log2 of the TX ring size in descriptors"),
    Reg("VI_RXQ_BASE_LO", 0x054, "RW", "RX descriptor ring IOVA [31:0]"),
    Reg("VI_RXQ_BASE_HI", 0x058, "RW", "RX descriptor ring IOVA [63:32]"),
    Reg("VI_RXQ_LOG2", 0x05C, "RW", "log2 of the RX ring size in descriptors"),
    Reg("VI_EVQ_BASE_LO", 0x060, "RW", "event queue IOVA [31:0]"),
    Reg("VI_EVQ_BASE_HI", 0x064, "RW", "event queue IOVA [63:32]"),
    Reg("VI_EVQ_LOG2", 0x068, "RW", "log2 of the event queue size in events"),
    Reg("VI_IRQ_MOD", 0x06C, "RW", "interrupt moderation: minimum cycles between interrupts"),
    Reg("VI_COMMIT", 0x070, "WO", "bit0=1: load the staged configuration, zero the VI's "
        "indices, clear its fault and enable it; bit0=0: disable it"),
    Reg("VI_STATUS", 0x074, "RO", "[0] enabled, [1] faulted, [2] event writes in flight, "
        "[15:8] fault code, [31:16] TX consumer index"),
    Reg("VI_EVQ_PROD", 0x078, "RO", "[15:0] event queue producer index, [31:16] RX consumer index"),
    # filter table window (receive steering)
    Reg("FILT_INDEX", 0x080, "RW", "filter table entry to write"),
    Reg("FILT_CTRL", 0x084, "RW", "[0] valid, [1] full 5-tuple match, [15:8] IP protocol, "
        "[31:16] destination VI"),
    Reg("FILT_LOCAL_IP", 0x088, "RW", "local (destination) IPv4 address"),
    Reg("FILT_PORTS", 0x08C, "RW", "[15:0] local port, [31:16] remote port"),
    Reg("FILT_REMOTE_IP", 0x090, "RW", "remote (source) IPv4 address"),
    Reg("FILT_COMMIT", 0x094, "WO", "any write stores the staged filter at FILT_INDEX"),
]

PRIV_REG = {r.name: r.offset for r in PRIV_REGS}

STATS_BASE = 0x400
"""Statistics counters: 32-bit, wrapping, read-only, at ``STATS_BASE + 4 * index``."""

STATS = [
    ("TX_FRAMES", "frames sent on the wire"),
    ("TX_BYTES", "bytes sent on the wire (without FCS)"),
    ("TX_DESCS", "TX descriptors consumed"),
    ("DMA_FAULTS", "DMA requests refused by the buffer table (any path)"),
    ("TX_ERRORS", "TX frames abandoned (fault or bad descriptor)"),
    ("EVENTS", "events written"),
    ("EVENTS_LOST", "events that could not be written (event queue fault or full)"),
    ("RX_FRAMES", "frames delivered to a VI"),
    ("RX_BYTES", "bytes delivered to a VI"),
    ("RX_DROP_NO_DESC", "frames dropped: no RX descriptor posted"),
    ("RX_DROP_EVQ_FULL", "frames dropped: event queue full"),
    ("RX_DROP_RUNT", "frames dropped: shorter than 60 bytes"),
    ("RX_DROP_OVERSIZE", "frames dropped: longer than RX_MAX_FRAME"),
    ("RX_DROP_MAC", "frames dropped: destination MAC neither own nor broadcast"),
    ("RX_DROP_FAULT", "frames dropped: RX DMA fault"),
    ("RX_BAD_IP", "frames with a truncated IPv4 header, bad IHL or bad total length (flagged)"),
    ("RX_BAD_IP_CSUM", "IPv4 header checksum failures (flagged)"),
    ("RX_BAD_L4_CSUM", "UDP/TCP checksum failures (flagged)"),
    ("RX_FILTER_HITS", "frames steered by a filter"),
    ("RX_FILTER_MISSES", "frames that matched no filter (to VI 0)"),
    ("RX_DROP_FIFO", "frames dropped: RX packet buffer full"),
]


def stat_offset(name: str) -> int:
    return STATS_BASE + 4 * [n for n, _ in STATS].index(name)


VI_REGS = [
    Reg("TX_DOORBELL", 0x000, "WO", "[15:0] TX producer index (descriptors posted)"),
    Reg("RX_DOORBELL", 0x004, "WO", "[15:0] RX producer index (buffers posted)"),
    Reg("EVQ_READ", 0x008, "WO", "[15:0] event queue read index; [31] arm the interrupt"),
]

VI_REG = {r.name: r.offset for r in VI_REGS}

MAX_RING_LOG2 = 12
TX_MAX_FRAME = 9216  # bytes; a TX frame longer than this is a bad descriptor
RX_MAX_FRAME = 9216  # bytes; longer frames on the wire are dropped as oversize

# ------------------------------------------------------------------- records in host memory


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


class Record:
    """A 128-bit little-endian record made of bit fields."""

    SIZE = 16

    def __init__(self, name: str, fields: list[Field]):
        self.name = name
        self.fields = {f.name: f for f in fields}
        used = 0
        for f in fields:
            bits = f.mask << f.lsb
            if used & bits or f.lsb + f.width > 8 * self.SIZE:
                raise ValueError(f"{name}.{f.name} overlaps or overflows")
            used |= bits

    def pack_int(self, **values: int) -> int:
        word = 0
        for key, value in values.items():
            f = self.fields[key]
            if not 0 <= value <= f.mask:
                raise ValueError(f"{self.name}.{key}={value} does not fit {f.width} bits")
            word |= value << f.lsb
        return word

    def pack(self, **values: int) -> bytes:
        return self.pack_int(**values).to_bytes(self.SIZE, "little")

    def unpack(self, raw: bytes | memoryview) -> dict[str, int]:
        word = int.from_bytes(raw[: self.SIZE], "little")
        return {f.name: (word >> f.lsb) & f.mask for f in self.fields.values()}


TX_DESC = Record("TXD", [
    Field("ADDR", 0, 64),      # IOVA of the segment's first byte
    Field("LEN", 64, 16),      # segment length in bytes, > 0
    Field("EOP", 80, 1),       # last segment of the frame
    Field("CSUM_IP", 81, 1),   # insert the IPv4 header checksum (flag of the frame's first segment)
    Field("CSUM_L4", 82, 1),   # insert the UDP/TCP checksum (flag of the frame's first segment)
])

RX_DESC = Record("RXD", [
    Field("ADDR", 0, 64),      # IOVA of the buffer
    Field("LEN", 64, 16),      # buffer size in bytes, > 0
])

EVENT = Record("EV", [
    Field("TYPE", 0, 4),       # EV_TYPE_*
    Field("CODE", 8, 8),       # ERR_* for error events, 0 otherwise
    Field("INDEX", 16, 16),    # TX: ring index of the frame's last descriptor; RX: of its first
    Field("LEN", 32, 16),      # frame length in bytes
    Field("FILTER", 48, 16),   # RX: filter table entry that steered the frame (0xFFFF: none)
    Field("VI", 64, 8),        # VI the event belongs to
    Field("RX_FLAGS", 80, 8),  # RXF_* bits
    Field("NDESC", 88, 8),     # descriptors the frame used
    Field("PHASE", 127, 1),    # 1 in the queue's first lap, flips every lap
])

# the doorbell broadcast inside the NIC (nic_regs -> the engines): which VI register was written
DB_KIND_TX = 0        # TX_DOORBELL: new TX producer index
DB_KIND_RX = 1        # RX_DOORBELL: new RX producer index
DB_KIND_EVQ_READ = 2  # EVQ_READ: the host's event queue read index

EV_TYPE_TX = 1
EV_TYPE_RX = 2
EV_TYPE_ERROR = 3

ERR_TX_DESC_FAULT = 1   # a TX descriptor fetch was refused by the buffer table
ERR_TX_READ_FAULT = 2   # a TX packet read was refused by the buffer table
ERR_TX_BAD_DESC = 3     # zero length, or frame longer than TX_MAX_FRAME
ERR_RX_DESC_FAULT = 4   # an RX descriptor fetch was refused
ERR_RX_WRITE_FAULT = 5  # an RX packet write was refused
ERR_EVQ_FAULT = 6       # the event queue itself is unreachable (reported in VI_STATUS only)

RXF_IP = 1 << 0           # frame is IPv4 with a sane header
RXF_IP_CSUM_OK = 1 << 1   # IPv4 header checksum verified good
RXF_L4 = 1 << 2           # frame is UDP or TCP (not a fragment) and was checked
RXF_L4_CSUM_OK = 1 << 3   # UDP/TCP checksum verified good
RXF_FILTER_HIT = 1 << 4   # steered by a filter (not the default VI 0)
RXF_TRUNCATED = 1 << 5    # IPv4 length disagrees with the frame (bad IHL, total length)

IPPROTO_TCP = 6
IPPROTO_UDP = 17

# ------------------------------------------ the split driver's kernel/user-space interface
# Not seen by the NIC's register decoder: pages the kernel shares with the user-space driver of a
# host in split mode (host.kernel.tunnel). Page 0 holds four free-running 32-bit indices; then
# come the OUT ring (kernel -> user-space driver -> NIC) and the IN ring (NIC -> user-space
# driver -> kernel), TUNNEL_SLOT_SIZE bytes per slot, so a slot never crosses a page. A slot
# starts with a TUNNEL_RECORD; the frame's bytes start TUNNEL_DATA_OFFSET bytes in, and the
# user-space driver gives the NIC exactly those bytes to read (OUT) or write (IN).

TUNNEL_INDEX = {
    "OUT_PROD": 0x0,  # written by the kernel: records queued for the wire
    "OUT_CONS": 0x4,  # written by the user-space driver: records the NIC has sent
    "IN_PROD": 0x8,   # written by the user-space driver: received frames handed to the kernel
    "IN_CONS": 0xC,   # written by the kernel: records taken (their slots may be reused)
}
TUNNEL_SLOT_SIZE = 2048
TUNNEL_DATA_OFFSET = 64
TUNNEL_MAX_FRAME = TUNNEL_SLOT_SIZE - TUNNEL_DATA_OFFSET

TUNNEL_RECORD = Record("TUN", [
    Field("LEN", 0, 16),     # frame length in bytes, 14..TUNNEL_MAX_FRAME
    Field("FLAGS", 16, 8),   # OUT: TUNF_* offload requests; IN: the NIC's RXF_* verdicts
])

TUNF_CSUM_IP = 1 << 0  # OUT: the NIC inserts the IPv4 header checksum
TUNF_CSUM_L4 = 1 << 1  # OUT: the NIC inserts the UDP/TCP checksum

# ---------------------------------------------------------------- Verilog header generation

VERILOG_HEADER = Path(__file__).resolve().parent.parent / "rtl" / "nic" / "nic_defs.vh"


def _module_constants() -> list[tuple[str, int, str]]:
    out: list[tuple[str, int, str]] = [
        ("NIC_ID", NIC_ID, "identification register value"),
        ("NIC_VERSION", NIC_VERSION, "version register value"),
        ("PAGE_SHIFT", PAGE_SHIFT, "4 KiB pages"),
        ("MAX_RING_LOG2", MAX_RING_LOG2, "largest ring size, log2"),
        ("TX_MAX_FRAME", TX_MAX_FRAME, "longest TX frame, bytes"),
        ("RX_MAX_FRAME", RX_MAX_FRAME, "longest RX frame, bytes"),
    ]
    out += [(f"REG_{r.name}", r.offset, f"{r.access}: {r.doc}") for r in PRIV_REGS]
    out += [(f"VIREG_{r.name}", r.offset, f"{r.access}: {r.doc}") for r in VI_REGS]
    out.append(("STATS_BASE", STATS_BASE, "statistics counters, 4 bytes each"))
    out.append(("STAT_COUNT", len(STATS), "number of statistics counters"))
    out += [(f"STAT_{n}", i, doc) for i, (n, doc) in enumerate(STATS)]
    for rec in (TX_DESC, RX_DESC, EVENT):
        for f in rec.fields.values():
            out.append((f"{rec.name}_{f.name}_LSB", f.lsb, ""))
            out.append((f"{rec.name}_{f.name}_W", f.width, ""))
    mod = sys.modules[__name__]
    for prefix in ("DB_KIND_", "EV_TYPE_", "ERR_", "RXF_", "IPPROTO_"):
        out += [(k, getattr(mod, k), "") for k in dir(mod) if k.startswith(prefix)]
    return out


def verilog_header() -> str:
    lines = [
        "// nic_defs.vh: register map, descriptor and event layouts of the NIC.",
        "// GENERATED from host/layout.py by `python -m host.layout`; do not edit by hand.",
        "// Include inside a module body: the constants are localparams.",
        "",
    ]
    for name, value, doc in _module_constants():
        comment = f"  // {doc}" if doc else ""
        lines.append(f"localparam integer {name} = 32'h{value:08x};{comment}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = verilog_header()
    if argv and argv[0] == "--check":
        current = VERILOG_HEADER.read_text() if VERILOG_HEADER.exists() else ""
        if current != text:
            print(f"{VERILOG_HEADER} is out of date: run `make gen`", file=sys.stderr)
            return 1
        return 0
    VERILOG_HEADER.write_text(text)
    print(f"wrote {VERILOG_HEADER}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
