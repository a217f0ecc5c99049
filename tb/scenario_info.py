"""What a cocotb scenario module declares, read from its source without importing it (importing
would need a simulator): its tests, and the sim top each runs on.

A module names its top with ``SIM_TOP = "tb_two_hosts"``, or per test with
``SIM_TOPS = {"udp_burst": "tb_nic", ...}`` when its tests need different tops.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from pathlib import Path

from tb.errors import SettingError

ROOT = Path(__file__).resolve().parent.parent


def source(module: str) -> Path:
    """The file of ``module``, looked for as the simulation will (the project, then the current
    folder, then the path); SettingError (one line) if there is none."""
    saved = list(sys.path)
    sys.path[:0] = [p for p in (str(ROOT), os.getcwd()) if p not in sys.path]
    try:
        spec = importlib.util.find_spec(module)
    except (ModuleNotFoundError, ValueError):
        spec = None
    finally:
        sys.path[:] = saved
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise SettingError(f"no scenario module {module!r} (for example tb.scenarios.test_tx)")
    return Path(spec.origin)


def cocotb_tests(module: str) -> list[str]:
    """Names of the @cocotb.test() coroutines of a scenario module, in file order."""
    names = []
    for node in ast.parse(source(module).read_text()).body:
        if isinstance(node, ast.AsyncFunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if ast.unparse(target) == "cocotb.test":
                    names.append(node.name)
    if not names:
        raise SettingError(f"{module} has no cocotb tests")
    return names


def sim_tops(module: str) -> dict[str, str]:
    """test name -> the sim top it declares (empty if the module declares none)."""
    tests = cocotb_tests(module)
    for node in ast.parse(source(module).read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = getattr(node.targets[0], "id", None)
            if name == "SIM_TOP":
                return dict.fromkeys(tests, ast.literal_eval(node.value))
            if name == "SIM_TOPS":
                return dict(ast.literal_eval(node.value))
    return {}


def pick_top(module: str, test: str | None, asked: str | None, default: str = "tb_nic") -> str:
    """The top to run ``module`` (or its ``test``) on: the declared one, checked against the
    one asked for; SettingError in one line if they disagree or the test does not exist."""
    tests = cocotb_tests(module)
    if test is not None and test not in tests:
        raise SettingError(f"{module} has no test {test!r}: it has {', '.join(tests)}")
    declared = sim_tops(module)
    wanted = {declared[t] for t in ([test] if test else tests) if t in declared}
    if len(wanted) > 1:
        raise SettingError(f"the tests of {module} run on {' and '.join(sorted(wanted))}: "
                           "name one test")
    if wanted:
        top = wanted.pop()
        if asked and asked != top:
            raise SettingError(f"{module}{' ' + test if test else ''} runs on {top}, "
                               f"not {asked}")
        return top
    return asked or default
