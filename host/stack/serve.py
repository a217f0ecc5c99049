"""``nicsim serve``: run the stack and its services.

    nicsim serve --direct --tap NAME --ip ADDR/PREFIX [--gateway ADDR] [--mac MAC]
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

from .api import Stack
from .iface import Interface
from .phy.tap import TapDevice
from .services import ServiceHost
from .wire.ipv4 import ip_from_str


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nicsim serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--direct", action="store_true",
                   help="run on a TAP device directly (the only mode available now)")
    p.add_argument("--tap", help="name of an existing TAP interface")
    p.add_argument("--ip", help="our address with prefix, e.g. 198.18.0.2/24")
    p.add_argument("--gateway", help="next hop for off-link destinations")
    p.add_argument("--mac", help="our MAC (default: 02:00 + the IPv4 address)")
    p.add_argument("--mtu", type=int, default=1500)
    p.add_argument("--echo", type=int, metavar="PORT", help="echo service (TCP and UDP)")
    p.add_argument("--discard", type=int, metavar="PORT", help="discard service (TCP and UDP)")
    p.add_argument("--http", type=int, metavar="PORT", help="static-file HTTP server")
    p.add_argument("--root", help="directory the HTTP server serves")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.direct:
        print("nicsim serve: the simulated-NIC mode is not available yet; "
              "use --direct --tap NAME to run the stack on a TAP device", file=sys.stderr)
        return 2
    if not args.tap or not args.ip:
        print("nicsim serve: --direct needs --tap NAME and --ip ADDR/PREFIX", file=sys.stderr)
        return 2
    if args.http is not None and not args.root:
        print("nicsim serve: --http needs --root DIR", file=sys.stderr)
        return 2
    if args.echo is None and args.discard is None and args.http is None:
        print("nicsim serve: nothing to serve (give --echo, --discard and/or --http)",
              file=sys.stderr)
        return 2
    try:
        addr = ip_from_str(args.ip.partition("/")[0])
    except ValueError as e:
        print(f"nicsim serve: {e}", file=sys.stderr)
        return 2
    mac = args.mac or "02:00:" + ":".join(f"{b:02x}" for b in addr)
    try:
        device = TapDevice(args.tap, mtu=args.mtu)
    except OSError as e:
        print(f"nicsim serve: cannot open TAP {args.tap!r}: {e}", file=sys.stderr)
        return 1

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
