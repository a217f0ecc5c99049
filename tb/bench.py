"""``make bench``: run the benchmark scenarios on the sim models and write
build/bench/results.json ({"results": [{"metric", "params", "value", "unit"}, ...]}), a readable
table (results.txt) and PNG plots. Figures are simulated-time measurements at 250 MHz, except
sim_speed (wall clock of this machine)."""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict

from tb.progress import Steps
from tb.runner import BUILD_ROOT, sim_top
from tb.stack_bench import stack_cost_per_segment

OUT_DIR = BUILD_ROOT / "bench"
ONE_HOST = "tb.scenarios.bench"
TWO_HOSTS = "tb.scenarios.bench_two_hosts"
TCP = "tb.scenarios.test_tcp"


FAILURES: list[str] = []
STEPS: Steps | None = None  # progress and log files of the current `nicsim bench`


def _run(data_width: int, latency: int, tests: list[str], partial, ext_mem: bool = False,
         top: str = "tb_nic", module: str = ONE_HOST, **env) -> None:
    """Run bench scenarios on one model; they append their records to ``partial``. A failing
    scenario is reported at the end (and fails the command) without losing the others."""
    try:
        _run_model(data_width, latency, tests, partial, ext_mem, top, module, **env)
    except Exception as exc:  # noqa: BLE001 - reported below with what failed
        FAILURES.append(f"{top} DATA_WIDTH={data_width} latency={latency} {tests}: {exc}")
        print(f"bench: FAILED {FAILURES[-1]}")


def _run_model(data_width, latency, tests, partial, ext_mem, top, module, **env) -> None:
    params = {"EXT_MEM": 1} if ext_mem else {}
    model = STEPS.model(sim_top(top, data_width, waves=False, **params))
    extra = {"NICSIM_BENCH_OUT": str(partial), "NICSIM_DATA_WIDTH": str(data_width),
             "NICSIM_DMA_LATENCY": str(latency), "NICSIM_EXT_MEM": str(int(ext_mem))}
    extra.update({k: str(v) for k, v in env.items()})
    name = module.rsplit(".", 1)[-1]
    STEPS.run(model, module, tests, extra_env=extra,
              results_name=f"{name}-{data_width}-{latency}-{int(ext_mem)}")


PNR_WIDTHS = (64,)  # placed and routed for Fmax (512 would fill some 94% of an LFE5U-85F)


def _attempt(what: str, step):
    """``step()``, or None with the failure reported at the end (as _run does)."""
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - reported at the end with what failed
        FAILURES.append(f"{what}: {exc}")
        print(f"bench: FAILED {FAILURES[-1]}")
        return None


def _synth(partial, widths) -> None:
    """The ECP5 resource counts of make synth (tb/synth.py) for each DATA_WIDTH, and the Fmax
    after place and route for PNR_WIDTHS: reused when build/synth holds a run on the same RTL,
    else run (about 5 and 10 minutes of synthesis at 64 and 512 bits here, and 23 minutes of
    place and route at 64)."""
    from tb import synth

    for width in widths:
        result = _attempt(f"synth DATA_WIDTH={width}",
                          lambda w=width: synth.cached(w) or synth.synth_ecp5(w))
        if result is None:
            continue
        params = dict(data_width=width, flow="yosys synth_ecp5", rtl=result.rtl_hash)
        append_record(partial, "synth_cells", result.cells, "cells", **params)
        append_record(partial, "synth_luts", result.luts, "LUT4", **params)
        append_record(partial, "synth_ffs", result.ffs, "FF", **params)
        append_record(partial, "synth_brams", result.brams, "DP16KD",
                      lutrams=result.lutrams, **params)
        pnr = width in PNR_WIDTHS and _attempt(
            f"place and route DATA_WIDTH={width}",
            lambda w=width: synth.pnr_cached(w) or synth.place_and_route(w))
        if pnr:
            append_record(partial, "synth_fmax_mhz", pnr.fmax_mhz, "MHz", data_width=width,
                          flow="nextpnr-ecp5 --out-of-context", device=pnr.device,
                          target_mhz=pnr.target_mhz, rtl=pnr.rtl_hash)


def append_record(partial, metric: str, value: float, unit: str, **params) -> None:
    """One result line of the JSON-lines file the scenarios share with this orchestrator."""
    with open(partial, "a") as f:
        f.write(json.dumps({"metric": metric, "params": params, "value": value,
                            "unit": unit}) + "\n")


