"""build/sim as a bounded least-recently-used cache (tb/model_cache.py, tb/runner.py).

Every test here uses a cache folder of its own (``NICSIM_CACHE_DIR`` for the command line), so
the suite's own models are never evicted by these tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tb import model_cache as mc
from tb.runner import ROOT, TB_HDL_DIR, ModelSpec, build

MIB = 1 << 20


def fake_model(root: Path, name: str, size: int, age_s: float) -> Path:
    """A folder as the runner leaves it (marker, last use ``age_s`` ago) holding ``size`` bytes."""
    folder = root / name
    folder.mkdir(parents=True)
    mc.mark(folder, {"top": name.rsplit("-", 1)[0], "parameters": {"DATA_WIDTH": 64},
                     "waves": False})
    (folder / "payload").write_bytes(os.urandom(size))
    mc.touch_use(folder)
    when = time.time() - age_s
    os.utime(folder / mc.LAST_USE, (when, when))
    return folder


def foreign_folder(root: Path) -> Path:
    """Something in the cache root that the runner did not make (no marker)."""
    other = root / "notes-of-a-user"
    other.mkdir(parents=True)
    (other / "keep.txt").write_bytes(b"x" * (2 * MIB))
    return other


def cli(*args: str, cache: Path, bound: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, NICSIM_CACHE_DIR=str(cache))
    env.pop(mc.BOUND_ENV, None)
    if bound is not None:
        env[mc.BOUND_ENV] = bound
    return subprocess.run([sys.executable, "-m", "host.cli", "cache", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_prune_evicts_least_recently_used_first_and_only_marked_folders(tmp_path):
    root = tmp_path / "sim"
    models = [fake_model(root, f"tb_nic-{i:016x}", MIB, age_s=100 - i) for i in range(5)]
    other = foreign_folder(root)
    outside = tmp_path / "outside"  # a marked folder reached by a symbolic link: not ours
    outside.mkdir()
    mc.mark(outside, {"top": "outside"})
    (root / "link-0000000000000000").symlink_to(outside)

    result = mc.prune(root, bound=int(2.5 * MIB))

    assert [m.path for m in result.removed] == models[:3]  # the three least recently used
    assert [p.exists() for p in models] == [False, False, False, True, True]
    assert result.total <= 2.5 * MIB
    assert (other / "keep.txt").exists() and (outside / mc.MARKER).exists()
    assert not list(root.glob(".evicting-*"))


def test_use_is_recorded_at_each_run_not_only_at_build(tmp_path):
    root = tmp_path / "sim"
    old, new = fake_model(root, "a-1", MIB, age_s=50), fake_model(root, "b-2", MIB, age_s=10)
    mc.touch_use(old)  # what Model.run does
    mc.prune(root, bound=int(1.5 * MIB))
    assert old.exists() and not new.exists()


def test_a_build_locked_by_another_process_survives_the_prune(tmp_path):
    root = tmp_path / "sim"
    held, free = fake_model(root, "held-1", MIB, age_s=90), fake_model(root, "free-2", MIB, 80)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from tb import model_cache"
         f" as mc; fd = mc.hold_use(Path({str(held)!r})); print('held', flush=True); "
         "sys.stdin.read()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        listed = {m.path: m.in_use for m in mc.list_models(root)}
        assert listed == {held: True, free: False}
        result = mc.prune(root, bound=0)
        assert held.exists() and not free.exists()
        assert [m.path for m in result.kept] == [held]
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert [m.path for m in mc.prune(root, bound=0).removed] == [held]  # free once released


@pytest.mark.sim
@pytest.mark.xdist_group("tb_clock_probe")
def test_stale_builds_are_pruned_to_the_bound_by_the_next_build(tmp_path, monkeypatch):
    """A real build into a cache over its bound: stale builds go, the new model (in use) and
    a model another holder keeps stay, and so does what the runner did not make."""
    root = tmp_path / "sim"
    stale = [fake_model(root, f"tb_nic-{i:016x}", 2 * MIB, age_s=1000 - i) for i in range(4)]
    kept = fake_model(root, "tb_two_hosts-00000000000000ff", 2 * MIB, age_s=2000)
    other = foreign_folder(root)
    monkeypatch.setenv(mc.BOUND_ENV, str(5 / 1024))  # 5 MiB: only the stale builds can go
    keeper = mc.hold_use(kept)
    try:
        model = build(ModelSpec(top="tb_clock_probe", sources=(TB_HDL_DIR / "tb_clock_probe.v",),
                                parameters=(("HDL_CLK", 1),), timing=True), root=root)
        left = {m.path: m for m in mc.list_models(root)}
        assert model.build_dir in left and left[model.build_dir].in_use
        # precompiled headers and objects dropped, the simulator kept
        assert not list(model.build_dir.glob("*.gch")) and not list(model.build_dir.glob("*.o"))
        assert (model.build_dir / "tb_clock_probe").is_file()
        assert kept in left and left[kept].in_use
        survivors = [p for p in stale if p.exists()]
        # evicted oldest first, until the bound held (or only models in use were left)
        assert survivors == stale[len(stale) - len(survivors):]
        total = sum(m.size for m in left.values())
        in_use = left[model.build_dir].size + left[kept].size
        assert total <= max(mc.bound_bytes(), in_use)
        assert len(survivors) < len(stale) and (other / "keep.txt").exists()
        model.run("tb.clock_probe.test_clock_probe", extra_env={"NICSIM_PROBE_HDL_CLK": "1"},
                  results_name="clock_probe-cache")
        model.release()
        with pytest.raises(RuntimeError, match="released"):
            model.run("tb.clock_probe.test_clock_probe")
    finally:
        os.close(keeper)


def test_bad_bound_is_one_clear_line_and_removes_nothing(tmp_path):
    root = tmp_path / "sim"
    models = [fake_model(root, f"m-{i}", MIB, age_s=10 * i) for i in range(2)]
    for bad in ("-1", "lots", "nan", "inf"):
        for args in (("--prune",), ("--clear",), ()):
            res = cli(*args, cache=root, bound=bad)
            assert res.returncode == 2, (bad, args, res)
            lines = res.stderr.strip().splitlines()
            assert len(lines) == 1 and mc.BOUND_ENV in lines[0] and "Traceback" not in res.stderr
            assert all(p.exists() for p in models)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(mc.BOUND_ENV, "-0.5")
        with pytest.raises(mc.CacheConfigError, match="NICSIM_CACHE_GB='-0.5'"):
            build(ModelSpec(top="never_built", sources=(TB_HDL_DIR / "tb_clock_probe.v",)),
                  root=root)
    assert sorted(p.name for p in root.iterdir()) == ["m-0", "m-1"]


def test_cache_listing_and_prune_output_are_clean(tmp_path):
    root = tmp_path / "sim"
    res = cli(cache=root)
    assert res.returncode == 0 and res.stderr == ""
    assert res.stdout.startswith("no cached models in ")
    res = cli("--prune", cache=root)
    assert (res.returncode, res.stderr) == (0, "")
    assert res.stdout.strip() == "0 removed, 0 kept (0 in use), 0 B of 4.0 GiB"

    fake_model(root, "tb_nic-0123456789abcdef", 3 * MIB, age_s=3600)
    fake_model(root, "tb_two_hosts-fedcba9876543210", MIB, age_s=60)
    foreign_folder(root)
    res = cli(cache=root, bound="0.5")
    assert res.returncode == 0 and res.stderr == ""
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["top", "parameters", "size", "last", "use"]
    assert lines[1].split()[:4] == ["tb_two_hosts", "DATA_WIDTH=64", "1.0", "MiB"]
    assert lines[2].split()[:4] == ["tb_nic", "DATA_WIDTH=64", "3.0", "MiB"]
    assert lines[3] == f"2 models, 4.0 MiB of 512.0 MiB (NICSIM_CACHE_GB) in {root}"
    assert lines[4] == f"not a cached model, left alone: {root / 'notes-of-a-user'}"

    res = cli("--prune", cache=root, bound=str(2 / 1024))
    assert res.returncode == 0 and res.stderr == ""
    assert res.stdout.splitlines() == [
        "removed tb_nic-0123456789abcdef (3.0 MiB)",
        "1 removed, 1 kept (0 in use), 1.0 MiB of 2.0 MiB"]
    res = cli("--clear", cache=root)
    assert res.stdout.splitlines()[-1] == "1 removed, 0 kept (0 in use), 0 B of 4.0 GiB"
    assert [p.name for p in root.iterdir()] == ["notes-of-a-user"]


def test_marker_names_the_model(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    mc.mark(folder, {"top": "tb_nic", "parameters": {"DATA_WIDTH": 512}, "waves": True})
    assert json.loads((folder / mc.MARKER).read_text())["parameters"] == {"DATA_WIDTH": 512}
    (model,) = mc.list_models(tmp_path)
    assert (model.top, model.describe_parameters(), model.waves) == ("tb_nic", "DATA_WIDTH=512",
                                                                     True)


@pytest.mark.sim
@pytest.mark.xdist_group("demo_cache")
def test_demo_at_four_widths_in_a_row_stays_within_half_a_gib(tmp_path):
    """`nicsim demo` at 64, 128, 256 and 512 bits, each a process of its own building two
    models into a cache bounded at 0.5 GiB: each works, and what is left after each run is
    within the bound plus the model it used last."""
    cache = tmp_path / "sim"
    env = dict(os.environ, NICSIM_CACHE_DIR=str(cache), **{mc.BOUND_ENV: "0.5"})
    bound = mc.bound_bytes(env)
    for width in (64, 128, 256, 512):
        out = tmp_path / f"demo-{width}"
        res = subprocess.run(
            [sys.executable, "-m", "host.cli", "demo", "--data-width", str(width), "--frames",
             "40", "--rounds", "2", "--out", str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        assert "frames on the wire     40 (NIC TX_FRAMES counter: 40)" in (
            out / "report.txt").read_text()
        assert "1472           2" in (out / "ping_pong.txt").read_text()
        models = mc.list_models(cache)
        assert not any(m.in_use for m in models)  # the demo released them when it ended
        last = models[-1]
        assert (last.top, last.parameters["DATA_WIDTH"]) == ("tb_two_hosts", width)
        assert sum(m.size for m in models) <= bound + last.size
        assert mc.folder_size(cache) <= bound + last.size
