"""The user-space half of the split driver (WO 2004/001615): a process that owns the NIC's data
path for the kernel.

In split mode the kernel-space driver keeps only control (probe, buffer table, filters, VI
allocation). This driver, an ordinary process of the OS model, takes VI 0 -- where every frame
that no filter claims lands -- and the kernel/user-space interface (``host.kernel.tunnel``):

- OUT: each record the kernel queued is posted as a TX descriptor pointing at the shared slot,
  so the NIC reads the kernel's frame where the kernel built it; ``OUT_CONS`` moves when the
  NIC reports it sent.
- IN: the IN slots are the VI's RX buffers; each received frame's record is written in its slot
  and ``IN_PROD`` moved, and the kernel is woken. A frame too long for one slot (it took several
  RX buffers) is dropped here: its slots are handed over as empty records (length 0).

Applications' own VIs do not pass through here: they stay zero-copy, user level, as ever.
Sans-IO: whoever runs the process calls ``poll()`` when woken (the VI's interrupt, or the
kernel's wake-up ``wake_driver``), then ``notify_kernel()`` if the poll says the kernel has
something to take, and sleeps otherwise. ``SplitCosts`` is what those steps cost in time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from host import layout as L
from host.driver.kernel import KernelDriver
from host.driver.vi import Vi
from host.kernel.tunnel import INDEX_MASK, MIN_FRAME, TunnelRings, ahead
from host.process import Process


@dataclass(frozen=True)
class SplitCosts:
    """Simulated time the tunnel adds to the kernel's frames.

    - ``wakeup_s`` 1.3 us: the user-space driver is a process, and it must be scheduled in each
      time it is woken (by the NIC's interrupt or the kernel's wake-up): one context switch,
      measured at about 1.3 us between two threads ping-ponging through a condition variable on
      one core (https://albertnetymk.github.io/2022/12/18/context_switch/).
    - ``notify_s`` 300 ns: the driver tells the kernel it published IN records with one system
      call (``host.kernel.syscalls.SyscallCosts.syscall_s``); the kernel takes them in that call.
    """

    wakeup_s: float = 1.3e-6
    notify_s: float = 300e-9


@dataclass
class SplitDriverStats:
    """What the user-space driver moved and refused."""

    tx_frames: int = 0       # kernel frames posted to the NIC
    tx_bytes: int = 0
    rx_frames: int = 0       # frames handed to the kernel
    rx_bytes: int = 0
    rx_dropped_multi: int = 0  # frames longer than a slot, dropped (their slots given back)
    bad_index: int = 0       # OUT_PROD out of range: refused
    bad_length: int = 0      # OUT records with an impossible length: refused, not sent
    faults: int = 0          # error events of the VI
    polls: int = 0
    notifications: int = 0   # wake-ups rung for the kernel


class UserSpaceDriver:
    """The data path of a split-mode host, in process ``proc``: VI 0 and the tunnel.

    Building it attaches it: the kernel maps the tunnel's pages into ``proc``, allocates VI 0
    to it, and the slots are registered under its owner tag. ``stop`` detaches it, and the
    kernel's traffic stops until another driver starts."""

    def __init__(self, kernel: KernelDriver, proc: Process,
                 wake_driver: Callable[[], None]) -> None:
        self.kernel = kernel
        self.proc = proc
        self.mapping = kernel.open_tunnel(proc, wake_driver)
        entries = self.mapping.entries
        self.rings = TunnelRings(proc, self.mapping.vaddr, entries)
        slots_length = 2 * entries * L.TUNNEL_SLOT_SIZE
        self._slots_iova = kernel.register_memory(proc, self.rings.slots_vaddr, slots_length)
        self.vi = Vi(kernel.alloc_vi(proc, txq_entries=entries, rxq_entries=entries, vi=0))
        self.stats = SplitDriverStats()
        self.running = True
        self._out_posted = 0   # next OUT record to post
        self._out_cons = 0     # OUT_CONS as written
        self._out_done: set[int] = set()  # OUT records finished (sent or refused), not yet consumed
        self._in_posted = 0    # next IN slot to post as an RX buffer
        self._in_prod = 0      # IN_PROD as written
        self._bad_out_prod: int | None = None
        self.vi.arm_interrupt()

    def _iova(self, ring: str, seq: int) -> int:
        offset = self.rings.slot(ring, seq) - self.rings.slots_vaddr
        return self._slots_iova + offset + L.TUNNEL_DATA_OFFSET

    # ----------------------------------------------------------------------------- the loop
    def poll(self) -> bool:
        """Move what is ready both ways; return whether the kernel should be told
        (``notify_kernel``): records published for it, or OUT slots it may reuse."""
        if not self.running:
            return False
        self.stats.polls += 1
        tell = self._reap()
        if self.vi.fault is None:  # a faulted VI takes no descriptors until it is reset
            tell |= self._post_out()
            self._post_in()
        vi = self.vi
        vi.tx_push()
        vi.rx_push()
        vi.ack_events(arm=True)
        return tell

    def notify_kernel(self) -> None:
        self.stats.notifications += 1
        self.mapping.wake_kernel()

    def _reap(self) -> bool:
        published = sent = False
        st = self.stats
        for ev in self.vi.poll(256, ack=False):
            if ev.type == L.EV_TYPE_TX:
                self._out_done.update(ev.cookies)
                sent = True
            elif ev.type == L.EV_TYPE_RX:
                self._publish(ev)
                published = True
            else:
                st.faults += 1
        if sent:
            self._advance_out_cons()
        if published:
            self.rings.write_index("IN_PROD", self._in_prod)
        return published or sent

    def _publish(self, ev) -> None:
        """Hand the kernel the IN slots an RX event used (``ev.cookies``: their sequence
        numbers, in order): the frame's record, or empty records for a frame over several."""
        st = self.stats
        whole = len(ev.cookies) == 1 and MIN_FRAME <= ev.length <= L.TUNNEL_MAX_FRAME
        for seq in ev.cookies:
            if whole:
                self.rings.write_record("IN", seq, ev.length, ev.rx_flags)
                st.rx_frames += 1
                st.rx_bytes += ev.length
            else:
                self.rings.write_record("IN", seq, 0, 0)
        if not whole:
            st.rx_dropped_multi += 1
        self._in_prod = (self._in_prod + len(ev.cookies)) & INDEX_MASK

    def _advance_out_cons(self) -> None:
        done = self._out_done
        while self._out_cons in done:
            done.discard(self._out_cons)
            self._out_cons = (self._out_cons + 1) & INDEX_MASK
        self.rings.write_index("OUT_CONS", self._out_cons)

    def _post_out(self) -> bool:
        """Post the kernel's new OUT records; return whether any was refused (its slot is free
        at once, and the kernel should hear of it)."""
        rings = self.rings
        prod = rings.read_index("OUT_PROD")
        if ahead(prod, self._out_cons) > rings.entries or \
                ahead(prod, self._out_posted) > ahead(prod, self._out_cons):
            if prod != self._bad_out_prod:
                self._bad_out_prod = prod
                self.stats.bad_index += 1
            return False
        self._bad_out_prod = None
        st = self.stats
        refused = False
        while self._out_posted != prod and self.vi.tx_space:
            seq = self._out_posted
            length, flags = rings.read_record("OUT", seq)
            if MIN_FRAME <= length <= L.TUNNEL_MAX_FRAME:
                self.vi.tx_post([(self._iova("OUT", seq), length)],
                                csum_ip=bool(flags & L.TUNF_CSUM_IP),
                                csum_l4=bool(flags & L.TUNF_CSUM_L4), cookie=seq)
                st.tx_frames += 1
                st.tx_bytes += length
            else:
                st.bad_length += 1
                self._out_done.add(seq)
                refused = True
            self._out_posted = (seq + 1) & INDEX_MASK
        if refused:
            self._advance_out_cons()
        return refused

    def _post_in(self) -> None:
        """Post every IN slot the kernel has taken back as an RX buffer."""
        rings = self.rings
        cons = rings.read_index("IN_CONS")
        if ahead(self._in_prod, cons) > rings.entries:
            return  # not an index the kernel wrote (ours are in range): free nothing
        while ahead(self._in_posted, cons) < rings.entries and self.vi.rx_space:
            seq = self._in_posted
            self.vi.rx_post(self._iova("IN", seq), L.TUNNEL_MAX_FRAME, cookie=seq)
            self._in_posted = (seq + 1) & INDEX_MASK

    # ------------------------------------------------------------------------------- teardown
    def stop(self) -> None:
        """The driver exits: its VI is freed, its registration of the slots removed and the
        tunnel unmapped; the kernel's link is down until another driver starts."""
        if not self.running:
            return
        self.running = False
        self.kernel.free_vi(self.vi.res)  # its last VI: the slots' registration goes too
        self.kernel.close_tunnel(self.proc)
