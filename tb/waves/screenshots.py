"""Screenshots of each flow's GTKWave view, from real runs, for docs/waveforms.md.

    python -m tb.waves.screenshots [--out docs/waves]

Runs one short traced scenario per flow (DATA_WIDTH 64, a trace window), writes the view of
each with ``tb.waves.layouts``, opens it in GTKWave on a virtual screen (Xvfb) and saves the
screen as ``<flow>.png``. Needs Debian's gtkwave, xvfb and imagemagick (``import``); it is not
part of ``make test``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tb.runner import ROOT, build, sim_top, trace_path
from tb.waves import layouts, trace

SCREEN = "1600x1000x24"
# flow -> (sim top, scenario module, test, environment, trace window in ns)
RUNS = {
    "tx": ("tb_nic", "tb.scenarios.demo", "udp_burst", {"NICSIM_DEMO_FRAMES": "16"},
           (2000, 6000)),
    "rx": ("tb_two_hosts", "tb.scenarios.demo", "udp_ping_pong", {"NICSIM_DEMO_ROUNDS": "1"},
           (2000, 8000)),
    "udp": ("tb_two_hosts", "tb.scenarios.demo", "udp_ping_pong", {"NICSIM_DEMO_ROUNDS": "1"},
            (0, 12000)),
    "tcp": ("tb_two_hosts", "tb.scenarios.test_tcp", "tcp_echo_between_hosts", {},
            (0, 40000)),
}


def record(flow: str, out: Path) -> Path:
    top, module, test, env, (start, stop) = RUNS[flow]
    model = build(sim_top(top, 64, waves=True))
    path = out / trace_path(module, test, model.spec.trace_format).name
    env = {"NICSIM_DEMO_DIR": str(out), "NICSIM_DMA_LATENCY": "125", "WAVES_FROM": str(start),
           "WAVES_TO": str(stop), **env}
    model.run(module, testcase=test, trace_file=path, extra_env=env,
              results_name=f"screenshot-{flow}")
    return path


def shoot(trace_file: Path, view: Path, png: Path, settle_s: float = 6.0) -> None:
    """GTKWave on a fresh virtual screen, then a picture of the whole screen."""
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", SCREEN, "-nolisten",
                             "tcp"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        display = ":" + xvfb.stdout.readline().strip()
        env = {"DISPLAY": display, "PATH": "/usr/bin:/bin"}
        viewer = subprocess.Popen(["gtkwave", str(trace_file), str(view)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(settle_s)
            subprocess.run(["import", "-window", "root", str(png)], env=env, check=True,
                           timeout=60)
        finally:
            viewer.terminate()
            viewer.wait(timeout=10)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tb.waves.screenshots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "waves"))
    parser.add_argument("flows", nargs="*", default=list(RUNS), help=" ".join(RUNS))
    args = parser.parse_args(argv)
    missing = [t for t in ("gtkwave", "Xvfb", "import") if shutil.which(t) is None]
    if missing:
        print(f"screenshots: needs {', '.join(missing)} (Debian: apt-get install gtkwave xvfb "
              "imagemagick)", file=sys.stderr)
        return 2
    bad = [f for f in args.flows if f not in RUNS]
    if bad:
        print(f"screenshots: no flow {bad[0]!r}: give {' '.join(RUNS)}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nicsim-shots-") as tmp:
        for flow in args.flows:
            info = trace.read(record(flow, Path(tmp)))
            view, left_out = layouts.write_view(info, layouts.LAYOUTS[flow])
            png = out / f"{flow}.png"
            shoot(info.path, view, png)
            print(f"{flow}: {png} ({info.path.stat().st_size // 1024} KiB trace, "
                  f"{left_out} signals left out)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
