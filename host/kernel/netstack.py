"""The OS's own TCP/UDP/IP stack: the same ``host.stack`` code, run in kernel context on the
kernel driver's VI (VI 0), which receives whatever no filter claims (ARP, ICMP to the host, the
flows of OS sockets).

Its frames are built in kernel pages: the VI's rings and packet buffers are the kernel's own
memory (process 0), registered under the kernel's owner tag, so the NIC's DMA log tells them
apart from any process's.

It also holds the host's identity. The neighbour table is this interface's; a user-level stack
reads it and asks it to resolve (``HostNeighbors``). The port space is the host's; this stack
claims its ports there as ``kernel`` and a user-level stack as its process (``user_identity``).

Sans-IO like the rest of the stack: whoever runs the host supplies the clock and the ``wait``
that blocked OS sockets sleep in (in simulation, tb/oskernel.py: a softirq task woken by VI 0's
interrupt, and an event it sets after each poll).
"""

from __future__ import annotations

from collections.abc import Callable

from host.driver.buffers import BufferPool
from host.driver.kernel import KernelDriver
from host.driver.vi import Vi
from host.kernel.tunnel import KernelTunnel
from host.process import Process
from host.stack.api import AsyncStack
from host.stack.iface import Interface, InterfaceConfig
from host.stack.iface.neighbor import HostNeighbors
from host.stack.iface.ports import PortSpace
from host.stack.phy.vi import ViDevice
from host.stack.socket.tcp import TcpConfig

KERNEL_HOLDER = "kernel"  # the OS stack's name in the port space


def holder_name(proc: Process) -> str:
    """A process's name in the port space (what an EADDRINUSE message names)."""
    return f"{proc.name}[{proc.pid}]"


class OsNetStack:
    def __init__(self, device, mac: bytes, ip: str, *, clock: Callable[[], float], wait,
                 kernel: Process | None = None, tcp_config: TcpConfig | None = None,
                 config: InterfaceConfig | None = None, seed: int | None = None) -> None:
        """The OS stack on ``device`` (``on_kernel_vi`` builds it on VI 0). ``ip``:
        "a.b.c.d/prefix". ``wait``: ``async wait(timeout)`` for blocked OS sockets (returns
        when this stack may have made progress, or after ``timeout`` seconds). ``kernel``: the
        kernel's address space, whose pages hold the stack's rings and buffers."""
        self.proc = kernel
        self.device = device
        self.ports = PortSpace(seed)
        # Linux announces nothing when an interface comes up (arp_notify is off by default)
        config = config or InterfaceConfig(gratuitous_arp=False, seed=seed)
        self.iface = Interface(device, mac, ip, config=config,
                               ports=self.ports.claims_of(KERNEL_HOLDER))
        self.neighbors = HostNeighbors(self.iface)
        self.stack = AsyncStack(self.iface, clock=clock, wait=wait, tcp_config=tcp_config)
        self.clock = clock
        self.vi: Vi | None = None  # the kernel's VI (on_kernel_vi)
        self.tunnel: KernelTunnel | None = None  # split mode (on_tunnel)

    @classmethod
    def on_kernel_vi(cls, driver: KernelDriver, ip: str, *, tx_buffers: int = 128,
                     rx_buffers: int = 256, ring_entries: int = 256,
                     irq_moderation_cycles: int = 0, **kwargs) -> OsNetStack:
        """The OS stack on the kernel driver's own VI (VI 0): its rings and packet buffers in
        kernel pages under the kernel's owner tag, its interrupt armed."""
        kernel = driver.os.kernel
        res = driver.alloc_vi(kernel, txq_entries=ring_entries, rxq_entries=ring_entries, vi=0,
                              irq_moderation_cycles=irq_moderation_cycles)
        vi = Vi(res)
        device = ViDevice(vi, BufferPool(driver, kernel, tx_buffers),
                          BufferPool(driver, kernel, rx_buffers), interrupts=True)
        net = cls(device, driver.mac, ip, kernel=kernel, **kwargs)
        net.vi = vi
        return net

    @classmethod
    def on_tunnel(cls, driver: KernelDriver, ip: str, *, entries: int = 256,
                  **kwargs) -> OsNetStack:
        """Split mode: the OS stack on the kernel's end of the kernel/user-space interface; its
        frames reach the NIC only through a user-space driver (``host.driver.split``)."""
        kernel = driver.os.kernel
        tunnel = KernelTunnel(kernel, entries)
        driver.offer_tunnel(tunnel)
        net = cls(tunnel, driver.mac, ip, kernel=kernel, **kwargs)
        net.tunnel = tunnel
        return net

    @property
    def link_up(self) -> bool:
        return self.device.link_up

    @property
    def ip(self) -> bytes:
        return self.iface.ip

    def poll(self) -> bool:
        return self.iface.poll(self.clock())

    def poll_delay(self) -> float | None:
        return self.iface.poll_delay(self.clock())

    def user_identity(self, proc: Process) -> dict:
        """What a user-level ``Interface`` of ``proc`` on this host takes to share the host's
        identity: ``Interface(..., **os_net.user_identity(proc))``."""
        return {"neighbors": self.neighbors,
                "ports": self.ports.claims_of(holder_name(proc))}

    def kernel_pages(self) -> set[int]:
        """Physical addresses of every page the kernel has mapped (its rings and buffers)."""
        return set(self.proc.ram_pages()) if self.proc is not None else set()

    def frame_pages(self) -> set[int]:
        """Where the NIC may read this stack's frames from: the tunnel's shared pages in split
        mode, else the kernel's own pages."""
        return self.tunnel.pages() if self.tunnel is not None else self.kernel_pages()
