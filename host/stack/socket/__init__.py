"""Sans-IO socket state machines (they never touch a device)."""

from .tcp import State, TcpConfig, TcpSocket
from .udp import UdpSocket

__all__ = ["State", "TcpConfig", "TcpSocket", "UdpSocket"]
