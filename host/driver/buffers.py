"""Packet buffers: process memory registered with the NIC, handed out one buffer at a time.

A buffer never crosses a page, so its bytes are one direct view of physical memory: the stack
builds a frame in it and the NIC DMA-reads it from the same place (zero copy).
"""

from __future__ import annotations

from dataclasses import dataclass

from host.layout import PAGE_SIZE
from host.process import Process


@dataclass
class PacketBuffer:
    vaddr: int
    iova: int
    size: int
    view: memoryview  # the buffer's bytes in physical memory, writable


class BufferPool:
    def __init__(self, kernel, proc: Process, count: int, size: int = 2048):
        if size <= 0 or PAGE_SIZE % size:
            raise ValueError(f"buffer size {size} must divide the {PAGE_SIZE}-byte page")
        if count <= 0:
            raise ValueError("a pool needs at least one buffer")
        self.proc = proc
        self.size = size
        length = count * size
        self.vaddr = proc.mmap_anonymous(length)
        self.iova = kernel.register_memory(proc, self.vaddr, length)
        self.buffers = [
            PacketBuffer(self.vaddr + i * size, self.iova + i * size, size,
                         proc.view(self.vaddr + i * size, size))
            for i in range(count)
        ]
        self._free = list(reversed(self.buffers))

    def alloc(self) -> PacketBuffer:
        if not self._free:
            raise BufferError("packet buffer pool exhausted: free completed buffers first")
        return self._free.pop()

    def free(self, buf: PacketBuffer) -> None:
        self._free.append(buf)

    def free_completed(self, cookies) -> None:
        """Give back the buffers a TX completion carries (each cookie a list of buffers)."""
        for cookie in cookies:
            for buf in cookie:
                self._free.append(buf)

    def post_rx(self, vi) -> int:
        """Post every free buffer the VI's RX ring has room for and ring its RX doorbell;
        return how many were posted (each descriptor's cookie is its buffer)."""
        posted = 0
        while vi.rx_space and self._free:
            buf = self._free.pop()
            vi.rx_post(buf.iova, buf.size, cookie=buf)
            posted += 1
        if posted:
            vi.rx_push()
        return posted

    @property
    def available(self) -> int:
        return len(self._free)
