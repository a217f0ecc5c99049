"""Transmit path, end to end: processes write UDP datagrams into their own registered buffers,
the NIC DMA-reads them through the buffer table and puts them on the wire; scapy decodes the wire.

Runs on tb_nic (one host). The DMA latency comes from NICSIM_DMA_LATENCY (cycles).
"""

from __future__ import annotations

import os
import random

import cocotb
from scapy.layers.inet import UDP

from host import layout as L
from host.process import PageFault
from host.udpsend import MAX_PAYLOAD
from tb.env import CLOCK_NS, NicBench
from tb.scenarios.apps import TxApp, parse_udp, ring_pages, udp_payload

SIM_TOP = "tb_nic"  # the sim top these tests run on (tb/scenario_info.py)

TEST_TIMEOUT_US = 20_000  # simulated time: no test can hang a run
QUICK = os.environ.get("NICSIM_QUICK", "0") != "0"  # the reduced set (slow AxiRam memory model)


def payload_of(size: int, seed: int) -> bytes:
    return random.Random(seed * 7919 + size).randbytes(size)


async def send_and_check(bench: NicBench, app: TxApp, sizes, batch: int = 32) -> None:
    """Send one datagram per size, in batches; every frame must arrive intact and in order."""
    sizes = list(sizes)
    for start in range(0, len(sizes), batch):
        chunk = sizes[start:start + batch]
        for i, size in enumerate(chunk):
            app.send(payload_of(size, start + i))
        app.vi.tx_push()
        await app.drain(bench)
        frames = await bench.collect(bench.tx_wire, len(chunk))
        assert len(frames) == len(chunk), f"{len(frames)} frames for {len(chunk)} sent"
        for i, (size, frame) in enumerate(zip(chunk, frames, strict=True)):
            pkt = parse_udp(frame.data)
            assert udp_payload(pkt) == payload_of(size, start + i), f"payload {size}"
            assert pkt[UDP].dport == app.port


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def udp_every_payload_size(dut):
    """Datagrams of every payload size 0..1472 leave with valid checksums, both ways of
    computing them: offloaded to the NIC and in software."""
    bench = await NicBench.start(dut, os_stack=False)
    sizes = range(0, MAX_PAYLOAD + 1, 37 if QUICK else 1)
    for offload in (True, False):
        app = TxApp(bench.host, f"sender-{offload}", port=5000 + offload, offload=offload)
        await send_and_check(bench, app, sizes)
    stats = await bench.host.kernel.read_stats()
    assert stats["TX_FRAMES"] == 2 * len(sizes)
    assert stats["DMA_FAULTS"] == 0 and stats["TX_ERRORS"] == 0


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def scatter_gather_frames(dut):
    """One frame from 2-4 descriptors: headers in one buffer, payload pieces where the
    application left them, at odd offsets and lengths."""
    bench = await NicBench.start(dut, os_stack=False)
    rng = random.Random(2)
    for offload in (True, False):
        app = TxApp(bench.host, f"sg-{offload}", port=6000, offload=offload, buffers=128)
        expected = []
        for n in range(12 if QUICK else 60):
            pieces = []
            for _ in range(rng.randint(1, 3)):
                buf = app.pool.alloc()
                off = rng.randint(0, 700)
                length = rng.randint(1, 400)
                buf.view[off:off + length] = rng.randbytes(length)
                pieces.append((buf, off, length))
            expected.append(b"".join(bytes(b.view[o:o + k]) for b, o, k in pieces))
            app.sender.send_gather(pieces, cookie=[b for b, _, _ in pieces])
            app.sent += 1
            app.vi.tx_push()
            if n % 8 == 7:
                await app.drain(bench)
        await app.drain(bench)
        frames = await bench.collect(bench.tx_wire, len(expected))
        assert len(frames) == len(expected)
        for frame, want in zip(frames, expected, strict=True):
            assert udp_payload(parse_udp(frame.data)) == want


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def zero_copy_reads_the_process_pages(dut):
    """The physical addresses the NIC DMA-read are exactly the pages the process wrote."""
    bench = await NicBench.start(dut, os_stack=False)
    app = TxApp(bench.host, "zc", port=7000, buffers=8)
    bench.host.dma_log.enable()
    bench.host.dma_log.drain()
    for i in range(8):
        app.send(payload_of(900, i))
    app.vi.tx_push()
    await app.drain(bench)
    reads = [a for a in bench.host.dma_log.drain() if not a.write]
    buffer_pages = set(app.proc.physical_pages(app.pool.vaddr, 8 * app.pool.size))
    txq_pages = ring_pages(app.proc, app.res.txq)
    touched = {a.addr & ~0xFFF for a in reads}
    assert touched - txq_pages == buffer_pages, "NIC read pages other than the buffers"
    # every byte of every frame was read from the page where the process built it
    for buf in app.pool.buffers[-8:]:
        paddr = app.proc.physical_address(buf.vaddr)
        assert any(a.addr <= paddr < a.addr + a.length for a in reads), f"{paddr:#x} not read"


