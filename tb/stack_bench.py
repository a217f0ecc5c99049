"""Host-only benchmark of the user-level stack: CPU time per full-size TCP segment.

``stack_cost_per_segment()`` moves a one-way bulk transfer between two stacks joined by the
in-memory pipe device (host/stack/phy/pipe.py) on a simulated clock, and divides the process CPU
time (``time.process_time``) of the transfer by the number of full-size data segments. Both ends
are counted -- the sender building and sending each segment and processing the ACKs, the
receiver taking it in, acknowledging and handing it to the application -- because a simulation
runs both hosts' stacks in one process. The pipe offloads nothing, so the stack computes and
verifies every checksum in software (a big-integer sum in C: a small share of the cost).

    python -m tb.stack_bench [segments]
"""

from __future__ import annotations

import sys
import time

from host.stack.api import SHUT_WR, Stack
from host.stack.iface import Interface, InterfaceConfig
from host.stack.phy import DeviceCapabilities, Impairments, PipeDevice
from host.stack.sim import SimWorld
from host.stack.socket import TcpConfig

MSS = 1460  # a full-size segment at the pipe's 1500-byte MTU
A = ("198.18.0.1", "02:00:00:00:00:01")
B = ("198.18.0.2", "02:00:00:00:00:02")


def stack_cost_per_segment(segments: int = 20_000, *, window: int = 128 * 1024) -> float:
    """Microseconds of CPU per full-size segment for ``segments`` segments sent one way."""
    dev_a, dev_b = PipeDevice.pair(seed=1, impairments=Impairments(delay=5e-6),
                                   capabilities=DeviceCapabilities(mtu=1500))
    world = SimWorld()
    ia = world.add(Interface(dev_a, A[1], A[0] + "/24", config=InterfaceConfig(seed=1)))
    ib = world.add(Interface(dev_b, B[1], B[0] + "/24", config=InterfaceConfig(seed=2)))
    tcp = TcpConfig(rx_buffer=window, tx_buffer=window, rto_min=100e-6, rto_initial=1e-3,
                    clock_granularity=1e-6, delayed_ack=20e-6)
    a = Stack(ia, clock=world.clock, wait=world.wait, tcp_config=tcp)
    b = Stack(ib, clock=world.clock, wait=world.wait, tcp_config=tcp)
    srv = b.socket()
    srv.bind(("0.0.0.0", 5001))
    srv.listen(1)
    cli = a.socket()
    cli.settimeout(1)
    cli.connect((B[0], 5001))
    srv.settimeout(1)
    conn, _ = srv.accept()
    cli.setblocking(False)
    conn.setblocking(False)

    data = memoryview(bytes(segments * MSS))
    state = {"off": 0, "got": 0, "eof": False}

    def step() -> bool:
        off = state["off"]
        while off < len(data):
            try:
                off += cli.send(data[off:off + 65536])
            except BlockingIOError:
                break
        if off == len(data) and state["off"] != off:
            cli.shutdown(SHUT_WR)
        state["off"] = off
        while True:
            try:
                chunk = conn.recv(1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                state["eof"] = True
                break
            state["got"] += len(chunk)
        return state["eof"]

    sent0 = cli.tcp.stats_segments_sent
    cpu0 = time.process_time()
    if not world.run_until(step, timeout=60.0):
        raise RuntimeError("the benchmark transfer did not finish")
    cpu = time.process_time() - cpu0
    if state["got"] != len(data):
        raise RuntimeError(f"received {state['got']} of {len(data)} bytes")
    if cli.tcp.stats_retransmits:
        raise RuntimeError("retransmissions on a clean pipe")
    full = len(data) // MSS
    assert cli.tcp.stats_segments_sent - sent0 >= full
    return cpu * 1e6 / full


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    segments = int(args[0]) if args else 20_000
    cost = stack_cost_per_segment(segments)
    print(f"stack_cost_per_segment: {cost:.1f} us CPU per full-size segment "
          f"({segments} segments of {MSS} bytes, both ends, pipe device)")


if __name__ == "__main__":
    main()
