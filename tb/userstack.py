"""A process running the user-level TCP/UDP/IP stack on a simulated host, for scenarios.

``UserStack(host, name, me, peer, tcp_ports=..., udp_ports=...)`` spawns the process, gives it
a VI with registered TX and RX buffers, binds an ``Interface`` and an ``AsyncStack`` to that VI,
and inserts a filter per port. The process sleeps on its VI's interrupt or the stack's next
timer, never on a fixed period. Part of the testbench API (docs/testbench.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cocotb.triggers import First, Timer

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter
from host.driver.vi import Vi
from host.stack.api import AsyncStack
from host.stack.iface.interface import Interface
from host.stack.phy.vi import ViDevice
from host.stack.socket.tcp import TcpConfig
from host.stack.wire import ip_from_str, mac_from_str
from tb.env import SimHost, now_ns


def sim_seconds() -> float:
    return now_ns() * 1e-9


# TCP for two hosts one simulated wire apart. The stack's timer defaults (RTO >= 200 ms, 1 s
# before the first RTT sample, 40 ms delayed ACK, 1 ms clock granularity) are the RFC/Linux
# values for paths of unknown, millisecond-to-second RTTs. Here the RTT is a few microseconds (the
# measured SRTT is 2-7 us), as in a datacenter, and a simulated millisecond costs seconds of wall
# time, so the in-sim stack scales them down the way datacenter stacks do with fine-grained
# timers (Vasudevan et al., SIGCOMM 2009: RTO_min of a few hundred us for ~100 us RTTs): still
# tens of RTTs, so a timer firing means a real loss, and the delayed ACK stays well below
# RTO_min so it can never be mistaken for one.
#
# Windows: 128 KiB, several times the bandwidth-delay product here (128 Gbps x ~2-3 us), so
# line-rate bursts of ~90 frames hit the NIC's receive path. That is also the regression test
# of a deadlock fixed in nic_rx_dma: it held BREADY low while a completed frame's RX event
# waited for nic_evq, whose own B responses then queued behind it in the in-order memory; with
# 64 writes outstanding nothing moved again (it struck every run at ~43 us with this window).
TCP_WINDOW = int(os.environ.get("NICSIM_TCP_WINDOW", str(128 * 1024)))
SIM_TCP = TcpConfig(rto_initial=1e-3, rto_min=100e-6, clock_granularity=1e-6,
                    delayed_ack=20e-6, rx_buffer=TCP_WINDOW, tx_buffer=TCP_WINDOW)
# minimum cycles between two interrupts of a VI: a burst of frames wakes the process once
IRQ_MODERATION_CYCLES = int(os.environ.get("NICSIM_TCP_IRQ_MOD", "64"))
MIN_SLEEP_NS = 8  # a wait asked for "now" (the stack is blocked on the device) still sleeps


class UserStack:
    """A process on ``host`` running the user-level stack on its own VI, with a filter steering
    each of its TCP and UDP ports to that VI. ``me`` and ``peer`` are (IPv4, MAC) text pairs;
    ``stack`` is its socket API (``AsyncStack``: ``await sock.recv(...)`` and the like)."""

    def __init__(self, host: SimHost, name: str, me, peer, tcp_ports: Sequence[int] = (),
                 udp_ports: Sequence[int] = (), tcp_config: TcpConfig = SIM_TCP,
                 irq_moderation: int = IRQ_MODERATION_CYCLES):
        self.proc = host.os.spawn(name)
        kernel = host.kernel
        res = kernel.alloc_vi(self.proc, txq_entries=256, rxq_entries=256,
                              irq_moderation_cycles=irq_moderation)
        self.vi = Vi(res)
        tx_pool = BufferPool(kernel, self.proc, 192)
        rx_pool = BufferPool(kernel, self.proc, 256)
        self.device = ViDevice(self.vi, tx_pool, rx_pool, interrupts=True)
        self.iface = Interface(self.device, me[1], f"{me[0]}/24")
        # ARP goes to the kernel's VI, not to this one: the kernel's neighbour entry is shared
        self.iface.neighbors.fill(ip_from_str(peer[0]), mac_from_str(peer[1]), 0.0)
        self.line = host.irq
        self.irq_bit = 1 << self.vi.vi
        self.sleeps = 0      # waits, and how many the interrupt ended
        self.irq_wakeups = 0
        self.spurious = 0    # levels that had to be re-armed without new events
        self._writes_at_wake = -1
        self.stack = AsyncStack(self.iface, clock=sim_seconds, wait=self.wait,
                                tcp_config=tcp_config)
        for proto, ports in ((L.IPPROTO_TCP, tcp_ports), (L.IPPROTO_UDP, udp_ports)):
            for port in ports:
                kernel.insert_filter(Filter(proto, me[0], port), self.vi.vi)

    async def wait(self, timeout: float | None) -> None:
        """Sleep until the VI's interrupt rises or ``timeout`` seconds (the stack's next timer,
        capped by the caller's deadline; None: no timer) pass.

        The line is a level: it rises when the NIC has an event the host has not acknowledged,
        drops with every EVQ_READ write, and the device re-arms it with each of those. A level
        still high when we go to sleep was either acknowledged by this poll (the write is on its
        way) or is spurious -- the host can read an event from memory before the NIC counts its
        write as complete, so the NIC may fire for an event already taken -- and a spurious
        level would never rise again: acknowledge and re-arm it, as an interrupt handler does.
        """
        self.sleeps += 1
        line, bit, vi = self.line, self.irq_bit, self.vi
        if int(line.value) & bit and vi.evq_writes == self._writes_at_wake:
            self.spurious += 1
            vi.arm_interrupt()
        try:
            if timeout is None:
                while True:
                    await line.value_change
                    if int(line.value) & bit:
                        self.irq_wakeups += 1
                        return
            deadline = now_ns() + max(timeout * 1e9, MIN_SLEEP_NS)
            while True:
                left = deadline - now_ns()
                if left <= 0:
                    return
                await First(line.value_change, Timer(left, unit="ns", round_mode="ceil"))
                if int(line.value) & bit:
                    self.irq_wakeups += 1
                    return
        finally:
            self._writes_at_wake = vi.evq_writes
