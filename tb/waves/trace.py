"""What a trace file holds, read without a waveform library: its signal names as GTKWave shows
them (``scope.sub.name[msb:lsb]``), its end time and its time unit.

VCD is read directly: the header up to ``$enddefinitions``, and the last time stamp from the
file's tail. FST is read through GTKWave's own ``fst2vcd`` (only its header: the conversion is
stopped there), so an FST trace needs GTKWave installed, as viewing it does anyway.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tb.errors import SettingError

_TIMESCALE = {"s": 10**12, "ms": 10**9, "us": 10**6, "ns": 10**3, "ps": 1, "fs": 0}


class TraceError(SettingError):
    """A trace that cannot be read: the message is one line for the user."""


@dataclass
class TraceInfo:
    path: Path
    signals: list[str]      # full names, in the trace's order
    top: str                # the first scope below $rootio: the sim top module
    timescale_ps: float     # one trace time unit in ps
    end_time: int | None    # last time stamp (trace units), None if not known (FST)
    start_time: int = 0     # first time stamp (a trace window starts late: WAVES_FROM)
    ids: dict[str, str] = field(default_factory=dict, repr=False)  # name -> VCD identifier

    def changes(self, names: Iterable[str]) -> Iterator[tuple[int, str, str]]:
        """(time, name, value) of every change of the named signals, in time order; values
        as the VCD has them ("1", "0", "x", or the bits of a vector)."""
        want: dict[str, list[str]] = {}
        for name in names:
            want.setdefault(self.ids[name], []).append(name)
        now = 0
        for line in _body_lines(self.path):
            c = line[:1]
            if c == "#":
                now = int(line[1:])
            elif c in "01xzXZ":
                ident = line[1:].rstrip("\n")
                for name in want.get(ident, ()):
                    yield now, name, c
            elif c in "bB":
                bits, _, ident = line[1:].rstrip("\n").partition(" ")
                for name in want.get(ident, ()):
                    yield now, name, bits


@contextmanager
def _vcd_text(path: Path) -> Iterator[Iterator[str]]:
    """The trace's lines as VCD text: the file itself, or GTKWave's fst2vcd reading an FST
    (stopped when the caller has read what it needs)."""
    if path.suffix == ".vcd":
        with open(path, errors="replace") as f:
            yield f
        return
    tool = shutil.which("fst2vcd")
    if tool is None:
        raise TraceError(f"{path.name} is FST: reading it needs GTKWave's fst2vcd "
                         "(Debian: apt-get install gtkwave), or record VCD with WAVES_FORMAT=vcd")
    proc = subprocess.Popen([tool, "-f", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, errors="replace")
    try:
        yield proc.stdout
    finally:
        proc.kill()  # our own child
        proc.wait()


def _header(lines: Iterator[str]) -> Iterator[str]:
    """The definitions, through ``$enddefinitions``; ``lines`` is left at the value changes."""
    for line in lines:
        yield line
        if "$enddefinitions" in line:
            return


def _body_lines(path: Path) -> Iterator[str]:
    with _vcd_text(path) as lines:
        for _ in _header(lines):
            pass
        yield from lines


def _parse_header(lines: Iterable[str]) -> tuple[dict[str, str], str, float]:
    scopes: list[str] = []
    signals: dict[str, str] = {}
    top = ""
    timescale_ps = 1.0
    text = iter(lines)
    for line in text:
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0] == "$timescale":
            spec = " ".join(tokens[1:])
            while "$end" not in spec:
                spec += " " + next(text).strip()
            m = re.match(r"\s*(\d+)\s*(s|ms|us|ns|ps|fs)", spec)
            if m:
                timescale_ps = int(m.group(1)) * (_TIMESCALE[m.group(2)] or 0.001)
        elif tokens[0] == "$scope" and len(tokens) >= 3:
            scopes.append(tokens[2])
            if len(scopes) == 1 and tokens[2] != "$rootio" and not top:
                top = tokens[2]
        elif tokens[0] == "$upscope" and scopes:
            scopes.pop()
        elif tokens[0] == "$var" and len(tokens) >= 5:
            name = tokens[4]
            if len(tokens) > 5 and tokens[5] != "$end":
                name += tokens[5]  # a separate range: "[4:0]"
            if scopes and scopes[0] != "$rootio":
                signals[".".join(scopes + [name])] = tokens[3]
    return signals, top, timescale_ps


def _vcd_times(path: Path) -> tuple[int, int | None]:
    """The first and last time stamps of a VCD: after the header, and in the file's tail."""
    start = 0
    for line in _body_lines(path):
        if line.startswith("#"):
            start = int(line[1:])
            break
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 65536))
        tail = f.read()
    stamps = re.findall(rb"^#(\d+)\s*$", tail, re.M)
    return start, (int(stamps[-1]) if stamps else None)


def read(path: Path | str) -> TraceInfo:
    path = Path(path)
    if not path.is_file():
        raise TraceError(f"no trace at {path}")
    if path.suffix not in (".vcd", ".fst"):
        raise TraceError(f"{path.name}: not a trace this project writes (.vcd or .fst)")
    with _vcd_text(path) as lines:
        ids, top, ts = _parse_header(_header(lines))
    # the end of an FST is known only after converting all of it: the view then does not zoom
    start, end = _vcd_times(path) if path.suffix == ".vcd" else (0, None)
    if not ids:
        raise TraceError(f"{path} holds no signals (an unfinished or empty trace?)")
    signals = list(ids)
    return TraceInfo(path, signals, top or signals[0].split(".", 1)[0], ts, end, start, ids)


def newest(folder: Path) -> Path | None:
    traces = [p for p in folder.glob("*") if p.suffix in (".vcd", ".fst")]
    return max(traces, key=os.path.getmtime) if traces else None
