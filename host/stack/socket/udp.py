"""UDP socket, sans-IO: a bounded queue of datagrams each way."""

from __future__ import annotations

import errno
from collections import deque


class UdpSocket:
    def __init__(self, rx_buffer: int = 256 * 1024, tx_buffer: int = 256 * 1024) -> None:
        self.iface = None  # set by Interface.add_socket
        self.local_ip: bytes | None = None
        self.local_port = 0
        self.rx_buffer = rx_buffer
        self.tx_buffer = tx_buffer
        self._rx: deque[tuple[bytes, bytes, int]] = deque()  # (data, src_ip, src_port)
        self._rx_bytes = 0
        self._tx: deque[tuple[bytes, bytes, int]] = deque()  # (data, dst_ip, dst_port)
        self._tx_bytes = 0
        self.rx_drops = 0
        self.error: int | None = None  # e.g. ECONNREFUSED from an ICMP port unreachable
        self.remote: tuple[bytes, int] | None = None  # the peer of a connected socket

    @property
    def is_bound(self) -> bool:
        return self.local_port != 0

    def bind(self, port: int = 0, ip: bytes | None = None) -> None:
        if self.is_bound:
            raise OSError(errno.EINVAL, "already bound")
        self.local_port = self.iface._udp_bind(self, port)
        self.local_ip = ip

    def max_payload(self) -> int:
        return self.iface.device.capabilities.mtu - 28

    def send_to(self, data, ip: bytes, port: int) -> bool:
        """Queue one datagram; False if the send queue is full (would block)."""
        if not self.is_bound:
            self.bind(0)
        if len(data) > self.max_payload():
            raise OSError(errno.EMSGSIZE, "datagram larger than the MTU allows")
        if not 0 < port < 65536:
            raise OSError(errno.EINVAL, "bad port")
        if self._tx_bytes + len(data) > self.tx_buffer and self._tx:
            return False
        self._tx.append((bytes(data), ip, port))
        self._tx_bytes += len(data)
        return True

    def recv_from(self) -> tuple[bytes, tuple[bytes, int]] | None:
        if not self._rx:
            return None
        data, ip, port = self._rx.popleft()
        self._rx_bytes -= len(data)
        return data, (ip, port)

    @property
    def is_readable(self) -> bool:
        return bool(self._rx) or self.error is not None

    @property
    def is_writable(self) -> bool:
        return self._tx_bytes < self.tx_buffer

    def process(self, now: float, src_ip: bytes, src_port: int, payload) -> None:
        n = len(payload)
        if self._rx_bytes + n > self.rx_buffer:
            self.rx_drops += 1
            return
        self._rx.append((bytes(payload), src_ip, src_port))
        self._rx_bytes += n

    def poll_at(self, now: float) -> float | None:
        return now if self._tx else None

    def dispatch(self, now: float, emit) -> None:
        while self._tx:
            data, ip, port = self._tx[0]
            if not emit(self, data, ip, port):
                return
            self._tx.popleft()
            self._tx_bytes -= len(data)

    def close(self) -> None:
        if self.iface is not None:
            self.iface._udp_unbind(self)
        self.local_port = 0
        self._rx.clear()
        self._tx.clear()
