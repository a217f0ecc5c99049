"""The user-space driver of a split-mode host, run as a simulated process.

A cocotb task polls ``host.driver.split.UserSpaceDriver`` and sleeps on VI 0's interrupt or the
kernel's wake-up. Each wake-up first pays ``SplitCosts.wakeup_s`` (the process is scheduled in),
and each notification of the kernel ``notify_s`` (a system call), so the tunnel's cost shows in
simulated time; nothing runs per clock cycle.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import Event

from host.driver.split import SplitCosts, UserSpaceDriver
from tb.irqsleep import IrqSleeper
from tb.oskernel import spend


class SimSplitDriver:
    """One run of the user-space driver on ``host`` (a process named ``name``) until ``stop``."""

    def __init__(self, host, name: str = "nic-splitd", costs: SplitCosts | None = None) -> None:
        self.host = host
        self.costs = costs or SplitCosts()
        self.proc = host.os.spawn(name)
        self._wake = Event()
        self.driver = UserSpaceDriver(host.kernel, self.proc, self._wake.set)
        self.sleeper = IrqSleeper(host.irq, self.driver.vi)
        self.wakeups = 0
        self._task = cocotb.start_soon(self._run())

    @property
    def stats(self):
        return self.driver.stats

    async def _run(self) -> None:
        drv, costs = self.driver, self.costs
        while True:
            if drv.poll():
                await spend(costs.notify_s)
                drv.notify_kernel()
                continue  # the kernel may have queued more meanwhile: look again first
            await self.sleeper.sleep(None, self._wake)
            self.wakeups += 1
            await spend(costs.wakeup_s)

    def stop(self) -> None:
        """The process exits: its task ends and its VI, registrations and mapping go."""
        self._task.cancel()
        self.driver.stop()
