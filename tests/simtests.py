"""Helpers for pytest files that run cocotb scenarios on the system sim tops."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from tb.runner import build, sim_top


def cocotb_tests(module: str) -> list[str]:
    """Names of the @cocotb.test() coroutines in a scenario module, in file order."""
    path = Path(importlib.util.find_spec(module).origin)
    tree = ast.parse(path.read_text())
    names = []
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if ast.unparse(target) == "cocotb.test":
                    names.append(node.name)
    if not names:
        raise RuntimeError(f"{module} has no cocotb tests")
    return names


def run_scenario(top: str, module: str, testcase: str, *, data_width: int = 512,
                 dma_latency: int = 125, quick: bool = False, ext_mem: bool = False,
                 extra_env: dict[str, str] | None = None, **params) -> None:
    if ext_mem:
        params["EXT_MEM"] = 1
    model = build(sim_top(top, data_width, **params))
    env = {"NICSIM_DMA_LATENCY": str(dma_latency), "NICSIM_QUICK": str(int(quick)),
           "NICSIM_EXT_MEM": str(int(ext_mem))}
    env.update(extra_env or {})
    model.run(module, testcase=testcase, extra_env=env,
              results_name=f"{module.rsplit('.', 1)[-1]}-{testcase}-{dma_latency}-{int(quick)}")
