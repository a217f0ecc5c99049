"""A Linux TAP interface (``/dev/net/tun`` with IFF_TAP | IFF_NO_PI), non-blocking.

Attaches to an existing TAP device by name; with ``create=True`` it makes a non-persistent one
if there is none (the caller needs CAP_NET_ADMIN), otherwise a missing name is an error, not a
new, unconnected device. The TX buffer handed out is one preallocated bytearray per device;
``commit`` writes it to the fd with a single ``os.write``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import socket
import struct

from .device import Device, DeviceCapabilities, RxToken, TxToken

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


class TapDevice(Device):
    def __init__(self, name: str, mtu: int = 1500, create: bool = False) -> None:
        self.name = name
        self.capabilities = DeviceCapabilities(mtu=mtu)
        if not create:
            try:
                socket.if_nametoindex(name)  # in this thread's network namespace
            except OSError:
                raise FileNotFoundError(errno.ENODEV, f"no network device {name!r}") from None
        self._fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        try:
            ifr = struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI)
            fcntl.ioctl(self._fd, TUNSETIFF, ifr)
        except OSError as e:
            os.close(self._fd)
            if e.errno == errno.EINVAL:
                raise OSError(e.errno, f"{name!r} is not a TAP device") from None
            raise
        self._rx_buf = bytearray(65536)
        self._tx_buf = bytearray(self.capabilities.max_frame)
        self.tx_errors = 0

    def fileno(self) -> int:
        return self._fd

    def receive(self, now: float | None = None) -> RxToken | None:
        try:
            n = os.readv(self._fd, [self._rx_buf])
        except BlockingIOError:
            return None
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EINTR):
                return None
            raise
        return RxToken(memoryview(self._rx_buf)[:n])

    def transmit(self, length: int, now: float | None = None) -> TxToken | None:
        if length > len(self._tx_buf):
            return None
        return TxToken(memoryview(self._tx_buf)[:length], self._write)

    def _write(self, frame: memoryview) -> None:
        try:
            os.write(self._fd, frame)
        except OSError:
            # a full TAP queue or a downed link is packet loss; TCP recovers
            self.tx_errors += 1

    def wait(self, timeout: float | None) -> None:
        """Block until a frame is readable or ``timeout`` seconds pass."""
        if timeout is not None and timeout <= 0:
            return
        select.select([self._fd], [], [], timeout)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
