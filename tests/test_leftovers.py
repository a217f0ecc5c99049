"""What a killed run leaves is removed by the next run: shared-memory regions (tb/leftovers.py)
and network namespaces with their devices (tb/netns.py). Nothing the project did not make, and
nothing a live run uses, is touched."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tb import netns
from tb.leftovers import SHM_PREFIX, shm_parent
from tb.runner import ROOT, TB_HDL_DIR, ModelSpec, build


def start(code: str) -> tuple[subprocess.Popen, str]:
    """A Python process of our own that prints one line when ready, then waits for stdin."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


MAP_A_REGION = """
    import os, sys
    from tb.leftovers import new_shm_dir
    d = new_shm_dir()
    os.environ["NICSIM_SHM_DIR"] = str(d)
    from tb.shm import host_memory
    mem = host_memory(0, 1 << 20)
    mem[:4] = b"live"
    print(d, flush=True)
    sys.stdin.read()
"""


@pytest.mark.sim
@pytest.mark.xdist_group("tb_clock_probe")
@pytest.mark.skipif(shm_parent() is None, reason="needs /dev/shm")
def test_region_left_by_a_killed_simulation_is_removed_by_the_next_run():
    live, live_dir = start(MAP_A_REGION)
    killed, killed_dir = start(MAP_A_REGION)  # maps its regions as a simulation does
    kill(killed)
    # a simulation orphaned by its killed parent still maps a region in the dead parent's folder
    dead_pid = killed.pid
    orphan_dir = shm_parent() / f"{SHM_PREFIX}{dead_pid}-orphan"
    orphan_dir.mkdir()
    (orphan_dir / "region0").write_bytes(b"\0" * 4096)
    orphan, _ = start(f"""
        import mmap, sys
        f = open({str(orphan_dir / 'region0')!r}, "r+b")
        m = mmap.mmap(f.fileno(), 4096)
        print("mapped", flush=True)
        sys.stdin.read()
    """)
    not_ours = shm_parent() / "nicsimulator-data"  # close to the prefix, but not the runner's
    not_ours.mkdir()
    try:
        assert list(Path(killed_dir).glob("region*"))
        model = build(ModelSpec(top="tb_clock_probe", sources=(TB_HDL_DIR / "tb_clock_probe.v",),
                                parameters=(("HDL_CLK", 1),), timing=True))
        model.run("tb.clock_probe.test_clock_probe", extra_env={"NICSIM_PROBE_HDL_CLK": "1"},
                  results_name="clock_probe-leftovers")
        assert not Path(killed_dir).exists()
        (region,) = Path(live_dir).glob("region*")
        assert region.read_bytes()[:4] == b"live"
        assert (orphan_dir / "region0").exists() and not_ours.is_dir()
        own = [p for p in shm_parent().glob(f"{SHM_PREFIX}{os.getpid()}-*")]
        assert own == []  # the run removed its own folder when it ended
    finally:
        for proc in (live, orphan):
            proc.stdin.close()
            proc.wait(timeout=30)
        shutil.rmtree(live_dir, ignore_errors=True)
        shutil.rmtree(orphan_dir, ignore_errors=True)
        not_ours.rmdir()


def _need_root() -> None:
    reason = netns.unavailable()
    if reason:
        pytest.skip(reason)


def _root_links() -> set[str]:
    out = netns.ip("-o", "link", "show").stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


@pytest.mark.root
@pytest.mark.xdist_group("stack_tap")
def test_devices_left_by_a_killed_tap_test_are_removed_by_the_next_tap_test():
    _need_root()
    root_before = _root_links()
    killed, names = start("""
        import sys
        from tb.netns import TapTopology
        t = TapTopology()
        t.up()
        print(t.peer, t.wire, flush=True)
        sys.stdin.read()
    """)
    peer, wire = names.split()
    kill(killed)
    foreign = f"othertool-{os.getpid()}"  # a namespace the project's prefix does not name
    netns.ip("netns", "add", foreign)
    topo = netns.TapTopology()
    try:
        assert {peer, wire} <= set(netns.namespaces())
        links = netns.ip("-n", wire, "-o", "link", "show").stdout
        assert "nsimt1" in links and "nsimbr" in links  # the killed test's devices
        topo.up()  # the next TAP test
        left = set(netns.namespaces())
        assert peer not in left and wire not in left
        assert {topo.peer, topo.wire, foreign} <= left
        # nothing of either test in the root namespace
        assert _root_links() == root_before
    finally:
        topo.down()
        netns.ip("netns", "del", foreign, check=False)
    assert not {topo.peer, topo.wire} & set(netns.namespaces())


@pytest.mark.root
@pytest.mark.xdist_group("stack_tap")
def test_tap_opened_from_this_process_is_the_one_in_the_wire_namespace():
    """call_in binds a TAP's file to the namespace: the wire namespace's TAP gains its carrier
    (a process holds it) and the root namespace gains no device."""
    _need_root()
    from host.stack.phy import TapDevice

    root_before = _root_links()
    topo = netns.TapTopology()
    topo.up()
    try:
        def carrier() -> bool:
            out = netns.ip("-n", topo.wire, "-o", "link", "show", "nsimt1").stdout
            return "NO-CARRIER" not in out

        assert not carrier()
        dev = netns.call_in(topo.wire, lambda: TapDevice("nsimt1"))
        try:
            assert carrier() and _root_links() == root_before
        finally:
            dev.close()
        assert not carrier()
    finally:
        topo.down()
