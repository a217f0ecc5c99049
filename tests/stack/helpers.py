"""Shared setup for the stack tests: two hosts joined by a seeded pipe on a simulated clock."""

from __future__ import annotations

from dataclasses import dataclass

from host.stack.api import Stack
from host.stack.iface import Interface, InterfaceConfig
from host.stack.phy import DeviceCapabilities, Impairments, PipeDevice
from host.stack.sim import SimWorld
from host.stack.socket import TcpConfig

A_IP, B_IP = "198.18.0.1", "198.18.0.2"
A_MAC, B_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


@dataclass
class Net:
    world: SimWorld
    dev_a: PipeDevice
    dev_b: PipeDevice
    a: Stack
    b: Stack

    @property
    def ia(self) -> Interface:
        return self.a.iface

    @property
    def ib(self) -> Interface:
        return self.b.iface

    def run_until(self, predicate, timeout: float = 60.0) -> bool:
        return self.world.run_until(predicate, timeout)

    def run_for(self, seconds: float) -> None:
        self.world.run_for(seconds)


def make_net(seed: int = 1, impairments: Impairments | None = None,
             impairments_back: Impairments | None = None, tcp: TcpConfig | None = None,
             tcp_b: TcpConfig | None = None, mtu: int = 1500,
             iface_config: dict | None = None) -> Net:
    imp = impairments or Impairments(delay=0.001)
    dev_a, dev_b = PipeDevice.pair(seed=seed, impairments=imp, impairments_back=impairments_back,
                                   capabilities=DeviceCapabilities(mtu=mtu))
    world = SimWorld()
    extra = iface_config or {}
    ia = world.add(Interface(dev_a, A_MAC, A_IP + "/24",
                             config=InterfaceConfig(seed=seed * 10 + 1, **extra)))
    ib = world.add(Interface(dev_b, B_MAC, B_IP + "/24",
                             config=InterfaceConfig(seed=seed * 10 + 2, **extra)))
    a = Stack(ia, clock=world.clock, wait=world.wait, tcp_config=tcp)
    b = Stack(ib, clock=world.clock, wait=world.wait, tcp_config=tcp_b or tcp)
    return Net(world, dev_a, dev_b, a, b)


def frames_by_proto(frames: list[bytes]):
    """Decode a list of raw frames with scapy."""
    from scapy.layers.l2 import Ether
    return [Ether(f) for f in frames]