def _table(results: list[dict]) -> str:
    lines = [f"{'metric':<22} {'value':>12} {'unit':<10} params"]
    for r in results:
        params = " ".join(f"{k}={v}" for k, v in r["params"].items())
        lines.append(f"{r['metric']:<22} {r['value']:>12} {r['unit']:<10} {params}")
    return "\n".join(lines) + "\n"


def _plots(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for metric in ("tx_stream_rate", "rx_throughput"):
        series = defaultdict(list)
        for r in results:
            if r["metric"] == metric:
                p = r["params"]
                series[(p["data_width"], p["dma_latency_cycles"])].append((p["frame_bytes"],
                                                                            r["value"]))
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(7, 4.5))
        sizes = sorted({s for pts in series.values() for s, _ in pts})
        ax.plot(sizes, [100 * s / (s + 24) for s in sizes], "k--", label="100 GbE line rate")
        for (dw, lat), pts in sorted(series.items()):
            pts.sort()
            ax.plot([s for s, _ in pts], [v for _, v in pts], "o-",
                    label=f"DATA_WIDTH {dw}, DMA latency {lat}")
        ax.set_xscale("log")
        ax.set_xlabel("frame bytes")
        ax.set_ylabel("Gbps at 250 MHz")
        ax.set_title(metric)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(OUT_DIR / f"{metric}.png")
        plt.close(fig)


def main(args) -> int:
    global STEPS
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    partial = OUT_DIR / "partial.jsonl"
    partial.unlink(missing_ok=True)
    quick = getattr(args, "quick", False)
    t0 = time.time()
    sizes = "60,256,1514" if quick else "60,128,256,512,1024,1514,4096,9000"
    widths = (512,) if quick else (64, 512)
    latencies = (125,) if quick else (0, 125, 500)
    runs = len(widths) * len(latencies) + len(latencies) + 1 + 1 + 1 + 3  # as listed below
    STEPS = Steps("bench", 2 * runs, getattr(args, "verbose", False))
    for dw in widths:
        for lat in latencies:
            _run(dw, lat, ["tx_stream_rate", "tx_doorbell_to_wire", "rx_throughput",
                           "rx_wire_to_event"], partial, NICSIM_BENCH_SIZES=sizes)
    for lat in latencies:
        os_paths = ["udp_half_rtt_kernel", "udp_half_rtt_tunnel", "tcp_goodput"]
        tests = ["udp_half_rtt"] + (os_paths if lat == 125 else [])
        _run(512, lat, tests, partial, top="tb_two_hosts", module=TWO_HOSTS)
    # TCP between processes on the two hosts through their NICs (1 MiB, DMA latency 125)
    _run(512, 125, ["tcp_bulk_transfer"], partial, top="tb_two_hosts", module=TCP)
    append_record(partial, "stack_cost_per_segment", round(stack_cost_per_segment(), 2), "us",
            device="pipe", mss=1460)
    # the receive path's differential fuzz through the whole NIC (tb/scenarios/rx_fuzz.py):
    # about 3.4 ms of this machine's time per frame at DATA_WIDTH 512
    _run(512, 125, ["rx_parser_fuzz"], partial,
         NICSIM_RXFUZZ_FRAMES=os.environ.get("NICSIM_RXFUZZ_FRAMES",
                                             20_000 if quick else 100_000))
    # attackers beside a victim and a canary (tb/scenarios/dma_fuzz.py): about 1,000
    # descriptors per 1.3 s here at DATA_WIDTH 512
    _run(512, 125, ["dma_isolation_fuzz"], partial,
         NICSIM_DMAFUZZ_DESCRIPTORS=20_000 if quick else 100_000)
    _synth(partial, (64,) if quick else (64, 512))
    _run(512, 125, ["sim_speed"], partial, NICSIM_BENCH_MEMORY="dpi")
    _run(64, 125, ["sim_speed"], partial, NICSIM_BENCH_MEMORY="dpi")
    _run(64, 125, ["sim_speed"], partial, ext_mem=True, NICSIM_BENCH_MEMORY="axiram")
    results = [json.loads(line) for line in partial.read_text().splitlines()]
    (OUT_DIR / "results.json").write_text(json.dumps({"results": results}, indent=1) + "\n")
    table = _table(results)
    (OUT_DIR / "results.txt").write_text(table)
    _plots(results)
    print(table)
    print(f"wrote {OUT_DIR / 'results.json'} in {time.time() - t0:.0f} s")
    for failure in FAILURES:
        print(f"FAILED: {failure}")
    return 1 if FAILURES else 0
