"""Drive several interfaces on one simulated clock (the pipe device's world).

``SimWorld`` owns the clock. ``wait(timeout)`` is the callback blocking socket calls use: it polls
every interface at the current instant and, only when nothing moved, jumps the clock to the next
event (a timer, a frame arriving over a pipe, or the caller's timeout). Nothing sleeps.
"""

from __future__ import annotations


class SimulationStalled(RuntimeError):
    """A blocking wait with no timeout while no timer or frame can ever wake anyone."""


class SimClock:
    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class SimWorld:
    def __init__(self, start: float = 0.0) -> None:
        self.clock = SimClock(start)
        self.interfaces: list = []
        self.steps = 0

    @property
    def now(self) -> float:
        return self.clock.now

    def add(self, iface):
        self.interfaces.append(iface)
        return iface

    def poll_all(self) -> bool:
        now = self.clock.now
        progress = False
        for iface in self.interfaces:
            if iface.poll(now):
                progress = True
        return progress

    def next_event(self) -> float | None:
        now = self.clock.now
        at = None
        for iface in self.interfaces:
            t = iface.poll_at(now)
            if t is not None and (at is None or t < at):
                at = t
        return at

    def wait(self, timeout: float | None) -> None:
        """Let simulated time pass: at most ``timeout`` seconds (None: until the next event)."""
        self.steps += 1
        if self.poll_all():
            return
        now = self.clock.now
        at = self.next_event()
        if timeout is not None:
            limit = now + timeout
            at = limit if at is None else min(at, limit)
        if at is None:
            raise SimulationStalled("nothing can happen: no timers and no frames in flight")
        if at > now:
            self.clock.now = at
        self.poll_all()

    def run_until(self, predicate, timeout: float | None = None, max_steps: int = 10_000_000):
        """Advance until ``predicate()`` is true; returns False on timeout."""
        deadline = None if timeout is None else self.clock.now + timeout
        for _ in range(max_steps):
            if predicate():
                return True
            if deadline is not None and self.clock.now >= deadline:
                return False
            self.wait(None if deadline is None else deadline - self.clock.now)
        raise SimulationStalled("step limit reached")

    def run_for(self, seconds: float) -> None:
        end = self.clock.now + seconds
        self.run_until(lambda: self.clock.now >= end and not self._busy(), timeout=seconds)

    def _busy(self) -> bool:
        at = self.next_event()
        return at is not None and at <= self.clock.now
