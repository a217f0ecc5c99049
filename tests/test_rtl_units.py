"""Unit simulations of single RTL blocks (tb/<module>/test_<module>.py), one model each.

Sources are the dependency closure of the top module inside rtl/nic (found by following module
instantiations), so a model is rebuilt exactly when one of its files changes.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from tb.runner import RTL_DIR, ModelSpec, build

pytestmark = pytest.mark.sim

_INST = re.compile(r"^\s*(nic\w*)\s*(?:#\s*\(|\w+\s*\()", re.M)


@cache
def closure(top: str) -> tuple[Path, ...]:
    """The files of `top` and every nic* module it instantiates, transitively."""
    seen: dict[str, Path] = {}
    todo = [top]
    while todo:
        name = todo.pop()
        path = RTL_DIR / f"{name}.v"
        if name in seen or not path.exists():
            continue
        seen[name] = path
        text = re.sub(r"//[^\n]*", "", path.read_text())
        todo.extend(m for m in _INST.findall(text) if m not in seen)
    return tuple(sorted(seen.values()))


def run(top: str, module: str, parameters=()):
    model = build(ModelSpec(top=top, sources=closure(top), parameters=tuple(parameters),
                            includes=(RTL_DIR,), timing=False))
    model.run(module)


@pytest.mark.xdist_group("rtl_buf_table")
def test_nic_buf_table():
    run("nic_buf_table", "tb.nic_buf_table.test_nic_buf_table",
        (("PORTS", 2), ("BUFTBL_LOG2", 6), ("ADDR_WIDTH", 48)))


@pytest.mark.xdist_group("rtl_evq")
@pytest.mark.parametrize("data_width", [128, 512])
def test_nic_evq(data_width):
    """128: one event per write beat; 512: four, so events can share a write."""
    run("nic_evq", "tb.nic_evq.test_nic_evq", (("NUM_VI", 4), ("DATA_WIDTH", data_width)))


@pytest.mark.xdist_group("rtl_nic_64")
def test_nic_tx_64():
    run("nic", "tb.nic.test_nic", (("DATA_WIDTH", 64),))


@pytest.mark.xdist_group("rtl_nic_512")
def test_nic_tx_512():
    run("nic", "tb.nic.test_nic", (("DATA_WIDTH", 512),))
