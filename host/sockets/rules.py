"""The transport hierarchy's rules, in one place: which protocol a socket is, the order in which
providers are asked for it, and when the user-level provider declines a socket (at creation, or
later, when a call turns out to need the OS).

A rule answers with a ``Declined`` (a reason code and the sentence a socket reports) or None.
The library (``host.sockets.library``) applies them; the providers only carry out calls.
"""

from __future__ import annotations

import ipaddress
import socket as _pysocket
from dataclasses import dataclass

USER, OS = "user", "os"
PROVIDERS = (USER, OS)
TCP, UDP, ICMP, RAW = "tcp", "udp", "icmp", "raw"
PROTOCOLS = (TCP, UDP, ICMP, RAW)

AF_INET = _pysocket.AF_INET
SOL_SOCKET, IPPROTO_TCP = _pysocket.SOL_SOCKET, _pysocket.IPPROTO_TCP
SO_BROADCAST = _pysocket.SO_BROADCAST

# what the user-level stack implements (host.stack.api.Socket.setsockopt minus what the NIC
# cannot serve); every other option makes it decline
USER_LEVEL_OPTIONS = frozenset({
    (SOL_SOCKET, _pysocket.SO_REUSEADDR), (SOL_SOCKET, _pysocket.SO_RCVBUF),
    (SOL_SOCKET, _pysocket.SO_SNDBUF), (SOL_SOCKET, _pysocket.SO_LINGER),
    (SOL_SOCKET, _pysocket.SO_KEEPALIVE), (IPPROTO_TCP, _pysocket.TCP_NODELAY),
})
# the OS stack's: the same code, and broadcasts, which only the OS receives: a broadcast's
# destination address is no host's, so no NIC filter matches it and it lands on VI 0
OS_OPTIONS = USER_LEVEL_OPTIONS | {(SOL_SOCKET, SO_BROADCAST)}

# reason codes
HIERARCHY = "hierarchy"    # the hierarchy for this protocol does not list the provider
PROTOCOL = "protocol"      # the provider cannot serve the protocol
NO_VI = "no-vi"            # the process could not get a VI
NO_BUFFERS = "no-buffers"  # ... or could not register packet buffers
NO_FILTER = "no-filter"    # the NIC's filter table is full
UNREACHABLE = "unreachable"  # the destination is this host: the NIC cannot reach it
OPTION = "option"          # an option the provider does not implement
ADDRESS = "address"        # a bind to an address the NIC does not own


@dataclass(frozen=True)
class Declined(Exception):
    """A provider will not serve a socket: ``code`` (one of the reason codes) and ``why``."""

    code: str
    why: str

    def __str__(self) -> str:
        return f"{self.code}: {self.why}"


def protocol_of(type: int, proto: int) -> str | None:
    """The hierarchy key of ``socket(AF_INET, type, proto)``; None if no provider could serve
    it (the last provider's ``socket`` reports why, as the OS would)."""
    if type == _pysocket.SOCK_STREAM and proto in (0, _pysocket.IPPROTO_TCP):
        return TCP
    if type == _pysocket.SOCK_DGRAM and proto in (0, _pysocket.IPPROTO_UDP):
        return UDP
    if type == _pysocket.SOCK_DGRAM and proto == _pysocket.IPPROTO_ICMP:
        return ICMP
    if type == _pysocket.SOCK_RAW:
        return RAW
    return None


def declines_protocol(protocol: str | None) -> Declined | None:
    """The user-level stack serves TCP and UDP; ICMP and raw sockets are the OS's."""
    if protocol in (TCP, UDP):
        return None
    return Declined(PROTOCOL, f"the user-level stack serves TCP and UDP, not {protocol or 'this'}"
                    " sockets")


def declines_option(level: int, option: int) -> Declined | None:
    if (level, option) in USER_LEVEL_OPTIONS:
        return None
    if (level, option) == (SOL_SOCKET, SO_BROADCAST):
        return Declined(OPTION, "SO_BROADCAST: broadcasts match no NIC filter, only the OS "
                        "receives them")
    return Declined(OPTION, f"option (level {level}, {option}) is not implemented by the "
                    "user-level stack")


def os_implements(level: int, option: int) -> bool:
    return (level, option) in OS_OPTIONS


def _is_any(ip: bytes) -> bool:
    return ip == b"\x00\x00\x00\x00"


def declines_bind(ip: bytes, nic_addresses: frozenset[bytes]) -> Declined | None:
    """A bind the NIC can steer: to the wildcard or an address the NIC owns."""
    if _is_any(ip) or ip in nic_addresses:
        return None
    return Declined(ADDRESS, f"bind to {ipaddress.IPv4Address(ip)}: not an address of the NIC")


def declines_destination(ip: bytes, host_addresses: frozenset[bytes]) -> Declined | None:
    """The NIC sends to the wire only: this host's own addresses (another process here, or the
    host itself) are reached through the OS."""
    if ip in host_addresses or ip[0] == 127:
        return Declined(UNREACHABLE, f"{ipaddress.IPv4Address(ip)} is this host: the NIC "
                        "cannot reach it")
    return None


def not_listed(provider: str, protocol: str) -> Declined:
    return Declined(HIERARCHY, f"the hierarchy for {protocol} does not list {provider}")


class Hierarchy:
    """For each protocol, the providers asked in order. The default is the published design:
    the user-level stack first, the OS below it (ICMP and raw sockets: the OS only).

    ``Hierarchy.parse("tcp=user,os;udp=os")`` changes the protocols it names and keeps the
    defaults of the others (the text is what a process's environment would carry)."""

    DEFAULT = {TCP: (USER, OS), UDP: (USER, OS), ICMP: (OS,), RAW: (OS,)}

    def __init__(self, orders: dict[str, tuple[str, ...]] | None = None) -> None:
        merged = dict(self.DEFAULT)
        for protocol, order in (orders or {}).items():
            if protocol not in PROTOCOLS:
                raise ValueError(f"unknown protocol {protocol!r}: want one of "
                                 f"{', '.join(PROTOCOLS)}")
            order = tuple(order)
            if not order:
                raise ValueError(f"the hierarchy for {protocol} lists no provider")
            for name in order:
                if name not in PROVIDERS:
                    raise ValueError(f"unknown provider {name!r} for {protocol}: want one of "
                                     f"{', '.join(PROVIDERS)}")
            if len(set(order)) != len(order):
                raise ValueError(f"the hierarchy for {protocol} lists a provider twice")
            merged[protocol] = order
        self.orders = merged

    @classmethod
    def parse(cls, text: str) -> Hierarchy:
        orders = {}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            protocol, eq, names = part.partition("=")
            if not eq:
                raise ValueError(f"bad hierarchy entry {part!r}: want protocol=provider,...")
            orders[protocol.strip()] = tuple(n.strip() for n in names.split(",") if n.strip())
        return cls(orders)

    def order(self, protocol: str | None) -> tuple[str, ...]:
        """Providers for ``protocol`` in order (an unknown one goes to the OS, which refuses
        it as Linux would)."""
        return self.orders.get(protocol, (OS,))

    def below(self, protocol: str, provider: str) -> tuple[str, ...]:
        order = self.order(protocol)
        return order[order.index(provider) + 1:] if provider in order else ()

    def __str__(self) -> str:
        return ";".join(f"{p}={','.join(o)}" for p, o in self.orders.items())
