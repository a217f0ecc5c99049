"""Network namespaces for the tests that meet real Linux over TAP devices.

Everything such a test makes lives in namespaces it made; nothing is added to the root
namespace. Each namespace is named ``nicsim-<pid>-<tag>-<role>``, after the process that made
it, so the next run can tell leftovers of a killed test (maker gone) from a live test's, and
from anything the project did not make (no prefix): ``remove_stale()`` deletes only the first,
and with them every device inside (TAP, bridge and veth devices go with their namespace).

Processes a test starts inside a namespace get the parent-death signal, so a killed test does
not leave them holding its devices. Addresses come from 198.18.0.0/15 and nothing is routed.
"""

from __future__ import annotations

import ctypes
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tb.leftovers import pid_alive

PREFIX = "nicsim-"
NETNS_DIR = Path("/run/netns")
_NAME = re.compile(rf"^{PREFIX}(\d+)-[0-9a-f]+-\w+$")
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1

T = TypeVar("T")


def unavailable() -> str | None:
    """Why this process cannot make namespaces and TAP devices, or None if it can (for a
    test's skip message: root, /dev/net/tun and ip(8) are needed)."""
    missing = [what for what, ok in (("root", os.geteuid() == 0),
                                      ("/dev/net/tun", os.path.exists("/dev/net/tun")),
                                      ("ip(8)", shutil.which("ip") is not None)) if not ok]
    return f"needs {', '.join(missing)} to make namespaces and TAP devices" if missing else None


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=20)


def namespaces() -> list[str]:
    out = ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def stale_namespaces() -> list[str]:
    """The project's namespaces whose maker is gone."""
    stale = []
    for name in namespaces():
        m = _NAME.match(name)
        if m and not pid_alive(int(m.group(1))):
            stale.append(name)
    return stale


def remove_stale() -> list[str]:
    """Delete the namespaces (and so their devices) that killed tests left; returns them."""
    stale = stale_namespaces()
    for name in stale:
        ip("netns", "del", name, check=False)
    return stale


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def call_in(ns: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` on a thread that joined namespace ``ns``: a file it opens there (a TAP's
    /dev/net/tun) stays bound to that namespace for any thread that uses it later."""
    result: dict[str, object] = {}

    def body() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(NETNS_DIR / ns, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns into {ns}: {os.strerror(err)}")
            finally:
                os.close(fd)
            result["value"] = fn()
        except BaseException as e:  # handed to the caller's thread
            result["error"] = e

    thread = threading.Thread(target=body, name=f"netns-{ns}")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


class Namespaces:
    """A set of namespaces one test makes: ``add(role)`` names them, ``remove()`` ends them."""

    def __init__(self) -> None:
        self.base = f"{PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
        self.made: list[str] = []

    def add(self, role: str) -> str:
        if not self.made:
            remove_stale()  # the first namespace of a run clears what killed runs left
        name = f"{self.base}-{role}"
        ip("netns", "add", name)
        self.made.append(name)
        return name

    def remove(self) -> None:
        for name in reversed(self.made):
            ip("netns", "del", name, check=False)
        self.made.clear()

    @staticmethod
    def run(ns: str, *cmd: str, timeout: float = 60, input: bytes | None = None):
        return subprocess.run(["ip", "netns", "exec", ns, *cmd], check=True,
                              capture_output=True, timeout=timeout, input=input,
                              preexec_fn=_die_with_parent)

    @staticmethod
    def popen(ns: str, cmd: list[str], **kw) -> subprocess.Popen:
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(["ip", "netns", "exec", ns, *cmd], preexec_fn=_die_with_parent,
                                **kw)

    def python(self, ns: str, code: str, timeout: float = 60) -> bytes:
        try:
            res = self.run(ns, sys.executable, "-c", textwrap.dedent(code), timeout=timeout)
        except subprocess.CalledProcessError as e:
            raise AssertionError(f"netns script failed: {e.stderr.decode()[-2000:]}") from e
        return res.stdout


class TapTopology(Namespaces):
    """Real Linux on one side of a bridge, two TAP devices for the project's stacks on it:

        namespace <base>-peer: nsimp (veth) 198.18.0.1/24, the Linux kernel's TCP/IP
                                   |
        namespace <base>-wire: nsimv (veth) --- nsimbr (bridge, no IP) --- nsimt1, nsimt2 (TAP)

    A stack attaches to a TAP from inside the wire namespace: a subprocess started with
    ``popen(topo.wire, ...)``, or in this process with ``call_in(topo.wire, ...)``.
    """

    TAPS = ("nsimt1", "nsimt2")
    BRIDGE, VETH, VPEER = "nsimbr", "nsimv", "nsimp"

    def __init__(self, linux_cidr: str = "198.18.0.1/24") -> None:
        super().__init__()
        self.linux_cidr = linux_cidr
        self.peer = self.wire = ""

    def up(self) -> None:
        try:
            self.peer, self.wire = self.add("peer"), self.add("wire")
            w = ("-n", self.wire)
            for tap in self.TAPS:
                ip(*w, "tuntap", "add", "dev", tap, "mode", "tap")
            ip(*w, "link", "add", self.VETH, "type", "veth", "peer", "name", self.VPEER,
               "netns", self.peer)
            ip(*w, "link", "add", self.BRIDGE, "type", "bridge", "stp_state", "0",
               "forward_delay", "0")
            for dev in (*self.TAPS, self.VETH):
                ip(*w, "link", "set", dev, "master", self.BRIDGE)
                ip(*w, "link", "set", dev, "up")
            ip(*w, "link", "set", self.BRIDGE, "up")
            p = ("-n", self.peer)
            ip(*p, "addr", "add", self.linux_cidr, "dev", self.VPEER)
            ip(*p, "link", "set", self.VPEER, "up")
            ip(*p, "link", "set", "lo", "up")
        except BaseException:
            self.remove()
            raise

    def down(self) -> None:
        self.remove()
