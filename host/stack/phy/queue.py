"""A device backed by two plain queues: frames are injected with ``inject`` and whatever the
stack transmits is collected in ``sent``. For conformance tests and for hand-driven setups."""

from __future__ import annotations

from collections import deque

from .device import Device, DeviceCapabilities, RxToken, TxToken


class QueueDevice(Device):
    def __init__(self, capabilities: DeviceCapabilities | None = None) -> None:
        self.capabilities = capabilities or DeviceCapabilities()
        self.inbox: deque = deque()
        self.sent: list[bytes] = []
        self.tx_refuse = False  # simulate a full TX ring

    def inject(self, frame, ip_checksum_ok: bool | None = None,
               l4_checksum_ok: bool | None = None) -> None:
        self.inbox.append((bytes(frame), ip_checksum_ok, l4_checksum_ok))

    def receive(self, now: float | None = None) -> RxToken | None:
        if not self.inbox:
            return None
        frame, ip_ok, l4_ok = self.inbox.popleft()
        return RxToken(frame, ip_checksum_ok=ip_ok, l4_checksum_ok=l4_ok)

    def transmit(self, length: int, now: float | None = None) -> TxToken | None:
        if self.tx_refuse:
            return None
        return TxToken(bytearray(length), lambda buf: self.sent.append(bytes(buf)))

    def take(self) -> list[bytes]:
        out, self.sent = self.sent, []
        return out
