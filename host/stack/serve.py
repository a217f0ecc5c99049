"""``nicsim serve``: run the stack and its services.

    nicsim serve --direct --tap NAME [--create-tap] --ip ADDR/PREFIX [--gateway ADDR] [--mac MAC]
                 [--echo PORT] [--discard PORT] [--http PORT --root DIR]

``--direct`` runs the stack straight on an existing Linux TAP device (no simulated NIC). It
serves until SIGINT/SIGTERM, then closes every connection with a FIN and exits 0. Also runnable
as ``python -m host.stack.serve ...``.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import time

from ..cliutil import OneLineParser
from .api import Stack
from .iface import Interface
from .iface.interface import parse_cidr
from .phy.tap import TapDevice
from .services import ServiceHost
from .wire.ethernet import mac_from_str
from .wire.ipv4 import ip_from_str


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="nicsim serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--direct", action="store_true",
                   help="run on a TAP device directly (required: the only mode there is)")
    p.add_argument("--tap", help="name of an existing TAP interface")
    p.add_argument("--create-tap", action="store_true",
                   help="make the TAP device if it does not exist (needs CAP_NET_ADMIN)")
    p.add_argument("--ip", help="our address with prefix, e.g. 198.18.0.2/24")
    p.add_argument("--gateway", help="next hop for off-link destinations")
    p.add_argument("--mac", help="our MAC (default: 02:00 + the IPv4 address)")
    p.add_argument("--mtu", type=int, default=1500)
    p.add_argument("--echo", type=int, metavar="PORT", help="echo service (TCP and UDP)")
    p.add_argument("--discard", type=int, metavar="PORT", help="discard service (TCP and UDP)")
    p.add_argument("--http", type=int, metavar="PORT", help="static-file HTTP server")
    p.add_argument("--root", help="directory the HTTP server serves")
    return p


def _check(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, in one line, or None; checked before anything opens."""
    if not args.direct:
        return "--direct is required (the stack on a TAP device is the only mode there is)"
    if not args.tap or not args.ip:
        return "--direct needs --tap NAME and --ip ADDR/PREFIX"
    if args.echo is None and args.discard is None and args.http is None:
        return "nothing to serve (give --echo, --discard and/or --http)"
    if args.http is not None and not args.root:
        return "--http needs --root DIR"
    if args.root is not None and not os.path.isdir(args.root):
        return f"--root {args.root}: not a directory"
    for name in ("echo", "discard", "http"):
        port = getattr(args, name)
        if port is not None and not 1 <= port <= 65535:
            return f"--{name} {port}: a port is 1 to 65535"
    if not 576 <= args.mtu <= 9000:
        return f"--mtu {args.mtu}: give 576 to 9000"
    try:
        parse_cidr(args.ip)
        if args.gateway:
            ip_from_str(args.gateway)
        if args.mac:
            mac_from_str(args.mac)
    except ValueError as e:
        return str(e)
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = _check(args)
    if problem:
        print(f"nicsim serve: {problem}", file=sys.stderr)
        return 2
    addr = ip_from_str(args.ip.partition("/")[0])
    mac = args.mac or "02:00:" + ":".join(f"{b:02x}" for b in addr)
    try:
        device = TapDevice(args.tap, mtu=args.mtu, create=args.create_tap)
    except OSError as e:
        print(f"nicsim serve: cannot open TAP {args.tap!r}: {e.strerror or e}", file=sys.stderr)
        return 2

    stop = {"flag": False}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)

    def on_signal(signum, frame) -> None:
        stop["flag"] = True

    old_wakeup = signal.set_wakeup_fd(wake_w)
    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)

    def wait(timeout: float | None) -> None:
        # a signal writes to wake_w, so select returns at once and the loop sees the flag
        if stop["flag"] and timeout is None:
            timeout = 0
        r, _, _ = select.select([device.fileno(), wake_r], [], [], timeout)
        if wake_r in r:
            try:
                os.read(wake_r, 512)
            except BlockingIOError:
                pass

    iface = Interface(device, mac, args.ip, args.gateway)
    stack = Stack(iface, clock=time.monotonic, wait=wait)
    host = ServiceHost(stack)
    try:
        if args.echo is not None:
            host.add_echo(args.echo)
        if args.discard is not None:
            host.add_discard(args.discard)
        if args.http is not None:
            host.add_http(args.http, args.root)
        print(f"nicsim serve: {args.ip} ({mac}) on {args.tap}: "
              + ", ".join(f"{n} {p}" for n, p in (("echo", args.echo),
                                                   ("discard", args.discard),
                                                   ("http", args.http)) if p is not None),
              flush=True)
        host.run(lambda: stop["flag"], tick=0.5)
        host.shutdown(timeout=3.0)
        print("nicsim serve: stopped", flush=True)
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
        signal.set_wakeup_fd(old_wakeup)
        os.close(wake_r)
        os.close(wake_w)
        device.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