async def expect_fault(bench: NicBench, app: TxApp, code: int) -> None:
    await bench.wait_until(lambda: (app.poll(), app.vi.fault)[1], 50_000, "error event")
    assert app.vi.fault.type == L.EV_TYPE_ERROR
    assert app.vi.fault.code == code, f"error code {app.vi.fault.code}, expected {code}"
    status = await bench.host.kernel.vi_status(app.vi.vi)
    assert status["faulted"] == 1 and status["fault_code"] == code


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def protection_faults_only_the_offending_vi(dut):
    """Descriptors naming an unregistered page or another process's page: an error event on
    that VI alone, nothing on the wire, host memory unchanged, the other VI keeps sending."""
    bench = await NicBench.start(dut, os_stack=False)
    good = TxApp(bench.host, "good", port=8000)
    victim = TxApp(bench.host, "victim", port=8001)
    bad_iovas = {
        "unregistered page": 0x0,
        "beyond the buffer table": 1 << 40,
        "another process's buffer": victim.pool.iova,
    }
    for why, iova in bad_iovas.items():
        bad = TxApp(bench.host, f"bad ({why})", port=8002)
        good.send(b"before")
        good.vi.tx_push()
        await good.drain(bench)
        bench.tx_wire.captured()
        bad.vi.tx_post([(iova, 100)], cookie=[])
        bad.sent += 1
        before = bench.host.memory_snapshot()
        bad.vi.tx_push()
        await expect_fault(bench, bad, L.ERR_TX_READ_FAULT)
        after = bench.host.memory_snapshot()
        evq = ring_pages(bad.proc, bad.res.evq)
        changed = {i & ~0xFFF for i in _diff_offsets(before, after)}
        assert changed <= evq, f"{why}: memory outside the faulted VI's event queue changed"
        assert bench.tx_wire.captured() == [], f"{why}: a faulted frame reached the wire"
        # the good VI is unaffected
        for i in range(4):
            good.send(payload_of(64, i))
        good.vi.tx_push()
        await good.drain(bench)
        frames = await bench.collect(bench.tx_wire, 4)
        assert [parse_udp(f.data)[UDP].sport for f in frames] == [8000] * 4
    stats = await bench.host.kernel.read_stats()
    assert stats["DMA_FAULTS"] >= len(bad_iovas)

    # a process cannot even reach another VI's doorbell: the only register page in its address
    # space is its own VI's, and a store next to it faults
    assert list(good.proc.register_pages().values()) == [L.vi_page_base(good.vi.vi)]
    try:
        good.proc.write32(good.res.doorbell + L.PAGE_SIZE, 1)
    except PageFault:
        pass
    else:
        raise AssertionError("a store beside the VI's doorbell page did not fault")


