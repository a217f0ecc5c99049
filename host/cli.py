"""``nicsim``: the command line of the project (the Makefile calls it).

    nicsim demo                run the demo scenario(s) on the simulated NIC
    nicsim sim MODULE [TEST]   run a cocotb scenario module (WAVES=1 for an FST trace)
    nicsim bench               run the benchmarks, write build/bench/results.json
    nicsim cache [--prune|--clear]  list the cached models; apply the bound; empty the cache
    nicsim waves [TRACE]       open a trace (default: the newest) in GTKWave with its flow's view
    nicsim lint                verilator --lint-only -Wall on rtl/nic, ruff on Python
    nicsim serve ...           the user-level stack's services on a TAP device (see --help)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from host.cliutil import OneLineParser

ROOT = Path(__file__).resolve().parent.parent


DATA_WIDTHS = (64, 128, 256, 512)


def _check_model_args(args: argparse.Namespace) -> None:
    """Parameters and settings, checked before anything is built."""
    from tb.errors import SettingError
    from tb.runner import check_settings

    if args.data_width not in DATA_WIDTHS:
        raise SettingError(f"--data-width {args.data_width}: the NIC is built at "
                           f"{', '.join(map(str, DATA_WIDTHS))} bits")
    if not 0 <= args.dma_latency <= 0xFFFF:
        raise SettingError(f"--dma-latency {args.dma_latency}: give 0 to 65535 cycles")
    for name in ("frames", "rounds"):
        value = getattr(args, name, None)
        if value is not None and not 1 <= value <= 1_000_000:
            raise SettingError(f"--{name} {value}: give 1 to 1000000")
    check_settings()


def _sim(args: argparse.Namespace) -> int:
    from tb.progress import Steps
    from tb.runner import sim_top
    from tb.scenario_info import pick_top

    top = pick_top(args.module, args.test, args.top)  # a missing module or test, a wrong top
    _check_model_args(args)
    steps = Steps("sim", 2, args.verbose)
    with steps.model(sim_top(top, args.data_width)) as model:
        env = {"NICSIM_DMA_LATENCY": str(args.dma_latency)}
        steps.run(model, args.module, args.test, extra_env=env)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from tb.progress import Steps
    from tb.runner import BUILD_ROOT, sim_top

    _check_model_args(args)
    out = Path(args.out) if args.out else BUILD_ROOT / "demo"
    out.mkdir(parents=True, exist_ok=True)
    env = {"NICSIM_DMA_LATENCY": str(args.dma_latency), "NICSIM_DEMO_DIR": str(out),
           "NICSIM_DEMO_FRAMES": str(args.frames), "NICSIM_DEMO_ROUNDS": str(args.rounds)}
    runs = (("tb_nic", "udp_burst", "report.txt"),
            ("tb_two_hosts", "udp_ping_pong", "ping_pong.txt"),
            ("tb_two_hosts", "tcp_hierarchy", "hierarchy.txt"),
            ("tb_two_hosts", "udp_paths_onload", None),  # kept for the next step's report
            ("tb_two_hosts", "udp_paths_split", "paths.txt"))
    steps = Steps("demo", 2 * len(runs), args.verbose)
    for top, test, report in runs:
        with steps.model(sim_top(top, args.data_width)) as model:
            steps.run(model, "tb.scenarios.demo", test, extra_env=env,
                      results_name=f"demo-{test}")
        if report is not None:
            print((out / report).read_text())
    return 0


def _cache(args: argparse.Namespace) -> int:
    from tb import model_cache as mc
    from tb.runner import SIM_ROOT

    bound = mc.bound_bytes()  # checked first: a bad bound removes nothing
    if args.clear or args.prune:
        result = mc.clear(SIM_ROOT) if args.clear else mc.prune(SIM_ROOT, bound)
        for m in result.removed:
            print(f"removed {m.path.name} ({mc.format_size(m.size)})")
        in_use = sum(m.in_use for m in result.kept)
        print(f"{len(result.removed)} removed, {len(result.kept)} kept ({in_use} in use), "
              f"{mc.format_size(result.total)} of {mc.format_size(bound)}")
        return 0
    print(mc.listing(SIM_ROOT, bound))
    for other in mc.unmarked_folders(SIM_ROOT):
        print(f"not a cached model, left alone: {other}")
    return 0


def _waves(args: argparse.Namespace) -> int:
    import shutil

    from tb.runner import WAVES_DIR
    from tb.waves import layouts, trace

    path = Path(args.trace) if args.trace else trace.newest(WAVES_DIR)
    if path is None:
        print(f"nicsim waves: no trace in {WAVES_DIR}: run e.g. 'WAVES=1 make demo'",
              file=sys.stderr)
        return 2
    info = trace.read(path)
    lay = layouts.choose(info, args.layout)
    view, left_out = layouts.write_view(info, lay)
    note = f" ({left_out} signals of the layout are not in this trace)" if left_out else ""
    print(f"{lay.name} view of {path}: {view}{note}")
    if args.no_open:
        return 0
    viewer = shutil.which("gtkwave")
    if viewer is None:
        print("nicsim waves: gtkwave is not installed (Debian: apt-get install gtkwave); "
              f"open {path} with {view} in any GTKWave", file=sys.stderr)
        return 2
    return subprocess.call([viewer, str(path), str(view)])


def _lint(args: argparse.Namespace) -> int:
    from tb.runner import RTL_DIR, TB_DPI_DIR, TB_HDL_DIR, setup_verilator_env

    setup_verilator_env()
    rtl = sorted(str(p) for p in RTL_DIR.glob("*.v"))
    tb_models = [str(TB_HDL_DIR / f"{n}.v") for n in ("tb_axi_dpi_mem", "tb_wire_sink",
                                                      "tb_wire_source", "tb_host")]
    # (what, top, parameters, sources): the NIC alone, and the sim tops around it (tb/hdl)
    targets = [("rtl/nic", "nic", {"DATA_WIDTH": w}, rtl) for w in (64, 512)]
    targets += [("tb/hdl", top, params, rtl + tb_models + [str(TB_HDL_DIR / f"{top}.v")])
                for top, params in (("tb_nic", {"DATA_WIDTH": 64}),
                                    ("tb_nic", {"DATA_WIDTH": 512}),
                                    ("tb_nic", {"DATA_WIDTH": 64, "EXT_MEM": 1}),
                                    ("tb_two_hosts", {"DATA_WIDTH": 64}),
                                    ("tb_two_hosts", {"DATA_WIDTH": 512}))]
    targets.append(("tb/hdl", "tb_clock_probe", {}, [str(TB_HDL_DIR / "tb_clock_probe.v")]))
    status = 0
    for what, top, params, sources in targets:
        shown = " ".join(f"{k}={v}" for k, v in params.items())
        print(f"lint {what}: {top} {shown}".rstrip())
        cmd = ["verilator", "--lint-only", "-Wall", "--timing", f"-I{RTL_DIR}",
               f"-I{TB_DPI_DIR}", *(f"-G{k}={v}" for k, v in params.items()),
               "--top-module", top, *sources]
        status |= subprocess.call(cmd)
    from tb.synthcheck import check_nic

    for width in (64, 512):
        print(f"yosys rtl/nic: nic DATA_WIDTH={width} (no latch, conflicting or missing driver, "
              "or logic loop)")
        found = check_nic(width)
        for line in found:
            print(f"  {line}")
        status |= bool(found)
    print("ruff")
    status |= subprocess.call([sys.executable, "-m", "ruff", "check", "host", "tb", "tests"],
                              cwd=ROOT)
    status |= subprocess.call([sys.executable, "-m", "host.layout", "--check"], cwd=ROOT)
    return 1 if status else 0


def _bench(args: argparse.Namespace) -> int:
    from tb.bench import main as bench_main

    return bench_main(args)


def _serve(argv: list[str]) -> int:
    from host.stack.serve import main as serve_main

    return serve_main(argv)


def _add_verbose(p: argparse.ArgumentParser) -> None:
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print the build and simulation logs instead of writing them to files")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "serve":
        return _serve(argv[1:])
    parser = OneLineParser(prog="nicsim", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("demo", help="run the demo on the simulated NIC")
    p.add_argument("--frames", type=int, default=2000, help="datagrams in the burst")
    p.add_argument("--rounds", type=int, default=20, help="ping-pong round trips per size")
    p.add_argument("--data-width", type=int, default=512)
    p.add_argument("--dma-latency", type=int, default=125)
    p.add_argument("--out", help="folder for the reports and pcap files (default build/demo)")
    _add_verbose(p)
    p.set_defaults(func=_demo)
    p = sub.add_parser("sim", help="run a cocotb scenario module on a sim top")
    p.add_argument("module", help="e.g. tb.scenarios.test_tx")
    p.add_argument("test", nargs="?", default=None)
    p.add_argument("--top", help="tb_nic or tb_two_hosts (default: the one the scenario "
                   "declares)")
    p.add_argument("--data-width", type=int, default=512)
    p.add_argument("--dma-latency", type=int, default=125)
    _add_verbose(p)
    p.set_defaults(func=_sim)
    p = sub.add_parser("bench", help="benchmarks to build/bench/results.json")
    p.add_argument("--quick", action="store_true", help="a reduced sweep")
    _add_verbose(p)
    p.set_defaults(func=_bench)
    p = sub.add_parser("cache", help="the model cache in build/sim (NICSIM_CACHE_GB bounds it)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--prune", action="store_true", help="evict least recently used models "
                   "until the cache is within its bound")
    g.add_argument("--clear", action="store_true", help="remove every cached model not in use")
    p.set_defaults(func=_cache)
    p = sub.add_parser("waves", help="open a trace in GTKWave with the view of its flow")
    p.add_argument("trace", nargs="?", help="a .vcd or .fst file (default: the newest in "
                   "build/waves)")
    p.add_argument("--layout", help="tx, rx, udp or tcp (default: chosen by the trace's "
                   "scenario and top)")
    p.add_argument("--no-open", action="store_true", help="write the view, do not start GTKWave")
    p.set_defaults(func=_waves)
    p = sub.add_parser("lint", help="verilator lint and ruff")
    p.set_defaults(func=_lint)
    sub.add_parser("serve", help="serve echo/discard/http on a TAP device (nicsim serve -h)")
    args = parser.parse_args(argv)
    from tb.errors import SettingError

    try:
        return args.func(args)
    except SettingError as e:
        print(f"nicsim: {e}", file=sys.stderr)
        return 2
    except AssertionError as e:  # a simulation that failed: its log is above, the cause here
        print(f"nicsim: {args.cmd} failed: {str(e).splitlines()[0] if str(e) else e!r}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
