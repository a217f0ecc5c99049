"""Zero-copy views and small representations of the wire formats the stack speaks.

Each protocol module has a view class over a buffer (``EthernetFrame``, ``Ipv4Packet``, ...) with
per-field accessors and checksum helpers, and a ``...Repr`` dataclass with ``parse(view)`` and
``emit(buffer)`` that writes the header in place.
"""

from .arp import ArpPacket, ArpRepr
from .checksum import checksum, ones_sum, pseudo_header_sum
from .ethernet import EthernetFrame, EthernetRepr, mac_from_str, mac_to_str
from .icmpv4 import IcmpPacket, IcmpRepr
from .ipv4 import ChecksumError, Ipv4Packet, Ipv4Repr, ip_from_str, ip_to_str
from .tcp import TcpOptions, TcpPacket, TcpRepr, parse_options
from .udp import UdpPacket, UdpRepr

__all__ = [
    "ArpPacket", "ArpRepr", "ChecksumError", "EthernetFrame", "EthernetRepr", "IcmpPacket",
    "IcmpRepr", "Ipv4Packet", "Ipv4Repr", "TcpOptions", "TcpPacket", "TcpRepr", "UdpPacket",
    "UdpRepr", "checksum", "ip_from_str", "ip_to_str", "mac_from_str", "mac_to_str", "ones_sum",
    "parse_options", "pseudo_header_sum",
]
