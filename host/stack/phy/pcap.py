"""Middleware devices: a classic-pcap writer and a fault injector, each wrapping any device."""

from __future__ import annotations

import random
import struct

from .device import Device, RxToken, TxToken

_PCAP_MAGIC = 0xA1B2C3D4
_LINKTYPE_ETHERNET = 1


class PcapWriter(Device):
    """Records every frame received and transmitted through ``inner`` into a pcap file.

    Timestamps are the stack's ``now`` (simulated time on the pipe)."""

    def __init__(self, inner: Device, path_or_file, snaplen: int = 65535) -> None:
        self.inner = inner
        self.capabilities = inner.capabilities
        self._own = isinstance(path_or_file, (str, bytes)) or hasattr(path_or_file, "__fspath__")
        self._file = open(path_or_file, "wb") if self._own else path_or_file  # noqa: SIM115
        self._snaplen = snaplen
        self._now = 0.0
        self._file.write(struct.pack("<IHHiIII", _PCAP_MAGIC, 2, 4, 0, 0, snaplen,
                                     _LINKTYPE_ETHERNET))

    def _record(self, frame) -> None:
        sec = int(self._now)
        usec = int((self._now - sec) * 1_000_000)
        cap = min(len(frame), self._snaplen)
        self._file.write(struct.pack("<IIII", sec, usec, cap, len(frame)))
        self._file.write(frame[:cap])

    def receive(self, now: float | None = None) -> RxToken | None:
        if now is not None:
            self._now = now
        tok = self.inner.receive(now)
        if tok is not None:
            self._record(tok.buffer)
        return tok

    def transmit(self, length: int, now: float | None = None) -> TxToken | None:
        if now is not None:
            self._now = now
        tok = self.inner.transmit(length, now)
        if tok is None:
            return None

        def commit(buf: memoryview, inner_tok: TxToken = tok) -> None:
            self._record(buf)
            inner_tok.commit()

        return TxToken(tok.buffer, commit)

    def poll_at(self) -> float | None:
        return self.inner.poll_at()

    def submit(self) -> None:
        self.inner.submit()

    def fileno(self):
        return self.inner.fileno()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if self._own:
            self._file.close()
        self.inner.close()


class FaultInjector(Device):
    """Drops or corrupts frames on their way in and out of ``inner``, seeded.

    ``rx_drop``/``tx_drop`` are probabilities; ``rx_corrupt`` flips one bit of a received frame;
    ``rx_truncate`` cuts a received frame short at a random length."""

    def __init__(self, inner: Device, seed: int = 0, rx_drop: float = 0.0, tx_drop: float = 0.0,
                 rx_corrupt: float = 0.0, rx_truncate: float = 0.0) -> None:
        self.inner = inner
        self.capabilities = inner.capabilities
        self.rng = random.Random(seed)
        self.rx_drop, self.tx_drop = rx_drop, tx_drop
        self.rx_corrupt, self.rx_truncate = rx_corrupt, rx_truncate
        self.injected = 0

    def receive(self, now: float | None = None) -> RxToken | None:
        while True:
            tok = self.inner.receive(now)
            if tok is None:
                return None
            if self.rng.random() < self.rx_drop:
                tok.release()
                self.injected += 1
                continue
            break
        if self.rx_corrupt and self.rng.random() < self.rx_corrupt and len(tok.buffer):
            data = bytearray(tok.buffer)
            data[self.rng.randrange(len(data))] ^= 1 << self.rng.randrange(8)
            tok.release()
            self.injected += 1
            return RxToken(data)
        if self.rx_truncate and self.rng.random() < self.rx_truncate and len(tok.buffer):
            data = bytes(tok.buffer[:self.rng.randrange(len(tok.buffer))])
            tok.release()
            self.injected += 1
            return RxToken(data)
        return tok

    def transmit(self, length: int, now: float | None = None) -> TxToken | None:
        tok = self.inner.transmit(length, now)
        if tok is not None and self.tx_drop and self.rng.random() < self.tx_drop:
            self.injected += 1
            tok.abort()
            return TxToken(bytearray(length), lambda buf: None)
        return tok

    def poll_at(self) -> float | None:
        return self.inner.poll_at()

    def submit(self) -> None:
        self.inner.submit()

    def fileno(self):
        return self.inner.fileno()

    def close(self) -> None:
        self.inner.close()
