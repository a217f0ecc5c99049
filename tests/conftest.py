"""Suite-wide pytest hooks: the traces a WAVES=1 run wrote reach the user in the summary (each
simulation's own `waveform:` line is in captured output, which pytest hides when it passes)."""

from __future__ import annotations

import os
import time

from tb.runner import VCD_FALLBACK, WAVES_DIR

_session_start = time.time()


def pytest_sessionstart(session) -> None:
    global _session_start
    _session_start = time.time()


def pytest_terminal_summary(terminalreporter) -> None:
    log = WAVES_DIR / "written.log"
    if not log.exists():
        return
    written = []
    for line in log.read_text().splitlines():
        stamp, _, path = line.partition(" ")
        # the user's traces (tests that check tracing write theirs elsewhere)
        if (stamp.replace(".", "", 1).isdigit() and float(stamp) >= _session_start
                and path.startswith(str(WAVES_DIR))):
            written.append(path)
    if written:
        terminalreporter.section("waveforms")
        for path in written:
            terminalreporter.write_line(f"waveform: {path}")
        if not os.environ.get("WAVES_FORMAT") and any(p.endswith(".vcd") for p in written):
            terminalreporter.write_line(VCD_FALLBACK)
