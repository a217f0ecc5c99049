"""Helpers for pytest files that run cocotb scenarios on the system sim tops."""

from __future__ import annotations

import json
from pathlib import Path

from tb.runner import build, sim_top
from tb.scenario_info import cocotb_tests, pick_top

__all__ = ["bench_records", "cocotb_tests", "os_path_records", "run_scenario"]


def bench_records(module: str, testcase: str, out: Path, **kw) -> list[dict]:
    """Run a bench scenario on tb_two_hosts (512 bits, DMA latency 125 unless ``kw`` says
    otherwise) and return the records it wrote to ``out`` (JSON lines)."""
    kw.setdefault("data_width", 512)
    kw.setdefault("dma_latency", 125)
    run_scenario("tb_two_hosts", module, testcase, extra_env={"NICSIM_BENCH_OUT": str(out)},
                 **kw)
    return [json.loads(line) for line in out.read_text().splitlines()]


def os_path_records(testcase: str, path: str, tmp_path) -> list[dict]:
    """The records of an OS-socket half round trip bench scenario, with what every OS path
    shares checked: payloads 0 and 1024, dearer than the user-level path, 4 system calls per
    round trip and each payload byte copied once per socket call that moves it."""
    records = bench_records("tb.scenarios.bench_two_hosts", testcase, tmp_path / "records.jsonl")
    assert [r["params"]["payload_bytes"] for r in records] == [0, 1024]
    for r in records:
        p = r["params"]
        assert p["path"] == path and r["value"] > p["user_path_ns"]
        assert p["syscalls_per_round_trip"] == 4
        assert p["bytes_copied_per_round_trip"] == 4 * p["payload_bytes"]
    return records


def run_scenario(top: str, module: str, testcase: str, *, data_width: int = 512,
                 dma_latency: int = 125, quick: bool = False, ext_mem: bool = False,
                 extra_env: dict[str, str] | None = None, mode: str | None = None,
                 **params) -> None:
    """Run one cocotb scenario on the model of ``top``. ``mode``: how its hosts are built
    ("onload" or "split", tb.env.host_mode); None leaves the scenario's default."""
    if ext_mem:
        params["EXT_MEM"] = 1
    pick_top(module, testcase, top)  # the top the scenario declares, or a clear error
    model = build(sim_top(top, data_width, **params))
    env = {"NICSIM_DMA_LATENCY": str(dma_latency), "NICSIM_QUICK": str(int(quick)),
           "NICSIM_EXT_MEM": str(int(ext_mem))}
    if mode is not None:
        env["NICSIM_HOST_MODE"] = mode
    env.update(extra_env or {})
    name = f"{module.rsplit('.', 1)[-1]}-{testcase}-{dma_latency}-{int(quick)}"
    model.run(module, testcase=testcase, extra_env=env,
              results_name=name if mode is None else f"{name}-{mode}")
