"""A process running the user-level TCP/UDP/IP stack on a simulated host, for scenarios.

``UserStack(host, name, me, peer, tcp_ports=..., udp_ports=...)`` spawns the process, gives it
a VI with registered TX and RX buffers, binds an ``Interface`` and an ``AsyncStack`` to that VI,
and inserts a filter per port. The process sleeps on its VI's interrupt or the stack's next
timer, never on a fixed period. On a host whose OS stack runs (the default), the stack shares
the host's identity: it resolves neighbours through the OS's table and reserves its ports in the
OS's port space. Part of the testbench API (docs/testbench.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import cocotb
from cocotb.triggers import Event

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter, ViResource
from host.driver.vi import Vi
from host.process import Process
from host.stack.api import AsyncStack
from host.stack.iface.interface import Interface
from host.stack.phy.vi import ViDevice
from host.stack.socket.tcp import TcpConfig
from host.stack.wire import ip_from_str, mac_from_str
from tb.env import SimHost, now_ns
from tb.irqsleep import IrqSleeper


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
TX_BUFFERS, RX_BUFFERS = 192, 256  # registered 2 KiB packet buffers of each stack


class UserStack:
    """A process on ``host`` running the user-level stack on its own VI, with a filter steering
    each of its TCP and UDP ports to that VI. ``me`` and ``peer`` are (IPv4, MAC) text pairs
    (``peer`` is used only on a host without an OS stack, as a static neighbour entry);
    ``stack`` is its socket API (``AsyncStack``: ``await sock.recv(...)`` and the like).
    ``proc`` runs it in an existing process instead of a new one; ``vi`` on a VI already
    allocated to that process (``alloc_vi``)."""

    def __init__(self, host: SimHost, name: str, me, peer, tcp_ports: Sequence[int] = (),
                 udp_ports: Sequence[int] = (), tcp_config: TcpConfig = SIM_TCP,
                 irq_moderation: int = IRQ_MODERATION_CYCLES, proc: Process | None = None,
                 vi: ViResource | None = None):
        self.proc = proc if proc is not None else host.os.spawn(name)
        kernel = host.kernel
        res = vi if vi is not None else self.alloc_vi(host, self.proc, irq_moderation)
        self.vi = Vi(res)
        tx_pool = BufferPool(kernel, self.proc, TX_BUFFERS)
        rx_pool = BufferPool(kernel, self.proc, RX_BUFFERS)
        self.device = ViDevice(self.vi, tx_pool, rx_pool, interrupts=True)
        self._wake = Event()  # the OS filled a neighbour entry this stack may wait for
        os_stack = host.os_stack
        if os_stack is not None:
            self.iface = Interface(self.device, me[1], f"{me[0]}/24",
                                   **os_stack.net.user_identity(self.proc))
            os_stack.net.iface.neighbors.listeners.append(self._neighbor_filled)
        else:  # no OS to resolve through: the peer is a static neighbour entry
            self.iface = Interface(self.device, me[1], f"{me[0]}/24")
            self.iface.neighbors.fill(ip_from_str(peer[0]), mac_from_str(peer[1]), 0.0)
        self.sleeper = IrqSleeper(host.irq, self.vi)
        self.stack = AsyncStack(self.iface, clock=sim_seconds, wait=self.wait,
                                tcp_config=tcp_config)
        for proto, ports in ((L.IPPROTO_TCP, tcp_ports), (L.IPPROTO_UDP, udp_ports)):
            for port in ports:
                kernel.insert_filter(Filter(proto, me[0], port), self.vi.vi)

    @staticmethod
    def alloc_vi(host: SimHost, proc: Process, irq_moderation: int = IRQ_MODERATION_CYCLES
                 ) -> ViResource:
        """The VI a stack of ``proc`` runs on (``ResourceExhausted`` when none is free)."""
        return host.kernel.alloc_vi(proc, txq_entries=256, rxq_entries=256,
                                    irq_moderation_cycles=irq_moderation)

    def _neighbor_filled(self, ip: bytes) -> None:
        """The OS learnt a neighbour. If this stack has frames waiting for it, they leave now:
        a process blocked in a call is woken; one outside any call has its stack polled once
        on its behalf, as Onload's kernel helper does (the process may not call again)."""
        if ip not in self.iface.neighbors.pending:
            return
        self._wake.set()
        cocotb.start_soon(self._poll_once())

    async def _poll_once(self) -> None:
        self.iface.poll(sim_seconds())

    async def wait(self, timeout: float | None) -> None:
        """Sleep until the VI's interrupt rises, ``timeout`` seconds (the stack's next timer,
        capped by the caller's deadline; None: no timer) pass, or the OS resolves a neighbour
        (frames may be waiting for it)."""
        await self.sleeper.sleep(timeout, self._wake)

    # the sleeper's counters, as the scenarios report them
    @property
    def sleeps(self) -> int:
        return self.sleeper.sleeps

    @property
    def irq_wakeups(self) -> int:
        return self.sleeper.irq_wakeups

    @property
    def spurious(self) -> int:
        return self.sleeper.spurious
