"""`make lint` is clean: Verilator -Wall finds nothing in rtl/nic or in the sim tops of tb/hdl
(so a model build prints no warnings either), and ruff finds nothing in the Python."""

import subprocess
import sys

from tb.runner import ROOT


def test_make_lint_is_clean():
    res = subprocess.run([sys.executable, "-m", "host.cli", "lint"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert "%Warning" not in out and "%Error" not in out
    for target in ("lint rtl/nic: nic DATA_WIDTH=512", "lint tb/hdl: tb_two_hosts DATA_WIDTH=64",
                   "lint tb/hdl: tb_nic DATA_WIDTH=64 EXT_MEM=1"):
        assert target in out
