"""nicsim's user-level ("onload") TCP/UDP/IPv4 stack, sans-IO, in smoltcp's shape.

- ``wire``: zero-copy header views and ``Repr`` parse/emit for Ethernet, ARP, IPv4, ICMP, UDP, TCP
- ``phy``: devices with token-shaped receive/transmit (pipe, TAP, queue, pcap, fault injection)
- ``iface``: ``Interface(device, mac, ip/prefix, gateway)`` with ``poll(now)`` / ``poll_at(now)``
- ``socket``: TCP and UDP state machines (never touch a device)
- ``api``: BSD-shaped sockets (``Stack``) and coroutine versions (``AsyncStack``)
- ``sim``: a simulated clock driving several interfaces; ``services`` / ``serve``: servers

Time is float seconds everywhere, passed in by the caller.
"""

from .api import AsyncStack, Socket, Stack
from .iface import Interface, InterfaceConfig, InterfaceStats
from .phy import DeviceCapabilities, Impairments, PipeDevice, QueueDevice, TapDevice
from .sim import SimWorld
from .socket import State, TcpConfig, TcpSocket, UdpSocket

__all__ = [
    "AsyncStack", "DeviceCapabilities", "Impairments", "Interface", "InterfaceConfig",
    "InterfaceStats", "PipeDevice", "QueueDevice", "SimWorld", "Socket", "Stack", "State",
    "TapDevice", "TcpConfig", "TcpSocket", "UdpSocket",
]
