"""Ethernet/ARP/IPv4/ICMP interface that moves frames between a device and sockets."""

from .interface import Interface, InterfaceConfig
from .stats import InterfaceStats

__all__ = ["Interface", "InterfaceConfig", "InterfaceStats"]
