"""The OS of a simulated host at run time: its network stack (host.kernel.netstack) on VI 0,
driven the way a kernel drives it, and the socket system calls of its processes.

The softirq is a cocotb task: it polls the OS stack, then sleeps on VI 0's interrupt, the
stack's next timer, or a kick (a system call returned and may have armed a timer). Processes
blocked in an OS socket call sleep until the softirq's next poll (``progress``) or their timer.
Simulated time passes in the calling process for each system call and each copy
(``SyscallCosts``); nothing in Python runs per clock cycle.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import Event, First, Timer

from host.kernel.netstack import OsNetStack
from host.kernel.syscalls import OsSockets, SyscallCosts
from host.process import Process
from tb.irqsleep import MIN_SLEEP_NS, IrqSleeper
from tb.userstack import SIM_TCP, sim_seconds


async def spend(seconds: float) -> None:
    """Let ``seconds`` of simulated time pass in the calling process."""
    if seconds > 0:
        await Timer(seconds * 1e9, unit="ns", round_mode="ceil")


class SimOs:
    """The OS side of one ``SimHost``: ``net`` (the OS stack), ``sockets(proc)``."""

    def __init__(self, host, ip: str, prefix: int = 24, costs: SyscallCosts | None = None,
                 split: bool = False):
        """``split``: the OS stack sits on the kernel/user-space interface, and reaches the NIC
        only through a user-space driver (tb.splitdriver); else it owns VI 0."""
        self.host = host
        self.costs = costs or SyscallCosts()
        self.progress = Event()   # set after every softirq poll
        self._kick = Event()
        build = OsNetStack.on_tunnel if split else OsNetStack.on_kernel_vi
        self.net = build(host.kernel, f"{ip}/{prefix}", clock=sim_seconds, wait=self._wait,
                         tcp_config=SIM_TCP)
        if split:
            self.sleeper = None
            self.net.tunnel.on_wake = self.kick  # the user-space driver published frames
        else:
            self.sleeper = IrqSleeper(host.irq, self.net.vi)
        self.polls = 0
        self._sockets: dict[int, OsSockets] = {}
        self._task = cocotb.start_soon(self._softirq())

    async def _softirq(self) -> None:
        net = self.net
        copied = 0
        while True:
            net.poll()
            self.polls += 1
            if net.tunnel is not None:  # the frames it copied out of the tunnel's IN slots
                now_copied = net.tunnel.stats.bytes_copied_in
                await spend(self.costs.copy_s(now_copied - copied))
                copied = now_copied
            self.progress.set()
            self.progress.clear()
            await self._sleep(net.poll_delay())

    async def _sleep(self, delay: float | None) -> None:
        """Until VI 0's interrupt (which the kernel owns unless split), a kick, or ``delay``."""
        if self.sleeper is not None:
            await self.sleeper.sleep(delay, self._kick)
            return
        if delay is None:
            await self._kick.wait()
        else:
            await First(self._kick.wait(), Timer(max(delay * 1e9, MIN_SLEEP_NS), unit="ns",
                                                 round_mode="ceil"))
        self._kick.clear()

    def kick(self) -> None:
        self._kick.set()

    async def _wait(self, timeout: float | None) -> None:
        """Where a blocked OS socket call sleeps: until the softirq polled, or ``timeout``."""
        if timeout is None:
            await self.progress.wait()
        else:
            await First(self.progress.wait(), Timer(max(timeout * 1e9, 1), unit="ns",
                                                    round_mode="ceil"))

    def sockets(self, proc: Process) -> OsSockets:
        """The socket system calls of ``proc`` (one counter set per process)."""
        calls = self._sockets.get(proc.pid)
        if calls is None:
            calls = self._sockets[proc.pid] = OsSockets(self.net, proc, spend=spend,
                                                        kick=self.kick, costs=self.costs)
        return calls

    def stop(self) -> None:
        self._task.cancel()
