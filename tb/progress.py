"""What the command line shows while it builds and runs simulations: one line per step (what
runs, how far along, how long it took and about how long is left), with each step's own output
(compiler, simulator and cocotb logs) in a log file of its own, whose folder is named once.
``verbose`` sends that output to the terminal instead, as it comes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tb.runner import BUILD_ROOT, Model, ModelSpec, build


class Steps:
    def __init__(self, command: str, total: int, verbose: bool = False) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.verbose = verbose
        self.spent = 0.0
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_dir = BUILD_ROOT / "logs" / f"{command}-{stamp}"
        if not verbose:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            print(f"logs: {self.log_dir} (-v prints them instead)", flush=True)

    def _log(self, name: str) -> Path | None:
        return None if self.verbose else self.log_dir / f"{self.done + 1:02d}-{name}.log"

    def _line(self, what: str, started: float, log: Path | None) -> None:
        took = time.time() - started
        self.spent += took
        self.done += 1
        left = (self.spent / self.done) * (self.total - self.done)
        tail = f", about {left:.0f} s left" if self.done < self.total else ""
        print(f"[{self.done}/{self.total}] {what} ({took:.1f} s{tail})", flush=True)

    def model(self, spec: ModelSpec) -> Model:
        """Build (or find in the cache) one model, as one step."""
        params = " ".join(f"{k}={v}" for k, v in spec.parameters)
        name = f"build-{spec.top}"
        log = self._log(name)
        started = time.time()
        try:
            model = build(spec, log=log)
        except BaseException:
            self._failed(f"building {spec.top} {params}", log)
            raise
        how = "built" if model.built_now else "from the cache"
        self._line(f"{spec.top} {params}: {how}", started, log)
        return model

    def run(self, model: Model, module: str, testcase: str | None = None, **kw) -> None:
        """Run one scenario on ``model``, as one step."""
        if isinstance(testcase, (list, tuple)):
            name = "+".join(testcase)[:60]
        else:
            name = testcase or module.rsplit(".", 1)[-1]
        log = self._log(name)
        started = time.time()
        try:
            model.run(module, testcase=testcase, log=log, **kw)
        except BaseException:
            self._failed(name, log)
            raise
        self._line(f"{name}: passed", started, log)

    @staticmethod
    def _failed(what: str, log: Path | None) -> None:
        if log is None or not log.exists():
            return
        lines = log.read_text(errors="replace").splitlines()
        print(f"{what} failed; the end of {log}:", file=sys.stderr)
        for line in lines[-25:]:
            print(f"  {line}", file=sys.stderr)
