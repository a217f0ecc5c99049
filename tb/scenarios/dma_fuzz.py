"""DMA isolation fuzzing (tb_nic, one host): attacker processes post random descriptors and
doorbells, and reset their VIs or die with work in flight, beside a victim that runs exact
traffic and a canary whose memory no DMA may touch.

An attacker round, for each attacker one of:
  tx       a batch of frames, each of random segments: its own buffers (inside a page or across
           pages), other owners' buffers, unregistered or out-of-table IOVAs, zero lengths,
           oversize frames, too many segments, a batch that ends mid-frame; sometimes the
           doorbell names more than was written, so the NIC walks stale ring slots;
  rx       random RX descriptors of the same kinds, then frames to its port from the wire;
  reset    a batch of good frames, and the kernel resets the VI while they are sent;
  respawn  a batch of good frames, and the process exits while they are sent (the kernel
           frees its VI and registrations, with the DMA fence); a new attacker takes its place.

The oracle (``expect_tx`` / ``expect_rx``) reads the descriptors from the attacker's ring as
the NIC will and says what the NIC must do with them, from the rules of the register map and
the buffer table alone: which frames go on the wire with which bytes, which frames land where,
and which error (code, ring index) faults the VI. After every round the checks hold:
  - the wire carries the victim's frames exact and in order, each attacker's expected frames
    exact and in order (a prefix of them after a reset or an exit), and nothing else;
  - exactly the attackers the oracle says broke a rule are faulted, with its code and index;
    no other event arrives (nothing stale after a reset);
  - an attacker's buffers hold exactly what the oracle says was delivered into them;
  - the DMA log shows no access to the canary's pages, no write outside the pages of an
    attacker or the victim's receive buffers and event queue, no read outside the pages of an
    attacker or the victim;
  - the canary's memory is byte for byte what it wrote.
Each breach is a violation (a line of text): the test requires none, the bench counts them.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

import cocotb
from cocotb.triggers import Timer
from scapy.layers.inet import UDP

from host import layout as L
from host.driver.buffers import BufferPool
from host.driver.kernel import Filter
from host.driver.vi import Vi
from host.layout import PAGE_SHIFT, PAGE_SIZE
from tb.env import NicBench, SimTimeout
from tb.scenarios.apps import A_IP, TxApp, parse_udp, to_host, udp_payload

LOCAL_IP = A_IP  # the host's address: attackers' and victim's filters match it
ATTACKER_PORT = 7000          # attacker k listens on ATTACKER_PORT + k
VICTIM_PORT = 7100
POOL_BUFFERS = 16             # 2 KiB each: 8 pages per attacker
SPAN = POOL_BUFFERS * 2048    # bytes of an attacker's pool
TXQ, RXQ = 128, 64
MAX_FRAME_DESCS = 64          # the TX descriptor cache: a frame's 64th descriptor must end it
MAX_RX_DESCS = 32             # RX: a frame may use at most this many buffers
CANARY_MARK = b"\xC3CANARY\xC3"  # 9 bytes no attacker or victim frame contains
CANARY_FILL = (CANARY_MARK * (PAGE_SIZE // len(CANARY_MARK) + 1))[:PAGE_SIZE]
ROUND_TIMEOUT_NS = 200_000
DEBUG = os.environ.get("NICSIM_DMAFUZZ_DEBUG", "0") != "0"  # disagreements list descriptors


@dataclass
class Segment:
    index: int   # ring index (16 bits)
    addr: int
    length: int
    eop: int


@dataclass
class TxPlan:
    """What the NIC must do with a TX batch: frames for the wire, then possibly a fault."""

    frames: list[bytes]
    last_index: list[int]                   # each frame's last descriptor (its TX event)
    fault: tuple[int, int] | None = None    # (ERR_*, ring index)
    descs: list[Segment] = field(default_factory=list)  # what the NIC was given


@dataclass
class RxPlan:
    frames: list[tuple[int, int, int]] = field(default_factory=list)  # (index, ndesc, len)
    fault: tuple[int, int] | None = None
    image: bytearray | None = None          # the pool as it must read after the round
    left: list[Segment] = field(default_factory=list)  # descriptors still posted after it
    descs: list[Segment] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)


def pages_of(addr: int, length: int) -> range:
    return range(addr >> PAGE_SHIFT, ((addr + max(length, 1) - 1) >> PAGE_SHIFT) + 1)


class Attacker:
    """A process with one VI (the driver's data path is bypassed: descriptors are written raw)
    and a pool of registered buffers filled with its own random bytes."""

    def __init__(self, world: World, slot: int, generation: int):
        self.world, self.slot = world, slot
        kernel = world.host.kernel
        self.proc = world.host.os.spawn(f"attacker{slot}.{generation}")
        self.vi = Vi(kernel.alloc_vi(self.proc, txq_entries=TXQ, rxq_entries=RXQ))
        self.pool = BufferPool(kernel, self.proc, POOL_BUFFERS)
        self.proc.write(self.pool.vaddr, world.rng.randbytes(SPAN))
        self.port = ATTACKER_PORT + slot
        self.filter = kernel.insert_filter(Filter(L.IPPROTO_UDP, LOCAL_IP, self.port),
                                           self.vi.vi)
        self.pages = {pa for reg in kernel.registrations_of(self.proc) for pa in reg.pages}
        self.events: list = []                 # this round's events
        self.rx_pending: list[Segment] = []    # RX descriptors posted, not yet used

    def poll(self) -> None:
        self.events += self.vi.poll()

    async def reset(self) -> None:
        """The kernel re-enables the VI: indices restart, nothing posted is left."""
        await self.vi.reset(self.world.host.kernel)
        self.events, self.rx_pending = [], []

    def pool_bytes(self) -> bytes:
        return self.proc.read(self.pool.vaddr, SPAN)

    def owns(self, page: int) -> bool:
        return self.world.host.kernel.iova_owner(page) is self.proc


class World:
    """The processes of a fuzz run on one host: the attackers, a victim and a canary."""

    def __init__(self, bench: NicBench, seed: int, attackers: int = 3):
        self.bench, self.host = bench, bench.host
        self.rng = random.Random(seed)
        kernel = self.host.kernel
        self.table_pages = kernel.info.buftbl_entries
        self.victim = TxApp(self.host, "victim", VICTIM_PORT, rx_buffers=32, rxq=64)
        kernel.insert_filter(Filter(L.IPPROTO_UDP, LOCAL_IP, VICTIM_PORT), self.victim.vi.vi)
        self.canary = self.host.os.spawn("canary")
        self.canary_vi = Vi(kernel.alloc_vi(self.canary, txq_entries=16, rxq_entries=16))
        self.canary_pool = BufferPool(kernel, self.canary, 8)
        self.canary.write(self.canary_pool.vaddr, CANARY_FILL * (8 * 2048 // PAGE_SIZE))
        self.canary_pages = {pa for reg in kernel.registrations_of(self.canary)
                             for pa in reg.pages}
        self.canary_image = {pa: bytes(self.host.mem[pa:pa + PAGE_SIZE])
                             for pa in self.canary_pages}
        self.generations = [0] * attackers
        self.attackers = [Attacker(self, k, 0) for k in range(attackers)]
        self.victim_seq = 0
        self.victim_rx_seq = 0
        self.victim_rx_got = 0
        self.victim_sent: list[bytes] = []  # payloads on their way to the wire, in order
        self.descriptors = 0
        self.rounds = 0
        self.seen = {"faults": set(), "resets": 0, "respawns": 0, "stale_walks": 0}
        self.violations: list[str] = []
        self.host.dma_log.enable()
        self.host.dma_log.drain()
        self.host.dma_log.lost = 0

    # --------------------------------------------------------------------- random targets
    def foreign_pool(self, me: Attacker) -> tuple[int, int]:
        pools = [self.victim.pool, self.canary_pool] + [a.pool for a in self.attackers
                                                          if a is not me]
        pool = self.rng.choice(pools)
        return pool.iova, len(pool.buffers) * pool.size

    def unregistered_iova(self) -> int:
        kernel = self.host.kernel
        while True:
            page = self.rng.randrange(self.table_pages)
            if kernel.iova_owner(page) is None:
                return (page << PAGE_SHIFT) + self.rng.randrange(PAGE_SIZE)

    def random_length(self) -> int:
        r = self.rng
        return r.choice((r.randint(1, 64), r.randint(60, 1514), r.randint(1, 4096)))

    def target(self, me: Attacker) -> tuple[int, int]:
        """A random (IOVA, length) as an attacker would name it."""
        r = self.rng
        kind = r.random()
        if kind < 0.55:  # inside its own pool, maybe across pages
            off = r.randrange(SPAN)
            return me.pool.iova + off, min(self.random_length(), SPAN - off)
        if kind < 0.62:  # from its own pool across the pool's end
            off = SPAN - r.randint(1, 300)
            end_page = (me.pool.iova + SPAN) >> PAGE_SHIFT
            if me.owns(end_page):  # its own ring follows: not a crossing into another owner
                return me.pool.iova + off, SPAN - off
            return me.pool.iova + off, r.randint(SPAN - off + 1, SPAN - off + 600)
        if kind < 0.72:
            base, span = self.foreign_pool(me)
            return base + r.randrange(span), self.random_length()
        if kind < 0.80:
            return self.unregistered_iova(), self.random_length()
        if kind < 0.86:  # beyond the buffer table, or with high address bits set
            if r.random() < 0.5:
                return (self.table_pages << PAGE_SHIFT) + r.randrange(1 << 20), 100
            return (1 << r.randrange(24, 64)) | r.randrange(PAGE_SIZE), 100
        if kind < 0.90:  # the table's last page, across its end
            return (self.table_pages << PAGE_SHIFT) - r.randint(1, 200), r.randint(201, 500)
        return me.pool.iova + r.randrange(SPAN), 0

    # ----------------------------------------------------------------------------- oracle
    def translates(self, me: Attacker, addr: int, length: int) -> bool:
        """Every page of [addr, addr+length) is a buffer-table entry of ``me``'s owner."""
        if addr + max(length, 1) > self.table_pages << PAGE_SHIFT:
            return False
        return all(me.owns(p) for p in pages_of(addr, length))

    def pool_read(self, me: Attacker, addr: int, length: int) -> bytes:
        off = addr - me.pool.iova
        assert 0 <= off and off + length <= SPAN, "the oracle reads only the pool"
        return me.proc.read(me.pool.vaddr + off, length)

    def ring_descs(self, me: Attacker, start: int, end: int) -> list[Segment]:
        """The TX descriptors of ring indices [start, end) as the NIC will read them."""
        out = []
        for i in range(start, end):
            raw = me.proc.read(me.vi.tx.slot_vaddr(i), 16)
            d = L.TX_DESC.unpack(raw)
            out.append(Segment(i & 0xFFFF, d["ADDR"], d["LEN"], d["EOP"]))
        return out

    def expect_tx(self, me: Attacker, descs: list[Segment]) -> TxPlan:
        plan = TxPlan([], [], descs=descs)
        i = 0
        while i < len(descs):
            first, total, segs, bad = i, 0, [], None
            while True:
                if i == len(descs):  # posted ends mid-frame: never sent, so never read
                    plan.fault = (L.ERR_TX_BAD_DESC, descs[-1].index)
                    return plan
                d = descs[i]
                if d.length == 0 or total + d.length > L.TX_MAX_FRAME or \
                        (i - first == MAX_FRAME_DESCS - 1 and not d.eop):
                    bad = (L.ERR_TX_BAD_DESC, d.index)
                    break
                total += d.length
                segs.append(d)
                i += 1
                if d.eop:
                    break
            # a bad descriptor ends its frame, which is sent up to it: a refused read of a
            # segment before it comes first
            for s in segs:
                if not self.translates(me, s.addr, s.length):
                    plan.fault = (L.ERR_TX_READ_FAULT, s.index)
                    return plan
            if bad:
                plan.fault = bad
                return plan
            plan.frames.append(b"".join(self.pool_read(me, s.addr, s.length) for s in segs))
            plan.last_index.append(segs[-1].index)
        return plan

    def expect_rx(self, me: Attacker, descs: list[Segment], frames: list[bytes]) -> RxPlan:
        plan = RxPlan(image=bytearray(me.pool_bytes()), descs=descs,
                      sizes=[len(f) for f in frames])
        cons = 0
        plan.left = descs
        for frame in frames:
            used, left, j = [], len(frame), cons
            while left and j < len(descs) and len(used) < MAX_RX_DESCS:
                take = min(left, descs[j].length)
                used.append((descs[j], take))
                left -= take
                j += 1
            if left:  # not enough descriptors posted: dropped, none consumed
                continue
            for d, take in used:
                if take and not self.translates(me, d.addr, take):
                    plan.fault = (L.ERR_RX_WRITE_FAULT, d.index)
                    return plan
            off = 0
            for d, take in used:
                start = d.addr - me.pool.iova
                plan.image[start:start + take] = frame[off:off + take]
                off += take
            plan.frames.append((descs[cons].index, len(used), len(frame)))
            cons = j
            plan.left = descs[cons:]
        return plan

    # ------------------------------------------------------------------------- attacks
    def write_tx(self, me: Attacker, segs: list[tuple[int, int, int]]) -> None:
        vi = me.vi
        for addr, length, eop in segs:
            me.proc.write(vi.tx.slot_vaddr(vi.tx.prod),
                          L.TX_DESC.pack(ADDR=addr & (2**64 - 1), LEN=length, EOP=eop))
            vi.tx.prod += 1

    def random_tx_batch(self, me: Attacker) -> list[tuple[int, int, int]]:
        r = self.rng
        segs: list[tuple[int, int, int]] = []
        for _ in range(r.randint(1, 8)):
            shape = r.random()
            if shape < 0.04:  # more descriptors than a frame may have
                n = r.randint(MAX_FRAME_DESCS - 2, MAX_FRAME_DESCS + 4)
                parts = [(me.pool.iova + r.randrange(SPAN - 8), 8) for _ in range(n)]
            elif shape < 0.08:  # longer than TX_MAX_FRAME
                parts = [(me.pool.iova + r.randrange(SPAN - 4000), 4000)
                         for _ in range(3)]
            else:
                parts = [self.target(me) for _ in range(r.choice((1, 1, 1, 2, 3)))]
            if len(segs) + len(parts) > TXQ:
                break
            segs += [(a, n, int(k == len(parts) - 1)) for k, (a, n) in enumerate(parts)]
        if r.random() < 0.05:  # the batch ends mid-frame
            segs[-1] = segs[-1][:2] + (0,)
        return segs

    def good_tx_batch(self, me: Attacker) -> list[tuple[int, int, int]]:
        r = self.rng
        out = []
        for _ in range(r.randint(4, 16)):
            n = r.randint(60, 1514)
            out.append((me.pool.iova + r.randrange(SPAN - n), n, 1))
        return out

    def ring_tx(self, me: Attacker, segs, *, stale: int = 0) -> TxPlan:
        """Write a TX batch raw into the ring and ring the doorbell ``stale`` slots beyond it;
        the plan of what the NIC must do with all of it."""
        start = me.vi.tx.prod
        self.write_tx(me, segs)
        me.vi.tx.prod += stale
        plan = self.expect_tx(me, self.ring_descs(me, start, me.vi.tx.prod))
        self.descriptors += me.vi.tx.prod - start
        me.vi.tx_push()
        return plan

    def ring_rx(self, me: Attacker) -> list[Segment]:
        """Random RX descriptors and a doorbell, sometimes beyond them (stale ring slots);
        returns every descriptor the NIC holds for the VI, those left from earlier first. The
        ring never holds more than it has slots."""
        vi, r = me.vi, self.rng
        start = vi.rx.prod
        room = RXQ - len(me.rx_pending)
        new = min(r.randint(1, 24), room)
        stale = r.randint(0, room - new) if r.random() < 0.1 else 0
        self.seen["stale_walks"] += bool(stale)
        for _ in range(new):
            addr, length = self.target(me)
            if addr - me.pool.iova in range(SPAN) and r.random() < 0.6:
                length = min(r.randint(1, 2048), SPAN - (addr - me.pool.iova))
            me.proc.write(vi.rx.slot_vaddr(vi.rx.prod),
                          L.RX_DESC.pack(ADDR=addr & (2**64 - 1), LEN=length))
            vi.rx.prod += 1
        vi.rx.prod += stale
        descs = []
        for i in range(start, vi.rx.prod):
            d = L.RX_DESC.unpack(me.proc.read(vi.rx.slot_vaddr(i), 16))
            descs.append(Segment(i & 0xFFFF, d["ADDR"], d["LEN"], 1))
        self.descriptors += vi.rx.prod - start
        vi.rx_push()
        return me.rx_pending + descs

    # --------------------------------------------------------------------------- a round
    async def round(self) -> None:
        """One round: every attacker attacks, the victim sends and receives, then the checks."""
        r, bench = self.rng, self.bench
        self.rounds += 1
        read_ok, write_ok = self.permitted()
        tx_plans: dict[int, TxPlan] = {}
        rx_plans: dict[int, RxPlan] = {}
        partial: set[int] = set()       # their frames may stop early (reset, exit)
        dying: list[tuple[int, int]] = []  # (slot, cycles until the reset or exit)
        rx_frames: list[list[bytes]] = []  # per destination, in order
        actions = {}
        for me in self.attackers:
            act = r.choices(("tx", "rx", "reset", "respawn"), (50, 32, 10, 8))[0]
            actions[me.slot] = act
            if act == "tx":
                stale = r.randint(1, TXQ) if r.random() < 0.15 else 0
                self.seen["stale_walks"] += bool(stale)
                tx_plans[me.slot] = self.ring_tx(me, self.random_tx_batch(me), stale=stale)
            elif act == "rx":
                descs = self.ring_rx(me)
                frames = [to_host(me.port, r.randbytes(r.randint(18, 3000)))
                          for _ in range(r.randint(1, 4))]
                rx_plans[me.slot] = self.expect_rx(me, descs, frames)
                if DEBUG:
                    cocotb.log.info(f"round {self.rounds} attacker {me.slot} rx: frames "
                                    f"{[len(f) for f in frames]} -> "
                                    f"{rx_plans[me.slot].frames} into "
                                    f"{self.describe(me, descs)}")
                rx_frames.append(frames)
            else:
                tx_plans[me.slot] = self.ring_tx(me, self.good_tx_batch(me))
                partial.add(me.slot)
                dying.append((me.slot, r.randint(0, 3000)))
        for _ in range(2):
            payload = b"VICT" + self.victim_seq.to_bytes(4, "big") + r.randbytes(r.randint(
                10, 1400))
            self.victim_seq += 1
            self.victim.send(payload)
            self.victim_sent.append(payload)
        self.victim.vi.tx_push()
        victim_rx = []
        for _ in range(2):
            payload = b"VRX" + self.victim_rx_seq.to_bytes(4, "big") + r.randbytes(200)
            self.victim_rx_seq += 1
            victim_rx.append(payload)
        rx_frames.append([to_host(VICTIM_PORT, p) for p in victim_rx])
        if DEBUG:
            cocotb.log.info(f"round {self.rounds}: {actions}")
        await bench.settle()  # RX descriptors are taken before their frames arrive
        for f in self.interleave(rx_frames):
            bench.rx_wire.inject(f)

        for slot, delay in sorted(dying, key=lambda d: d[1]):
            await bench.cycles(delay)
            me = self.attackers[slot]
            if actions[slot] == "reset":
                self.seen["resets"] += 1
                await me.reset()
            else:
                self.seen["respawns"] += 1
                self.host.os.exit(me.proc)

        await self.wait_quiet(tx_plans, rx_plans, partial, actions)
        self.check_wire(tx_plans, partial)
        self.check_victim_rx(victim_rx)
        for me in self.attackers:
            act = actions[me.slot]
            if act == "respawn":
                continue
            if act == "reset":
                await self.check_events(me, None, [])  # nothing of the old configuration
            elif act == "tx":
                plan = tx_plans[me.slot]
                await self.check_events(me, plan.fault, [(L.EV_TYPE_TX, i, None, None)
                                                         for i in plan.last_index],
                                        self.describe(me, plan.descs))
            else:
                plan = rx_plans[me.slot]
                await self.check_events(me, plan.fault, [(L.EV_TYPE_RX, *f)
                                                         for f in plan.frames],
                                        f"frames {plan.sizes} into "
                                        f"{self.describe(me, plan.descs)}")
                me.rx_pending = plan.left
                if me.pool_bytes() != bytes(plan.image):
                    self.violations.append(
                        f"round {self.rounds}: attacker {me.slot}'s buffers do not hold "
                        f"exactly the frames delivered into them")
            if me.vi.fault is not None:
                await me.reset()
            me.events = []
        for slot, act in actions.items():
            if act == "respawn":
                await self.host.fences_done()
                self.generations[slot] += 1
                self.attackers[slot] = Attacker(self, slot, self.generations[slot])
        await bench.settle()
        more_read, more_write = self.permitted()
        self.check_dma(read_ok | more_read, write_ok | more_write)
        self.check_canary()

    def interleave(self, streams: list[list[bytes]]) -> list[bytes]:
        """The streams merged in a random order that keeps each stream's own order."""
        streams = [list(st) for st in streams if st]
        out = []
        while streams:
            st = self.rng.choice(streams)
            out.append(st.pop(0))
            if not st:
                streams.remove(st)
        return out

    def permitted(self) -> tuple[set[int], set[int]]:
        """Physical pages the NIC may read, and those it may write, for this round's work."""
        kernel = self.host.kernel
        attackers = set().union(*(a.pages for a in self.attackers))
        victim, rx = set(), set()
        written = (self.victim.rx_pool.iova, self.victim.res.evq.iova)
        for reg in kernel.registrations_of(self.victim.proc):
            victim.update(reg.pages)
            if reg.iova in written:
                rx.update(reg.pages)
        return attackers | victim, attackers | rx


    async def wait_quiet(self, tx_plans, rx_plans, partial, actions) -> None:
        """Run until the victim's frames are sent and received and every attacker has what
        the oracle says it will get (a timeout is a violation), then a little longer, so
        that anything the NIC should not have done has time to show."""
        watched = [me for me in self.attackers if actions[me.slot] in ("tx", "rx")]

        def done() -> bool:
            victim = self.victim
            victim.poll()
            # every frame off the wire source: one still arriving after the round's reset of
            # its VI would rightly be delivered to the VI's new configuration
            ok = victim.completed == victim.sent and len(victim.received) >= 2 and \
                self.bench.rx_wire.inject_pending() == 0
            for me in watched:
                me.poll()
                plan = tx_plans.get(me.slot) or rx_plans[me.slot]
                want = len(plan.last_index) if me.slot in tx_plans else len(plan.frames)
                got = sum(e.type != L.EV_TYPE_ERROR for e in me.events)
                ok &= got >= want and (plan.fault is None or me.vi.fault is not None)
            return ok

        try:
            await self.bench.wait_until(done, ROUND_TIMEOUT_NS, "the round's traffic",
                                        wake=self.host.write_bursts)
        except SimTimeout as e:
            self.violations.append(f"round {self.rounds}: {e}")
        await self.bench.settle()
        await Timer(2, unit="us")
        done()
        for me in self.attackers:
            if actions[me.slot] == "reset":
                me.poll()

    # ---------------------------------------------------------------------------- checks
    def violation(self, what: str) -> None:
        self.violations.append(f"round {self.rounds}: {what}")

    def check_wire(self, tx_plans: dict[int, TxPlan], partial: set[int]) -> None:
        """Every frame on the wire is the next one the victim or an attacker sent, exact."""
        queues = {s: [f.ljust(60, b"\0") for f in p.frames] for s, p in tx_plans.items()}
        for frame in self.bench.tx_wire.captured():
            data = frame.data
            if CANARY_MARK in data:
                self.violation("the canary's bytes are on the wire")
            slot = next((s for s, q in queues.items() if q and q[0] == data), None)
            if slot is not None:
                queues[slot].pop(0)
                continue
            try:
                pkt = parse_udp(data)
                mine = pkt[UDP].sport == VICTIM_PORT and self.victim_sent and \
                    udp_payload(pkt) == self.victim_sent[0]
            except AssertionError:
                mine = False
            if mine:
                self.victim_sent.pop(0)
            else:
                self.violation(f"a frame no one sent is on the wire ({len(data)} bytes: "
                               f"{data[:16].hex()})")
        for slot, left in queues.items():
            if left and slot not in partial:
                self.violation(f"attacker {slot}: {len(left)} expected frames not on the wire")
        if self.victim_sent:
            self.violation(f"the victim's frames {len(self.victim_sent)} short on the wire")
            self.victim_sent.clear()

    def check_victim_rx(self, want: list[bytes]) -> None:
        got = [udp_payload(parse_udp(rec.data)) for rec in self.victim.received]
        self.victim.received.clear()
        if got != want:
            self.violation(f"the victim received {len(got)} frames, not its {len(want)} exact")

    def describe(self, me: Attacker, descs: list[Segment]) -> str:
        """Descriptors as the report of a disagreement gives them (NICSIM_DMAFUZZ_DEBUG=1):
        ring index, IOVA, length, '!' if the attacker may not use those bytes, '.' for EOP."""
        if not DEBUG:
            return ""
        return " ".join(f"{d.index}:{d.addr:#x}+{d.length}"
                        f"{'' if self.translates(me, d.addr, d.length) else '!'}"
                        f"{'.' if d.eop else ''}" for d in descs)

    async def check_events(self, me: Attacker, fault, want: list[tuple],
                           detail: str = "") -> None:
        """The attacker's events are exactly the oracle's: completions (type, index, and for
        RX the buffer count and length), then its error, if any; VI_STATUS agrees."""
        got = []
        for e in me.events:
            if e.type == L.EV_TYPE_RX:
                got.append((e.type, e.index, e.ndesc, e.length))
            elif e.type == L.EV_TYPE_TX:
                got.append((e.type, e.index, None, None))
        errors = [(e.code, e.index) for e in me.events if e.type == L.EV_TYPE_ERROR]
        who = f"attacker {me.slot} (VI {me.vi.vi})"
        why = f" [{detail}]" if detail else ""
        if got != want:
            self.violation(f"{who}: completions {got[:4]}... ({len(got)}), expected "
                           f"{want[:4]}... ({len(want)}){why}")
        if errors != ([fault] if fault else []):
            self.violation(f"{who}: error events {errors}, expected {fault}{why}")
        if fault:
            self.seen["faults"].add(fault[0])
        status = await self.host.kernel.vi_status(me.vi.vi)
        if status["faulted"] != bool(fault) or (fault and status["fault_code"] != fault[0]):
            self.violation(f"{who}: VI_STATUS faulted={status['faulted']} code="
                           f"{status['fault_code']}, expected {fault}")

    def check_dma(self, read_ok: set[int], write_ok: set[int]) -> None:
        log = self.host.dma_log
        accesses = log.drain()
        if log.lost:
            self.violation(f"the DMA log lost {log.lost} entries: the round is unchecked")
            log.lost = 0
        bad = 0
        for a in accesses:
            pages = {p << PAGE_SHIFT for p in pages_of(a.addr, a.length)}
            if pages & self.canary_pages:
                what = "the canary's page"
            elif not pages <= (write_ok if a.write else read_ok):
                what = "a page it may not " + ("write" if a.write else "read")
            else:
                continue
            bad += 1
            if bad <= 3:
                self.violation(f"DMA {'write' if a.write else 'read'} of {a.length} bytes at "
                               f"{a.addr:#x}: {what}")

    def check_canary(self) -> None:
        mem = self.host.mem
        for pa, image in self.canary_image.items():
            if mem[pa:pa + PAGE_SIZE] != image:
                self.violation(f"the canary's page {pa:#x} changed")

    async def run(self, *, rounds: int | None = None, descriptors: int | None = None) -> None:
        """Rounds until ``rounds`` are done or ``descriptors`` have been posted."""
        while (rounds is None or self.rounds < rounds) and \
                (descriptors is None or self.descriptors < descriptors):
            await self.round()
