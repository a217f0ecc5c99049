"""Waveforms: traced builds work without extra packages, each trace has its own file, and every
signal a flow's view names exists in the traces the project writes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tb import runner
from tb.runner import ROOT, build, sim_top
from tb.waves import layouts, trace

# the flows each sim top can show, and the layout its demo trace gets by name
TOPS = {
    "tb_nic": ("udp_burst", "tx", ("tx", "rx")),
    "tb_two_hosts": ("udp_ping_pong", "udp", ("tx", "rx", "udp", "tcp")),
}


@pytest.fixture(scope="module")
def demo_traces(tmp_path_factory):
    """One short traced demo run per sim top (VCD, which the suite can read without GTKWave)."""
    made = {}

    def get(top: str, window: tuple[int, int] | None = None) -> Path:
        if (top, window) not in made:
            out = tmp_path_factory.mktemp(top)
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("WAVES_FORMAT", "vcd")
                model = build(sim_top(top, 64, waves=True))
            test = TOPS[top][0]
            path = out / runner.trace_path("tb.scenarios.demo", test, "vcd").name
            env = {"NICSIM_DEMO_DIR": str(out), "NICSIM_DEMO_FRAMES": "20",
                   "NICSIM_DEMO_ROUNDS": "1", "NICSIM_DMA_LATENCY": "20"}
            if window:
                env.update(WAVES_FROM=str(window[0]), WAVES_TO=str(window[1]))
            model.run("tb.scenarios.demo", testcase=test, trace_file=path,
                      results_name=f"waves-{test}", extra_env=env)
            made[top, window] = path
        return made[top, window]

    return get


@pytest.mark.sim
@pytest.mark.parametrize("top", list(TOPS), ids=list(TOPS))
def test_every_signal_a_view_names_is_in_the_trace(top, demo_traces):
    path = demo_traces(top)
    assert re.fullmatch(r"demo-\w+-\d{8}-\d{6}\.\d{3}\.vcd", path.name)
    info = trace.read(path)
    assert info.top == top and info.end_time and info.end_time > 0
    _, default, flows = TOPS[top]
    assert layouts.choose(info).name == default
    for name in flows:
        lay = layouts.LAYOUTS[name]
        assert layouts.missing(info, lay) == [], name
        view, left_out = layouts.write_view(info, lay, path.with_name(f"{name}.gtkw"))
        assert left_out == 0
        text = view.read_text()
        names = [ln for ln in text.splitlines() if ln and ln[0] not in "[*@-^"]
        assert names and set(names) <= set(info.signals)
        assert len(names) == sum(len(s.signals) for _, s in lay.stages)
        # states and codes by name: each filter file a view uses maps values to names
        for fname in re.findall(r"^\^\d+ (\S+)$", text, re.M):
            entries = Path(fname).read_text().split()
            assert entries and not entries[1].isdigit()
        zoom = re.search(r"^\*(-?[\d.]+) ", text, re.M)
        assert zoom and float(zoom.group(1)) < 0  # zoomed to fit the whole run
        groups = re.findall(r"^@800200\n-(.+)$", text, re.M)
        assert len(groups) == len(lay.stages)
        if name in ("udp", "tcp"):
            assert any(g.startswith("A: ") for g in groups) and any(
                g.startswith("B: ") for g in groups)


@pytest.mark.sim
def test_views_mark_the_first_doorbells_and_events(demo_traces):
    info = trace.read(demo_traces("tb_two_hosts"))
    marks = layouts.markers(info, layouts.LAYOUTS["udp"])
    assert len(marks) == layouts.MAX_MARKERS and marks == sorted(marks)
    labels = [label for _, label in marks]
    # the ping: A rings its TX doorbell, A's NIC reports the completion, B's the arrival
    first_tx = labels.index("A TX doorbell VI1")
    assert "A TX event VI1" in labels[first_tx:] and "B RX event VI1" in labels[first_tx:]
    view, _ = layouts.write_view(info, layouts.LAYOUTS["udp"], info.path.with_name("m.gtkw"))
    text = view.read_text()
    star = re.search(r"^\*\S+ -1 (.+)$", text, re.M).group(1).split()
    assert [int(t) for t in star] == [t for t, _ in marks]
    assert re.findall(r"^\[markername\] [A-Z](.+)$", text, re.M) == labels


@pytest.mark.sim
def test_waves_from_to_keep_only_that_window(demo_traces):
    whole = trace.read(demo_traces("tb_nic"))
    part = trace.read(demo_traces("tb_nic", (3000, 6000)))
    ns = 1000 / part.timescale_ps
    assert part.start_time == 3000 * ns and 5990 * ns <= part.end_time <= 6000 * ns
    assert whole.start_time == 0 and whole.end_time > 6000 * ns
    assert part.path.stat().st_size < whole.path.stat().st_size / 2
    assert part.signals == whole.signals
    view, _ = layouts.write_view(part, layouts.choose(part), part.path.with_name("w.gtkw"))
    assert f"[timestart] {part.start_time}" in view.read_text()


def test_descriptor_fetch_and_packet_reads_are_told_apart_by_name():
    fetch = {s.path for s in layouts.TX_DESC_FETCH.signals}
    reads = {s.path for s in layouts.TX_READ.signals}
    assert any("fetch_inst.m_axi_arvalid" in p for p in fetch)
    assert any("rd_inst.m_axi_arvalid" in p for p in reads)
    f = layouts.filters()
    assert f["db_kind"] == {0: "TX", 1: "RX", 2: "EVQ_READ"}
    assert f["tx_dispatch"] == {0: "PICK", 1: "RSV", 2: "WAIT", 3: "SEND"}


def test_trace_format_is_fst_with_lz4_else_vcd_said_once(monkeypatch, capsys):
    monkeypatch.delenv("WAVES_FORMAT", raising=False)
    monkeypatch.setattr(runner, "_compiler_finds", lambda header: True)
    assert runner.trace_format() == "fst"
    monkeypatch.setattr(runner, "_compiler_finds", lambda header: False)
    monkeypatch.setattr(runner.trace_format, "said", False, raising=False)
    assert runner.trace_format() == "vcd" and runner.trace_format() == "vcd"
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [runner.VCD_FALLBACK]
    monkeypatch.setenv("WAVES_FORMAT", "vcd")
    assert runner.trace_format() == "vcd"
    monkeypatch.setenv("WAVES_FORMAT", "lxt")
    with pytest.raises(runner.WavesConfigError, match="WAVES_FORMAT='lxt'"):
        runner.trace_format()


def test_each_run_gets_its_own_trace_name():
    a = runner.trace_path("tb.scenarios.test_tx", "ring_wraps_three_laps", "fst")
    assert a.parent == runner.WAVES_DIR and a.name.startswith("test_tx-ring_wraps_three_laps-")
    assert a.suffix == ".fst"
    assert runner.trace_path("tb.scenarios.demo", None, "vcd").name.startswith("demo-all-")
    assert layouts.LAYOUT_BY_SCENARIO["test_tx-"] == "tx"


def _waves_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host.cli", "waves", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=dict(os.environ))


@pytest.mark.sim
def test_nicsim_waves_writes_the_view_and_refuses_bad_input_in_one_line(demo_traces, tmp_path):
    path = demo_traces("tb_nic")
    res = _waves_cli("--no-open", str(path))
    assert res.returncode == 0 and res.stderr == ""
    assert res.stdout.strip() == f"tx view of {path}: {layouts.view_path(trace.read(path))}"
    for args in (("--no-open", str(tmp_path / "nothing.vcd")),
                 ("--no-open", "--layout", "bogus", str(path)),
                 ("--no-open", str(ROOT / "README.md"))):
        res = _waves_cli(*args)
        assert res.returncode == 2, res
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
