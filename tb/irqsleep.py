"""Sleeping on a VI's interrupt line, the way a process blocked on its VI (or the kernel's
softirq on VI 0) does: until the line rises, a timer runs out, or another wake-up fires.
"""

from __future__ import annotations

from cocotb.triggers import First, Timer

from tb.env import now_ns

MIN_SLEEP_NS = 8  # a wait asked for "now" (the stack is blocked on the device) still sleeps


class IrqSleeper:
    """Sleeps of one VI on its host's interrupt line (one bit per VI), with counters.

    The line is a level: it rises when the NIC has an event the host has not acknowledged,
    drops with every EVQ_READ write, and a device that re-arms with each of those (``ViDevice``
    with ``interrupts=True``) keeps it armed. A level still high when we go to sleep was either
    acknowledged by the last poll (the write is on its way) or is spurious -- the host can read
    an event from memory before the NIC counts its write as complete, so the NIC may fire for an
    event already taken -- and a spurious level would never rise again: acknowledge and re-arm
    it, as an interrupt handler does.
    """

    def __init__(self, line, vi) -> None:
        self.line = line
        self.vi = vi
        self.bit = 1 << vi.vi
        self.sleeps = 0       # waits, and how many the interrupt ended
        self.irq_wakeups = 0
        self.spurious = 0     # levels that had to be re-armed without new events
        self._writes_at_wake = -1

    async def sleep(self, timeout: float | None, wake=None) -> None:
        """Sleep until the line rises, ``timeout`` seconds pass (None: no timer) or the cocotb
        ``Event`` ``wake`` is set (it is cleared on the way out: one wake-up per set)."""
        self.sleeps += 1
        line, bit, vi = self.line, self.bit, self.vi
        if int(line.value) & bit and vi.evq_writes == self._writes_at_wake:
            self.spurious += 1
            vi.arm_interrupt()
        extra = () if wake is None else (wake.wait(),)
        try:
            deadline = None if timeout is None else now_ns() + max(timeout * 1e9, MIN_SLEEP_NS)
            while True:
                if deadline is None:
                    await First(line.value_change, *extra)
                else:
                    left = deadline - now_ns()
                    if left <= 0:
                        return
                    await First(line.value_change, *extra,
                                        Timer(left, unit="ns", round_mode="ceil"))
                if int(line.value) & bit:
                    self.irq_wakeups += 1
                    return
                if wake is not None and wake.is_set():
                    return
        finally:
            self._writes_at_wake = vi.evq_writes
            if wake is not None:
                wake.clear()
