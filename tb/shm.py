"""Python side of the regions shared with the DPI-C models (tb/dpi/nicsim_dpi.cpp).

The layout constants are read from ``tb/dpi/nicsim_shm.h``, their one definition. A region is a
file ``$NICSIM_SHM_DIR/region<ID>`` that both sides map; Python creates it before the simulation
first touches it.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

HEADER = Path(__file__).resolve().parent / "dpi" / "nicsim_shm.h"


def _read_defines(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    pattern = r"^#define[ \t]+(\w+)[ \t]+(.+?)[ \t]*(?://.*)?$"
    for name, expr in re.findall(pattern, path.read_text(), re.M):
        expr = re.sub(r"([0-9a-fA-F])ULL\b", r"\1", expr)
        if name.endswith("_H"):
            continue
        values[name] = int(eval(expr, {}, dict(values)))  # noqa: S307 - our own header
    return values


D = _read_defines(HEADER)

DEFAULT_MEM_SIZE = 64 << 20


def shm_dir() -> Path:
    path = os.environ.get("NICSIM_SHM_DIR")
    if not path:
        raise RuntimeError("NICSIM_SHM_DIR is not set: simulations must be started by tb.runner")
    return Path(path)


def open_region(region_id: int, size: int) -> mmap.mmap:
    """Create (or reuse) region ``region_id`` of ``size`` bytes, zeroed, and map it."""
    path = shm_dir() / f"region{region_id}"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.ftruncate(fd, 0)  # zero: a fresh region for each test
        os.ftruncate(fd, size)
        return mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    finally:
        os.close(fd)


def host_memory(host: int, size: int = DEFAULT_MEM_SIZE) -> mmap.mmap:
    return open_region(D["NICSIM_MEM_REGION_BASE"] + host, size)


@dataclass
class DmaAccess:
    cycle: int
    addr: int
    length: int
    write: bool


class DmaLog:
    """Every burst the DMA memory of one host accepted, while enabled."""

    ENTRY = struct.Struct("<QQII")

    def __init__(self, host: int):
        self.mm = open_region(D["NICSIM_LOG_REGION_BASE"] + host, D["LOG_REGION_SIZE"])
        self.seen = 0
        self.lost = 0  # entries overwritten before a drain read them (the log is a ring)

    def enable(self, on: bool = True) -> None:
        struct.pack_into("<Q", self.mm, D["LOG_OFF_ON"], int(on))

    def drain(self) -> list[DmaAccess]:
        count = struct.unpack_from("<Q", self.mm, D["LOG_OFF_COUNT"])[0]
        start = max(self.seen, count - D["LOG_ENTRIES"])
        self.lost += start - self.seen
        out = []
        for i in range(start, count):
            off = D["LOG_OFF_ENTRIES"] + (i % D["LOG_ENTRIES"]) * D["LOG_ENTRY_SIZE"]
            cycle, addr, length, kind = self.ENTRY.unpack_from(self.mm, off)
            out.append(DmaAccess(cycle, addr, length, bool(kind)))
        self.seen = count
        return out


@dataclass
class WireFrame:
    data: bytes
    cycle: int
    bad: bool = False


class WireChannel:
    """One direction of the simulated wire: impairments, capture ring and inject ring."""

    COUNTERS = ["frames_in", "frames_out", "lost", "duplicated", "reordered", "corrupted",
                "capture_overflow", "queue_overflow"]

    LINE_RATE_GBPS = 100.0  # the default: 100 GbE

    def __init__(self, channel: int, pcap=None, clock_ns: float = 4.0):
        self.mm = open_region(D["NICSIM_CHAN_REGION_BASE"] + channel, D["CHAN_REGION_SIZE"])
        struct.pack_into("<Q", self.mm, D["CHAN_OFF_MAGIC"], D["CHAN_MAGIC"])
        self.capture = True
        self.line_rate_gbps = self.LINE_RATE_GBPS
        self.clock_ns = clock_ns
        self.pcap = pcap  # a scapy RawPcapWriter shared by the channels of one wire, or None

    @property
    def capture(self) -> bool:
        return bool(struct.unpack_from("<Q", self.mm, D["CHAN_OFF_CAPTURE_ON"])[0])

    @capture.setter
    def capture(self, on: bool) -> None:
        struct.pack_into("<Q", self.mm, D["CHAN_OFF_CAPTURE_ON"], int(on))

    @property
    def line_rate_gbps(self) -> float | None:
        """Frames leave this channel at most at this rate, with 24 bytes of FCS, preamble and
        gap per frame (the far NIC sees a real wire's spacing); None: back to back at the full
        stream rate (DATA_WIDTH bits per cycle)."""
        mbps = struct.unpack_from("<I", self.mm, D["CHAN_OFF_LINE_MBPS"])[0]
        return mbps / 1000 if mbps else None

    @line_rate_gbps.setter
    def line_rate_gbps(self, gbps: float | None) -> None:
        if gbps is not None and not 0.001 <= gbps <= 4000:
            raise ValueError(f"line rate {gbps} Gbps is outside 0.001..4000")
        struct.pack_into("<I", self.mm, D["CHAN_OFF_LINE_MBPS"], round((gbps or 0) * 1000))

    def impair(self, *, seed: int = 1, loss: float = 0.0, duplicate: float = 0.0,
               reorder: float = 0.0, corrupt: float = 0.0, delay_cycles: int = 0,
               reorder_cycles: int = 2000) -> None:
        """Set the impairments (probabilities per frame); the same seed replays exactly."""
        for name, p in (("LOSS", loss), ("DUP", duplicate), ("REORDER", reorder),
                        ("CORRUPT", corrupt)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name.lower()} probability {p} is outside [0, 1]")
            struct.pack_into("<I", self.mm, D[f"CHAN_OFF_{name}_PPM"], round(p * 1_000_000))
        struct.pack_into("<I", self.mm, D["CHAN_OFF_DELAY_CYCLES"], delay_cycles)
        struct.pack_into("<I", self.mm, D["CHAN_OFF_REORDER_CYCLES"], reorder_cycles)
        struct.pack_into("<Q", self.mm, D["CHAN_OFF_SEED"], seed)
        gen = struct.unpack_from("<Q", self.mm, D["CHAN_OFF_SEED_GEN"])[0]
        struct.pack_into("<Q", self.mm, D["CHAN_OFF_SEED_GEN"], gen + 1)

    def counters(self) -> dict[str, int]:
        vals = struct.unpack_from("<8Q", self.mm, D["CHAN_OFF_COUNTERS"])
        return dict(zip(self.COUNTERS, vals, strict=True))

    def _ring(self, which: str) -> tuple[int, int, int]:
        hdr = D[f"CHAN_OFF_{which}_RING"]
        first = D["CHAN_OFF_SLOTS"]
        if which == "INJECT":
            first += D["CHAN_CAPTURE_SLOTS"] * D["CHAN_SLOT_SIZE"]
        return hdr, first, D[f"CHAN_{which}_SLOTS"]

    def captured(self) -> list[WireFrame]:
        """Frames seen on this wire since the last call, oldest first."""
        hdr, first, nslots = self._ring("CAPTURE")
        wr, rd = struct.unpack_from("<QQ", self.mm, hdr)
        out = []
        for i in range(rd, wr):
            off = first + (i % nslots) * D["CHAN_SLOT_SIZE"]
            length, flags, cycle = struct.unpack_from("<IIQ", self.mm, off)
            start = off + D["CHAN_SLOT_HDR"]
            out.append(WireFrame(bytes(self.mm[start:start + length]), cycle, bool(flags & 1)))
        struct.pack_into("<Q", self.mm, hdr + 8, wr)
        if self.pcap is not None:
            for f in out:
                ns = int(f.cycle * self.clock_ns)
                # a nanosecond pcap: "usec" carries the nanoseconds after the second
                self.pcap.write_packet(f.data, sec=ns // 10**9, usec=ns % 10**9)
        return out

    def inject(self, frame: bytes, bad: bool = False) -> None:
        """Queue a frame to be sent on this wire as it is (no impairment)."""
        if len(frame) > D["CHAN_SLOT_SIZE"] - D["CHAN_SLOT_HDR"]:
            raise ValueError(f"frame of {len(frame)} bytes is larger than a wire slot")
        hdr, first, nslots = self._ring("INJECT")
        wr, rd = struct.unpack_from("<QQ", self.mm, hdr)
        if wr - rd >= nslots:
            raise BufferError("inject ring full: let the simulation run before injecting more")
        off = first + (wr % nslots) * D["CHAN_SLOT_SIZE"]
        struct.pack_into("<IIQ", self.mm, off, len(frame), int(bad), 0)
        start = off + D["CHAN_SLOT_HDR"]
        self.mm[start:start + len(frame)] = frame
        struct.pack_into("<Q", self.mm, hdr, wr + 1)

    def inject_pending(self) -> int:
        hdr, _, _ = self._ring("INJECT")
        wr, rd = struct.unpack_from("<QQ", self.mm, hdr)
        return wr - rd
