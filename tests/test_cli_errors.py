"""Bad input at the command line: one clear line on stderr and exit code 2, never a traceback,
never a silent success, and nothing built or created first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tb.runner import ROOT


def nicsim(*args: str, env: dict[str, str] | None = None, netns: str | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "host.cli", *args]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line(res: subprocess.CompletedProcess, *phrases: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stdout[-2000:], res.stderr[-2000:])
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])


MODEL_CASES = [
    (("demo", "--data-width", "100"), {}, "--data-width 100"),
    (("demo", "--dma-latency", "70000"), {}, "--dma-latency"),
    (("demo", "--frames", "0"), {}, "--frames 0"),
    (("sim", "tb.scenarios.no_such_module"), {}, "no scenario module"),
    (("sim", "tb.scenarios.demo", "udp_ping_pong", "--top", "tb_nic"), {},
     "runs on tb_two_hosts, not tb_nic"),
    (("sim", "tb.scenarios.demo", "no_such_test"), {}, "has no test 'no_such_test'"),
    (("sim", "tb.scenarios.demo"), {}, "name one test"),
    (("demo",), {"PCAP": "/no/such/dir/x.pcap"}, "PCAP=/no/such/dir/x.pcap"),
    (("demo",), {"WAVES_FROM": "soon"}, "WAVES_FROM='soon'"),
    (("demo",), {"WAVES_FROM": "500", "WAVES_TO": "100"}, "WAVES_TO=100 is not after"),
    (("demo",), {"WAVES": "1", "WAVES_FORMAT": "lxt"}, "WAVES_FORMAT='lxt'"),
    (("demo",), {"NICSIM_CACHE_GB": "-1"}, "NICSIM_CACHE_GB='-1'"),
    (("bogus",), {}, "invalid choice: 'bogus'"),
    (("demo", "--frames", "many"), {}, "invalid int value: 'many'"),
    (("waves", "/no/such/trace.fst"), {}, "no trace at /no/such/trace.fst"),
]


@pytest.mark.parametrize("args,env,phrase", MODEL_CASES,
                         ids=[" ".join(a) + (f" {e}" if e else "") for a, e, _ in MODEL_CASES])
def test_bad_argument_is_one_line_before_anything_is_built(args, env, phrase, tmp_path):
    cache = tmp_path / "sim"
    res = nicsim(*args, env={"NICSIM_CACHE_DIR": str(cache), **env})
    assert_one_line(res, phrase)
    assert not cache.exists()  # nothing was built


SERVE_CASES = [
    (("--tap", "x", "--ip", "198.18.0.9/24", "--echo", "7"), "--direct is required"),
    (("--direct", "--tap", "x", "--ip", "999.1.2.3/24", "--echo", "7"),
     "bad IPv4 address '999.1.2.3'"),
    (("--direct", "--tap", "x", "--ip", "198.18.0.9/40", "--echo", "7"), "bad prefix length"),
    (("--direct", "--tap", "x", "--ip", "198.18.0.9/24", "--mac", "zz:zz", "--echo", "7"),
     "bad MAC address 'zz:zz'"),
    (("--direct", "--tap", "x", "--ip", "198.18.0.9/24", "--http", "80", "--root",
      "/no/such/dir"), "--root /no/such/dir: not a directory"),
    (("--direct", "--tap", "x", "--ip", "198.18.0.9/24", "--echo", "70000"), "--echo 70000"),
    (("--direct", "--tap", "x", "--ip", "198.18.0.9/24"), "nothing to serve"),
]


@pytest.mark.parametrize("args,phrase", SERVE_CASES, ids=[p for _, p in SERVE_CASES])
def test_serve_bad_argument_is_one_line(args, phrase):
    assert_one_line(nicsim("serve", *args), phrase)


@pytest.mark.root
def test_serve_on_a_missing_tap_is_an_error_and_creates_nothing():
    """A mistyped TAP name: an error, not a new, down TAP served forever. Run in a namespace of
    its own, so even a regression could not add a device to the root namespace."""
    from tb.netns import Namespaces, unavailable

    if unavailable():
        pytest.skip(f"{unavailable()} (serve runs in a namespace of its own)")

    spaces = Namespaces()
    ns = spaces.add("cli")
    try:
        res = nicsim("serve", "--direct", "--tap", "nosuch0", "--ip", "198.18.0.9/24",
                     "--echo", "7", netns=ns, timeout=30)
        assert_one_line(res, "cannot open TAP 'nosuch0'", "no network device")
        links = subprocess.run(["ip", "-n", ns, "-o", "link"], capture_output=True, text=True,
                               check=True).stdout
        assert "nosuch0" not in links
    finally:
        spaces.remove()
    with pytest.raises(OSError):
        socket.if_nametoindex("nosuch0")
