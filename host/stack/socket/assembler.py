"""Out-of-order segment store for TCP reassembly.

Holds non-overlapping byte ranges keyed by their unwrapped sequence number. The caller bounds
what it inserts to the receive window; the store additionally bounds the number of separate
ranges (holes) so a hostile peer cannot make bookkeeping expensive.
"""

from __future__ import annotations

import bisect


class Assembler:
    def __init__(self, max_ranges: int = 64) -> None:
        self.max_ranges = max_ranges
        self._starts: list[int] = []
        self._data: list[bytes] = []
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._starts)

    def clear(self) -> None:
        self._starts.clear()
        self._data.clear()
        self.bytes = 0

    def insert(self, start: int, data) -> bool:
        """Store ``data`` at ``start``, merging with ranges it touches. Returns False if it was
        refused because it would create too many ranges."""
        end = start + len(data)
        starts, datas = self._starts, self._data
        # first range that could touch [start, end): the one before the insertion point
        i = bisect.bisect_right(starts, start)
        if i > 0 and starts[i - 1] + len(datas[i - 1]) >= start:
            i -= 1
        j = i
        while j < len(starts) and starts[j] <= end:
            j += 1
        if i == j:  # touches nothing: a new range
            if len(starts) >= self.max_ranges:
                return False
            starts.insert(i, start)
            datas.insert(i, bytes(data))
            self.bytes += end - start
            return True
        new_start = min(start, starts[i])
        new_end = max(end, starts[j - 1] + len(datas[j - 1]))
        merged = bytearray(new_end - new_start)
        for k in range(i, j):
            off = starts[k] - new_start
            merged[off:off + len(datas[k])] = datas[k]
            self.bytes -= len(datas[k])
        merged[start - new_start:end - new_start] = data
        starts[i:j] = [new_start]
        datas[i:j] = [bytes(merged)]
        self.bytes += new_end - new_start
        return True

    def pop_contiguous(self, at: int) -> bytes | None:
        """If stored data covers ``at``, remove and return the bytes from ``at`` to the end of that
        range (anything before ``at`` is discarded)."""
        starts, datas = self._starts, self._data
        while starts and starts[0] + len(datas[0]) <= at:  # wholly stale
            self.bytes -= len(datas[0])
            del starts[0], datas[0]
        if not starts or starts[0] > at:
            return None
        data, first = datas[0], starts[0]
        self.bytes -= len(data)
        del starts[0], datas[0]
        return data[at - first:]

    def ranges(self) -> list[tuple[int, int]]:
        return [(s, s + len(d)) for s, d in zip(self._starts, self._data, strict=True)]
