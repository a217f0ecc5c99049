"""Timers scaled to microsecond paths (TcpConfig), and the device's once-per-poll submit."""

from __future__ import annotations

import pytest

from host.stack.api import Stack
from host.stack.iface import Interface, InterfaceConfig
from host.stack.phy import Impairments, PipeDevice
from host.stack.sim import SimWorld
from host.stack.socket import TcpConfig

from .helpers import A_IP, A_MAC, B_IP, B_MAC, make_net
from .test_tcp_pipe import connect_pair, tracer

# what the in-simulator stack uses between two hosts a few microseconds apart
SHORT_PATH = TcpConfig(rto_initial=1e-3, rto_min=100e-6, clock_granularity=1e-6,
                       delayed_ack=20e-6)


def ping_pong(cli, conn, rounds: int = 20) -> None:
    for i in range(rounds):
        msg = b"%d" % i
        cli.sendall(msg)
        assert conn.recv(100) == msg
        conn.sendall(msg)
        assert cli.recv(100) == msg


def test_rto_follows_a_microsecond_rtt_with_fine_grained_timers():
    """With a 1 us clock granularity the RTO comes down to RTO_min (100 us) on a 10 us RTT path,
    and a lost segment is retransmitted that long after it was sent."""
    net = make_net(seed=61, impairments=Impairments(delay=5e-6), tcp=SHORT_PATH)
    _, cli, conn = connect_pair(net)
    ping_pong(cli, conn)
    assert cli.tcp.srtt == pytest.approx(10e-6, rel=0.05)
    assert cli.tcp.rto == pytest.approx(100e-6)
    events = tracer(cli)
    net.dev_a.set_impairments(Impairments(loss=1.0, delay=5e-6))
    t0 = net.world.now
    cli.send(b"lost")
    net.run_for(150e-6)
    rtx = [now for ev, now, _ in events if ev == "retransmit"]
    assert rtx and rtx[0] - t0 == pytest.approx(100e-6, abs=1e-9)


def test_the_default_clock_granularity_keeps_rto_above_a_millisecond():
    """RFC 6298: RTO = SRTT + max(G, 4 RTTVAR). With the default G of 1 ms a lower RTO_min
    alone cannot bring the RTO below SRTT + 1 ms."""
    net = make_net(seed=62, impairments=Impairments(delay=5e-6),
                   tcp=TcpConfig(rto_min=100e-6))
    _, cli, conn = connect_pair(net)
    ping_pong(cli, conn)
    assert cli.tcp.rto == pytest.approx(cli.tcp.srtt + 1e-3)


class RecordingPipe(PipeDevice):
    """A pipe end that records its frames and the interface's submit calls, in order."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[str] = []

    def _send(self, frame) -> None:
        self.log.append("frame")
        super()._send(frame)

    def submit(self) -> None:
        self.log.append("submit")


def test_interface_submits_once_per_poll_after_the_frames_of_the_poll():
    """A batching device (the NIC VI rings one doorbell per poll) gets ``submit`` once at the
    end of every poll, after all the frames the poll built."""
    dev_a, dev_b = RecordingPipe.pair(seed=63, impairments=Impairments(delay=1e-3))
    world = SimWorld()
    ia = world.add(Interface(dev_a, A_MAC, A_IP + "/24", config=InterfaceConfig(seed=1)))
    ib = world.add(Interface(dev_b, B_MAC, B_IP + "/24", config=InterfaceConfig(seed=2)))
    a = Stack(ia, clock=world.clock, wait=world.wait)
    b = Stack(ib, clock=world.clock, wait=world.wait)
    srv = b.socket()
    srv.bind(("0.0.0.0", 5000))
    srv.listen(1)
    cli = a.socket()
    cli.settimeout(1)
    cli.connect((B_IP, 5000))
    dev_a.log.clear()
    assert cli.tcp.send(bytes(64 * 1024)) == 64 * 1024  # queued, nothing polled yet
    ia.poll(world.now)
    assert dev_a.log == ["frame"] * 10 + ["submit"]  # the initial window, one submit
    dev_a.log.clear()
    ia.poll(world.now)  # nothing to send
    assert dev_a.log == ["submit"]