def _diff_offsets(a: bytes, b: bytes):
    step = 4096
    for off in range(0, len(a), step):
        if a[off:off + step] != b[off:off + step]:
            yield off


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def bad_descriptor_faults_the_vi(dut):
    """A zero-length descriptor and a frame over the NIC's maximum are bad descriptors."""
    bench = await NicBench.start(dut, os_stack=False)
    for length in (0, L.TX_MAX_FRAME + 1):
        app = TxApp(bench.host, f"bad-len-{length}", port=9000)
        buf = app.pool.alloc()
        desc = L.TX_DESC.pack(ADDR=buf.iova, LEN=length & 0xFFFF, EOP=1)
        app.proc.write(app.res.txq.vaddr, desc)  # bypasses the driver's own check
        app.vi.tx.prod += 1
        app.vi.tx_push()
        await expect_fault(bench, app, L.ERR_TX_BAD_DESC)
    assert bench.tx_wire.captured() == []


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def ring_wraps_three_laps(dut):
    """A 16-entry TX ring and 32-entry event queue go round several times: phase bits work."""
    bench = await NicBench.start(dut, os_stack=False)
    app = TxApp(bench.host, "wrap", port=9100, txq=16, rxq=16, buffers=16)
    total = 0
    for lap in range(7):
        for i in range(12):
            app.send(payload_of(100 + i, lap))
            total += 1
        app.vi.tx_push()
        await app.drain(bench)
    frames = await bench.collect(bench.tx_wire, total)
    assert len(frames) == total
    assert app.vi.evq_read > 2 * app.res.evq.entries, "event queue did not wrap twice"
    assert app.vi.tx.cons > 3 * 16


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def several_vis_send_at_once(dut):
    """Four processes send at once; every frame arrives, each flow in its own order."""
    bench = await NicBench.start(dut, os_stack=False)
    apps = [TxApp(bench.host, f"p{i}", port=10000 + i) for i in range(4)]
    per_app = 40
    for n in range(per_app):
        for app in apps:
            app.send(n.to_bytes(4, "big") + payload_of(50 + 13 * n, app.port))
    for app in apps:
        app.vi.tx_push()
    frames = []
    await bench.wait_until(lambda: (frames.extend(bench.tx_wire.captured()),
                                    [a.poll() for a in apps],
                                    len(frames) >= per_app * len(apps))[2],
                           400_000, "frames of all VIs")
    seqs = {a.port: [] for a in apps}
    for f in frames:
        pkt = parse_udp(f.data)
        seqs[pkt[UDP].dport].append(int.from_bytes(udp_payload(pkt)[:4], "big"))
    for port, seq in seqs.items():
        assert seq == list(range(per_app)), f"flow {port}: {seq}"
    ports = [parse_udp(f.data)[UDP].dport for f in frames]
    first_seen = [ports.index(a.port) for a in apps]
    last_of_first = len(ports) - 1 - ports[::-1].index(ports[0])
    assert max(first_seen) < last_of_first, "one VI was served to the end before the others"


@cocotb.test(timeout_time=TEST_TIMEOUT_US, timeout_unit="us")
async def pcap_of_the_wire(dut):
    """PCAP=path: the frames on the wire go to a pcap file that an independent reader (scapy's
    rdpcap) parses, byte for byte the captured frames, with timestamps in simulated time."""
    from scapy.utils import rdpcap

    from tb.runner import BUILD_ROOT

    path = BUILD_ROOT / "pcap-test" / f"wire-{os.getpid()}.pcap"
    path.parent.mkdir(parents=True, exist_ok=True)
    os.environ["PCAP"] = str(path)
    try:
        bench = await NicBench.start(dut, os_stack=False)
    finally:
        del os.environ["PCAP"]
    app = TxApp(bench.host, "pcap", port=4000)
    for size in (0, 100, 1472):
        app.send(payload_of(size, 3))
    app.vi.tx_push()
    frames = await bench.collect(bench.tx_wire, 3)
    bench.close_pcap()
    packets = rdpcap(str(path))
    magic = path.read_bytes()[:4]
    path.unlink()
    assert magic == bytes.fromhex("4d3cb2a1")  # the nanosecond-resolution pcap format
    assert [bytes(p) for p in packets] == [f.data for f in frames]
    # nanosecond pcap in simulated time: each frame's stamp is its capture cycle, exactly
    stamps_ns = [round(p.time * 10**9) for p in packets]
    assert stamps_ns == [round(f.cycle * CLOCK_NS) for f in frames], f"timestamps {stamps_ns}"
    assert len(set(stamps_ns)) == len(stamps_ns) and 0 < stamps_ns[0] < 10**6
    assert [len(udp_payload(p)) for p in packets] == [0, 100, 1472]
